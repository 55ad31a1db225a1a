// @glassbox/compute — the public API. Apps and other packages import only from here.
export * from './config';
export * from './cpu/engine';
export * from './cpu/gemm';
export * from './cpu/kvCache';
export * from './cpu/model';
export * as ops from './cpu/ops';
export * from './engine';
export * from './errors';
export * from './generate';
export * from './hooks';
export * from './onnx';
export * from './params';
export * from './rng';
export * from './sample';
export * from './tensor';
export * from './train';
export * from './webgpu';
export * from './weights';
