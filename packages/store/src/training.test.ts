import { nodeGpu } from '@glassbox/compute/node';
import { createToyWorldTrainer, decodeToyWorld } from '@glassbox/models';
import { describe, expect, it } from 'vitest';
import type { StoreApi } from './createStore';
import type { TrainingState } from './training';
import { createTrainingStore } from './training';
import { defaultSettings } from './trainingPresets';
import { inProcessTransport, memoryPersistence } from './trainingTestUtil';

function until(store: StoreApi<TrainingState>, ok: (s: TrainingState) => boolean, ms = 60_000): Promise<TrainingState> {
  return new Promise((resolve, reject) => {
    if (ok(store.getState())) return resolve(store.getState());
    const timer = setTimeout(() => {
      unsub();
      reject(new Error(`timed out; state: ${store.getState().status} ${store.getState().error ?? ''}`));
    }, ms);
    const unsub = store.subscribe((s) => {
      if (ok(s)) {
        clearTimeout(timer);
        unsub();
        resolve(s);
      }
    });
  });
}

async function trainedToyWorld(steps: number) {
  const transport = inProcessTransport();
  const persistence = memoryPersistence();
  const store = createTrainingStore({ transport, persistence });
  expect(await store.getState().start()).toBe(true);
  expect(store.getState().runSteps(steps)).toBe(true);
  await until(store, (s) => s.status === 'ready' && s.step === steps && s.saved?.step === steps);
  return { store, transport, persistence };
}

