import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forward } from '../cpu/model';
import type { GlassboxError } from '../errors';
import { castParams } from '../params';
import { loadCheckpoint, saveCheckpoint } from '../weights';
import { compareWithOnnx } from './compare';
import { exportOnnx, onnxHookNames } from './export';
import type { OnnxSession } from './runtime';
import { createOnnxSession, runOnnx } from './runtime';
import { modelProtoType } from './schema';
import { ONNX_TEST_CONFIG as c, randomIds, randomParams } from './testing';

/** The bar for "our GPT is GPT-2": logits within 1e-4 of ONNX Runtime's. */
const TOL = 1e-4;

const params = randomParams(c, 7);

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue; // −∞ masked scores on both sides
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN fails the < TOL checks below
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

describe('ONNX Runtime (wasm) runs the exported graph like the CPU engine', () => {
  let session: OnnxSession;
  beforeAll(async () => {
    session = await createOnnxSession(exportOnnx(c, params, { outputs: 'all' }));
  });
  afterAll(() => session.release());

  // Measured 2026-11-23 (Node 20, ORT 1.30 wasm): 2.2e-6 (T=1), 5.8e-6 (T=7), 7.0e-6 (T=32), with |logits| up to 7 … 11.
  test.each([1, 7, c.n_positions])('logits agree within 1e-4 for T=%i on a random 3-layer, 4-head model', async (T) => {
    const ids = randomIds(c, T, T);
    const ours = forward(c, params, ids);
    const theirs = await session.run(ids, { outputs: [] });
    expect(theirs.logits.shape).toEqual([T, c.vocab_size]);
    const diff = maxDiff(ours.logits.data, theirs.logits.data);
    expect(diff).toBeLessThan(TOL);
    // The comparison is not trivially small: the logits are large and vary.
    expect(Math.max(...ours.logits.data.map(Math.abs))).toBeGreaterThan(3);
  });

  test('every exported intermediate (embeddings, q/k/v, scores, pattern, z, MLP, residuals) agrees within 1e-4', async () => {
    const ids = randomIds(c, c.n_positions, 99);
    const names = onnxHookNames(c);
    const ours = forward(c, params, ids, { capture: names });
    const theirs = await session.run(ids);
    expect(Object.keys(theirs.outputs).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(maxDiff(ours.trace[name].data, theirs.outputs[name].data), name).toBeLessThan(TOL);
    }
    // The mask writes −∞ (not a large negative number), so masked probabilities are exactly 0 in ORT too, and the
    // attention is peaked enough for the mask to matter.
    const T = ids.length;
    const pattern = theirs.outputs['blocks.1.attn.hook_pattern'].data; // [1, H, T, T]
    const scores = theirs.outputs['blocks.1.attn.hook_attn_scores'].data;
    let maxProb = 0;
    for (let h = 0; h < c.n_head; h++) {
      for (let t = 0; t < T; t++) {
        for (let s = 0; s < T; s++) {
          const i = (h * T + t) * T + s;
          if (s > t) {
            expect(pattern[i]).toBe(0);
            expect(scores[i]).toBe(Number.NEGATIVE_INFINITY);
          } else if (t > 0) maxProb = Math.max(maxProb, pattern[i]);
        }
      }
    }
    expect(maxProb).toBeGreaterThan(0.5);
  });
});

test('opset 21 with the Gelu operator, and ORT without graph optimizations, agree too', async () => {
  const ids = randomIds(c, 11, 3);
  const ours = forward(c, params, ids).logits.data;
  const gelu = await runOnnx(exportOnnx(c, params, { opset: 21, gelu: 'gelu-op' }), ids);
  const plain = await runOnnx(exportOnnx(c, params), ids, { graphOptimizationLevel: 'disabled' });
  expect(maxDiff(ours, gelu.logits.data)).toBeLessThan(TOL);
  expect(maxDiff(ours, plain.logits.data)).toBeLessThan(TOL);
});

