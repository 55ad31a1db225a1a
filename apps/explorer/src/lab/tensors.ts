import type { Tensor } from '@glassbox/compute';
import type { Matrix } from '@glassbox/views';
import { headPlane, visibleToken } from '@glassbox/views';

/**
 * Display-side slicing of the tensors the trainer reports (no model math): one sequence of a [B, …] tensor, one
 * head of an attention tensor, everything else as rows × columns.
 */

/** Sequence b of a tensor whose first dimension is the batch (the lab always asks for [B, …] or knows B = 1). */
export function sequence(t: Tensor, b: number, batched: boolean): Tensor {
  if (!batched) return t;
  const per = t.data.length / t.shape[0];
  return { shape: t.shape.slice(1), data: t.data.subarray(b * per, (b + 1) * per) };
}

/** True for hooks whose last two dimensions are [T, S] per head (scores and patterns). */
export function isPerHeadSquare(name: string): boolean {
  return /attn\.hook_(attn_scores|pattern|mask)$/.test(name);
}

/** A tensor as a heatmap matrix: [n] → 1 × n, [A, B] as is, [H, T, S] one head, [T, H, dh] heads side by side. */
export function tensorMatrix(name: string, t: Tensor, head: number): Matrix {
  if (t.shape.length === 1) return { rows: 1, cols: t.shape[0], data: t.data };
  if (t.shape.length === 3 && isPerHeadSquare(name)) return headPlane(t, Math.min(head, t.shape[0] - 1));
  const rows = t.shape[0];
  return { rows, cols: rows === 0 ? 0 : t.data.length / rows, data: t.data };
}

/** Heatmap labels for a tensor's rows: the tokens when its rows are positions, the vocabulary for W_E's rows. */
export function rowLabelsFor(
  t: Tensor,
  name: string,
  tokenLabels: readonly string[],
  vocab: readonly string[] = [],
): string[] | undefined {
  const rows = t.shape.length === 3 && isPerHeadSquare(name) ? t.shape[1] : t.shape[0];
  if (t.shape.length === 2 && /embed\.W_E$/.test(name) && rows === vocab.length) return vocab.map(visibleToken);
  return t.shape.length >= 2 && rows === tokenLabels.length ? [...tokenLabels] : undefined;
}

export function tokenLabels(ids: readonly number[], vocab: readonly string[]): string[] {
  return ids.map((id) => visibleToken(vocab[id] ?? `#${id}`));
}

/** Frobenius norm, for "how much gradient reaches this layer". */
export function norm(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i] * t.data[i];
  return Math.sqrt(s);
}

export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return String(Number(x.toPrecision(digits)));
}
