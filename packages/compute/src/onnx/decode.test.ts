import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GPTConfig } from '../config';
import { dHead } from '../config';
import { CpuKVCache } from '../cpu/kvCache';
import { forward } from '../cpu/model';
import type { GlassboxError } from '../errors';
import type { GPTParams } from '../params';
import { loadCheckpoint } from '../weights/checkpoint';
import { exportOnnx, onnxHookNames } from './export';
import type { OnnxDecoder } from './runtime';
import { createOnnxDecoder, createOnnxSession } from './runtime';
import { ONNX_TEST_CONFIG, randomIds, randomParams } from './testing';

/**
 * ONNX Runtime decoding with the KV-cache export (exportOnnx(…, { kvCache: true })) against the CPU engine: a prefill
 * of k tokens and then single-token steps must give the logits of (a) the CPU engine decoding with its own KV cache
 * and (b) the full forward pass over the whole sequence without a cache.
 */
const TOL = 1e-4;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue; // −∞ masked scores on both sides
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN fails the < TOL checks
  }
  return m;
}

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as GlassboxError).code;
  }
  return 'no error';
}

/**
 * Decode `ids` as prefill(ids[0 … k)) then one step per remaining id, through ORT and through the CPU engine with its
 * cache; returns the largest |Δ logits| against the cached CPU run and against the full no-cache forward.
 */
async function decodeDiffs(
  decoder: OnnxDecoder,
  c: GPTConfig,
  params: GPTParams,
  ids: readonly number[],
  k: number,
): Promise<{ vsCached: number; vsFull: number; largest: number }> {
  const V = c.vocab_size;
  const full = forward(c, params, ids).logits.data; // [T, V]
  const cache = new CpuKVCache(c);
  let vsCached = 0;
  let vsFull = 0;
  const check = (ours: Float32Array | Float64Array, theirs: Float32Array, from: number) => {
    vsCached = Math.max(vsCached, maxDiff(ours, theirs));
    vsFull = Math.max(vsFull, maxDiff(full.subarray(from * V, from * V + theirs.length), theirs));
  };
  const first = await decoder.prefill(ids.slice(0, k));
  expect(first.start).toBe(0);
  expect(first.logits.shape).toEqual([k, V]);
  check(forward(c, params, ids.slice(0, k), { cache }).logits.data, first.logits.data as Float32Array, 0);
  for (let t = k; t < ids.length; t++) {
    const r = await decoder.step(ids[t]);
    expect(r.start).toBe(t);
    expect(r.logits.shape).toEqual([1, V]);
    check(forward(c, params, [ids[t]], { cache }).logits.data, r.logits.data as Float32Array, t);
  }
  expect(decoder.length).toBe(ids.length);
  return { vsCached, vsFull, largest: Math.max(...full.map(Math.abs)) };
}

