// @glassbox/tokenizers — the public API.
export {};
