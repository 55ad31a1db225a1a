import { describe, expect, it } from 'vitest';
import type { GPTConfig } from '../config';
import { validateConfig } from '../config';
import type { HookFn, RunOptions } from '../engine';
import { hookNames, hookShape } from '../hooks';
import type { GPTParams } from '../params';
import { castParams, cloneParams, flattenParams, initParams } from '../params';
import { createRng } from '../rng';
import type { Tensor } from '../tensor';
import { clone, maxAbsDiff, tensor } from '../tensor';
import { expectGlassboxError } from '../testing';
import { createCpuEngine } from './engine';
import { forward } from './model';

const config: GPTConfig = validateConfig({
  vocab_size: 23,
  n_positions: 12,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  layer_norm_epsilon: 1e-5,
});
const dh = 8;
const ids = [3, 17, 0, 22, 9, 9, 4];
const T = ids.length;

/**
 * GPT-2's init makes every logit ≈ 0, where a wrong op can hide inside the tolerance. These weights are O(1) (biases
 * and LN parameters included) so that each part of the pass moves the logits by far more than the tolerance.
 */
function loudParams(seed: number): GPTParams {
  const p = initParams(config, { seed });
  const rng = createRng(seed + 1000);
  for (const [name, t] of flattenParams(p)) {
    const gain = name.endsWith('.w') && name.includes('ln') ? 1 : 0;
    for (let i = 0; i < t.data.length; i++) t.data[i] = gain + 0.4 * rng.normal();
  }
  return p;
}
const params = loudParams(1);

// ---------------------------------------------------------------------------------------------------------------
// An independent float64 GPT-2 forward pass: plain loops over number[][], nothing shared with the engine's ops.

type Mat = number[][];

function rowsOf(t: Tensor): Mat {
  const [r, c] = t.shape;
  return Array.from({ length: r }, (_, i) => Array.from(t.data.subarray(i * c, (i + 1) * c)));
}

function matmul(a: Mat, W: Tensor, b?: Tensor): Mat {
  const w = rowsOf(W);
  return a.map((row) => w[0].map((_, j) => row.reduce((s, x, k) => s + x * w[k][j], 0) + (b ? b.data[j] : 0)));
}

function refLayerNorm(x: Mat, w: Tensor, b: Tensor): { out: Mat; scale: number[] } {
  const scale: number[] = [];
  const out = x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    const sd = Math.sqrt(variance + config.layer_norm_epsilon);
    scale.push(sd);
    return row.map((v, i) => ((v - mean) / sd) * w.data[i] + b.data[i]);
  });
  return { out, scale };
}

interface Reference {
  logits: Mat;
  /** pattern[l][h][t][s] */
  pattern: number[][][][];
  mlpPost: Mat[];
  ln1Scale: number[][];
  finalNormalized: Mat;
}

function referenceForward(p: GPTParams, tokens: number[]): Reference {
  const H = config.n_head;
  const WE = rowsOf(p.embed.W_E);
  const Wpos = rowsOf(p.pos_embed.W_pos);
  let x: Mat = tokens.map((id, t) => WE[id].map((e, i) => e + Wpos[t][i]));
  const out: Reference = { logits: [], pattern: [], mlpPost: [], ln1Scale: [], finalNormalized: [] };
  for (const b of p.blocks) {
    const ln1 = refLayerNorm(x, b.ln1.w, b.ln1.b);
    out.ln1Scale.push(ln1.scale);
    const q = matmul(ln1.out, b.attn.W_Q, b.attn.b_Q);
    const k = matmul(ln1.out, b.attn.W_K, b.attn.b_K);
    const v = matmul(ln1.out, b.attn.W_V, b.attn.b_V);
    const z: Mat = tokens.map(() => new Array(config.n_embd).fill(0));
    const pattern: number[][][] = [];
    for (let h = 0; h < H; h++) {
      pattern.push([]);
      for (let t = 0; t < tokens.length; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < dh; i++) dot += q[t][h * dh + i] * k[s][h * dh + i];
          scores.push(dot / Math.sqrt(dh));
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, c) => a + c, 0);
        const row = tokens.map((_, s) => (s <= t ? e[s] / sum : 0));
        pattern[h].push(row);
        for (let s = 0; s <= t; s++) for (let i = 0; i < dh; i++) z[t][h * dh + i] += row[s] * v[s][h * dh + i];
      }
    }
    out.pattern.push(pattern);
    const attnOut = matmul(z, b.attn.W_O, b.attn.b_O);
    x = x.map((row, t) => row.map((val, i) => val + attnOut[t][i]));
    const ln2 = refLayerNorm(x, b.ln2.w, b.ln2.b);
    const pre = matmul(ln2.out, b.mlp.W_in, b.mlp.b_in);
    const post = pre.map((row) =>
      row.map((u) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)))),
    );
    out.mlpPost.push(post);
    const mlpOut = matmul(post, b.mlp.W_out, b.mlp.b_out);
    x = x.map((row, t) => row.map((val, i) => val + mlpOut[t][i]));
  }
  const lnf = refLayerNorm(x, p.ln_final.w, p.ln_final.b);
  out.finalNormalized = lnf.out;
  out.logits = lnf.out.map((row) => WE.map((e) => e.reduce((s, w, i) => s + w * row[i], 0)));
  return out;
}