describe('ONNX Runtime decoding with a KV cache, random 3-layer 4-head model', () => {
  const c = ONNX_TEST_CONFIG;
  const params = randomParams(c, 7);
  const bytes = exportOnnx(c, params, { kvCache: true });
  let decoder: OnnxDecoder;
  beforeAll(async () => {
    decoder = await createOnnxDecoder(bytes);
  });
  afterAll(() => decoder.release());

  // Measured 2026-11-23 (Node 20, ORT 1.30 wasm), the same against the cached CPU run and the full forward: 5.4e-6
  // (k=1, T=12), 5.7e-6 (k=5, T=12), 6.2e-6 (k=5, T=32), with |logits| up to 8.6 … 9.5.
  test.each([
    [1, 12],
    [5, 12],
    [5, c.n_positions],
  ])('prefill of %i then single steps to T=%i equals the CPU KV-cache decode and the full forward', async (k, T) => {
    const d = await decodeDiffs(decoder, c, params, randomIds(c, T, 10 + k + T), k);
    expect(d.vsCached).toBeLessThan(TOL);
    expect(d.vsFull).toBeLessThan(TOL);
    expect(d.largest).toBeGreaterThan(3); // logits large enough for the comparison to mean something
  });

  test('T_past = 0: a prefill is the plain forward pass, and its present keys and values are the CPU cache', async () => {
    const ids = randomIds(c, 9, 21);
    const session = await ort.InferenceSession.create(bytes);
    const H = c.n_head;
    const dh = dHead(c);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    };
    for (let l = 0; l < c.n_layer; l++) {
      feeds[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, dh]);
      feeds[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, dh]);
    }
    const out = await session.run(feeds);
    await session.release();
    const capture = Array.from({ length: c.n_layer }, (_, l) => [
      `blocks.${l}.attn.hook_k_cache`,
      `blocks.${l}.attn.hook_v_cache`,
    ]).flat();
    const ours = forward(c, params, ids, { cache: new CpuKVCache(c), capture });
    expect(maxDiff(ours.logits.data, out.logits.data as Float32Array)).toBeLessThan(TOL);
    const T = ids.length;
    for (let l = 0; l < c.n_layer; l++) {
      for (const [kind, hook] of [
        ['key', 'k_cache'],
        ['value', 'v_cache'],
      ]) {
        const present = out[`present_${kind}_${l}`];
        expect(present.dims).toEqual([1, H, T, dh]);
        // ORT's [1, H, T, dh] against the CPU's [T, H, dh]
        const cpu = ours.trace[`blocks.${l}.attn.hook_${hook}`].data;
        const moved = new Float32Array(cpu.length);
        for (let h = 0; h < H; h++) {
          for (let t = 0; t < T; t++) {
            for (let j = 0; j < dh; j++) moved[(h * T + t) * dh + j] = cpu[(t * H + h) * dh + j];
          }
        }
        expect(maxDiff(moved, present.data as Float32Array)).toBeLessThan(TOL);
      }
    }
  });

  test('negative control: one perturbed entry of a past tensor makes the next step differ by far more than 1e-4', async () => {
    const ids = randomIds(c, 8, 31);
    const session = await ort.InferenceSession.create(bytes);
    const H = c.n_head;
    const dh = dHead(c);
    const past: Record<string, ort.Tensor> = {};
    for (let l = 0; l < c.n_layer; l++) {
      past[`past_key_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, dh]);
      past[`past_value_${l}`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, dh]);
    }
    const idsTensor = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, xs.length]);
    const prefix = await session.run({ input_ids: idsTensor(ids.slice(0, 7)), ...past });
    const next = (edit?: (values: Float32Array) => void) => {
      const feeds: Record<string, ort.Tensor> = { input_ids: idsTensor([ids[7]]) };
      for (let l = 0; l < c.n_layer; l++) {
        for (const kind of ['key', 'value']) {
          const t = prefix[`present_${kind}_${l}`];
          const data = Float32Array.from(t.data as Float32Array);
          if (l === 1 && kind === 'value') edit?.(data);
          feeds[`past_${kind}_${l}`] = new ort.Tensor('float32', data, t.dims);
        }
      }
      return session.run(feeds);
    };
    const full = forward(c, params, ids).logits.data.subarray(7 * c.vocab_size);
    const clean = (await next()).logits.data as Float32Array;
    // Every cached value of block 1 + 0.5: the new position's z moves by 0.5 times the attention it pays the past.
    const shift = (v: Float32Array) => {
      for (let i = 0; i < v.length; i++) v[i] += 0.5;
    };
    const perturbed = (await next(shift)).logits.data as Float32Array;
    await session.release();
    expect(maxDiff(full, clean)).toBeLessThan(TOL);
    expect(maxDiff(full, perturbed)).toBeGreaterThan(100 * TOL); // measured 0.97 (clean: 2.8e-6)
  });

  test('every exported intermediate of a cached step agrees with the CPU engine’s cached run', async () => {
    const ids = randomIds(c, 10, 41);
    const names = onnxHookNames(c);
    const withHooks = await createOnnxDecoder(exportOnnx(c, params, { kvCache: true, outputs: 'all' }));
    const cache = new CpuKVCache(c);
    forward(c, params, ids.slice(0, 9), { cache });
    await withHooks.prefill(ids.slice(0, 9));
    const ours = forward(c, params, [ids[9]], { cache, capture: names });
    const theirs = await withHooks.step(ids[9]);
    await withHooks.release();
    expect(Object.keys(theirs.outputs).sort()).toEqual([...names].sort());
    expect(theirs.outputs['blocks.0.attn.hook_pattern'].shape).toEqual([1, c.n_head, 1, 10]);
    for (const name of names) {
      expect(maxDiff(ours.trace[name].data, theirs.outputs[name].data), name).toBeLessThan(TOL);
    }
  });

  test('calls made without waiting are queued: each sees the cache the previous one left', async () => {
    const ids = randomIds(c, 6, 51);
    const [a, , , b] = await Promise.all([
      decoder.prefill(ids.slice(0, 3)),
      decoder.step(ids[3]),
      decoder.step(ids[4]),
      decoder.step(ids[5]),
    ]);
    const full = forward(c, params, ids).logits.data;
    expect(a.start).toBe(0);
    expect(b.start).toBe(5);
    expect(maxDiff(full.subarray(5 * c.vocab_size), b.logits.data)).toBeLessThan(TOL);
  });

  test('going past n_positions is refused with bad-ids, and the cache is kept', async () => {
    const ids = randomIds(c, c.n_positions, 61);
    await decoder.prefill(ids);
    expect(await errorCode(decoder.step(0))).toBe('bad-ids');
    await expect(decoder.step(0)).rejects.toThrow(/32 cached \+ 1 new positions is more than n_positions \(32\)/);
    expect(await errorCode(decoder.prefill(new Array(c.n_positions + 1).fill(0)))).toBe('bad-ids');
    expect(await errorCode(decoder.step(c.vocab_size))).toBe('bad-ids');
    // A failed call leaves the cache alone; reset starts again at position 0.
    await decoder.reset();
    expect(decoder.length).toBe(0);
    const r = await decoder.extend(ids.slice(0, 2));
    expect(maxDiff(forward(c, params, ids.slice(0, 2)).logits.data, r.logits.data)).toBeLessThan(TOL);
  });

  test('the graph alone never returns logits for a position past n_positions (the decoder checks before ORT)', async () => {
    // With graph optimizations ORT turns Gather(W_pos, Range(…)) into a Slice, which clamps: at T_past = n_positions
    // it returns zero rows of logits instead of failing; without them the Gather fails. Either way no wrong-valued
    // logits, but only the decoder's own check gives a clear error.
    const dh = dHead(c);
    for (const graphOptimizationLevel of ['all', 'disabled'] as const) {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel });
      for (const Tp of [c.n_positions, c.n_positions + 8]) {
        const ids = new ort.Tensor('int64', BigInt64Array.from([0n]), [1, 1]);
        const feeds: Record<string, ort.Tensor> = { input_ids: ids };
        for (let l = 0; l < c.n_layer; l++) {
          for (const kind of ['key', 'value']) {
            const zeros = new Float32Array(c.n_head * Tp * dh);
            feeds[`past_${kind}_${l}`] = new ort.Tensor('float32', zeros, [1, c.n_head, Tp, dh]);
          }
        }
        const rows = await session.run(feeds).then(
          (out) => out.logits.dims[1],
          () => 0,
        );
        expect(rows, `${graphOptimizationLevel}, T_past=${Tp}`).toBe(0);
      }
      await session.release();
    }
  });

  test('a plain export is refused by the decoder, and a kvCache export by createOnnxSession', async () => {
    expect(await errorCode(createOnnxDecoder(exportOnnx(c, params)))).toBe('unsupported');
    expect(await errorCode(createOnnxSession(bytes))).toBe('unsupported');
    expect(await errorCode(createOnnxDecoder(new Uint8Array([1, 2, 3, 4])))).toBe('unsupported');
  });
});

describe('ONNX Runtime decoding with a KV cache, shipped toy world', () => {
  // Read from packages/models/toy-world/ with node:fs: compute must not import @glassbox/models.
  const dir = new URL('../../../models/toy-world/', import.meta.url);
  const toy = loadCheckpoint(
    new Uint8Array(readFileSync(new URL('model.safetensors', dir))),
    readFileSync(new URL('config.json', dir), 'utf8'),
  );
  const c = toy.config;
  const words: string[] = JSON.parse(readFileSync(new URL('tokenizer.json', dir), 'utf8')).words;
  const encode = (text: string) => text.split(' ').map((w) => words.indexOf(w));
  const text = encode('cat sat on the mat END dog is happy END cat is sad END');
  let decoder: OnnxDecoder;
  beforeAll(async () => {
    decoder = await createOnnxDecoder(exportOnnx(c, toy.params, { kvCache: true }));
  });
  afterAll(() => decoder.release());

  // Measured 2026-11-23 (Node 20, ORT 1.30 wasm): 6.8e-6 against the cached CPU run and 7.7e-6 against the full
  // forward, for both k, with |logits| up to 11.4.
  test.each([
    [1, text],
    [2, [...text, ...encode('dog is')]], // 16 = n_positions
  ])('prefill of %i then single steps equals the CPU KV-cache decode and the full forward', async (k, ids) => {
    expect(ids.every((i) => i >= 0)).toBe(true);
    const d = await decodeDiffs(decoder, c, toy.params, ids, k);
    expect(d.vsCached).toBeLessThan(TOL);
    expect(d.vsFull).toBeLessThan(TOL);
  });

  test('greedy decoding through ORT continues "cat sat" as "on the mat END"', async () => {
    const argmax = (row: ArrayLike<number>) => {
      let best = 0;
      for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
      return best;
    };
    const V = c.vocab_size;
    let r = await decoder.prefill(encode('cat sat'));
    const out: string[] = [];
    for (let i = 0; i < 4; i++) {
      const next = argmax(r.logits.data.subarray((r.logits.shape[0] - 1) * V));
      out.push(words[next]);
      r = await decoder.step(next);
    }
    expect(out.join(' ')).toBe('on the mat END');
  });
});
