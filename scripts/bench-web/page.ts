/**
 * The browser half of `npm run bench`: every engine that can run in a page, on the same model and prompt, in one
 * page — the project's CPU and WebGPU engines and ONNX Runtime Web's wasm and WebGPU backends. scripts/bench-web/run.ts
 * opens it in headless Chromium and calls `glassboxBench(spec)` once per model.
 *
 * ORT's WebGPU backend runs only in a browser, so this page is where the issue-9 target "the WebGPU engine is at
 * least as fast as ONNX Runtime's WebGPU backend on the same hardware" is measured: both take the page's adapter.
 * Each of our engines is measured against its peer (CPU engine ↔ ORT wasm, WebGPU engine ↔ ORT WebGPU) in
 * alternation, so both see the same background load.
 */
import {
  countParams,
  createCpuEngine,
  createOnnxDecoder,
  createOnnxSession,
  createRng,
  createWebGpuEngine,
  type Engine,
  exportOnnx,
  GPT2_SMALL,
  type GPTConfig,
  type GPTParams,
  initParams,
} from '@glassbox/compute';
import { loadShippedModel } from '@glassbox/models';
// The bundle with the WebGPU execution provider (the package's default browser bundle is wasm only).
import * as ort from 'onnxruntime-web/webgpu';
import { type MeasureOptions, measureAlternating } from '../bench-measure';
import { decodeSample, forwardSample, ortDecodeSample, ortForwardSample } from '../bench-samples';
import type { BenchGlobal, EngineRow, WebBenchResult, WebBenchSpec } from './types';

const log = (line: string) => {
  const el = document.getElementById('log');
  if (el) el.textContent += `${line}\n`;
  console.log(line);
};

async function loadModel(name: string): Promise<{ config: GPTConfig; params: GPTParams }> {
  if (name === 'gpt2-small') return { config: GPT2_SMALL, params: initParams(GPT2_SMALL, { seed: 1 }) };
  const m = await loadShippedModel(name);
  return { config: m.config, params: m.params };
}

interface Models {
  plain: Uint8Array;
  kvCache: Uint8Array;
}

/** One engine of ours against its ORT peer: forward (with and without capturing every hook) and decode. */
async function comparePair(
  engine: Engine,
  onnx: Models,
  ep: 'wasm' | 'webgpu',
  prompt: number[],
  tokens: number,
  opts: MeasureOptions,
): Promise<{ ours: EngineRow; peer: EngineRow }> {
  const session = await createOnnxSession(onnx.plain, { executionProviders: [ep], ort });
  let forward: EngineRow['forward'];
  let forwardAll: EngineRow['forwardAll'];
  let peerForward: EngineRow['forward'];
  try {
    [forward, forwardAll, peerForward] = await measureAlternating(
      [forwardSample(engine, prompt), forwardSample(engine, prompt, 'all'), ortForwardSample(session, prompt)],
      opts,
    );
  } finally {
    await session.release();
  }
  const decoder = await createOnnxDecoder(onnx.kvCache, { executionProviders: [ep], ort });
  try {
    const [decode, peerDecode] = await measureAlternating(
      [decodeSample(engine, prompt, tokens), ortDecodeSample(decoder, prompt, tokens)],
      opts,
    );
    return {
      ours: { forward, forwardAll, decode },
      peer: { forward: peerForward, forwardAll: { skipped: 'ORT runs the export, not our hooks' }, decode: peerDecode },
    };
  } finally {
    await decoder.release();
  }
}

async function adapterInfo(): Promise<WebBenchResult['adapter']> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? false,
  };
}

async function glassboxBench(spec: WebBenchSpec): Promise<WebBenchResult> {
  log(`${spec.model}: loading`);
  const { config, params } = await loadModel(spec.model);
  const T = Math.min(spec.prompt, config.n_positions);
  const tokens = Math.min(spec.decodeTokens, T - 1);
  // The same random prompt as scripts/bench.ts (speed does not depend on which ids).
  const rng = createRng(1);
  const prompt = Array.from({ length: T }, () => Math.floor(rng.next() * config.vocab_size));

  log(`${spec.model}: ONNX export`);
  const onnx: Models = { plain: exportOnnx(config, params), kvCache: exportOnnx(config, params, { kvCache: true }) };

  log(`${spec.model}: CPU engine vs ORT wasm`);
  const cpuOpts = { reps: spec.reps, warmup: 1, warmupMs: spec.warmupMs };
  const cpuPair = await comparePair(createCpuEngine(config, params), onnx, 'wasm', prompt, tokens, cpuOpts);

  log(`${spec.model}: WebGPU engine vs ORT WebGPU`);
  const gpuEngine = await createWebGpuEngine(config, params);
  let gpuPair: { ours: EngineRow; peer: EngineRow };
  try {
    const gpuOpts = { reps: spec.gpuReps, warmup: 1, warmupMs: spec.gpuWarmupMs };
    gpuPair = await comparePair(gpuEngine, onnx, 'webgpu', prompt, tokens, gpuOpts);
  } finally {
    gpuEngine.dispose();
  }
  return {
    model: spec.model,
    parameters: countParams(config).total,
    T,
    decodeTokens: tokens,
    adapter: await adapterInfo(),
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? false,
    ortWasmThreads: ort.env.wasm.numThreads ?? null,
    cpu: cpuPair.ours,
    ortWasm: cpuPair.peer,
    webgpu: gpuPair.ours,
    ortWebgpu: gpuPair.peer,
  };
}

(globalThis as unknown as BenchGlobal).glassboxBench = glassboxBench;
log('ready');
