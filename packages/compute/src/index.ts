// @glassbox/compute — the public API. Apps and other packages import only from here.
export * from './config';
export * as ops from './cpu/ops';
export * from './engine';
export * from './errors';
export * from './hooks';
export * from './params';
export * from './rng';
export * from './tensor';
