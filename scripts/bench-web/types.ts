/** What the benchmark page (page.ts) is asked and answers; shared with its Node driver (run.ts). */
import type { Figure } from '../bench-measure';

export interface WebBenchSpec {
  /** A shipped model's name, or 'gpt2-small' (random weights, initParams seed 1, as in scripts/bench.ts). */
  model: string;
  /** Prompt length (capped at the model's n_positions). */
  prompt: number;
  /** Tokens decoded one at a time per decode sample, after a 1-token prefill. */
  decodeTokens: number;
  /** Repetitions and time-based warm-up (ms) of the CPU engine ↔ ORT wasm comparison. */
  reps: number;
  warmupMs: number;
  /** The same for WebGPU engine ↔ ORT WebGPU (SwiftShader makes a large model's pass take a minute). */
  gpuReps: number;
  gpuWarmupMs: number;
}

export interface EngineRow {
  forward: Figure;
  forwardAll: Figure;
  decode: Figure;
}

export interface WebBenchResult {
  model: string;
  parameters: number;
  T: number;
  decodeTokens: number;
  /** The page's WebGPU adapter, as `GPUAdapter.info` gives it (both WebGPU columns ran on it). */
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null;
  userAgent: string;
  /** Without cross-origin isolation ORT's wasm backend runs one thread. */
  crossOriginIsolated: boolean;
  ortWasmThreads: number | null;
  cpu: EngineRow;
  ortWasm: EngineRow;
  webgpu: EngineRow;
  ortWebgpu: EngineRow;
}

/** What the page puts on its global object for the driver to call. */
export interface BenchGlobal {
  glassboxBench(spec: WebBenchSpec): Promise<WebBenchResult>;
}
