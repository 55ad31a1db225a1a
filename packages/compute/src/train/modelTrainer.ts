import type { GPTConfig } from '../config';
import type { EngineKind } from '../engine';
import { fail } from '../errors';
import type { GPTParams } from '../params';
import { paramSpecs } from '../params';
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
  /**
   * Go on from a checkpoint taken on either engine: its weights become the trainer's, the optimizer takes its state
   * (AdamW's m, v and t; SGD's momentum as m), or starts afresh (t = 0) when it has none, and the next step is
   * `checkpoint.step`: that step's batch and learning rate. History records from that step on are dropped. The
   * optimizer kind must match the checkpoint's state ('bad-checkpoint' otherwise). CPU: at once; WebGPU: one upload.
   */
  restore(checkpoint: TrainerCheckpoint): void | Promise<void>;
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
 * Throws 'bad-checkpoint' unless `checkpoint` fits this model and optimizer: an integer step >= 0, every parameter
 * of the right size, and optimizer state with one buffer per parameter (plus v for AdamW, none for SGD).
 */
export function checkCheckpoint(config: GPTConfig, optimizer: 'adamw' | 'sgd', checkpoint: TrainerCheckpoint): void {
  const { step, params, optimizer: o } = checkpoint;
  if (!Number.isInteger(step) || step < 0)
    fail('bad-checkpoint', `checkpoint step must be an integer >= 0, got ${step}`);
  const specs = paramSpecs(config);
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  if (params.blocks?.length !== config.n_layer) {
    fail(
      'bad-checkpoint',
      `checkpoint has ${params.blocks?.length} blocks; the config says n_layer = ${config.n_layer}`,
    );
  }
  const flat = flattenParamsLoose(params);
  specs.forEach((s, i) => {
    const n = flat[i]?.length;
    if (n !== size(s.shape)) fail('bad-checkpoint', `checkpoint ${s.name} has ${n} values, expected ${size(s.shape)}`);
  });
  if (!o) return;
  if (!Number.isInteger(o.t) || o.t < 0) fail('bad-checkpoint', `optimizer step t must be an integer >= 0, got ${o.t}`);
  const hasV = o.v.some((v) => v !== undefined);
  if (optimizer === 'adamw' && !(o.v.length === specs.length && o.v.every((v) => v !== undefined))) {
    fail('bad-checkpoint', 'the checkpoint has no AdamW second moments (v): it was taken with SGD');
  }
  if (optimizer === 'sgd' && hasV) fail('bad-checkpoint', 'the checkpoint holds AdamW state; this trainer uses SGD');
  if (o.m.length !== specs.length) {
    fail('bad-checkpoint', `optimizer state has ${o.m.length} buffers, expected ${specs.length}`);
  }
  specs.forEach((s, i) => {
    for (const [what, a] of [
      ['m', o.m[i]],
      ['v', o.v[i]],
    ] as const) {
      if (a && a.length !== size(s.shape)) {
        fail('bad-checkpoint', `optimizer ${what} of ${s.name} has ${a.length} values, expected ${size(s.shape)}`);
      }
    }
  });
}

/** Each parameter's data in paramSpecs order (undefined where the tree lacks it). */
function flattenParamsLoose(p: GPTParams): (ArrayLike<number> | undefined)[] {
  const out = [p.embed?.W_E?.data, p.pos_embed?.W_pos?.data];
  for (const b of p.blocks) {
    out.push(
      b.ln1?.w?.data,
      b.ln1?.b?.data,
      b.attn?.W_Q?.data,
      b.attn?.b_Q?.data,
      b.attn?.W_K?.data,
      b.attn?.b_K?.data,
      b.attn?.W_V?.data,
      b.attn?.b_V?.data,
      b.attn?.W_O?.data,
      b.attn?.b_O?.data,
      b.ln2?.w?.data,
      b.ln2?.b?.data,
      b.mlp?.W_in?.data,
      b.mlp?.b_in?.data,
      b.mlp?.W_out?.data,
      b.mlp?.b_out?.data,
    );
  }
  out.push(p.ln_final?.w?.data, p.ln_final?.b?.data);
  return out;
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