function sum(xs: ArrayLike<number>): number {
  return Array.from(xs).reduce((a, b) => a + b, 0);
}

function maxDiff(t: Tensor, ref: number[]): number {
  expect(t.data.length).toBe(ref.length);
  return ref.reduce((m, r, i) => Math.max(m, Math.abs(t.data[i] - r)), 0);
}

// ---------------------------------------------------------------------------------------------------------------

describe('cpu forward pass', () => {
  it('capture "all" records exactly every hook name, in hookNames order, with the shape hookShape gives', () => {
    const p = initParams(config, { seed: 7 });
    const { trace, logits } = forward(config, p, ids, { capture: 'all' });
    expect(Object.keys(trace)).toEqual(hookNames(config));
    for (const name of hookNames(config)) {
      expect(trace[name].shape, name).toEqual(hookShape(name, config, { T, S: T }));
      expect(trace[name].data.length, name).toBe(trace[name].shape.reduce((a, b) => a * b, 1));
    }
    expect(trace.hook_logits).toBe(logits);
  });

  it('calls hook functions in hookNames order, with the layer and start position', () => {
    const seen: string[] = [];
    const hooks: Record<string, HookFn> = {};
    for (const name of hookNames(config)) {
      hooks[name] = (_, ctx) => {
        expect(ctx.name).toBe(name);
        expect(ctx.layer).toBe(name.startsWith('blocks.') ? Number(name.split('.')[1]) : null);
        expect(ctx.start).toBe(0);
        seen.push(name);
      };
    }
    forward(config, params, ids, { hooks });
    expect(seen).toEqual(hookNames(config));
  });

  it('captures only what is asked: a list, a predicate, or nothing', () => {
    const list = forward(config, params, ids, { capture: ['blocks.1.attn.hook_pattern', 'hook_embed'] }).trace;
    expect(Object.keys(list).sort()).toEqual(['blocks.1.attn.hook_pattern', 'hook_embed']);
    const pred = forward(config, params, ids, { capture: (n) => n.endsWith('hook_z') }).trace;
    expect(Object.keys(pred)).toEqual(['blocks.0.attn.hook_z', 'blocks.1.attn.hook_z']);
    expect(forward(config, params, ids).trace).toEqual({});
  });

  it('matches an independent float64 loop implementation (float32 engine to 1e-5)', () => {
    const ref = referenceForward(params, ids);
    const { logits, trace } = forward(config, params, ids, {
      capture: [
        'blocks.1.attn.hook_pattern',
        'blocks.0.mlp.hook_post',
        'blocks.1.ln1.hook_scale',
        'ln_final.hook_normalized',
      ],
    });
    expect(logits.data).toBeInstanceOf(Float32Array);
    const logitScale = Math.max(...ref.logits.flat().map(Math.abs));
    expect(logitScale).toBeGreaterThan(1); // the weights are loud enough for the tolerance to mean something
    expect(maxDiff(logits, ref.logits.flat())).toBeLessThan(1e-5 * logitScale);
    expect(maxDiff(trace['blocks.1.attn.hook_pattern'], ref.pattern[1].flat(2))).toBeLessThan(1e-5);
    expect(maxDiff(trace['blocks.0.mlp.hook_post'], ref.mlpPost[0].flat())).toBeLessThan(1e-5);
    expect(maxDiff(trace['blocks.1.ln1.hook_scale'], ref.ln1Scale[1])).toBeLessThan(1e-5);
    expect(maxDiff(trace['ln_final.hook_normalized'], ref.finalNormalized.flat())).toBeLessThan(1e-5);
  });

  it('computes in float64 end to end when the parameters are float64 (to 1e-10 of the reference)', () => {
    const p64 = castParams(params, config, 'float64');
    const ref = referenceForward(p64, ids);
    const { logits, trace } = forward(config, p64, ids, { capture: 'all' });
    for (const name of hookNames(config)) expect(trace[name].data, name).toBeInstanceOf(Float64Array);
    expect(maxDiff(logits, ref.logits.flat())).toBeLessThan(1e-10);
    expect(maxDiff(trace['blocks.0.attn.hook_pattern'], ref.pattern[0].flat(2))).toBeLessThan(1e-12);
  });

  it('attention patterns are causal (zero above the diagonal) and each row sums to 1', () => {
    const { trace } = forward(config, params, ids, { capture: (n) => n.endsWith('hook_pattern') });
    for (const pattern of Object.values(trace)) {
      const [H, Tq, S] = pattern.shape;
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < Tq; t++) {
          const row = pattern.data.subarray((h * Tq + t) * S, (h * Tq + t + 1) * S);
          for (let s = t + 1; s < S; s++) expect(row[s]).toBe(0);
          expect(sum(row)).toBeCloseTo(1, 6);
        }
      }
    }
  });

  it('hook_probs rows sum to 1, and temperature 2 divides the logits by 2 and flattens every row', () => {
    const capture = ['hook_logits', 'hook_scaled_logits', 'hook_probs'];
    const cold = forward(config, params, ids, { capture }).trace;
    const warm = forward(config, params, ids, { capture, temperature: 2 }).trace;
    const V = config.vocab_size;
    const entropy = (p: ArrayLike<number>) => -Array.from(p).reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0);
    expect(maxDiff(cold.hook_scaled_logits, Array.from(cold.hook_logits.data))).toBe(0);
    expect(
      maxDiff(
        warm.hook_scaled_logits,
        Array.from(warm.hook_logits.data, (x) => x / 2),
      ),
    ).toBeLessThan(1e-6);
    for (let t = 0; t < T; t++) {
      const c = cold.hook_probs.data.subarray(t * V, (t + 1) * V);
      const w = warm.hook_probs.data.subarray(t * V, (t + 1) * V);
      expect(sum(c)).toBeCloseTo(1, 5);
      expect(sum(w)).toBeCloseTo(1, 5);
      expect(Math.max(...w)).toBeLessThan(Math.max(...c));
      expect(entropy(w)).toBeGreaterThan(entropy(c));
    }
  });
});

