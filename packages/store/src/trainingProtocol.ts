import type { BackwardStage, EngineKind, GPTConfig, ParamUpdate, Tensor, Trace } from '@glassbox/compute';
import type { EnginePreference } from './engineChoice';

/**
 * The messages between the training lab's store (main thread) and the worker that owns the Trainer. Everything here
 * is plain data (numbers, strings, arrays, typed arrays), so it crosses postMessage unchanged; typed arrays the
 * worker made fresh for the message are transferred, not copied.
 */

export type PresetId = 'toy-world' | 'fine-tune';
export type OptimizerKind = 'adamw' | 'sgd';

export interface TrainingSettings {
  preset: PresetId;
  /** The shipped model the 'fine-tune' preset starts from. */
  baseModel: string;
  /** The text to fine-tune on ('fine-tune' only). The student's: rendered as text, never as HTML. */
  text: string;
  optimizer: OptimizerKind;
  /** Peak learning rate (the schedule warms up to it). */
  lr: number;
  /** Sequences per step. */
  batchSize: number;
  /** Positions per sequence; 0 means the whole text (the toy world's recipe). */
  blockSize: number;
  /** Seeds the initial weights (toy world) and the choice of windows. */
  seed: number;
  /** The prompt whose greedy continuation is shown while training runs. */
  prompt: string;
}

/** One completed step, for the loss curve. */
export interface StepRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

/** Validation loss measured with the weights after `step` steps. */
export interface ValRecord {
  step: number;
  loss: number;
}

/** A checkpoint as the lab saves it (IndexedDB) and downloads it: the Hugging Face files plus the run's record. */
export interface SavedRun {
  settings: TrainingSettings;
  /** model.safetensors */
  safetensors: Uint8Array;
  /** config.json */
  configJson: string;
  /** tokenizer.json */
  tokenizerJson: string;
  step: number;
  history: StepRecord[];
  valHistory: ValRecord[];
  savedAt: number;
}

export interface RunInfo {
  preset: PresetId;
  title: string;
  description: string;
  config: GPTConfig;
  paramCount: number;
  /** Display string of every token id. */
  vocab: string[];
  tokenizerKind: string;
  trainTokens: number;
  valTokens: number;
  /** What the validation loss is measured on, in one sentence. */
  validation: string;
  batchSize: number;
  blockSize: number;
  /** The learning-rate schedule and optimizer, in words. */
  schedule: string;
  optimizer: string;
  clipNorm: number;
  prompt: string;
  /** Parameter names in checkpoint order, and which of them are matrices (the update view's choices). */
  paramNames: string[];
  matrixNames: string[];
  /** Small models report every parameter's update, so the chosen matrix can change after the step. */
  inspectAll: boolean;
  /** Things the student should know (a block size reduced to fit the text, …). */
  notes: string[];
}

export interface Prediction {
  /** Completed steps of the weights that made it. */
  step: number;
  prompt: string;
  /** The greedy continuation's text. */
  continuation: string;
}

/** The model as it stands: what the prediction panel and the embedding view draw. */
export interface Snapshot {
  step: number;
  prediction: Prediction | null;
  /** A copy of the token embedding W_E: [V, d]. */
  embedding: { rows: number; cols: number; data: Float32Array };
}

export type PhaseName = 'forward' | 'loss' | 'backward' | 'update';

/** The engine that runs "Run N steps" (the stepped phases always run on the CPU trainer). */
export interface TrainingEngine {
  kind: EngineKind;
  /** One sentence for the page: which engine trains and why. */
  reason: string;
  /** A WebGPU device works in the worker (so the student can choose it). */
  webgpuAvailable: boolean;
  /** 'auto': WebGPU when it works and the model fits it; 'cpu': always the CPU. */
  prefer: EnginePreference;
}

export interface ForwardPhase {
  kind: 'forward';
  step: number;
  inputs: number[][];
  targets: number[][];
  /** Every forward hook, with a leading B dimension when B > 1. */
  trace: Trace;
}