describe('training lab store and worker', () => {
  it('trains the toy world off the store: "cat sat" continues "on the mat END" and the loss falls', async () => {
    const { store, persistence } = await trainedToyWorld(300);
    const s = store.getState();
    // Node has no navigator.gpu: the worker says so and trains on the CPU.
    expect(s.engine).toMatchObject({ kind: 'cpu', webgpuAvailable: false });
    expect(s.engine?.reason).toBe(
      'Training runs on the CPU, in a Web Worker: WebGPU is not available here (navigator.gpu is undefined).',
    );
    expect(s.prediction?.continuation).toBe('on the mat END');
    expect(s.history).toHaveLength(300);
    expect(s.history[0].loss).toBeGreaterThan(2);
    expect(s.history[299].loss).toBeLessThan(0.02);
    expect(s.valHistory[0].step).toBe(0);
    expect(s.valHistory[s.valHistory.length - 1]).toMatchObject({ step: 300 });
    expect(s.valHistory[s.valHistory.length - 1].loss).toBeLessThan(0.02);
    expect(s.tokensPerSecond).toBeGreaterThan(0);
    // The continuation changed on the way, and the log says when.
    expect(s.predictionLog.length).toBeGreaterThan(1);
    expect(s.predictionLog[s.predictionLog.length - 1].continuation).toBe('on the mat END');
    // The same recipe trained directly gives the same weights, bit for bit: the worker adds nothing to the math.
    const direct = createToyWorldTrainer();
    await direct.train(300);
    expect(Array.from(s.embedding?.data ?? [])).toEqual(Array.from(direct.params.embed.W_E.data));
    expect(persistence.value?.step).toBe(300);
  });

  it('a reloaded lab finds the saved weights and continues from them', async () => {
    const { store, persistence } = await trainedToyWorld(120);
    const before = store.getState();
    const again = createTrainingStore({ transport: inProcessTransport(), persistence });
    expect(await again.getState().restore()).toBe(true);
    const s = await until(again, (x) => x.status === 'ready');
    expect(s.restored).toBe(true);
    expect(s.step).toBe(120);
    expect(s.history).toHaveLength(120);
    expect(Array.from(s.embedding?.data ?? [])).toEqual(Array.from(before.embedding?.data ?? []));
    expect(s.prediction?.continuation).toBe(before.prediction?.continuation);
    again.getState().runSteps(10);
    const t = await until(again, (x) => x.status === 'ready' && x.step === 130);
    expect(t.history).toHaveLength(130);
  });

  it('steps through one training step, phase by phase, with real tensors', async () => {
    const transport = inProcessTransport();
    const store = createTrainingStore({ transport });
    await store.getState().start();
    const phases: string[] = [];
    for (let i = 0; i < 10 && store.getState().step === 0; i++) {
      const { phase, stepped } = store.getState();
      store.getState().nextPhase();
      await until(store, (s) => s.stepped !== stepped);
      phases.push(phase);
    }
    expect(phases).toEqual(['forward', 'loss', 'backward', 'backward', 'backward', 'update']);
    const { forward, loss, backward, update } = store.getState().stepped;
    // Inputs and targets: the text shifted by one.
    expect(decodeToyWorld(forward?.inputs[0] ?? [])).toBe('cat sat on the mat END dog is happy END cat is sad');
    expect(decodeToyWorld(forward?.targets[0] ?? [])).toBe('sat on the mat END dog is happy END cat is sad END');
    expect(forward?.trace['blocks.0.attn.hook_pattern'].shape).toEqual([1, 13, 13]);
    // The loss equals the Trainer's own on the same weights, and ∂L/∂logits = (softmax − onehot)/N entry by entry.
    const direct = createToyWorldTrainer();
    direct.forward();
    expect(loss?.loss).toBe(direct.loss().loss);
    const [B, T, V] = loss?.dlogits.shape ?? [];
    expect([B, T, V]).toEqual([1, 13, 10]);
    for (let t = 0; t < T; t++) {
      let rowSum = 0;
      for (let c = 0; c < V; c++) {
        const onehot = c === forward?.targets[0][t] ? 1 : 0;
        const g = loss?.dlogits.data[t * V + c] ?? Number.NaN;
        expect(g).toBeCloseTo(((loss?.probs.data[t * V + c] ?? 0) - onehot) / 13, 7);
        rowSum += g;
      }
      expect(Math.abs(rowSum)).toBeLessThan(1e-6);
    }
    expect(backward.map((b) => b.stage)).toEqual([{ kind: 'head' }, { kind: 'block', layer: 0 }, { kind: 'embed' }]);
    expect(Object.keys(backward[0].grads)).toContain('grad.hook_logits');
    expect(Object.keys(backward[1].grads)).toContain('grad.blocks.0.attn.hook_pattern');
    expect(Object.keys(backward[2].grads)).toContain('grad.params.embed.W_E');
    // The update of W_Q: after − before = update, AdamW's moments reported, the learning rate of step 0.
    const wq = update?.updates.find((u) => u.name === 'blocks.0.attn.W_Q');
    expect(wq?.m && wq.v).toBeTruthy();
    for (let i = 0; i < (wq?.before.data.length ?? 0); i++) {
      expect((wq?.after.data[i] ?? 0) - (wq?.before.data[i] ?? 0)).toBeCloseTo(wq?.update.data[i] ?? 0, 6);
    }
    expect(update?.lr).toBeCloseTo(0.002, 12);
    expect(update?.lossAfter).toBeLessThan(update?.lossBefore ?? 0);
    expect(store.getState().history).toHaveLength(1);
  });

  it('an absurd learning rate diverges, says why, and restores the last good weights', async () => {
    const { store } = await trainedToyWorld(150);
    const good = store.getState();
    expect(good.prediction?.continuation).toBe('on the mat END');
    store.getState().setForm({ lr: 1e6 });
    expect(store.getState().applyLearningRate()).toBe(true);
    await until(store, (s) => s.settings?.lr === 1e6);
    store.getState().runSteps(100);
    const s = await until(store, (x) => x.divergence !== null);
    expect(s.divergence?.message).toMatch(/diverged at step \d+: the loss is NaN/);
    expect(s.divergence?.message).toMatch(/Restored the last good weights, those after step 150/);
    expect(s.divergence?.restoredStep).toBe(150);
    expect(s.step).toBe(150);
    expect(s.history).toHaveLength(150);
    expect(s.undone.length).toBeGreaterThan(0);
    expect(Array.from(s.embedding?.data ?? [])).toEqual(Array.from(good.embedding?.data ?? []));
    expect(s.prediction?.continuation).toBe('on the mat END');
  });

  it('pauses, resumes and cancels a run', async () => {
    const store = createTrainingStore({ transport: inProcessTransport() });
    await store.getState().start();
    store.getState().runSteps(400, 400);
    await until(store, (s) => (s.run?.done ?? 0) >= 5);
    store.getState().pause();
    const p = await until(store, (s) => s.status === 'paused');
    const at = p.step;
    await new Promise((r) => setTimeout(r, 50));
    expect(store.getState().step).toBe(at);
    // Stepping while paused is allowed.
    store.getState().nextPhase();
    await until(store, (s) => s.stepped.forward !== null);
    store.getState().resume();
    await until(store, (s) => s.status === 'running');
    store.getState().cancel();
    const c = await until(store, (s) => s.status === 'ready' && s.run === null);
    expect(c.step).toBeGreaterThan(at);
    expect(c.step).toBeLessThan(400);
  });

  it('fine-tunes the shipped model on pasted text, holding out the last 10% for validation', async () => {
    const store = createTrainingStore({ transport: inProcessTransport() });
    store.getState().setForm({ baseModel: 'toy-world' }); // the checks below use the toy world's ten words
    store.getState().choosePreset('fine-tune');
    store.getState().setForm({ text: 'dog is sad END cat is a unicorn END' });
    expect(await store.getState().start()).toBe(false);
    expect(store.getState().error).toMatch(/unknown word "a"/);
    expect(store.getState().error).toMatch(/only knows the tokens of its own tokenizer/);
    store.getState().choosePreset('fine-tune');
    expect(await store.getState().start()).toBe(true);
    const s0 = store.getState();
    const n = s0.info?.trainTokens ?? 0;
    expect(s0.info?.valTokens).toBe(Math.max(2, Math.floor((n + (s0.info?.valTokens ?? 0)) / 10)));
    expect(s0.info?.validation).toMatch(/last 10% of your text/);
    expect(s0.prediction?.continuation).toBe('happy END');
    store.getState().runSteps(80);
    const s = await until(store, (x) => x.status === 'ready' && x.step === 80);
    expect(s.prediction?.continuation).toBe('sad END');
    expect(s.valHistory[s.valHistory.length - 1].loss).toBeLessThan(s.valHistory[0].loss);
  });

  it('refuses bad settings with a reason per field', () => {
    const store = createTrainingStore({ transport: inProcessTransport() });
    store.getState().setForm({ lr: Number.NaN, batchSize: 0, seed: -1 });
    const e = store.getState().formErrors;
    expect(Object.keys(e).sort()).toEqual(['batchSize', 'lr', 'seed']);
    expect(defaultSettings('toy-world').lr).toBe(0.02);
  });
});

