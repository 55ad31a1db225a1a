import { fail } from './errors';
import type { Rng } from './rng';
import type { FloatArray } from './tensor';
import { topIndices } from './topIndices';

/**
 * Sampling the next token, as a sequence of visible steps over one row of logits (length V):
 *
 *   logits ─÷T→ scaledLogits ─softmax→ probs ─top-k→ ─top-p→ kept ─renormalise→ filteredProbs ─draw→ token
 *
 * The filters run in the order Hugging Face's `generate` applies its warpers: temperature, then top-k, then top-p.
 * Like Hugging Face, top-p measures cumulative probability over the distribution *renormalised over the top-k
 * survivors*, so a top-p of 0.9 means "90% of what top-k left", not 90% of the original mass.
 *
 * Every intermediate is returned (SampleStep) so a view can draw each stage; nothing here touches the engine.
 * Probabilities are computed in float64 whatever the logits' dtype, so that the cumulative sums behind top-p and the
 * inverse-CDF draw do not drift.
 */

export interface SamplingSettings {
  /** Divides the logits before the softmax. 0 means greedy (always the most probable token). Finite, >= 0. */
  temperature: number;
  /**
   * Keep only the k most probable tokens. An integer >= 1; a k larger than the vocabulary keeps the whole vocabulary
   * (it is clamped to V rather than rejected, so one setting works for models of any vocabulary size).
   */
  topK?: number;
  /** Nucleus: keep the smallest set of most probable tokens whose cumulative probability is >= topP. In (0, 1]. */
  topP?: number;
  /** Seed of the Rng a generation loop creates (default 0). Any integer; it is reduced to 32 bits. */
  seed?: number;
}

function showValue(v: unknown): string {
  if (typeof v === 'number') return String(v); // JSON.stringify would print NaN and Infinity as null
  return JSON.stringify(v) ?? String(v);
}

/** Throws GlassboxError('bad-sampling') naming the first invalid setting and its value; returns the settings. */
export function validateSampling(s: SamplingSettings): SamplingSettings {
  if (typeof s !== 'object' || s === null)
    fail('bad-sampling', `sampling settings must be an object, got ${showValue(s)}`);
  const { temperature, topK, topP, seed } = s;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    fail('bad-sampling', `temperature must be a finite number >= 0 (0 = greedy), got ${showValue(temperature)}`);
  }
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1)) {
    fail('bad-sampling', `topK must be an integer >= 1 (omit it to disable top-k), got ${showValue(topK)}`);
  }
  if (topP !== undefined && (typeof topP !== 'number' || !(topP > 0 && topP <= 1))) {
    fail('bad-sampling', `topP must be in (0, 1] (omit it to disable top-p), got ${showValue(topP)}`);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    fail('bad-sampling', `seed must be an integer, got ${showValue(seed)}`);
  }
  return s;
}

/**
 * The id of the largest value; ties go to the lowest id, so greedy decoding is deterministic and matches
 * `torch.argmax` / `numpy.argmax`, which also return the first maximum.
 */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

function checkLogits(logits: FloatArray): number {
  if (logits.length === 0) fail('bad-sampling', 'logits must have at least one entry (V >= 1), got an empty row');
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    // −∞ is allowed (a banned token); NaN and +∞ have no meaningful softmax.
    if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) fail('bad-sampling', `logits[${i}] is ${x}`);
    if (x > max) max = x;
  }
  if (max === Number.NEGATIVE_INFINITY) fail('bad-sampling', 'every logit is -Infinity: no token can be sampled');
  return max;
}

export interface TemperatureSoftmax {
  /** [V] logits / T (the logits themselves at T = 0). May overflow to ±Infinity for a tiny T; probs do not. */
  scaledLogits: Float64Array;
  /** [V] softmax(logits / T); at T = 0 one-hot on the argmax (lowest id on ties). */
  probs: Float64Array;
}

/**
 * softmax(logits / T). Computed as exp((logit − max) / T) so that a tiny T cannot turn the subtraction into
 * ∞ − ∞: the exponent is always <= 0 and the maximum's is exactly 0. T = 0 is the limit T → 0⁺ with ties broken
 * towards the lowest id (the true limit would split the mass between tied maxima; one-hot keeps greedy = argmax).
 */
export function softmaxWithTemperature(logits: FloatArray, temperature: number): TemperatureSoftmax {
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    fail('bad-sampling', `temperature must be a finite number >= 0 (0 = greedy), got ${showValue(temperature)}`);
  }
  const max = checkLogits(logits);
  const V = logits.length;
  const scaledLogits = new Float64Array(V);
  const probs = new Float64Array(V);
  if (temperature === 0) {
    scaledLogits.set(logits);
    probs[argmax(logits)] = 1;
    return { scaledLogits, probs };
  }
  let sum = 0;
  for (let i = 0; i < V; i++) {
    scaledLogits[i] = logits[i] / temperature;
    const e = Math.exp((logits[i] - max) / temperature);
    probs[i] = e;
    sum += e;
  }
  for (let i = 0; i < V; i++) probs[i] /= sum;
  return { scaledLogits, probs };
}

/** Token ids ordered by probability, largest first; equal probabilities in id order (the top-k/top-p tie rule). */
export function rankByProb(probs: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(probs.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => probs[b] - probs[a] || a - b);
  return order;
}