export interface LossPhase {
  kind: 'loss';
  step: number;
  loss: number;
  /** −log p(target) per position: [B, T] (always with the B dimension here). */
  losses: Tensor;
  /** softmax(logits): [B, T, V]. */
  probs: Tensor;
  /** ∂L/∂logits = (softmax − onehot)/N: [B, T, V]. */
  dlogits: Tensor;
  /** N = B·T, the positions the loss averages over. */
  N: number;
}

export interface BackwardPhase {
  kind: 'backward';
  step: number;
  stage: BackwardStage;
  /** `grad.<hook>` (leading B when B > 1) and `grad.params.<name>` this stage produced. */
  grads: Trace;
  next: BackwardStage | undefined;
}

export interface UpdatePhase {
  kind: 'update';
  step: number;
  lr: number;
  gradNorm: number;
  clipScale: number;
  clipNorm: number;
  optimizer: OptimizerKind;
  /** AdamW's or SGD's hyper-parameters, for the formula. */
  hyper: Record<string, number>;
  updates: ParamUpdate[];
  /** The same batch's loss before and after this update. */
  lossBefore: number;
  lossAfter: number;
}

export type PhaseResult = ForwardPhase | LossPhase | BackwardPhase | UpdatePhase;

export type TrainingRequest =
  | { type: 'init'; settings: TrainingSettings; saved?: SavedRun; engine?: EnginePreference }
  /** Which engine runs "Run N steps" from now on (a run in progress switches after the step in flight). */
  | { type: 'set-engine'; prefer: EnginePreference }
  /** Destroy the worker's WebGPU device, as a driver reset would (the page's ?debug=1 hook, and tests). */
  | { type: 'lose-device' }
  /** Change the learning rate and optimizer of the current run, keeping the weights (and AdamW's state if kept). */
  | { type: 'configure'; lr: number; optimizer: OptimizerKind }
  /** Run the next phase of the stepped training step. */
  | { type: 'phase' }
  /** Train `steps` more steps; pace 0 is full speed, else at most `pace` steps per second. */
  | { type: 'run'; steps: number; pace: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  /** The weight matrix the stepped update reports. */
  | { type: 'inspect'; param: string }
  | { type: 'set-prompt'; prompt: string }
  /** Ask for the current weights as a checkpoint (answered by 'checkpoint'). */
  | { type: 'checkpoint'; reason: 'save' | 'export' };

export type RunEnd = 'steps' | 'paused' | 'cancelled';

export type TrainingResponse =
  | {
      type: 'ready';
      info: RunInfo;
      step: number;
      history: StepRecord[];
      valHistory: ValRecord[];
      /** The next phase of the stepped step. */
      phase: PhaseName;
      snapshot: Snapshot;
      /** True when the weights came from a saved run. */
      restored: boolean;
    }
  | { type: 'configured'; info: RunInfo; snapshot: Snapshot }
  | {
      type: 'phase';
      result: PhaseResult;
      /** The phase the next request will run. */
      phase: PhaseName;
      /** After an update: the completed step, the validation loss of the new weights, the model as it now is. */
      record?: StepRecord;
      val?: ValRecord;
      snapshot?: Snapshot;
    }
  | {
      type: 'progress';
      records: StepRecord[];
      val: ValRecord[];
      tokensPerSecond: number;
      done: number;
      total: number;
      snapshot?: Snapshot;
    }
  | { type: 'run-ended'; reason: RunEnd; done: number; total: number; phase: PhaseName; snapshot: Snapshot }
  | {
      type: 'diverged';
      /** Why, in words a student can act on. */
      message: string;
      /** The step that failed. */
      failedStep: number;
      /** The weights now in place: after `restoredStep` steps, whose loss was `restoredLoss`. */
      restoredStep: number;
      restoredLoss: number | null;
      /** The records of the steps that were undone (for the loss curve). */
      undone: StepRecord[];
      phase: PhaseName;
      snapshot: Snapshot;
    }
  | { type: 'checkpoint'; reason: 'save' | 'export'; run: SavedRun }
  | { type: 'prediction'; prediction: Prediction | null }
  | {
      type: 'engine';
      engine: TrainingEngine;
      /** Something happened the student should know (the device was lost and training moved to the CPU). */
      notice?: string;
      /** Steps from this one on were undone (run again on the new engine): drop them from the loss curve. */
      rewind?: number;
    }
  | { type: 'error'; message: string };
