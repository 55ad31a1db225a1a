// @glassbox/models — the public API.

export * from './toyWorld';
