import type { CaptureSpec, Engine, KVCache, RunResult, Trace } from './engine';
import { fail } from './errors';
import { createRng } from './rng';
import type { SampleStep, SampleSummary, SamplingSettings } from './sample';
import { sampleStep, summarizeStep, validateSampling } from './sample';
import { row } from './tensor';

/**
 * The generation loop: prefill the prompt once, then feed one sampled token at a time through the KV cache, so each
 * new token costs one position instead of the whole sequence.
 *
 * Context window. The model has n_positions (N) position embeddings, so it can never see more than N tokens at once:
 * - A prompt longer than N keeps only its last N − 1 tokens (room for the first new token to be fed back), and the
 *   result says how many leading tokens the model never saw (`truncatedPrompt`).
 * - When the cache is full (N positions) and another token must be fed, the window slides: the oldest tokens are
 *   dropped so that only the newest ⌊N/2⌋ tokens (the token just sampled included) remain, and those are re-run
 *   into a fresh cache. Halving, rather than dropping one token per step, costs one re-prefill every ~N/2 tokens
 *   instead of one per token. Each slide is counted in `windowShifts` and marked on the step it precedes, because
 *   the model's view of the text changed and the caller should show it.
 *
 * Randomness: one Rng from `sampling.seed` (default 0) serves the whole loop, so the same seed, prompt and model
 * give the same text; greedy steps (temperature 0) do not consume it.
 */

export type StopReason = 'max-tokens' | 'stop-token' | 'aborted';

export interface GenerateOptions {
  /** How many tokens to generate at most; an integer >= 0 (0 returns the prompt without running the model). */
  maxNewTokens: number;
  /** Ids that end generation. The stop token itself is included in the output (as Hugging Face does with EOS). */
  stopTokens?: readonly number[];
  sampling: SamplingSettings;
  /**
   * Called after each new token with the full SampleStep (five [V] arrays), which the result does not keep; a live
   * view draws from it. Runs synchronously between engine calls.
   */
  onToken?: (event: TokenEvent) => void;
  /**
   * Checked before each engine call and before each sampling step; an abort ends the loop with `stoppedBy:
   * 'aborted'` and the tokens so far (not an error: stopping early is a normal user action).
   */
  signal?: AbortSignal;
  /**
   * Hooks to capture on every engine call; each step keeps the trace of the call that produced its logits (the
   * whole prompt for the first, one position for decode steps, the re-run window after a slide). Traces of a long
   * generation with 'all' are large: capture what the view needs.
   */
  capture?: CaptureSpec;
}

export interface GeneratedStep {
  token: number;
  /** The probability the token was drawn with (after temperature, top-k, top-p and renormalisation). */
  prob: number;
  /** Index of this token in `ids`. */
  position: number;
  /** Index in `ids` of the first token the model could see when it predicted this one. */
  contextStart: number;
  /** True when the window slid (the cache was rebuilt from the newest ⌊N/2⌋ tokens) just before this prediction. */
  shifted: boolean;
  summary: SampleSummary;
  /** Captured tensors of the engine call whose last row gave this token's logits (only with `capture`). */
  trace?: Trace;
}

export interface TokenEvent extends GeneratedStep {
  /** 0 for the first new token. */
  index: number;
  /** Every intermediate of the sampling step. */
  sample: SampleStep;
}

export interface GenerateResult {
  /** The whole prompt (including any truncated tokens) followed by the new tokens. */
  ids: number[];
  newIds: number[];
  steps: GeneratedStep[];
  stoppedBy: StopReason;
  /** How many times the window slid because the cache reached n_positions. */
  windowShifts: number;
  /** How many leading prompt tokens were dropped because the prompt exceeded n_positions. */
  truncatedPrompt: number;
}

function checkIds(ids: readonly number[], V: number, what: string, allowEmpty: boolean): void {
  if (!Array.isArray(ids)) fail('bad-ids', `${what} must be an array of token ids`);
  if (!allowEmpty && ids.length === 0)
    fail('bad-ids', `${what} is empty: generation needs at least one token to start`);
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      fail('bad-ids', `${what}[${i}] = ${id} is not a token id in [0, ${V})`);
    }
  });
}

export async function generate(
  engine: Engine,
  promptIds: readonly number[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const { maxNewTokens, stopTokens = [], sampling, onToken, signal, capture } = options;
  const N = engine.config.n_positions;
  const V = engine.config.vocab_size;
  validateSampling(sampling);
  if (typeof maxNewTokens !== 'number' || !Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    fail('bad-sampling', `maxNewTokens must be an integer >= 0, got ${String(maxNewTokens)}`);
  }
  checkIds(promptIds, V, 'promptIds', false);
  checkIds(stopTokens, V, 'stopTokens', true);

  const ids = [...promptIds];
  const truncatedPrompt = ids.length > N ? ids.length - Math.max(1, N - 1) : 0;
  const result: GenerateResult = {
    ids,
    newIds: [],
    steps: [],
    stoppedBy: 'max-tokens',
    windowShifts: 0,
    truncatedPrompt,
  };
  if (maxNewTokens === 0) return result;
  if (signal?.aborted) return { ...result, stoppedBy: 'aborted' };

  const stop = new Set(stopTokens);
  const rng = createRng(sampling.seed ?? 0);
  // The engine's own hook_scaled_logits / hook_probs then match what sampling used (it requires T > 0).
  const temperature = sampling.temperature > 0 ? sampling.temperature : undefined;
  const run = (input: number[], cache: KVCache): Promise<RunResult> =>
    engine.run(input, capture === undefined ? { cache, temperature } : { cache, capture, temperature });

  let contextStart = truncatedPrompt;
  let cache = engine.createCache();
  let res = await run(ids.slice(contextStart), cache);
  let shifted = false;
  for (;;) {
    if (signal?.aborted) {
      result.stoppedBy = 'aborted';
      break;
    }
    const logits = row(res.logits, res.logits.shape[0] - 1); // [V], the prediction after the last fed token
    const sample = sampleStep(logits, sampling, rng);
    const step: GeneratedStep = {
      token: sample.token,
      prob: sample.tokenProb,
      position: ids.length,
      contextStart,
      shifted,
      summary: summarizeStep(sample),
    };
    if (capture !== undefined) step.trace = res.trace;
    ids.push(sample.token);
    result.newIds.push(sample.token);
    result.steps.push(step);
    onToken?.({ ...step, index: result.newIds.length - 1, sample });

    if (stop.has(sample.token)) {
      result.stoppedBy = 'stop-token';
      break;
    }
    if (result.newIds.length >= maxNewTokens) break;
    if (signal?.aborted) {
      result.stoppedBy = 'aborted';
      break;
    }
    if (cache.length >= N) {
      contextStart = ids.length - Math.max(1, Math.floor(N / 2));
      cache = engine.createCache();
      res = await run(ids.slice(contextStart), cache);
      result.windowShifts++;
      shifted = true;
    } else {
      res = await run([sample.token], cache);
      shifted = false;
    }
  }
  return result;
}
