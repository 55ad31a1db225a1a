import type { GPTConfig } from '../config';
import { forward } from '../cpu/model';
import type { GPTParams } from '../params';
import type { Tensor } from '../tensor';
import type { ExportOnnxOptions } from './export';
import { exportOnnx, onnxHookNames } from './export';
import type { OnnxSessionOptions } from './runtime';
import { createOnnxSession } from './runtime';

/**
 * The project's independent check that its GPT is GPT-2: export the model, run the same ids through ONNX Runtime, and
 * measure how far its logits (and, optionally, every intermediate it exposes) are from the CPU engine's.
 * What the explorer's "Check against ONNX Runtime" button shows.
 */

export interface CompareWithOnnxOptions extends OnnxSessionOptions {
  opset?: number;
  gelu?: ExportOnnxOptions['gelu'];
  /** Intermediates to compare besides the logits: hook names, or 'all' for every one the export exposes. */
  hooks?: readonly string[] | 'all';
}

export interface OnnxComparison {
  /** max |logits_cpu − logits_ort| over every position and vocabulary entry. */
  maxAbsDiff: number;
  /** The same divided by the largest |logit|, so models with large logits can be judged too. */
  maxRelDiff: number;
  /** Whether both pick the same most likely next token at every position (what greedy decoding would see). */
  sameArgmax: boolean;
  /** max abs difference per compared hook name (−∞ entries of masked attention scores count as equal). */
  hookDiffs: Record<string, number>;
  /** The hook with the largest difference, or null when no hooks were compared: where to look first. */
  worstHook: string | null;
  /** Milliseconds: writing the ONNX file, creating the ORT session, the ORT run, and the CPU engine's forward pass. */
  exportMs: number;
  sessionMs: number;
  ortMs: number;
  cpuMs: number;
  /** Size of the exported file in bytes. */
  onnxBytes: number;
  /** ORT's logits, [T, V]. */
  ortLogits: Tensor;
}

export async function compareWithOnnx(
  config: GPTConfig,
  params: GPTParams,
  ids: readonly number[],
  options: CompareWithOnnxOptions = {},
): Promise<OnnxComparison> {
  const hooks = options.hooks === 'all' ? onnxHookNames(config) : [...(options.hooks ?? [])];

  // CPU first: it validates ids (range, length ≤ n_positions) with the engine's own error messages.
  const c0 = performance.now();
  const cpu = forward(config, params, ids, { capture: hooks });
  const cpuMs = performance.now() - c0;

  const e0 = performance.now();
  const bytes = exportOnnx(config, params, { opset: options.opset, gelu: options.gelu, outputs: hooks });
  const exportMs = performance.now() - e0;

  const s0 = performance.now();
  const session = await createOnnxSession(bytes, options);
  const sessionMs = performance.now() - s0;
  let ort: Awaited<ReturnType<typeof session.run>>;
  try {
    ort = await session.run(ids);
  } finally {
    await session.release();
  }

  const hookDiffs: Record<string, number> = {};
  let worstHook: string | null = null;
  for (const name of hooks) {
    hookDiffs[name] = flatMaxAbsDiff(cpu.trace[name], ort.outputs[name]);
    if (worstHook === null || !(hookDiffs[name] <= hookDiffs[worstHook])) worstHook = name;
  }
  const maxAbsDiff = flatMaxAbsDiff(cpu.logits, ort.logits);
  return {
    maxAbsDiff,
    maxRelDiff: maxAbsDiff / Math.max(maxAbs(cpu.logits), Number.MIN_VALUE),
    sameArgmax: sameArgmaxPerRow(cpu.logits, ort.logits),
    hookDiffs,
    worstHook,
    exportMs,
    sessionMs,
    ortMs: ort.ms,
    cpuMs,
    onnxBytes: bytes.length,
    ortLogits: ort.logits,
  };
}

/**
 * Max abs difference of two tensors with the same row-major layout; ORT's shapes only add a leading batch of 1, so
 * the data is compared flat. Equal values (−∞ included) count as 0; a NaN anywhere or a size mismatch gives NaN or
 * Infinity, never a reassuring small number.
 */
function flatMaxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.data.length !== b.data.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (x === y) continue;
    const d = Math.abs(x - y);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

function sameArgmaxPerRow(a: Tensor, b: Tensor): boolean {
  const V = a.shape[a.shape.length - 1];
  for (let r = 0; r < a.data.length / V; r++) {
    if (argmax(a.data, r * V, V) !== argmax(b.data, r * V, V)) return false;
  }
  return true;
}

function argmax(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (data[offset + i] > data[offset + best]) best = i;
  return best;
}
