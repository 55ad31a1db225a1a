import type { GPTConfig } from '../config';
import type { EngineKind } from '../engine';
import { fail } from '../errors';
import type { GPTParams } from '../params';
import type { Batch } from './batch';
import type { OptimizerSnapshot } from './optim';
import type { StepSummary, TrainerOptions, TrainOptions, TrainSummary } from './trainer';

/**
 * The training API both engines implement, so the app trains on whichever engine it selected with one setting:
 * `Trainer` on the CPU, `WebGpuModelTrainer` on WebGPU (`engine.createTrainer(options)` or
 * `createTrainer(config, params, { engine, …options })` gives the right one).
 *
 * Same on both: the data source and schedule, `runStep()`, `train(n, { onProgress, signal })`, the history, and
 * divergence — a non-finite loss, gradient norm or updated weight throws GlassboxError('training-diverged') naming the
 * step, and the weights and optimizer state stay those of before that step (the last good ones).
 *
 * Different: only the CPU trainer can stop inside a step (`forward()`, `loss()`, `backwardStep()`, `update()`): the
 * WebGPU step is one command submission with one readback. `supportsStepping` says which you have; the WebGPU
 * trainer's stepped methods throw 'unsupported' saying so. The CPU trainer's weights are live CPU arrays; WebGPU's
 * live on the GPU and come back on request (`getParams()`, `checkpoint()`).
 */
export interface ModelTrainer {
  /** The engine that computes the steps. */
  readonly kind: EngineKind;
  readonly config: GPTConfig;
  readonly options: TrainerOptions;
  /** Whether forward() / loss() / backwardStep() / update() can run a step one phase at a time (CPU only). */
  readonly supportsStepping: boolean;
  /** Completed steps (updates applied). */
  readonly completedSteps: number;
  /** One record per completed step, for a loss curve. */
  readonly history: readonly StepSummary[];
  /** The learning rate the next update will use. */
  readonly lr: number;
  /**
   * One whole step (forward → loss → backward → clip → update) on the data source's batch for this step, or `batch`.
   * The CPU trainer returns the summary at once and WebGPU a promise: `await` it and the code works on both.
   */
  runStep(options?: { batch?: Batch }): StepSummary | Promise<StepSummary>;
  /**
   * Train for n steps. Resolves with stoppedBy 'aborted' when the signal fires (after the step in flight); rejects
   * with 'training-diverged' leaving the last good weights, or with 'device-lost' when the GPU goes away.
   */
  train(n: number, options?: TrainOptions): Promise<TrainSummary>;
  /** A CPU copy of the current parameters (WebGPU: one readback). */
  getParams(): Promise<GPTParams>;
  /** A CPU copy of the parameters and optimizer state, enough to resume exactly (WebGPU: one readback). */
  checkpoint(): Promise<TrainerCheckpoint>;
  /** Free what the trainer allocated (WebGPU: gradient and optimizer buffers). The CPU trainer holds nothing. */
  dispose(): void;
}

/** Everything a trainer needs to go on from `step`: weights, and the optimizer's moments when they were read too. */
export interface TrainerCheckpoint {
  /** Completed steps when it was taken. */
  step: number;
  params: GPTParams;
  /** Absent when only the weights were read (a `getParams()` snapshot): the optimizer then starts afresh. */
  optimizer?: OptimizerSnapshot;
}

/**
 * The loop behind every trainer's train(n): progress after each step, the abort checked between steps, and a yield
 * to the event loop at least every `yieldEveryMs` so a page stays responsive and the abort can arrive. A step that
 * throws ends the loop with that error (the trainer has already restored its last good state).
 */
export async function trainLoop(
  n: number,
  step: () => StepSummary | Promise<StepSummary>,
  { onProgress, signal, yieldEveryMs = 16 }: TrainOptions = {},
): Promise<TrainSummary> {
  if (!Number.isInteger(n) || n < 0) fail('bad-config', `train(n): n must be an integer >= 0, got ${n}`);
  const t0 = now();
  let lastYield = t0;
  let tokens = 0;
  let done = 0;
  let lastLoss = Number.NaN;
  const summary = (stoppedBy: TrainSummary['stoppedBy']): TrainSummary => {
    const elapsedMs = now() - t0;
    return { steps: done, stoppedBy, lastLoss, elapsedMs, tokensPerSecond: rate(tokens, elapsedMs) };
  };
  while (done < n) {
    if (signal?.aborted) return summary('aborted');
    const r = step();
    const s = r instanceof Promise ? await r : r;
    done += 1;
    tokens += s.tokens;
    lastLoss = s.loss;
    const elapsedMs = now() - t0;
    onProgress?.({ ...s, done, total: n, elapsedMs, tokensPerSecond: rate(tokens, elapsedMs) });
    if (now() - lastYield >= yieldEveryMs) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = now();
    }
  }
  return summary(signal?.aborted && done < n ? 'aborted' : 'steps');
}

function now(): number {
  return performance.now();
}

function rate(tokens: number, ms: number): number {
  return ms > 0 ? (tokens * 1000) / ms : 0;
}
