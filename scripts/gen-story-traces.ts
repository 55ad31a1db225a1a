/**
 * Writes the real traces the Storybook stories draw (stories/data/<model>.json), from the shipped checkpoints:
 * a forward pass with its hooks, a KV-cache decode step, a head ablation, the embedding PCA, and for small models one
 * stepped training step (grad.* traces) and the training loss curve. Nothing in stories/data is typed by hand.
 *
 *   npx tsx scripts/gen-story-traces.ts           regenerate every shipped model's file
 *   npx tsx scripts/gen-story-traces.ts --check   fail if a file is missing or differs from what would be written
 *
 * Size: the toy world is captured whole (every hook, a few KB). A bigger model keeps to a short prompt and a few
 * hooks (bigModelHooks), so a file stays under about 200 KB. Tensors are float32, base64 of little-endian bytes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GPTConfig, GPTParams, Tensor, Trace } from '@glassbox/compute';
import { CpuKVCache, countParams, forward, GlassboxError, ops, row, Trainer, wholeSequence } from '@glassbox/compute';
import type { LoadedModel } from '@glassbox/models';
import {
  createToyWorldTrainer,
  encodeToyWorld,
  loadShippedModel,
  SHIPPED_MODELS,
  TOY_WORLD_RECIPE,
  TOY_WORLD_TEXT,
} from '@glassbox/models';
import { nearestByCosine, pca2 } from '@glassbox/store';
import type { Token } from '@glassbox/tokenizers';
import { loadGpt2Tokenizer } from '@glassbox/tokenizers';

// ---- the file format (stories/traces.ts reads it) ---------------------------------------------------------------

export const STORY_TRACE_VERSION = 1;

/** A float32 tensor: shape and base64 of its little-endian bytes (−∞ of masked scores survives). */
export interface PackedTensor {
  shape: number[];
  f32: string;
}

export interface LossPointJSON {
  step: number;
  loss: number;
}

export interface StoryTraceFile {
  version: number;
  generatedBy: string;
  model: { name: string; title: string; parameters: number; config: GPTConfig };
  /** Display string of every token id (the tokenizer's idToToken). */
  vocab: string[];
  forward: {
    prompt: string;
    tokens: Token[];
    /** The same prompt through GPT-2's tokenizer, for comparison (null when the model's tokenizer is GPT-2's). */
    gpt2Tokens: Token[] | null;
    /** Every hook for a small model; bigModelHooks(config) for a bigger one. */
    trace: Record<string, PackedTensor>;
  };
  /** The prompt minus its last token run with a KV cache, then the last token decoded against it. */
  kvCache: { cached: number; trace: Record<string, PackedTensor> };
  /** The same prompt with one head's output zeroed (blocks.{layer}.attn.hook_z[:, head, :] = 0). */
  ablation: { layer: number; head: number; position: number; logits: PackedTensor };
  /** 2-D PCA of the token embedding W_E, and the nearest tokens (cosine) of each prompt token. */
  embedding: {
    points: PackedTensor;
    explained: [number, number];
    neighbours: Record<string, { id: number; cosine: number }[]>;
  };
  /** Training loss of the model's recipe, per step (thinned to at most MAX_CURVE points), and validation if any. */
  lossCurve: { title: string; train: LossPointJSON[]; val: LossPointJSON[] } | null;
  /** A diverging continuation (absurd learning rate): the steps the lab would undo. */
  diverged: { lr: number; train: LossPointJSON[]; undone: LossPointJSON[]; failedStep: number; reason: string } | null;
  /** One stepped training step per checkpoint (small models only): loss phase and every gradient. */
  training: TrainingStepJSON[];
}

export interface TrainingStepJSON {
  /** 'initial' (step 0 of the recipe) or 'shipped' (the trained weights). */
  checkpoint: string;
  inputs: number[];
  targets: number[];
  loss: number;
  /** N, the positions the loss averages over. */
  N: number;
  /** [T] −log p(target). */
  losses: PackedTensor;
  /** Forward logits [T, V] and every grad.* tensor the backward produced. */
  trace: Record<string, PackedTensor>;
}

