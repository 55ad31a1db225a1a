import type { GPTConfig } from '../config';
import { forward } from '../cpu/model';
import type { CaptureSpec, HookFn, Trace } from '../engine';
import type { GPTParams } from '../params';
import type { Tensor } from '../tensor';
import type { SequenceForward } from './backward';
import { backwardInputs, ModelBackward } from './backward';
import type { Batch } from './batch';
import { validateBatch } from './batch';
import type { ParamGrads } from './grads';
import { crossEntropy, crossEntropyBackward } from './loss';

/** One sequence's forward for training: what it was fed, what it should predict, and what the model computed. */
export interface SequenceRun {
  ids: readonly number[];
  targets: readonly number[];
  /** [T, V] */
  logits: Tensor;
  trace: Trace;
}

export interface BatchForwardOptions {
  /** Extra hooks to capture (the backward's inputs are always captured). */
  capture?: CaptureSpec;
  /** Interventions for sequence b (see RunOptions.hooks); the backward then treats the edited values as given. */
  hooks?: (b: number) => Readonly<Record<string, HookFn>> | undefined;
}

/** Forward every sequence of a batch, capturing what the backward needs plus `capture`. */
export function forwardBatch(
  config: GPTConfig,
  params: GPTParams,
  batch: Batch,
  { capture, hooks }: BatchForwardOptions = {},
): SequenceRun[] {
  validateBatch(config, batch);
  const needed = new Set(backwardInputs(config));
  const wanted = (n: string): boolean =>
    needed.has(n) ||
    capture === 'all' ||
    (Array.isArray(capture) && capture.includes(n)) ||
    (typeof capture === 'function' && capture(n));
  return batch.inputs.map((ids, b) => {
    const run = forward(config, params, ids, { capture: wanted, hooks: hooks?.(b) });
    return { ids, targets: batch.targets[b], logits: run.logits, trace: run.trace };
  });
}

export interface BatchLoss {
  /** Mean cross-entropy over all B·T positions. */
  loss: number;
  /** Per sequence, per position: −log p(target). */
  losses: Float64Array[];
}

export function batchLoss(runs: readonly SequenceRun[]): BatchLoss {
  const losses = runs.map((r) => crossEntropy(r.logits, r.targets));
  let sum = 0;
  let N = 0;
  for (const l of losses) {
    for (const x of l) sum += x;
    N += l.length;
  }
  return { loss: sum / N, losses };
}

/** ∂L/∂logits of every sequence: (softmax − onehot) / N with N = B·T. */
export function dLogits(runs: readonly SequenceRun[]): Tensor[] {
  const N = runs.reduce((n, r) => n + r.targets.length, 0);
  return runs.map((r) => crossEntropyBackward(r.logits, r.targets, N));
}

export interface Gradients extends BatchLoss {
  grads: ParamGrads;
  /** `grad.*` tensors that were captured. */
  trace: Trace;
}

/** forward → loss → backward in one call (no update). */
export function computeGradients(
  config: GPTConfig,
  params: GPTParams,
  batch: Batch,
  options: BatchForwardOptions & { gradCapture?: CaptureSpec } = {},
): Gradients {
  const runs = forwardBatch(config, params, batch, options);
  const loss = batchLoss(runs);
  const d = dLogits(runs);
  const seqs: SequenceForward[] = runs.map((r, b) => ({ ids: r.ids, trace: r.trace, dlogits: d[b] }));
  const bw = new ModelBackward(config, params, seqs, options.gradCapture ?? []);
  const trace = bw.run();
  return { ...loss, grads: bw.grads, trace };
}
