import { defaultModel, TOY_WORLD_RECIPE } from '@glassbox/models';
import type { OptimizerKind, PresetId, TrainingSettings } from './trainingProtocol';

/**
 * The training lab's two presets and the checks on its settings form. Shared by the store (the form) and the worker
 * (which refuses what the form would refuse, whoever sends it).
 */

/** The toy world's prompt: the class watches its continuation become "on the mat END". */
export const TOY_PROMPT = 'cat sat';

/**
 * Default fine-tuning text for the toy-world model: the same world with the moods swapped (the shipped model learned
 * "dog is happy", "cat is sad"), so fine-tuning visibly changes how "… END dog is" continues.
 */
export const TOY_FINE_TUNE_TEXT = Array(3).fill('cat sat on the mat END dog is sad END cat is happy END').join(' ');
export const TOY_FINE_TUNE_PROMPT = 'cat sat on the mat END dog is';

/** Default text for a model that reads English (written for this project; any text can be pasted instead). */
export const ENGLISH_FINE_TUNE_TEXT =
  'The lighthouse keeper climbed the stairs every evening at dusk. She wound the clock, trimmed the wick and ' +
  'lit the lamp, and the beam swept across the dark water. Ships passed in the night and never knew her name, ' +
  'but every one of them came home. In the morning she climbed the stairs again, put out the lamp and wrote ' +
  'in her book: the sea was calm, the lamp burned all night, and every ship came home.';
export const ENGLISH_FINE_TUNE_PROMPT = 'The lighthouse keeper';

export function defaultSettings(preset: PresetId, baseModel: string = defaultModel): TrainingSettings {
  if (preset === 'toy-world') {
    return {
      preset,
      baseModel,
      text: '',
      optimizer: 'adamw',
      lr: TOY_WORLD_RECIPE.schedule.lr,
      batchSize: 1,
      blockSize: 0,
      seed: TOY_WORLD_RECIPE.seed,
      prompt: TOY_PROMPT,
    };
  }
  const toy = baseModel === 'toy-world';
  return {
    preset,
    baseModel,
    text: toy ? TOY_FINE_TUNE_TEXT : ENGLISH_FINE_TUNE_TEXT,
    optimizer: 'adamw',
    lr: toy ? 0.02 : 1e-3,
    batchSize: 4,
    blockSize: 0,
    seed: 0,
    prompt: toy ? TOY_FINE_TUNE_PROMPT : ENGLISH_FINE_TUNE_PROMPT,
  };
}

/** Longest text the fine-tuning preset takes (characters): beyond it, tokenizing and windows get slow to no purpose. */
export const MAX_FINE_TUNE_TEXT = 200_000;
export const MAX_BATCH = 64;
export const MAX_RUN_STEPS = 100_000;

export type SettingsErrors = Partial<Record<keyof TrainingSettings, string>>;

/**
 * Why a setting is refused, per field (empty: all fine). Absurd learning rates (1e6) are allowed on purpose: a
 * diverging run is something the lab shows.
 */
export function settingsErrors(s: TrainingSettings): SettingsErrors {
  const e: SettingsErrors = {};
  if (s.preset !== 'toy-world' && s.preset !== 'fine-tune') e.preset = 'choose a preset';
  if (!isOptimizer(s.optimizer)) e.optimizer = 'choose SGD or AdamW';
  if (!(typeof s.lr === 'number' && Number.isFinite(s.lr) && s.lr > 0)) e.lr = 'the learning rate must be a number > 0';
  if (!(Number.isInteger(s.batchSize) && s.batchSize >= 1 && s.batchSize <= MAX_BATCH)) {
    e.batchSize = `the batch size must be a whole number from 1 to ${MAX_BATCH}`;
  }
  if (!(Number.isInteger(s.blockSize) && s.blockSize >= 0)) {
    e.blockSize = 'the block size must be a whole number (0: as long as fits)';
  }
  if (!(Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= 0xffffffff)) {
    e.seed = 'the seed must be a whole number from 0 to 4294967295';
  }
  if (s.preset === 'fine-tune') {
    if (s.text.trim() === '') e.text = 'paste some text to fine-tune on';
    else if (s.text.length > MAX_FINE_TUNE_TEXT) e.text = `the text is longer than ${MAX_FINE_TUNE_TEXT} characters`;
  }
  if (s.prompt.length > 200) e.prompt = 'the prompt must be at most 200 characters';
  return e;
}

function isOptimizer(x: unknown): x is OptimizerKind {
  return x === 'adamw' || x === 'sgd';
}

/** The learning-rate schedule of each preset: the toy world's recipe (warmup, cosine), fine-tuning warmup then flat. */
export function presetSchedule(
  preset: PresetId,
  lr: number,
): { lr: number; warmupSteps: number; decaySteps?: number; minLr?: number } {
  if (preset === 'toy-world') {
    const r = TOY_WORLD_RECIPE.schedule;
    return { lr, warmupSteps: r.warmupSteps ?? 0, decaySteps: r.decaySteps, minLr: lr / 10 };
  }
  return { lr, warmupSteps: 10 };
}

export function describeSchedule(preset: PresetId, lr: number): string {
  const s = presetSchedule(preset, lr);
  return s.decaySteps !== undefined
    ? `linear warmup over ${s.warmupSteps} steps to ${lr}, then cosine decay to ${s.minLr} at step ${s.decaySteps}`
    : `linear warmup over ${s.warmupSteps} steps to ${lr}, then constant`;
}

/** SGD runs with momentum 0.9 (PyTorch's form); AdamW with compute's defaults. */
export function optimizerConfig(kind: OptimizerKind) {
  return kind === 'sgd' ? ({ kind: 'sgd', momentum: 0.9 } as const) : ({ kind: 'adamw' } as const);
}

export function describeOptimizer(kind: OptimizerKind): string {
  return kind === 'sgd'
    ? 'SGD with momentum 0.9 (no weight decay)'
    : 'AdamW (β₁ 0.9, β₂ 0.999, ε 1e-8, weight decay 0.01 on matrices)';
}