describe('interventions', () => {
  // z: [T, H, dh]; head h of position t is the dh values from (t·H + h)·dh.
  const zeroHeadInPlace = (z: Tensor, h: number): void => {
    const H = config.n_head;
    for (let t = 0; t < z.shape[0]; t++) z.data.fill(0, (t * H + h) * dh, (t * H + h + 1) * dh);
  };
  const zeroHead =
    (h: number): HookFn =>
    (z) => {
      const out = clone(z);
      zeroHeadInPlace(out, h);
      return out;
    };

  it('zeroing head 1 in blocks.0.attn.hook_z equals zeroing that head’s rows of W_O, and changes the logits', () => {
    const clean = forward(config, params, ids).logits;
    const hooked = forward(config, params, ids, { hooks: { 'blocks.0.attn.hook_z': zeroHead(1) } }).logits;
    const ablated = cloneParams(config, params);
    ablated.blocks[0].attn.W_O.data.fill(0, 1 * dh * config.n_embd, 2 * dh * config.n_embd); // rows dh … 2dh−1
    const manual = forward(config, ablated, ids).logits;
    expect(maxAbsDiff(hooked, clean)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(hooked, manual)).toBeLessThan(1e-5);
  });

  it('an in-place edit of the hooked tensor has the same effect as returning it, and the trace holds the edit', () => {
    const inPlace: HookFn = (z) => zeroHeadInPlace(z, 0);
    const opts = (fn: HookFn): RunOptions => ({
      hooks: { 'blocks.1.attn.hook_z': fn },
      capture: ['blocks.1.attn.hook_z'],
    });
    const a = forward(config, params, ids, opts(zeroHead(0)));
    const b = forward(config, params, ids, opts(inPlace));
    expect(maxAbsDiff(a.logits, b.logits)).toBe(0);
    expect(Array.from(a.trace['blocks.1.attn.hook_z'].data.subarray(0, dh))).toEqual(new Array(dh).fill(0));
    expect(maxAbsDiff(a.trace['blocks.1.attn.hook_z'], b.trace['blocks.1.attn.hook_z'])).toBe(0);
  });

  it('patching hook_resid_pre at position 4 from another run changes only positions ≥ 4', () => {
    const other = [5, 5, 5, 5, 5, 5, 5];
    const source = forward(config, params, other, { capture: ['blocks.1.hook_resid_pre'] }).trace;
    const pos = 4;
    const d = config.n_embd;
    const patch: HookFn = (x) => {
      const out = clone(x);
      out.data.set(source['blocks.1.hook_resid_pre'].data.subarray(pos * d, (pos + 1) * d), pos * d);
      return out;
    };
    const clean = forward(config, params, ids).logits;
    const patched = forward(config, params, ids, { hooks: { 'blocks.1.hook_resid_pre': patch } }).logits;
    const V = config.vocab_size;
    for (let t = 0; t < T; t++) {
      const diff = maxAbsDiff(
        tensor([V], clean.data.subarray(t * V, (t + 1) * V)),
        tensor([V], patched.data.subarray(t * V, (t + 1) * V)),
      );
      if (t < pos) expect(diff, `position ${t}`).toBe(0);
      else expect(diff, `position ${t}`).toBeGreaterThan(1e-3);
    }
  });

  it('an in-place edit of blocks.1.hook_resid_pre leaves the trace’s blocks.0.hook_resid_post (the same stream) as it was', () => {
    const capture = ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_pre'];
    const clean = forward(config, params, ids, { capture }).trace;
    const { trace } = forward(config, params, ids, {
      capture,
      hooks: { 'blocks.1.hook_resid_pre': (x) => void x.data.fill(0) },
    });
    expect(maxAbsDiff(trace['blocks.0.hook_resid_post'], clean['blocks.0.hook_resid_post'])).toBe(0);
    expect(maxAbsDiff(clean['blocks.0.hook_resid_post'], clean['blocks.1.hook_resid_pre'])).toBe(0);
    expect(Math.max(...trace['blocks.1.hook_resid_pre'].data.map(Math.abs))).toBe(0);
  });

  it('a replacement LayerNorm scale reaches the normalized output (freezing the scale works)', () => {
    const capture = ['ln_final.hook_normalized'];
    const clean = forward(config, params, ids, { capture }).trace['ln_final.hook_normalized'];
    const doubled = forward(config, params, ids, {
      capture,
      hooks: {
        'ln_final.hook_scale': (s) =>
          tensor(
            s.shape,
            Array.from(s.data, (x) => 2 * x),
          ),
      },
    }).trace['ln_final.hook_normalized'];
    const { w, b } = params.ln_final;
    const d = config.n_embd;
    // normalized = x̂·w + b with x̂ = (x − mean)/scale, so doubling the scale halves (normalized − b).
    const expected = Array.from(clean.data, (y, i) => (y - b.data[i % d]) / 2 + b.data[i % d]);
    expect(maxDiff(doubled, expected)).toBeLessThan(1e-5);
    expect(w.data.length).toBe(d);
  });

  it('a replaced mask reaches the scores: an all-ones mask in block 0 lets positions see the future', () => {
    const { trace } = forward(config, params, ids, {
      hooks: { 'blocks.0.attn.hook_mask': (m) => tensor(m.shape, new Array(m.data.length).fill(1)) },
      capture: ['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern'],
    });
    expect(trace['blocks.0.attn.hook_pattern'].data[1]).toBeGreaterThan(0); // h=0, t=0, s=1
    expect(trace['blocks.1.attn.hook_pattern'].data[1]).toBe(0);
  });

  it('a replacement of the wrong shape throws bad-shape naming the hook', () => {
    expectGlassboxError(
      () =>
        forward(config, params, ids, {
          hooks: { 'blocks.1.attn.hook_pattern': () => tensor([T, T], new Array(T * T).fill(0)) },
        }),
      'bad-shape',
      /blocks\.1\.attn\.hook_pattern.*\[7, 7\].*\[2, 7, 7\]/,
    );
    expectGlassboxError(
      () => forward(config, params, ids, { hooks: { hook_embed: () => ({ shape: [T, 16] }) as unknown as Tensor } }),
      'bad-shape',
      /hook_embed/,
    );
  });

  it('a float64 replacement in a float32 pass is cast, so the pass stays in one dtype', () => {
    const { trace, logits } = forward(config, params, ids, {
      hooks: { hook_pos_embed: (x) => tensor(x.shape, x.data, 'float64') },
      capture: ['hook_pos_embed'],
    });
    expect(trace.hook_pos_embed.data).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(logits, forward(config, params, ids).logits)).toBe(0);
  });
});

