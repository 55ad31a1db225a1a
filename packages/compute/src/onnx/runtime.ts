import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-web';
import type { GPTConfig } from '../config';
import { dHead, validateConfig } from '../config';
import { fail } from '../errors';
import { checkIds } from '../hookPoints';
import type { Tensor } from '../tensor';
import { readModelMetadata } from './schema';

/**
 * Runs an exported model with ONNX Runtime Web. The same code serves Node (tests, the CLI, benchmarks: the package's
 * "node" export runs the wasm backend from node_modules, no network) and the browser (the explorer). onnxruntime-web
 * is imported on first use, so code that never compares with ONNX Runtime does not load its JavaScript or wasm.
 */

/** The onnxruntime-web module: `import * as ort from 'onnxruntime-web'` (or one of its bundles, e.g. '/webgpu'). */
export type OrtModule = typeof import('onnxruntime-web');
type Ort = OrtModule;

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
  /**
   * The ORT module to use instead of importing onnxruntime-web here: for an app that bundles a particular build of it
   * (say 'onnxruntime-web/webgpu') or has configured its `env`. Its settings are left as the caller made them.
   */
  ort?: OrtModule;
}

/** Load ORT and create a session, with load failures as Glassbox errors. */
async function openSession(
  modelBytes: Uint8Array,
  options: OnnxSessionOptions,
  extra: InferenceSession.SessionOptions = {},
): Promise<{ ort: Ort; session: InferenceSession }> {
  const ort = options.ort ?? (await loadOrt());
  try {
    const session = await ort.InferenceSession.create(modelBytes, {
      executionProviders: options.executionProviders ?? ['wasm'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...extra,
    });
    return { ort, session };
  } catch (e) {
    return fail('unsupported', `ONNX Runtime could not load the model: ${(e as Error).message}`);
  }
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
  const { ort, session } = await openSession(modelBytes, options);
  if (session.inputNames.includes('past_key_0')) {
    await session.release();
    fail('unsupported', 'this ONNX model takes past keys and values (exported with kvCache): use createOnnxDecoder');
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

export interface OnnxDecodeResult {
  /** [T, V]: logits of the positions this call added. */
  logits: Tensor;
  /** Hook outputs the model was exported with (`outputs` of exportOnnx), by hook name, with a leading batch of 1. */
  outputs: Record<string, Tensor>;
  /** Absolute position of this call's first id (the cache length before it). */
  start: number;
  /** Milliseconds spent in session.run (feeding, running, reading the logits back). */
  ms: number;
}

/**
 * ORT decoding with a KV cache, over a model exported with `exportOnnx(config, params, { kvCache: true })`. The
 * decoder keeps each call's present keys and values and feeds them back as the next call's past, so a step costs one
 * position, as in the engines' `run(ids, { cache })`. Calls are queued: each one sees the cache its predecessors left.
 * A call that fails leaves the cache as it was.
 */
export interface OnnxDecoder {
  /** The model's config, read from the file's metadata. */
  readonly config: GPTConfig;
  /** Positions cached: the absolute position of the next token (of the calls finished so far). */
  readonly length: number;
  /** Forget the cache, then run `ids` from position 0; their keys and values become the cache. */
  prefill(ids: readonly number[]): Promise<OnnxDecodeResult>;
  /** One token after the cached ones. */
  step(id: number): Promise<OnnxDecodeResult>;
  /** Any number of tokens after the cached ones. */
  extend(ids: readonly number[]): Promise<OnnxDecodeResult>;
  /** Forget the cache (the next call starts at position 0), once the calls already queued have finished. */
  reset(): Promise<void>;
  release(): Promise<void>;
}

export interface OnnxDecoderOptions extends OnnxSessionOptions {
  /**
   * With the WebGPU execution provider, keep the present keys and values in GPU buffers between calls
   * (ORT's preferredOutputLocation 'gpu-buffer') instead of reading them back and uploading them again each step.
   * Default: true when the first execution provider is 'webgpu'; ignored otherwise.
   */
  cacheOnGpu?: boolean;
}

/** Create a decoder from the bytes of a kvCache export. Works with ['wasm'] (Node, browser) and ['webgpu'] (browser). */
export async function createOnnxDecoder(
  modelBytes: Uint8Array,
  options: OnnxDecoderOptions = {},
): Promise<OnnxDecoder> {
  let metadata: Map<string, string>;
  try {
    metadata = readModelMetadata(modelBytes);
  } catch (e) {
    return fail('unsupported', `not an ONNX model: ${(e as Error).message}`);
  }
  const configJson = metadata.get('glassbox.config');
  if (configJson === undefined) {
    fail('unsupported', 'the ONNX model has no glassbox.config metadata: createOnnxDecoder runs exportOnnx output');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(configJson);
  } catch {
    fail('unsupported', 'the ONNX model’s glassbox.config metadata is not JSON');
  }
  const config = validateConfig(parsed);
  const L = config.n_layer;
  const H = config.n_head;
  const dh = dHead(config);
  const pastNames = Array.from({ length: L }, (_, l) => [`past_key_${l}`, `past_value_${l}`]).flat();
  const presentNames = pastNames.map((n) => n.replace('past_', 'present_'));

  const onGpu = options.executionProviders?.[0] === 'webgpu' && (options.cacheOnGpu ?? true);
  const { ort, session } = await openSession(
    modelBytes,
    options,
    onGpu ? { preferredOutputLocation: Object.fromEntries(presentNames.map((n) => [n, 'gpu-buffer' as const])) } : {},
  );
  const hookNames = session.outputNames.filter((n) => n !== 'logits' && !presentNames.includes(n));
  const missing = pastNames.filter((n) => !session.inputNames.includes(n));
  if (missing.length > 0) {
    await session.release();
    fail('unsupported', `the ONNX model has no ${missing[0]} input: export it with exportOnnx(…, { kvCache: true })`);
  }

  const empty = () => pastNames.map(() => new ort.Tensor('float32', new Float32Array(0), [1, H, 0, dh]));
  /** past_key_0, past_value_0, past_key_1, …: [1, H, length, dh] each, on the CPU or (webgpu) in GPU buffers. */
  let past: OrtTensor[] = empty();
  let length = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const forget = () => {
    for (const t of past) t.dispose(); // frees GPU buffers; drops the data of CPU tensors
    past = empty();
    length = 0;
  };

  const extend = async (ids: readonly number[]): Promise<OnnxDecodeResult> => {
    checkIds(ids, config, length); // also refuses to go past n_positions, before ORT would fail on the position Gather
    const feeds: Record<string, OrtTensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((id) => BigInt(id))), [1, ids.length]),
    };
    pastNames.forEach((n, i) => {
      feeds[n] = past[i];
    });
    const t0 = performance.now();
    const result = await session.run(feeds, ['logits', ...hookNames, ...presentNames]);
    const read = (name: string): Tensor => {
      const t = result[name];
      const out = { shape: t.dims.map(Number), data: Float32Array.from(t.data as Float32Array) };
      t.dispose();
      return out;
    };
    const logits = read('logits').data; // [1, T, V]
    const outputs = Object.fromEntries(hookNames.map((n) => [n, read(n)]));
    const ms = performance.now() - t0;
    for (const t of past) t.dispose();
    past = presentNames.map((n) => result[n]);
    const start = length;
    length += ids.length;
    return { logits: { shape: [ids.length, config.vocab_size], data: logits }, outputs, start, ms };
  };

  /** Run `work` after every call already queued, so each call sees the cache the previous one left. */
  const enqueue = <R>(work: () => Promise<R>): Promise<R> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    config,
    get length() {
      return length;
    },
    prefill: (ids) =>
      enqueue(() => {
        forget();
        return extend(ids);
      }),
    step: (id) => enqueue(() => extend([id])),
    extend: (ids) => enqueue(() => extend(ids)),
    reset: () => enqueue(async () => forget()),
    release: () =>
      enqueue(async () => {
        forget();
        await session.release();
      }),
  };
}
