import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { clipGradNorm } from './clip';
import { globalGradNorm, zeroGrads } from './grads';

const config = validateConfig({ vocab_size: 3, n_positions: 2, n_embd: 2, n_layer: 1, n_head: 1 });

describe('clipGradNorm', () => {
  it('reports the norm before clipping and scales every gradient to the cap, keeping the direction', () => {
    const g = zeroGrads(config, 'float64');
    g.embed.W_E.data[0] = 3; // 3-4-12 → norm 13, spread over three parameters
    g.blocks[0].mlp.W_in.data[5] = 4;
    g.ln_final.b.data[1] = -12;
    const r = clipGradNorm(g, 1);
    expect(r).toEqual({ norm: 13, scale: 1 / 13, clipped: true });
    expect(globalGradNorm(g)).toBeCloseTo(1, 15);
    expect(g.ln_final.b.data[1] / g.embed.W_E.data[0]).toBeCloseTo(-4, 12);
  });

  it('leaves gradients within the cap untouched, and Infinity only measures', () => {
    const g = zeroGrads(config, 'float64');
    g.pos_embed.W_pos.data[0] = 0.5;
    expect(clipGradNorm(g, 1)).toEqual({ norm: 0.5, scale: 1, clipped: false });
    expect(clipGradNorm(g, Number.POSITIVE_INFINITY).clipped).toBe(false);
    expect(g.pos_embed.W_pos.data[0]).toBe(0.5);
    expect(() => clipGradNorm(g, 0)).toThrow(/clip norm/);
  });
});
