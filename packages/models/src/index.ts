// @glassbox/models — the public API.

export * from './austen';
export * from './shipped';
export * from './toyWorld';