test('a model saved with saveCheckpoint and loaded with loadCheckpoint exports and agrees within 1e-4', async () => {
  const saved = saveCheckpoint(c, params);
  const loaded = loadCheckpoint(saved.safetensors, saved.configJson);
  const result = await compareWithOnnx(loaded.config, loaded.params, randomIds(c, 20, 5), { hooks: 'all' });
  expect(result.maxAbsDiff).toBeLessThan(TOL);
  expect(result.sameArgmax).toBe(true);
  expect(Object.keys(result.hookDiffs)).toHaveLength(onnxHookNames(c).length);
  expect(result.hookDiffs[result.worstHook as string]).toBeLessThan(TOL);
  expect(result.onnxBytes).toBeGreaterThan(4 * (c.vocab_size + c.n_positions) * c.n_embd);
  for (const ms of [result.exportMs, result.sessionMs, result.ortMs, result.cpuMs]) expect(ms).toBeGreaterThan(0);
});

test('float64 parameters are exported as float32 and still agree with the float64 CPU engine within 1e-4', async () => {
  const result = await compareWithOnnx(c, castParams(params, c, 'float64'), randomIds(c, 9, 8));
  expect(result.maxAbsDiff).toBeLessThan(TOL);
});

test('negative control: one perturbed weight in the exported file makes ORT disagree by far more than 1e-4', async () => {
  const ids = randomIds(c, 16, 4);
  const type = modelProtoType();
  const model = type.decode(exportOnnx(c, params)) as unknown as {
    graph: { initializer: { name: string; raw_data: Uint8Array }[] };
  };
  const init = model.graph.initializer.find((t) => t.name === 'blocks.1.mlp.W_out');
  if (!init) throw new Error('blocks.1.mlp.W_out is not an initializer');
  const raw = Uint8Array.from(init.raw_data); // a copy: decode may return a view into the original bytes
  const view = new DataView(raw.buffer);
  view.setFloat32(0, view.getFloat32(0, true) + 0.05, true); // W_out[0, 0] += 0.05
  init.raw_data = raw;
  const perturbed = type.encode(model).finish();

  const ours = forward(c, params, ids).logits.data;
  const diff = maxDiff(ours, (await runOnnx(perturbed, ids)).logits.data);
  expect(diff).toBeGreaterThan(100 * TOL);
  expect(diff).toBeLessThan(1); // still the same model, just one weight off
});

test('the graph takes a batch: each row of a [2, T] input gives that sequence’s logits', async () => {
  const a = randomIds(c, 6, 1);
  const b = randomIds(c, 6, 2);
  const session = await ort.InferenceSession.create(exportOnnx(c, params));
  const input = new ort.Tensor('int64', BigInt64Array.from([...a, ...b].map(BigInt)), [2, 6]);
  const out = (await session.run({ input_ids: input })).logits;
  await session.release();
  expect(out.dims).toEqual([2, 6, c.vocab_size]);
  const data = out.data as Float32Array;
  const half = 6 * c.vocab_size;
  expect(maxDiff(forward(c, params, a).logits.data, data.subarray(0, half))).toBeLessThan(TOL);
  expect(maxDiff(forward(c, params, b).logits.data, data.subarray(half))).toBeLessThan(TOL);
});

test('bad ids and unreadable model bytes fail with Glassbox error codes', async () => {
  expect(await errorCode(compareWithOnnx(c, params, [c.vocab_size]))).toBe('bad-ids');
  expect(await errorCode(compareWithOnnx(c, params, new Array(c.n_positions + 1).fill(0)))).toBe('bad-ids');
  expect(await errorCode(runOnnx(new Uint8Array([1, 2, 3, 4]), [0]))).toBe('unsupported');
  const session = await createOnnxSession(exportOnnx(c, params));
  expect(await errorCode(session.run([]))).toBe('bad-ids');
  expect(await errorCode(session.run([0], { outputs: ['blocks.0.attn.hook_pattern'] }))).toBe('bad-hook');
  await session.release();
});
