// @glassbox/models — the public API.
export {};
