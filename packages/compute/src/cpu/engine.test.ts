import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import type { GPTParams } from '../params';
import { castParams, cloneParams, flattenParams, initParams } from '../params';
import { randomWindows } from '../train/batch';
import { createCpuEngine } from './engine';
import { wasmGemmFeature } from './gemm';

const config = validateConfig({ vocab_size: 29, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2 });
const ids = [3, 17, 0, 22, 9, 9, 4];
const bits = (x: Float32Array | Float64Array) => Array.from(new Uint32Array(Float32Array.from(x).buffer));
const datas = (p: GPTParams) => flattenParams(p).map(([, t]) => t.data);

/** Logits of a forward over `ids` and of a cached decode of the same ids one by one. */
async function logits(engine: ReturnType<typeof createCpuEngine>) {
  const all = (await engine.run(ids)).logits.data as Float32Array;
  const cache = engine.createCache();
  const steps: number[] = [];
  for (const id of ids) steps.push(...bits((await engine.run([id], { cache })).logits.data));
  return { all: bits(all), steps };
}

describe.runIf(wasmGemmFeature() !== null)('the CPU engine keeps float32 weights resident', () => {
  it('runs the caller’s tree, its tensors now views of the arena, with unchanged logits', async () => {
    const params = initParams(config, { seed: 1 });
    const plain = createCpuEngine(config, cloneParams(config, params), { residentWeights: false });
    expect(plain.residentArena).toBeNull();
    const values = datas(params).map((d) => Array.from(d));
    const engine = createCpuEngine(config, params);
    const arena = engine.residentArena;
    expect(arena).not.toBeNull();
    expect(engine.params).toBe(params);
    for (const d of datas(params)) expect(arena?.holds(d)).toBe(true);
    expect(datas(params).map((d) => Array.from(d))).toEqual(values);
    expect(await logits(engine)).toEqual(await logits(plain));
    // getParams is a plain copy
    const copy = await engine.getParams();
    for (const d of datas(copy)) expect(arena?.holds(d)).toBe(false);
  });

  it('shares an already resident tree without copying it, and moves a new one on setParams', async () => {
    const params = initParams(config, { seed: 2 });
    const a = createCpuEngine(config, params);
    const b = createCpuEngine(config, params);
    expect(b.residentArena).toBe(a.residentArena);
    const other = initParams(config, { seed: 3 });
    const otherValues = datas(other).map((d) => Array.from(d));
    const before = datas(params).map((d) => Array.from(d));
    b.setParams(other);
    expect(b.residentArena).not.toBe(a.residentArena);
    for (const d of datas(other)) expect(b.residentArena?.holds(d)).toBe(true);
    expect(datas(other).map((d) => Array.from(d))).toEqual(otherValues);
    expect(datas(params).map((d) => Array.from(d))).toEqual(before); // the first tree is untouched
  });

  it('trains in place: updates land in the arena and the engine runs them', async () => {
    const text = Array.from({ length: 40 }, (_, i) => (i * 7) % 29);
    const engine = createCpuEngine(config, initParams(config, { seed: 4 }));
    const arena = engine.residentArena;
    const trainer = engine.createTrainer({
      data: randomWindows(text, { batchSize: 2, blockSize: 8, seed: 1 }),
      schedule: { lr: 3e-2, warmupSteps: 0, decaySteps: 10, minLr: 3e-3 },
    });
    const before = (await engine.run(ids)).logits.data.slice();
    await trainer.train(3);
    for (const d of datas(engine.params)) expect(arena?.holds(d)).toBe(true);
    const after = (await engine.run(ids)).logits.data;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    const fresh = createCpuEngine(config, await trainer.getParams(), { residentWeights: false });
    expect(bits(after as Float32Array)).toEqual(bits((await fresh.run(ids)).logits.data as Float32Array));
  });

  it('matches a trainer that never saw an engine, bit for bit', async () => {
    const text = Array.from({ length: 40 }, (_, i) => (i * 5) % 29);
    const options = {
      data: randomWindows(text, { batchSize: 2, blockSize: 8, seed: 2 }),
      schedule: { lr: 3e-2, warmupSteps: 0, decaySteps: 10, minLr: 3e-3 },
    };
    const resident = createCpuEngine(config, initParams(config, { seed: 5 })).createTrainer(options);
    const plain = createCpuEngine(config, initParams(config, { seed: 5 }), { residentWeights: false }).createTrainer(
      options,
    );
    await resident.train(3);
    await plain.train(3);
    expect(datas(resident.params).map((d) => bits(d))).toEqual(datas(plain.params).map((d) => bits(d)));
  });

  it('leaves float64 parameters alone', () => {
    const params = castParams(initParams(config, { seed: 6 }), config, 'float64');
    const data = datas(params);
    const engine = createCpuEngine(config, params);
    expect(engine.residentArena).toBeNull();
    expect(datas(params)).toEqual(data);
  });

  it('a model too large for the allowed arena keeps its arrays and runs as before (no failure)', async () => {
    const params = initParams(config, { seed: 7 });
    const data = datas(params);
    const engine = createCpuEngine(config, params, { maxResidentBytes: 4096 });
    expect(engine.residentArena).toBeNull();
    expect(datas(params)).toEqual(data);
    const plain = createCpuEngine(config, initParams(config, { seed: 7 }), { residentWeights: false });
    expect(await logits(engine)).toEqual(await logits(plain));
  });

  it('dispose drops the arena; the parameters stay valid', async () => {
    const params = initParams(config, { seed: 8 });
    const engine = createCpuEngine(config, params);
    const want = await logits(engine);
    engine.dispose();
    expect(engine.residentArena).toBeNull();
    expect(await logits(createCpuEngine(config, cloneParams(config, params), { residentWeights: false }))).toEqual(
      want,
    );
  });
});
