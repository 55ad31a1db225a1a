import type { Tensor, Trace } from '@glassbox/compute';
import { allocArray, dtypeOf, hookSpec, numel } from '@glassbox/compute';

/**
 * Decoding with the KV cache runs one new position (T = 1) against the cached keys and values (S = cached + 1). The
 * stepper shows whole tensors, one row per token, so the decode step's trace is appended to the trace of the
 * positions before it: rows [T, …] are stacked, [T, S] and [H, T, S] rows of earlier positions gain the new key
 * column (masked: 0 in the mask and the pattern, −∞ in the scores, exactly what a full pass holds there), and [S, …]
 * tensors (the cache contents) are the decode step's, which already hold every position.
 *
 * The result equals the trace of one full pass over all positions, up to float rounding: the test
 * "a decode step appended to the prompt's trace equals the full pass" checks it.
 */
export function appendDecodeTrace(before: Trace, step: Trace): Trace {
  const out: Trace = {};
  for (const [name, s] of Object.entries(step)) {
    const found = hookSpec(name);
    const shape = found?.spec.shape;
    if (!shape || shape[0] === 'S') {
      out[name] = s;
      continue;
    }
    const b = before[name];
    if (!b) continue; // not captured before: there is nothing to show for the earlier rows
    const tAxis = shape.indexOf('T');
    out[name] = stackRows(b, s, tAxis, name.endsWith('hook_attn_scores') ? Number.NEGATIVE_INFINITY : 0);
  }
  return out;
}

/**
 * Concatenate `a` and `b` along axis `t`. Axes before `t` must match; the rows after it are flattened, and a row of
 * `a` shorter than one of `b` (fewer key positions) is padded with `pad`.
 */
function stackRows(a: Tensor, b: Tensor, t: number, pad: number): Tensor {
  const outer = numel(b.shape.slice(0, t));
  if (numel(a.shape.slice(0, t)) !== outer || a.shape.length !== b.shape.length) {
    throw new Error(`cannot append a [${b.shape.join(', ')}] decode step to [${a.shape.join(', ')}]`);
  }
  const rowsA = a.shape[t];
  const rowsB = b.shape[t];
  const widthA = numel(a.shape.slice(t + 1));
  const widthB = numel(b.shape.slice(t + 1));
  if (widthA > widthB) throw new Error(`a decode step cannot have fewer key positions than the pass before it`);
  const shape = [...b.shape];
  shape[t] = rowsA + rowsB;
  const data = allocArray(dtypeOf(b.data), numel(shape));
  for (let o = 0; o < outer; o++) {
    const base = o * (rowsA + rowsB) * widthB;
    for (let r = 0; r < rowsA; r++) {
      const at = base + r * widthB;
      data.set(a.data.subarray((o * rowsA + r) * widthA, (o * rowsA + r + 1) * widthA), at);
      if (widthB > widthA) data.fill(pad, at + widthA, at + widthB);
    }
    data.set(b.data.subarray(o * rowsB * widthB, (o + 1) * rowsB * widthB), base + rowsA * widthB);
  }
  return { shape, data };
}
