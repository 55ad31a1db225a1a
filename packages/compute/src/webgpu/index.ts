// The WebGPU engine's public API (browser-safe: the Node binding lives in ./nodeDevice, entry `@glassbox/compute/node`).
export type { GpuTensor } from './context';
export { GpuContext } from './context';
export type {
  AcquireOptions,
  DeviceAcquisition,
  GpuAdapterDescription,
  GpuLimits,
  UsedLimit,
} from './device';
export { acquireGpuDevice, USED_LIMITS } from './device';
export type { WebGpuEngineOptions } from './engine';
export { createWebGpuEngine, WebGpuEngine } from './engine';
export { GpuKVCache } from './kvCache';
export type { GpuStepSummary, WebGpuModelTrainerOptions } from './modelTrainer';
export { WebGpuModelTrainer } from './modelTrainer';
export type {
  CpuFallback,
  CpuTrainerFallback,
  CreateTrainerOptions,
  EngineSelection,
  SelectEngineOptions,
} from './select';
export { createTrainer, fallbackToCpu, fallbackTrainerToCpu, selectEngine } from './select';
export type { GpuStepOptions, GpuStepResult, GpuTrainerOptions } from './trainer';
export { WebGpuTrainer } from './trainer';
