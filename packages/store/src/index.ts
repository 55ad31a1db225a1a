// @glassbox/store — the public API: the explorer's stores and the pure logic behind them (steps, URL state, sampling).
export * from './createStore';
export * from './derived';
export * from './deviceLoss';
export * from './engineChoice';
export * from './explorer';
export * from './fakeHub';
export * from './hub';
export * from './kvTrace';
export * from './modelSource';
export * from './sampling';
export * from './steps';
export * from './training';
export * from './trainingEmbedding';
export * from './trainingPresets';
export * from './trainingProtocol';
export * from './trainingWorker';
export * from './urlState';