// ---- what is captured ---------------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(ROOT, 'stories', 'data');
/** Models with at most this many parameters are captured whole, with a training step. */
const SMALL_MODEL = 20_000;
/** A bigger model's prompt is cut to this many tokens. */
const BIG_MODEL_TOKENS = 6;
const MAX_CURVE = 400;

const PROMPTS: Record<string, string> = {
  'toy-world': 'cat sat on the mat END dog is',
};

/** The hooks a bigger model keeps: enough for every view, a few KB per layer (logits [T, V] are the bulk). */
function bigModelHooks(config: GPTConfig): string[] {
  const last = config.n_layer - 1;
  const names = ['hook_embed', 'hook_pos_embed', 'hook_logits'];
  for (let l = 0; l < config.n_layer; l++) {
    names.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.attn.hook_attn_scores`, `blocks.${l}.attn.hook_pattern`);
  }
  names.push(`blocks.${last}.hook_resid_post`, `blocks.${last}.mlp.hook_post`);
  names.push(`blocks.${last}.attn.hook_q`, `blocks.${last}.attn.hook_z`);
  return names;
}

// ---- helpers --------------------------------------------------------------------------------------------------------

function pack(t: Tensor): PackedTensor {
  const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  return { shape: [...t.shape], f32: Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64') };
}

function packTrace(trace: Trace, keep: (name: string) => boolean = () => true): Record<string, PackedTensor> {
  const out: Record<string, PackedTensor> = {};
  for (const [name, t] of Object.entries(trace)) if (keep(name)) out[name] = pack(t);
  return out;
}

/** Loss points with at most `max` entries: bucket means, the last point kept exactly (as the view thins). */
function thin(points: LossPointJSON[], max: number): LossPointJSON[] {
  if (points.length <= max) return points;
  const out: LossPointJSON[] = [];
  const per = points.length / max;
  for (let b = 0; b < max - 1; b++) {
    const from = Math.floor(b * per);
    const to = Math.floor((b + 1) * per);
    let s = 0;
    for (let i = from; i < to; i++) s += points[i].loss;
    out.push({ step: points[Math.floor((from + to - 1) / 2)].step, loss: round(s / (to - from)) });
  }
  out.push(points[points.length - 1]);
  return out;
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

// ---- one model ----------------------------------------------------------------------------------------------------

/** The story trace of one loaded model; `dir` holds its files (a bigger model's training-log.json). */
export async function storyTrace(
  m: LoadedModel,
  title: string,
  examplePrompt: string,
  dir: string,
): Promise<StoryTraceFile> {
  const { config, params, tokenizer } = m;
  const parameters = countParams(config).total;
  const small = parameters <= SMALL_MODEL;

  let prompt = PROMPTS[m.name] ?? examplePrompt;
  let tokens = tokenizer.tokenize(prompt);
  if (!small && tokens.length > BIG_MODEL_TOKENS) {
    tokens = tokens.slice(0, BIG_MODEL_TOKENS);
    prompt = prompt.slice(0, tokens[tokens.length - 1].end);
  }
  const ids = tokens.map((t) => t.id);
  const T = ids.length;
  const gpt2 = tokenizer.kind === 'gpt2' ? null : (await loadGpt2Tokenizer()).tokenize(prompt);

  const capture = small ? 'all' : bigModelHooks(config);
  const { trace } = forward(config, params, ids, { capture });

  // KV cache: T − 1 positions cached, then the last token decoded against them.
  const cache = new CpuKVCache(config);
  forward(config, params, ids.slice(0, -1), { cache, capture: [] });
  // A bigger model keeps the cache of its first and last layer.
  const kvLayers = small ? Array.from({ length: config.n_layer }, (_, l) => l) : [...new Set([0, config.n_layer - 1])];
  const kvNames = kvLayers.flatMap((l) => [`blocks.${l}.attn.hook_k_cache`, `blocks.${l}.attn.hook_v_cache`]);
  const decode = forward(config, params, ids.slice(-1), { cache, capture: kvNames });

  // Ablation: zero head 0 of the last layer (the only head of the toy world) and rerun.
  const layer = config.n_layer - 1;
  const head = 0;
  const dh = config.n_embd / config.n_head;
  const ablated = forward(config, params, ids, {
    hooks: {
      [`blocks.${layer}.attn.hook_z`]: (z) => {
        for (let t = 0; t < T; t++)
          z.data.fill(0, (t * config.n_head + head) * dh, (t * config.n_head + head + 1) * dh);
      },
    },
  });
  const lastLogits = row(ablated.logits, T - 1);

  // Embedding space.
  const W_E = params.embed.W_E;
  const E = { rows: W_E.shape[0], cols: W_E.shape[1], data: W_E.data };
  const pca = pca2(E);
  const neighbours: Record<string, { id: number; cosine: number }[]> = {};
  for (const id of new Set(ids)) {
    const v = W_E.data.subarray(id * E.cols, (id + 1) * E.cols);
    neighbours[id] = nearestByCosine(E, v, 5, new Set([id])).map((n) => ({ id: n.id, cosine: round(n.cosine) }));
  }

  const vocab = Array.from({ length: config.vocab_size }, (_, i) => tokenizer.idToToken(i));
  return {
    version: STORY_TRACE_VERSION,
    generatedBy: 'scripts/gen-story-traces.ts',
    model: { name: m.name, title, parameters, config },
    vocab,
    forward: { prompt, tokens, gpt2Tokens: gpt2, trace: packTrace(trace) },
    kvCache: { cached: decode.start + 1, trace: packTrace(decode.trace) },
    ablation: {
      layer,
      head,
      position: T - 1,
      logits: pack({ shape: [config.vocab_size], data: Float32Array.from(lastLogits) }),
    },
    embedding: {
      points: pack({ shape: [E.rows, 2], data: pca.points }),
      explained: [round(pca.explained[0]), round(pca.explained[1])],
      neighbours,
    },
    lossCurve: lossCurveOf(m.name, dir),
    diverged: m.name === 'toy-world' ? toyWorldDivergence() : null,
    training: m.name === 'toy-world' ? toyWorldTrainingSteps(params) : [],
  };
}

/** The recipe's loss per step: the toy world is retrained here (0.1 s); a bigger model ships training-log.json. */
function lossCurveOf(name: string, dir: string): StoryTraceFile['lossCurve'] {
  if (name === 'toy-world') {
    const trainer = createToyWorldTrainer();
    for (let s = 0; s < TOY_WORLD_RECIPE.steps; s++) trainer.runStep();
    const train = trainer.history.map((h) => ({ step: h.step, loss: round(h.loss) }));
    return { title: `Toy world recipe: ${TOY_WORLD_RECIPE.steps} full-batch AdamW steps`, train, val: [] };
  }
  let log: { history?: { step?: number[]; loss: number[]; val?: LossPointJSON[] } };
  try {
    log = JSON.parse(readFileSync(join(dir, 'training-log.json'), 'utf8'));
  } catch {
    return null;
  }
  const h = log.history;
  if (!h) return null;
  const train = h.loss.map((loss, i) => ({ step: h.step?.[i] ?? i, loss }));
  const val = (h.val ?? []).map((v) => ({ step: v.step, loss: v.loss }));
  return { title: `${name}: training loss per step`, train: thin(train, MAX_CURVE), val: thin(val, MAX_CURVE) };
}

/**
 * 150 good steps of the recipe, then the learning rate set absurdly high (1000): the loss jumps by five orders of
 * magnitude for a dozen steps, then the run fails with training-diverged. Those steps are what the lab undoes.
 */
function toyWorldDivergence(): StoryTraceFile['diverged'] {
  const good = createToyWorldTrainer();
  for (let s = 0; s < 150; s++) good.runStep();
  const lr = 1000;
  const wild = new Trainer(good.config, good.params, {
    data: wholeSequence(encodeToyWorld(TOY_WORLD_TEXT)),
    optimizer: TOY_WORLD_RECIPE.optimizer,
    schedule: { lr },
  });
  const undone: LossPointJSON[] = [];
  let reason = '';
  try {
    for (let s = 0; s < 100; s++) undone.push({ step: good.completedSteps + s, loss: round(wild.runStep().loss) });
    throw new Error(`the toy world did not diverge in 100 steps at learning rate ${lr}`);
  } catch (e) {
    if (!(e instanceof GlassboxError) || e.code !== 'training-diverged') throw e;
    reason = e.message.replace(/at step \d+/, `at step ${good.completedSteps + wild.completedSteps}`);
  }
  const train = good.history.map((h) => ({ step: h.step, loss: round(h.loss) }));
  return { lr, train, undone, failedStep: good.completedSteps + wild.completedSteps, reason };
}

/** One stepped step of the toy world recipe, from its initial weights and from the shipped ones. */
function toyWorldTrainingSteps(shipped: GPTParams): TrainingStepJSON[] {
  const fromInit = createToyWorldTrainer();
  const fromShipped = new Trainer(fromInit.config, structuredClone(shipped), fromInit.options);
  return [steppedStep('initial', fromInit), steppedStep('shipped', fromShipped)];
}

function steppedStep(checkpoint: string, trainer: Trainer): TrainingStepJSON {
  const fwd = trainer.forward({ capture: ['hook_logits'] });
  const loss = trainer.loss();
  const grads = trainer.backward({ capture: 'all' });
  const probs = ops.softmax(fwd.logits);
  return {
    checkpoint,
    inputs: [...fwd.batch.inputs[0]],
    targets: [...fwd.batch.targets[0]],
    loss: loss.loss,
    N: fwd.batch.inputs[0].length,
    losses: pack(loss.losses),
    trace: { hook_logits: pack(fwd.logits), hook_probs: pack(probs), ...packTrace(grads) },
  };
}

// ---- main -------------------------------------------------------------------------------------------------------

/** The JSON exactly as Biome formats it, so `biome check` passes and --check compares like with like. */
function biomeFormatted(name: string, json: string): string {
  const r = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'biome'),
    ['format', `--stdin-file-path=stories/data/${name}`],
    {
      input: json,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = new Map<string, string>();
  for (const info of SHIPPED_MODELS) {
    const model = await loadShippedModel(info.name);
    const file = await storyTrace(model, info.title, info.examplePrompt, dirname(fileURLToPath(info.files.weights)));
    const name = `${info.name}.json`;
    files.set(name, biomeFormatted(name, JSON.stringify(file)));
  }
  if (!check) {
    mkdirSync(OUT_DIR, { recursive: true });
    for (const [name, text] of files) {
      writeFileSync(join(OUT_DIR, name), text);
      console.log(`wrote stories/data/${name} (${(text.length / 1024).toFixed(1)} KB)`);
    }
    return;
  }
  const stale: string[] = [];
  for (const [name, text] of files) {
    const path = join(OUT_DIR, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
  }
  for (const name of existsSync(OUT_DIR) ? readdirSync(OUT_DIR) : []) {
    if (name.endsWith('.json') && !files.has(name)) stale.push(`${name} (no such shipped model)`);
  }
  if (stale.length > 0) {
    console.error(`stories/data is stale: ${stale.join(', ')}. Run: npx tsx scripts/gen-story-traces.ts`);
    process.exit(1);
  }
  console.log('stories/data is up to date');
}

// Run as a script (not when a test imports storyTrace).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