describe('bad input', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['an empty id list', () => forward(config, params, []), 'bad-ids', /empty/],
    ['a non-integer id', () => forward(config, params, [1, 2.5]), 'bad-ids', /ids\[1\] = 2\.5/],
    ['a NaN id', () => forward(config, params, [Number.NaN]), 'bad-ids', /ids\[0\] = NaN/],
    ['a negative id', () => forward(config, params, [1, 2, -1]), 'bad-ids', /ids\[2\] = -1.*0 … 22/],
    ['an id equal to vocab_size', () => forward(config, params, [23]), 'bad-ids', /ids\[0\] = 23.*vocab_size 23/],
    [
      'more ids than n_positions',
      () => forward(config, params, new Array(13).fill(1)),
      'bad-ids',
      /n_positions \(12\)/,
    ],
    ['temperature NaN', () => forward(config, params, ids, { temperature: Number.NaN }), 'bad-sampling', /NaN/],
    ['temperature 0', () => forward(config, params, ids, { temperature: 0 }), 'bad-sampling', /temperature.*got 0/],
    ['negative temperature', () => forward(config, params, ids, { temperature: -1 }), 'bad-sampling', /got -1/],
    ['infinite temperature', () => forward(config, params, ids, { temperature: Infinity }), 'bad-sampling', /Infinity/],
    [
      'an unknown capture name',
      () => forward(config, params, ids, { capture: ['hook_nope'] }),
      'bad-hook',
      /"hook_nope"/,
    ],
    [
      'a capture name past the last layer',
      () => forward(config, params, ids, { capture: ['blocks.2.attn.hook_q'] }),
      'bad-hook',
      /blocks\.2\.attn\.hook_q.*layer 2.*2 layers/,
    ],
    [
      'a hook on an unknown name',
      () => forward(config, params, ids, { hooks: { 'blocks.0.attn.hook_qq': () => undefined } }),
      'bad-hook',
      /blocks\.0\.attn\.hook_qq/,
    ],
    [
      'a hook that is not a function',
      () => forward(config, params, ids, { hooks: { hook_embed: 3 as unknown as HookFn } }),
      'bad-hook',
      /hook_embed.*function/,
    ],
  ];
  it.each(cases)('rejects %s', (_, fn, code, message) => expectGlassboxError(fn, code, message));

  it('CpuEngine.run rejects with the same errors (bad temperature, bad ids)', async () => {
    const engine = createCpuEngine(config, params);
    await expect(engine.run(ids, { temperature: 0 })).rejects.toMatchObject({ code: 'bad-sampling' });
    await expect(engine.run([99])).rejects.toMatchObject({ code: 'bad-ids', message: expect.stringMatching(/99/) });
  });
});

