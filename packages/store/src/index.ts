// @glassbox/store — the public API: the explorer's stores and the pure logic behind them (steps, URL state, sampling).
export * from './createStore';
export * from './derived';
export * from './engineChoice';
export * from './explorer';
export * from './modelSource';
export * from './sampling';
export * from './steps';
export * from './urlState';
