import { fail } from './errors';

/**
 * Model hyper-parameters, in Hugging Face GPT-2 names so a real GPT-2 config.json loads as it is.
 * d_mlp is always 4·n_embd and the unembedding is always tied to the token embedding, as in GPT-2.
 */
export interface GPTConfig {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  layer_norm_epsilon: number;
}

export const GPT2_SMALL: GPTConfig = {
  vocab_size: 50257,
  n_positions: 1024,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  layer_norm_epsilon: 1e-5,
};

export function dHead(c: GPTConfig): number {
  return c.n_embd / c.n_head;
}

export function dMlp(c: GPTConfig): number {
  return 4 * c.n_embd;
}

const INTEGER_FIELDS = ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const;

/** Accepts a parsed config.json (extra HF fields are ignored) and returns a checked GPTConfig or throws naming the problem. */
export function validateConfig(raw: unknown): GPTConfig {
  if (typeof raw !== 'object' || raw === null) fail('bad-config', 'config must be a JSON object');
  const r = raw as Record<string, unknown>;
  for (const key of INTEGER_FIELDS) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      fail('bad-config', `config.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  const eps = r.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) {
    fail('bad-config', `config.layer_norm_epsilon must be a positive number, got ${JSON.stringify(eps)}`);
  }
  const c: GPTConfig = {
    vocab_size: r.vocab_size as number,
    n_positions: r.n_positions as number,
    n_embd: r.n_embd as number,
    n_layer: r.n_layer as number,
    n_head: r.n_head as number,
    layer_norm_epsilon: eps,
  };
  if (c.n_embd % c.n_head !== 0) {
    fail('bad-config', `n_embd (${c.n_embd}) must be divisible by n_head (${c.n_head})`);
  }
  return c;
}

/** The config as Hugging Face writes it, so our checkpoints load in transformers too. */
export function toHFConfigJson(c: GPTConfig): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    activation_function: 'gelu_new',
    vocab_size: c.vocab_size,
    n_positions: c.n_positions,
    n_ctx: c.n_positions,
    n_embd: c.n_embd,
    n_layer: c.n_layer,
    n_head: c.n_head,
    n_inner: null,
    layer_norm_epsilon: c.layer_norm_epsilon,
    tie_word_embeddings: true,
  };
}