describe('CpuEngine', () => {
  it('run returns what forward returns, starting at position 0 without a cache', async () => {
    const engine = createCpuEngine(config, params);
    const r = await engine.run(ids, { capture: ['hook_probs'] });
    expect(engine.kind).toBe('cpu');
    expect(r.start).toBe(0);
    expect(maxAbsDiff(r.logits, forward(config, params, ids).logits)).toBe(0);
    expect(Object.keys(r.trace)).toEqual(['hook_probs']);
  });

  it('getParams is a deep copy; params is live; setParams swaps weights and checks them', async () => {
    const engine = createCpuEngine(config, cloneParams(config, params));
    const copy = await engine.getParams();
    copy.embed.W_E.data.fill(0);
    expect(maxAbsDiff(engine.params.embed.W_E, params.embed.W_E)).toBe(0);
    const before = (await engine.run(ids)).logits;
    engine.params.ln_final.b.data[0] += 1; // a trainer's in-place update is seen by the next run
    expect(maxAbsDiff((await engine.run(ids)).logits, before)).toBeGreaterThan(0.5);
    engine.setParams(loudParams(2));
    expect(maxAbsDiff((await engine.run(ids)).logits, before)).toBeGreaterThan(1e-2);
    const broken = cloneParams(config, params);
    broken.blocks[1].mlp.W_in = tensor([3], [1, 2, 3]);
    expectGlassboxError(() => engine.setParams(broken), 'bad-shape', /blocks\.1\.mlp\.W_in/);
    expectGlassboxError(
      () => createCpuEngine(config, { ...params, blocks: params.blocks.slice(0, 1) }),
      'bad-checkpoint',
      /1 blocks.*n_layer = 2/,
    );
  });
});
