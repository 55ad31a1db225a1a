import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GPTConfig, GPTParams, OptimizerSnapshot, Tensor } from '@glassbox/compute';
import {
  countParams,
  flattenParams,
  GlassboxError,
  initParams,
  parseSafetensors,
  randomWindows,
  serializeSafetensors,
  Trainer,
  validateConfig,
} from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import type { Command } from '../command';
import { buildTokenizer, encodeCorpus, readCorpus } from '../corpus';
import { CliError, EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors';
import { formatCount, formatRate, formatSeconds, plural } from '../format';
import { loadModel, saveModel } from '../modelDir';
import type { OptionValues } from '../options';
import { intOption, numberOption, seedOption, stringOption } from '../options';
import { ProgressReporter } from '../progress';

/** Written beside the model so `--resume` continues the run exactly where it stopped. */
const STATE_FILE = 'trainer.json';
const OPTIMIZER_FILE = 'optimizer.safetensors';

const DEFAULT_SHAPE = { n_layer: 2, n_head: 2, n_embd: 32, n_positions: 64, layer_norm_epsilon: 1e-5 };
const SHAPE_FLAGS = { layers: 'n_layer', heads: 'n_head', embd: 'n_embd', positions: 'n_positions' } as const;
const DEFAULTS = { tokenizer: 'char', steps: 200, batch: 8, lr: 1e-3, clip: 1, seed: 0, optimizer: 'adamw' as const };

type OptimizerKind = 'adamw' | 'sgd';

/** Everything besides the weights that decides what the next step computes. */
interface RunSettings {
  corpus: string;
  tokenizer: string;
  /** Total steps of the run (a resumed run goes on to this many, it does not add this many). */
  steps: number;
  batch: number;
  seq: number;
  lr: number;
  warmup: number;
  clip: number;
  seed: number;
  optimizer: OptimizerKind;
}

interface TrainerState {
  version: 1;
  settings: RunSettings;
  /** Completed steps. */
  step: number;
  /** The optimizer's update count (AdamW's bias correction depends on it). */
  optimizerStep: number;
  elapsedSeconds: number;
  /** Loss of every completed step, for a loss curve. */
  losses: number[];
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model on a text file; Ctrl-C saves a checkpoint, --resume continues it',
  help: `Usage: glassbox train --corpus FILE --out DIR [model shape] [--tokenizer T] [training options]
       glassbox train --resume DIR [--out DIR] [--steps N] [training options]

Trains a GPT-2-architecture model on a UTF-8 text file with the project's trainer (AdamW or SGD, linear warmup
then cosine decay to lr/10, gradient clipping) on random windows of the corpus, and writes a model directory
(model.safetensors, config.json, tokenizer.json) plus the trainer state that --resume needs (${STATE_FILE},
${OPTIMIZER_FILE}). Progress goes to stderr. Ctrl-C finishes the current step, saves a checkpoint to --out and
exits with code 130; resuming it gives the same weights as a run that was never interrupted.

Model shape (new runs only; a resumed run keeps its checkpoint's shape):
  --model-config C   a Hugging Face GPT-2 config as inline JSON or a path to a config.json; the flags below
                     override it, vocab_size defaults to the tokenizer's
  --layers N         n_layer (default ${DEFAULT_SHAPE.n_layer})
  --heads N          n_head (default ${DEFAULT_SHAPE.n_head})
  --embd N           n_embd, a multiple of --heads (default ${DEFAULT_SHAPE.n_embd})
  --positions N      n_positions, the context window (default ${DEFAULT_SHAPE.n_positions})
  --tokenizer T      char (default), word, bpe:VOCAB (learn a VOCAB-token BPE on the corpus), gpt2, or the path
                     of a tokenizer.json

Training:
  --corpus FILE      the training text (UTF-8); a resumed run reuses the one it was started with
  --out DIR          where checkpoints go (a resumed run defaults to the directory it resumes)
  --resume DIR       continue from a checkpoint written by glassbox train (or start a new run from the weights
                     of any model directory, e.g. a shipped model)
  --steps N          total optimizer steps of the run (default ${DEFAULTS.steps})
  --batch B          sequences per step (default ${DEFAULTS.batch})
  --seq T            tokens per sequence, at most n_positions (default n_positions)
  --lr LR            peak learning rate (default ${DEFAULTS.lr})
  --warmup N         steps of linear learning-rate warmup (default: a tenth of --steps, at most 100)
  --clip C           clip the global gradient norm to C (default ${DEFAULTS.clip})
  --optimizer O      adamw (default) or sgd
  --seed S           seed of the initial weights and of the batch sampling (default ${DEFAULTS.seed})
  --save-every N     also save a checkpoint every N steps (default: only at the end and on Ctrl-C)
  --pause-at S       stop at step S and save, as Ctrl-C would, while the schedule still plans for --steps:
                     --resume then continues exactly as if the run had never stopped
  -h, --help         show this help`,
  options: {
    corpus: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    'model-config': { type: 'string' },
    layers: { type: 'string' },
    heads: { type: 'string' },
    embd: { type: 'string' },
    positions: { type: 'string' },
    tokenizer: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    seq: { type: 'string' },
    lr: { type: 'string' },
    warmup: { type: 'string' },
    clip: { type: 'string' },
    optimizer: { type: 'string' },
    seed: { type: 'string' },
    'save-every': { type: 'string' },
    'pause-at': { type: 'string' },
  },
  run: runTrain,
};

/** The training flags as given (undefined where left out), checked for form before any file is read. */
function trainingFlags(values: OptionValues): Partial<RunSettings> {
  const optimizer = stringOption(values, 'optimizer');
  if (optimizer !== undefined && optimizer !== 'adamw' && optimizer !== 'sgd') {
    throw new UsageError(`--optimizer must be adamw or sgd, got "${optimizer}"`);
  }
  const lr = numberOption(values, 'lr');
  if (lr !== undefined && !(Number.isFinite(lr) && lr > 0))
    throw new UsageError(`--lr must be a number > 0, got ${lr}`);
  const clip = numberOption(values, 'clip');
  if (clip !== undefined && !(clip > 0)) throw new UsageError(`--clip must be a number > 0, got ${clip}`);
  const corpus = stringOption(values, 'corpus');
  const flags: Partial<RunSettings> = {
    corpus: corpus === undefined ? undefined : resolve(corpus),
    steps: intOption(values, 'steps', 1),
    batch: intOption(values, 'batch', 1),
    seq: intOption(values, 'seq', 1),
    lr,
    warmup: intOption(values, 'warmup', 0),
    clip,
    seed: seedOption(values),
    optimizer,
  };
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Partial<RunSettings>;
}

async function runTrain(values: OptionValues): Promise<number> {
  const flags = trainingFlags(values);
  const saveEvery = intOption(values, 'save-every', 1);
  const pauseAt = intOption(values, 'pause-at', 1);
  const resumeDir = stringOption(values, 'resume');
  const outArg = stringOption(values, 'out') ?? resumeDir;
  if (outArg === undefined) throw new UsageError('--out is required (the directory checkpoints go to)');
  const out = resolve(outArg);
  const note = (s: string) => process.stderr.write(`${s}\n`);

  const start =
    resumeDir === undefined ? await newRun(values, flags, note) : await resumedRun(values, resumeDir, flags);
  const { config, params, tokenizer, settings, corpusText } = start;
  let state = start.state;

  const tokens = encodeCorpus(tokenizer, corpusText, settings.corpus);
  if (settings.seq > config.n_positions) {
    throw new UsageError(
      `--seq ${settings.seq} is longer than the model's context window (n_positions ${config.n_positions})`,
    );
  }
  if (tokens.length < settings.seq + 1) {
    throw new CliError(
      `${settings.corpus}: the corpus is ${plural(tokens.length, 'token')} long; windows of --seq ${settings.seq} need ` +
        `at least ${settings.seq + 1} (use a smaller --seq or a longer corpus)`,
    );
  }

  const trainer = new Trainer(config, params, {
    data: randomWindows(tokens, { batchSize: settings.batch, blockSize: settings.seq, seed: settings.seed }),
    optimizer: settings.optimizer === 'adamw' ? { kind: 'adamw' } : { kind: 'sgd', momentum: 0.9 },
    schedule: {
      lr: settings.lr,
      warmupSteps: settings.warmup,
      // The cosine needs room after the warmup; a run that is all warmup just holds the peak rate.
      decaySteps: settings.steps > settings.warmup ? settings.steps : undefined,
      minLr: settings.lr / 10,
    },
    clipNorm: settings.clip,
  });
  if (state) restoreTrainer(trainer, state, start.optimizerState, resumeDir ?? '');
  state ??= { version: 1, settings, step: 0, optimizerStep: 0, elapsedSeconds: 0, losses: [] };
  state.settings = settings;

  const counts = countParams(config);
  note(
    `${trainer.completedSteps === 0 ? 'training' : `resuming at step ${trainer.completedSteps}:`} ` +
      `${formatCount(counts.total)} parameters (n_layer ${config.n_layer}, n_head ${config.n_head}, ` +
      `n_embd ${config.n_embd}, n_positions ${config.n_positions}), ${tokenizer.kind} tokenizer of ` +
      `${formatCount(tokenizer.vocabSize)} tokens, corpus of ${formatCount(tokens.length)} tokens`,
  );
  // --pause-at ends this process early without changing the plan (the schedule still runs to --steps).
  const stopAt = Math.min(settings.steps, pauseAt ?? settings.steps);
  if (trainer.completedSteps >= stopAt) {
    const why = stopAt < settings.steps ? `--pause-at ${stopAt}` : `--steps ${settings.steps}; raise it to go on`;
    note(`already at step ${trainer.completedSteps}: nothing to train (${why})`);
    return EXIT_OK;
  }

  const abort = new AbortController();
  const onSigint = () => {
    note('\ninterrupted: finishing this step, then saving a checkpoint (Ctrl-C again to quit without saving)');
    abort.abort();
  };
  process.once('SIGINT', onSigint);

  const reporter = new ProgressReporter(process.stderr, settings.steps);
  const firstStep = trainer.completedSteps;
  const began = performance.now();
  const elapsed = () => (performance.now() - began) / 1000;
  let tokensSeen = 0;
  const save = () => checkpoint(out, trainer, tokenizer, state, elapsed());
  try {
    while (trainer.completedSteps < stopAt && !abort.signal.aborted) {
      const remaining = stopAt - trainer.completedSteps;
      const chunk = saveEvery ? Math.min(remaining, saveEvery - (trainer.completedSteps % saveEvery)) : remaining;
      await trainer.train(chunk, {
        signal: abort.signal,
        onProgress: (p) => {
          tokensSeen += p.tokens;
          reporter.update({
            step: p.step + 1,
            total: settings.steps,
            loss: p.loss,
            tokensPerSecond: tokensSeen / elapsed(),
            lr: p.lr,
            elapsed: elapsed(),
            doneHere: p.step + 1 - firstStep,
          });
        },
      });
      if (saveEvery && trainer.completedSteps < stopAt && !abort.signal.aborted) await save();
    }
  } catch (err) {
    reporter.finish();
    if (err instanceof GlassboxError && err.code === 'training-diverged') {
      // The trainer left the last good weights in place: keep them, so the run is not lost.
      await save();
      throw new CliError(`${err.message} Checkpoint of step ${trainer.completedSteps} saved to ${out}.`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  reporter.finish();
  await save();

  const history = trainer.history;
  const lossRange =
    history.length > 0 ? `loss ${history[0].loss.toFixed(4)} → ${history[history.length - 1].loss.toFixed(4)}` : '';
  const seconds = elapsed();
  const done = `steps ${firstStep}→${trainer.completedSteps} in ${formatSeconds(seconds)} (${formatRate(tokensSeen / seconds)} tokens/s)`;
  if (abort.signal.aborted || trainer.completedSteps < settings.steps) {
    note(`stopped at step ${trainer.completedSteps} of ${settings.steps}; ${lossRange}; checkpoint saved to ${out}`);
    note(`continue with: glassbox train --resume ${outArg}`);
    return abort.signal.aborted ? EXIT_INTERRUPTED : EXIT_OK;
  }
  note(`trained ${done}; ${lossRange}; saved to ${out}`);
  return EXIT_OK;
}

interface RunStart {
  config: GPTConfig;
  params: GPTParams;
  tokenizer: Tokenizer;
  settings: RunSettings;
  corpusText: string;
  state?: TrainerState;
  optimizerState?: Uint8Array;
}

async function newRun(values: OptionValues, flags: Partial<RunSettings>, note: (s: string) => void): Promise<RunStart> {
  if (flags.corpus === undefined) throw new UsageError('--corpus is required (the text to train on)');
  const tokenizerSpec = stringOption(values, 'tokenizer') ?? DEFAULTS.tokenizer;
  const shape = await modelShape(values); // before the corpus: a bad flag fails before a long BPE training
  const corpusText = await readCorpus(flags.corpus);
  const tokenizer = await buildTokenizer(tokenizerSpec, corpusText, note);
  const vocab = shape.vocab_size ?? tokenizer.vocabSize;
  if (typeof vocab !== 'number' || vocab < tokenizer.vocabSize) {
    throw new UsageError(`vocab_size ${vocab} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens`);
  }
  const config = validateConfig({ ...shape, vocab_size: vocab });
  const steps = flags.steps ?? DEFAULTS.steps;
  const settings: RunSettings = {
    corpus: flags.corpus,
    tokenizer: tokenizerSpec,
    steps,
    batch: flags.batch ?? DEFAULTS.batch,
    seq: flags.seq ?? config.n_positions,
    lr: flags.lr ?? DEFAULTS.lr,
    warmup: flags.warmup ?? Math.min(100, Math.floor(steps / 10)),
    clip: flags.clip ?? DEFAULTS.clip,
    seed: flags.seed ?? DEFAULTS.seed,
    optimizer: flags.optimizer ?? DEFAULTS.optimizer,
  };
  const params = initParams(config, { seed: settings.seed });
  return { config, params, tokenizer, settings, corpusText };
}

/** --model-config (inline JSON or a file) with --layers/--heads/--embd/--positions on top. */
async function modelShape(values: OptionValues): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  const raw = stringOption(values, 'model-config');
  if (raw !== undefined) {
    const text = raw.trimStart().startsWith('{') ? raw : await readFile(raw, 'utf8');
    try {
      base = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--model-config is not valid JSON (${(err as Error).message})`);
    }
    if (typeof base !== 'object' || base === null || Array.isArray(base)) {
      throw new UsageError('--model-config must be a JSON object such as {"n_layer": 2, "n_head": 2, "n_embd": 32}');
    }
  }
  const shape: Record<string, unknown> = { ...DEFAULT_SHAPE, ...base };
  for (const [flag, key] of Object.entries(SHAPE_FLAGS)) {
    const v = intOption(values, flag, 1);
    if (v !== undefined) shape[key] = v;
  }
  return shape;
}

async function resumedRun(values: OptionValues, dir: string, flags: Partial<RunSettings>): Promise<RunStart> {
  for (const flag of ['model-config', 'tokenizer', ...Object.keys(SHAPE_FLAGS)]) {
    if (values[flag] !== undefined) {
      throw new UsageError(`--${flag} cannot be combined with --resume: the model and tokenizer come from ${dir}`);
    }
  }
  const model = await loadModel(dir);
  const statePath = join(model.files.dir, STATE_FILE);
  const state = existsSync(statePath) ? parseState(await readFile(statePath, 'utf8'), statePath) : undefined;
  if (state && flags.optimizer !== undefined && flags.optimizer !== state.settings.optimizer) {
    throw new UsageError(
      `--optimizer ${flags.optimizer}: ${dir} was trained with ${state.settings.optimizer}, whose state cannot carry over`,
    );
  }
  const corpus = flags.corpus ?? state?.settings.corpus;
  if (corpus === undefined) {
    throw new UsageError(`--corpus is required (${dir} has no ${STATE_FILE} recording one)`);
  }
  const base: RunSettings = state?.settings ?? {
    corpus,
    tokenizer: join(model.files.dir, 'tokenizer.json'),
    steps: DEFAULTS.steps,
    batch: DEFAULTS.batch,
    seq: model.config.n_positions,
    lr: DEFAULTS.lr,
    warmup: Math.min(100, Math.floor((flags.steps ?? DEFAULTS.steps) / 10)),
    clip: DEFAULTS.clip,
    seed: DEFAULTS.seed,
    optimizer: DEFAULTS.optimizer,
  };
  const settings: RunSettings = { ...base, ...flags, corpus };
  const optimizerPath = join(model.files.dir, OPTIMIZER_FILE);
  const optimizerState = state && existsSync(optimizerPath) ? new Uint8Array(await readFile(optimizerPath)) : undefined;
  if (state && !optimizerState) throw new CliError(`${dir}: missing ${OPTIMIZER_FILE} (written with ${STATE_FILE})`);
  if (!state) {
    process.stderr.write(`(${dir} has no trainer state: starting a new run from its weights)\n`);
  }
  return {
    config: model.config,
    params: model.params,
    tokenizer: model.tokenizer,
    settings,
    corpusText: await readCorpus(corpus),
    state,
    optimizerState,
  };
}

function parseState(text: string, path: string): TrainerState {
  let s: TrainerState;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const ok =
    typeof s === 'object' &&
    s !== null &&
    s.version === 1 &&
    Number.isInteger(s.step) &&
    Number.isInteger(s.optimizerStep) &&
    typeof s.settings === 'object' &&
    s.settings !== null &&
    Array.isArray(s.losses);
  if (!ok) throw new CliError(`${path}: not a version-1 glassbox trainer state`);
  return s;
}

/** Puts the saved step count and optimizer moments back, so the next step is the one the interrupted run would take. */
function restoreTrainer(trainer: Trainer, state: TrainerState, bytes: Uint8Array | undefined, dir: string): void {
  const { tensors } = parseSafetensors(bytes as Uint8Array);
  const names = flattenParams(trainer.params).map(([name]) => name);
  const moment = (key: string, n: number): Tensor => {
    const t = tensors.get(key);
    if (!t || t.data.length !== n) throw new CliError(`${join(dir, OPTIMIZER_FILE)}: no ${key} matching the model`);
    return t;
  };
  const sizes = flattenParams(trainer.params).map(([, t]) => t.data.length);
  const snapshot: OptimizerSnapshot = {
    t: state.optimizerStep,
    m: names.map((name, i) => moment(`m.${name}`, sizes[i]).data),
    v: names.map((name, i) => (state.settings.optimizer === 'adamw' ? moment(`v.${name}`, sizes[i]).data : undefined)),
  };
  trainer.optimizer.restore(snapshot);
  trainer.completedSteps = state.step;
}

/** Writes the model directory plus the trainer state, each file replaced atomically (see saveModel). */
async function checkpoint(
  out: string,
  trainer: Trainer,
  tokenizer: Tokenizer,
  state: TrainerState,
  secondsThisRun: number,
): Promise<void> {
  const snapshot = trainer.optimizer.snapshot();
  const names = flattenParams(trainer.params).map(([name, t]) => ({ name, shape: t.shape }));
  const moments = new Map<string, Tensor>();
  names.forEach(({ name, shape }, i) => {
    moments.set(`m.${name}`, { shape, data: snapshot.m[i] });
    const v = snapshot.v[i];
    if (v) moments.set(`v.${name}`, { shape, data: v });
  });
  const newLosses = trainer.history.map((h) => h.loss);
  const saved: TrainerState = {
    ...state,
    step: trainer.completedSteps,
    optimizerStep: snapshot.t,
    elapsedSeconds: state.elapsedSeconds + secondsThisRun,
    losses: [...state.losses.slice(0, state.step), ...newLosses],
  };
  await saveModel(out, {
    config: trainer.config,
    params: trainer.params,
    tokenizer,
    metadata: {
      'glassbox.command': ['glassbox', ...process.argv.slice(2)].map(shellWord).join(' '),
      'glassbox.step': String(trainer.completedSteps),
      'glassbox.loss': String(newLosses[newLosses.length - 1] ?? ''),
      'glassbox.seed': String(state.settings.seed),
    },
    extra: {
      [STATE_FILE]: `${JSON.stringify(saved, null, 2)}\n`,
      [OPTIMIZER_FILE]: serializeSafetensors(moments),
    },
  });
}

/** Quotes an argument for the recorded command line only when a shell would need it. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