describe('training lab runs on WebGPU (Dawn on SwiftShader here)', () => {
  it('trains like the CPU trainer, recovers from divergence, and moves to the CPU when the device is lost', async () => {
    const transport = inProcessTransport({ gpu: () => nodeGpu() });
    const store = createTrainingStore({ transport });
    expect(await store.getState().start()).toBe(true);
    let s = await until(store, (x) => x.engine !== null);
    expect(s.engine).toMatchObject({ kind: 'webgpu', webgpuAvailable: true, prefer: 'auto' });
    expect(s.engine?.reason).toMatch(/^Training runs on WebGPU \(.+\), in a Web Worker\.$/);

    // The same steps as the CPU recipe, to float32 rounding.
    const reference = createToyWorldTrainer();
    const refLosses = Array.from({ length: 12 }, () => reference.runStep().loss);
    store.getState().runSteps(12);
    s = await until(store, (x) => x.status === 'ready' && x.step === 12);
    expect(s.history.map((r) => r.step)).toEqual([...Array(12).keys()]);
    s.history.forEach((r, i) => {
      expect(Math.abs(r.loss - refLosses[i])).toBeLessThan(1e-5 * refLosses[i]);
    });
    expect(s.history[11].loss).toBeLessThan(s.history[0].loss);
    // The CPU trainer got the GPU's weights back: the stepped view's loss is the reference's next one.
    store.getState().nextPhase();
    await until(store, (x) => x.stepped.forward !== null);
    store.getState().nextPhase();
    s = await until(store, (x) => x.stepped.loss !== null);
    reference.forward();
    expect(Math.abs((s.stepped.loss?.loss ?? 0) - reference.loss().loss)).toBeLessThan(1e-5);

    // Divergence on the GPU: the last good weights come back, as on the CPU.
    const good = s;
    store.getState().setForm({ lr: 1e6 });
    store.getState().applyLearningRate();
    await until(store, (x) => x.settings?.lr === 1e6);
    store.getState().runSteps(60);
    s = await until(store, (x) => x.divergence !== null && x.status === 'ready');
    expect(s.divergence?.message).toMatch(/^Training diverged at step \d+: /);
    expect(s.divergence?.restoredStep).toBe(12);
    expect(s.step).toBe(12);
    expect(Array.from(s.embedding?.data ?? [])).toEqual(Array.from(good.embedding?.data ?? []));
    expect(s.engine?.kind).toBe('webgpu');

    // A lost device mid-run: the run continues on the CPU from the last weights read back, and says so.
    store.getState().setForm({ lr: 0.02 });
    store.getState().applyLearningRate();
    await until(store, (x) => x.settings?.lr === 0.02);
    store.getState().runSteps(30, 100);
    await until(store, (x) => (x.run?.done ?? 0) >= 4);
    store.getState().loseDevice();
    s = await until(store, (x) => x.status === 'ready' && x.run === null && x.step === 42);
    expect(s.engine).toMatchObject({ kind: 'cpu', webgpuAvailable: false });
    expect(s.engine?.reason).toMatch(
      /the WebGPU device was lost \(destroyed.*\); reload the page to try WebGPU again\.$/,
    );
    const notice = s.notices.find((n) => n.includes('WebGPU device was lost')) ?? '';
    expect(notice).toMatch(/Training continues on the CPU from step \d+, with the weights and optimizer state/);
    expect(s.history.map((r) => r.step)).toEqual([...Array(42).keys()]);
    expect(s.history.every((r) => Number.isFinite(r.loss))).toBe(true);
  });
});
