// @glassbox/models — the public API.
export * from './shipped';
export * from './toyWorld';
