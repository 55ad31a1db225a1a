import { describe, expect, it } from 'vitest';
import { GPT2_SMALL, validateConfig } from './config';
import { countParams, flattenParams, initParams, paramSpecs } from './params';

describe('parameters', () => {
  it('counts GPT-2 small exactly as Hugging Face does (124,439,808, tied unembedding counted once)', () => {
    expect(countParams(GPT2_SMALL).total).toBe(124_439_808);
  });

  it('count per component adds up to the number of values actually allocated', () => {
    const c = validateConfig({ vocab_size: 13, n_positions: 7, n_embd: 8, n_layer: 2, n_head: 2 });
    const p = initParams(c, { seed: 1 });
    const allocated = flattenParams(p).reduce((n, [, t]) => n + t.data.length, 0);
    const k = countParams(c);
    expect(allocated).toBe(k.total);
    // Each component against the tensors it counts (the total is their sum by construction, so check the parts).
    const size = (prefix: string) =>
      flattenParams(p)
        .filter(([n]) => n.startsWith(prefix))
        .reduce((n, [, t]) => n + t.data.length, 0);
    expect(k.embedding).toBe(size('embed.'));
    expect(k.position).toBe(size('pos_embed.'));
    expect(k.blocks).toBe(size('blocks.'));
    expect(k.perBlock.total).toBe(size('blocks.1.'));
    expect(k.ln_final).toBe(size('ln_final.'));
    expect(flattenParams(p).map(([n]) => n)).toEqual(paramSpecs(c).map((s) => s.name));
  });

  it('same seed gives the same initial weights, a different seed different ones', () => {
    const c = validateConfig({ vocab_size: 11, n_positions: 5, n_embd: 4, n_layer: 1, n_head: 1 });
    const a = initParams(c, { seed: 42 }).blocks[0].attn.W_Q.data;
    const b = initParams(c, { seed: 42 }).blocks[0].attn.W_Q.data;
    const d = initParams(c, { seed: 43 }).blocks[0].attn.W_Q.data;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(d));
  });

  it('rejects a config whose n_embd is not divisible by n_head, naming both', () => {
    expect(() => validateConfig({ vocab_size: 10, n_positions: 4, n_embd: 10, n_layer: 1, n_head: 3 })).toThrow(
      /n_embd \(10\) must be divisible by n_head \(3\)/,
    );
    expect(() => validateConfig({ vocab_size: 0, n_positions: 4, n_embd: 4, n_layer: 1, n_head: 1 })).toThrow(
      /vocab_size/,
    );
  });
});
