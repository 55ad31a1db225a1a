import type { InferenceSession } from 'onnxruntime-web';
import { fail } from '../errors';
import type { Tensor } from '../tensor';

/**
 * Runs an exported model with ONNX Runtime Web. The same code serves Node (tests, the CLI, benchmarks: the package's
 * "node" export runs the wasm backend from node_modules, no network) and the browser (the explorer). onnxruntime-web
 * is imported on first use, so code that never compares with ONNX Runtime does not load its JavaScript or wasm.
 */

type Ort = typeof import('onnxruntime-web');

let ortPromise: Promise<Ort> | null = null;

const IN_NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web').then((ort) => {
    // In Node, multi-threaded wasm spawns worker threads that keep a test process alive and compete for the few
    // cores tests get; one thread is also the "single-threaded wasm backend" the benchmarks compare against. In the
    // browser we keep ORT's default (it uses threads only when the page is cross-origin isolated).
    if (IN_NODE) ort.env.wasm.numThreads = 1;
    return ort;
  });
  return ortPromise;
}

export interface OnnxSessionOptions {
  /** ORT execution providers, in order of preference; default ['wasm']. */
  executionProviders?: ('wasm' | 'webgpu')[];
  /**
   * ORT's graph optimizations (constant folding, operator fusion). Default 'all', what a user of ORT gets; 'disabled'
   * runs the graph node by node as exported.
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OnnxRunResult {
  /** [T, V] for the one sequence given. */
  logits: Tensor;
  /** The extra outputs asked for, by hook name, with ORT's shapes (a leading batch dimension of 1). */
  outputs: Record<string, Tensor>;
  /** Milliseconds spent in session.run (feeding, running, reading back). */
  ms: number;
}

export interface OnnxSession {
  /** Graph output names: 'logits' and the hook names the model was exported with. */
  readonly outputNames: readonly string[];
  /** One forward pass over `ids`. `outputs` picks extra outputs to fetch (default: all of them). */
  run(ids: readonly number[], options?: { outputs?: readonly string[] }): Promise<OnnxRunResult>;
  release(): Promise<void>;
}

/** Create an ORT session from exported bytes (exportOnnx's result). Reuse it: creation costs far more than a run. */
export async function createOnnxSession(
  modelBytes: Uint8Array,
  options: OnnxSessionOptions = {},
): Promise<OnnxSession> {
  const ort = await loadOrt();
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelBytes, {
      executionProviders: options.executionProviders ?? ['wasm'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
  } catch (e) {
    return fail('unsupported', `ONNX Runtime could not load the model: ${(e as Error).message}`);
  }
  const outputNames = [...session.outputNames];
  return {
    outputNames,
    async run(ids, runOptions = {}) {
      if (ids.length === 0) fail('bad-ids', 'ids is empty: a forward pass needs at least one token id');
      for (const name of runOptions.outputs ?? []) {
        if (!outputNames.includes(name)) fail('bad-hook', `the ONNX model has no output "${name}"`);
      }
      const fetches = ['logits', ...(runOptions.outputs ?? outputNames).filter((n) => n !== 'logits')];
      const input = new ort.Tensor('int64', BigInt64Array.from(ids.map((id) => BigInt(id))), [1, ids.length]);
      const t0 = performance.now();
      const result = await session.run({ [session.inputNames[0]]: input }, fetches);
      const outputs: Record<string, Tensor> = {};
      for (const name of fetches) {
        const t = result[name];
        outputs[name] = { shape: t.dims.map(Number), data: Float32Array.from(t.data as Float32Array) };
        t.dispose();
      }
      const ms = performance.now() - t0;
      const { logits, ...rest } = outputs;
      return { logits: { shape: logits.shape.slice(1), data: logits.data }, outputs: rest, ms };
    },
    release: () => session.release(),
  };
}

/** One-shot convenience: create a session, run `ids`, release it. */
export async function runOnnx(
  modelBytes: Uint8Array,
  ids: readonly number[],
  options: OnnxSessionOptions = {},
): Promise<OnnxRunResult> {
  const session = await createOnnxSession(modelBytes, options);
  try {
    return await session.run(ids);
  } finally {
    await session.release();
  }
}
