/**
 * The real traces the stories draw: stories/data/<model>.json, written by scripts/gen-story-traces.ts from the
 * shipped checkpoints. Every shipped model with a file appears in the stories' "model" control; a model added to
 * SHIPPED_MODELS shows up after `npx tsx scripts/gen-story-traces.ts`.
 */
import type { GPTConfig, Tensor, Trace } from '@glassbox/compute';
import type { TokenSpan } from '@glassbox/views';
import type { LossPointJSON, PackedTensor, StoryTraceFile } from '../scripts/gen-story-traces';

const FILES = import.meta.glob<StoryTraceFile>('./data/*.json', { eager: true, import: 'default' });

/** base64 of little-endian float32 bytes → a Tensor (copied, so the Float32Array is aligned). */
function unpack(p: PackedTensor): Tensor {
  const bin = atob(p.f32);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return { shape: p.shape, data: new Float32Array(bytes.buffer) };
}

function unpackTrace(packed: Record<string, PackedTensor>): Trace {
  const out: Trace = {};
  for (const [name, p] of Object.entries(packed)) out[name] = unpack(p);
  return out;
}

export interface TrainingStep {
  checkpoint: string;
  inputs: number[];
  targets: number[];
  loss: number;
  N: number;
  losses: Tensor;
  /** hook_logits, hook_probs and every grad.* of the step. */
  trace: Trace;
}

export interface StoryModel {
  name: string;
  title: string;
  parameters: number;
  config: GPTConfig;
  vocab: readonly string[];
  label: (id: number) => string;
  prompt: string;
  tokens: readonly TokenSpan[];
  gpt2Tokens: readonly TokenSpan[] | null;
  /** One label per prompt position. */
  tokenLabels: readonly string[];
  trace: Trace;
  kv: { cached: number; trace: Trace };
  ablation: { layer: number; head: number; position: number; logits: Tensor };
  embedding: {
    points: Float32Array;
    explained: [number, number];
    neighbours: Readonly<Record<string, { id: number; cosine: number }[]>>;
  };
  lossCurve: { title: string; train: LossPointJSON[]; val: LossPointJSON[] } | null;
  diverged: StoryTraceFile['diverged'];
  training: TrainingStep[];
}

function load(f: StoryTraceFile): StoryModel {
  if (f.version !== 1) throw new Error(`stories/data/${f.model.name}.json has version ${f.version}; regenerate it`);
  const vocab = f.vocab;
  return {
    name: f.model.name,
    title: f.model.title,
    parameters: f.model.parameters,
    config: f.model.config,
    vocab,
    label: (id) => vocab[id] ?? `#${id}`,
    prompt: f.forward.prompt,
    tokens: f.forward.tokens,
    gpt2Tokens: f.forward.gpt2Tokens,
    tokenLabels: f.forward.tokens.map((t) => t.text),
    trace: unpackTrace(f.forward.trace),
    kv: { cached: f.kvCache.cached, trace: unpackTrace(f.kvCache.trace) },
    ablation: { ...f.ablation, logits: unpack(f.ablation.logits) },
    embedding: {
      points: unpack(f.embedding.points).data as Float32Array,
      explained: f.embedding.explained,
      neighbours: f.embedding.neighbours,
    },
    lossCurve: f.lossCurve,
    diverged: f.diverged,
    training: f.training.map((t) => ({ ...t, losses: unpack(t.losses), trace: unpackTrace(t.trace) })),
  };
}

/** Smallest model first: the toy world is every story's default. */
export const MODELS: readonly StoryModel[] = Object.values(FILES)
  .map(load)
  .sort((a, b) => a.parameters - b.parameters);

export const MODEL_NAMES = MODELS.map((m) => m.name);
/** Models whose file has a stepped training step (the small ones). */
export const TRAINING_MODEL_NAMES = MODELS.filter((m) => m.training.length > 0).map((m) => m.name);
export const CHECKPOINTS = [...new Set(MODELS.flatMap((m) => m.training.map((t) => t.checkpoint)))];

export const MAX_LAYERS = Math.max(...MODELS.map((m) => m.config.n_layer));
export const MAX_HEADS = Math.max(...MODELS.map((m) => m.config.n_head));
export const MAX_TOKENS = Math.max(...MODELS.map((m) => m.tokens.length));

export function storyModel(name: string): StoryModel {
  const m = MODELS.find((x) => x.name === name);
  if (!m) throw new Error(`no story trace for model "${name}"; have ${MODEL_NAMES.join(', ')}`);
  return m;
}

/** A control's index clamped to what this model has (the controls' ranges fit the largest model). */
export function clampIndex(i: number | undefined, n: number): number {
  return Math.max(0, Math.min(n - 1, Math.round(i ?? 0)));
}