export interface SampleStep {
  /** [V] logits / temperature (the raw logits when greedy). */
  scaledLogits: Float64Array;
  /** [V] softmax after temperature, before any filter. */
  probs: Float64Array;
  /** Probability (in `probs` units) of the k-th most probable token; null without topK. Draw it as a line on probs. */
  topKCutoff: number | null;
  /** Smallest probability (in `probs` units) that the nucleus kept; null without topP. */
  topPCutoff: number | null;
  /** [V] 1 where the token survived top-k (and has probability > 0), before top-p. */
  keptAfterTopK: Uint8Array;
  /** [V] 1 where the token survived every filter. */
  kept: Uint8Array;
  /** The surviving ids, most probable first (ties in id order). Always at least one. */
  keptIds: number[];
  /** [V] probs renormalised over the kept tokens, 0 elsewhere; sums to 1. The distribution the token is drawn from. */
  filteredProbs: Float64Array;
  /** The chosen id. */
  token: number;
  /** filteredProbs[token]: the probability the token was drawn with (probs[token] is its probability before filtering). */
  tokenProb: number;
  /** Temperature 0: the token is the argmax and no random number was used. */
  greedy: boolean;
  /** The uniform in [0, 1) the draw used, or null when greedy (so a view can show where it fell on the CDF). */
  u: number | null;
}

// Cumulative sums of float64 probabilities can land a hair below a p they mathematically reach (0.4 + 0.3 < 0.7 in
// floating point); without this slack such a nucleus would keep one token more than the definition says.
const TOP_P_SLACK = 1e-12;

/**
 * One sampling step over one row of logits: temperature → top-k → top-p → renormalise → draw.
 *
 * - top-k keeps exactly min(k, V) tokens, ranked by probability with ties broken towards the lowest id. (Hugging
 *   Face instead keeps every token tied with the k-th, so it can keep more than k; exactly k is easier to explain
 *   and to draw.) Tokens with probability 0 (a −∞ logit, or underflow at a low temperature) are never kept.
 * - top-p keeps the smallest prefix of that ranking whose cumulative (renormalised) probability is >= p, always at
 *   least one token; p = 1 keeps every token top-k left.
 * - The draw is an inverse CDF over filteredProbs in id order with one `rng.next()`; greedy steps (temperature 0)
 *   take the argmax and do not consume the Rng. So the same seed gives the same tokens, step after step.
 */
export function sampleStep(logits: FloatArray, settings: SamplingSettings, rng: Rng): SampleStep {
  validateSampling(settings);
  const V = logits.length;
  const { scaledLogits, probs } = softmaxWithTemperature(logits, settings.temperature);
  const greedy = settings.temperature === 0;
  const order = rankByProb(probs);

  const k = settings.topK === undefined ? V : Math.min(settings.topK, V);
  const topKCutoff = settings.topK === undefined ? null : probs[order[k - 1]];
  // order[0] always has probability > 0 (the maximum's exponent is 0), so at least one token survives.
  let nTopK = k;
  while (probs[order[nTopK - 1]] === 0) nTopK--;
  const keptAfterTopK = new Uint8Array(V);
  let topKMass = 0;
  for (let i = 0; i < nTopK; i++) {
    keptAfterTopK[order[i]] = 1;
    topKMass += probs[order[i]];
  }

  let nKept = nTopK;
  let topPCutoff: number | null = null;
  if (settings.topP !== undefined) {
    if (settings.topP < 1) {
      // Comparing the unnormalised cumulative sum with p · (top-k mass) is the renormalised test without dividing.
      const target = (settings.topP - TOP_P_SLACK) * topKMass;
      let cum = 0;
      nKept = 0;
      while (nKept < nTopK) {
        cum += probs[order[nKept++]];
        if (cum >= target) break;
      }
    }
    topPCutoff = probs[order[nKept - 1]];
  }

  const kept = new Uint8Array(V);
  const keptIds: number[] = [];
  let keptMass = 0;
  for (let i = 0; i < nKept; i++) {
    kept[order[i]] = 1;
    keptIds.push(order[i]);
    keptMass += probs[order[i]];
  }
  const filteredProbs = new Float64Array(V);
  for (const id of keptIds) filteredProbs[id] = probs[id] / keptMass;

  let token: number;
  let u: number | null = null;
  if (greedy) {
    token = order[0];
  } else {
    u = rng.next();
    token = inverseCdf(filteredProbs, kept, u);
  }
  return {
    scaledLogits,
    probs,
    topKCutoff,
    topPCutoff,
    keptAfterTopK,
    kept,
    keptIds,
    filteredProbs,
    token,
    tokenProb: filteredProbs[token],
    greedy,
    u,
  };
}

/**
 * The first kept id (in id order) whose cumulative probability exceeds u. u is scaled by the actual sum so that a
 * sum that rounds to 0.9999999999 cannot make a u near 1 fall off the end.
 */
function inverseCdf(p: Float64Array, kept: Uint8Array, u: number): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) if (kept[i]) total += p[i];
  const target = u * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    if (!kept[i]) continue;
    cum += p[i];
    last = i;
    if (target < cum) return i;
  }
  return last;
}

/** A compact record of a step for a generation history: a full SampleStep holds five [V] arrays. */
export interface SampleSummary {
  greedy: boolean;
  /** probs[token]: the token's probability after temperature, before top-k/top-p. */
  rawProb: number;
  keptCount: number;
  topKCutoff: number | null;
  topPCutoff: number | null;
  u: number | null;
  /** The most probable candidates after temperature (at most `n`), most probable first. */
  top: { id: number; prob: number }[];
}

export function summarizeStep(step: SampleStep, n = 10): SampleSummary {
  // keptIds is already ranked, but the top candidates of `probs` may include ones the filters removed.
  const top = topIndices(step.probs, n).map((id) => ({ id, prob: step.probs[id] }));
  return {
    greedy: step.greedy,
    rawProb: step.probs[step.token],
    keptCount: step.keptIds.length,
    topKCutoff: step.topKCutoff,
    topPCutoff: step.topPCutoff,
    u: step.u,
    top,
  };
}
