import type { GPTConfig } from '../config';
import { fail } from '../errors';
import { createRng } from '../rng';

/**
 * A batch of B sequences for next-token training: inputs[b] are the ids fed to the model, targets[b][t] the id that
 * should follow inputs[b][0 … t] (usually inputs shifted left by one). All sequences have the same length T.
 */
export interface Batch {
  inputs: readonly (readonly number[])[];
  targets: readonly (readonly number[])[];
}

/** The batch for step `step` (0-based). A pure function of the step, so a run can be replayed or resumed exactly. */
export type BatchSource = (step: number) => Batch;

/** Checks ids, lengths and n_positions; returns B and T. */
export function validateBatch(config: GPTConfig, batch: Batch): { B: number; T: number } {
  if (!batch || !Array.isArray(batch.inputs) || !Array.isArray(batch.targets)) {
    fail('bad-ids', 'a batch needs inputs and targets, each an array of id arrays');
  }
  const B = batch.inputs.length;
  if (B === 0) fail('bad-ids', 'a batch needs at least one sequence');
  if (batch.targets.length !== B) fail('bad-ids', `${B} input sequences but ${batch.targets.length} target sequences`);
  const T = batch.inputs[0]?.length ?? 0;
  const V = config.vocab_size;
  for (let b = 0; b < B; b++) {
    const x = batch.inputs[b];
    const y = batch.targets[b];
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== T || y.length !== T) {
      fail('bad-ids', `sequence ${b}: inputs and targets must both have length ${T} (the length of sequence 0)`);
    }
    for (const [what, ids] of [
      ['inputs', x],
      ['targets', y],
    ] as const) {
      ids.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= V) {
          fail('bad-ids', `${what}[${b}][${t}] = ${id} is not a token id: ids must be integers in 0 … ${V - 1}`);
        }
      });
    }
  }
  if (T === 0) fail('bad-ids', 'sequences in a batch must have at least one position');
  if (T > config.n_positions) fail('bad-ids', `sequence length ${T} is more than n_positions (${config.n_positions})`);
  return { B, T };
}

/** Every step trains on the same whole text: inputs = tokens[0 … n−2], targets = tokens[1 … n−1]. */
export function wholeSequence(tokens: readonly number[]): BatchSource {
  if (tokens.length < 2) fail('bad-ids', `training text needs at least 2 tokens, got ${tokens.length}`);
  const batch: Batch = { inputs: [tokens.slice(0, -1)], targets: [tokens.slice(1)] };
  return () => batch;
}

export interface WindowOptions {
  batchSize: number;
  /** T: positions per sequence (at most n_positions). */
  blockSize: number;
  seed: number;
}

/**
 * B random windows of T + 1 consecutive tokens per step (input = first T, target = last T). The windows of step s
 * come from an Rng seeded by (seed, s), so step s always sees the same batch, whatever happened before it.
 */
export function randomWindows(tokens: readonly number[], { batchSize, blockSize, seed }: WindowOptions): BatchSource {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    fail('bad-config', `batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(blockSize) || blockSize < 1)
    fail('bad-config', `blockSize must be an integer >= 1, got ${blockSize}`);
  if (tokens.length < blockSize + 1) {
    fail(
      'bad-ids',
      `training text has ${tokens.length} tokens; windows of ${blockSize} need at least ${blockSize + 1}`,
    );
  }
  const starts = tokens.length - blockSize;
  return (step) => {
    const rng = createRng((Math.imul(seed >>> 0, 0x9e3779b1) ^ step) >>> 0);
    const inputs: number[][] = [];
    const targets: number[][] = [];
    for (let b = 0; b < batchSize; b++) {
      const s = Math.floor(rng.next() * starts);
      inputs.push(tokens.slice(s, s + blockSize));
      targets.push(tokens.slice(s + 1, s + blockSize + 1));
    }
    return { inputs, targets };
  };
}
