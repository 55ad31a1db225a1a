/**
 * Where a WebGPU forward pass spends its time, kernel by kernel.
 *
 *   npx tsx scripts/profile-webgpu.ts                  # Austen-shaped random model, T = 64
 *   npx tsx scripts/profile-webgpu.ts --gpt2 --T 16    # GPT-2-small shape
 *   npx tsx scripts/profile-webgpu.ts --toy --T 16     # the toy-world shape
 *   npx tsx scripts/profile-webgpu.ts --train          # one AdamW training step, B = 4 windows of T
 *   npx tsx scripts/profile-webgpu.ts --decode         # one token after a 63-token prefill
 *
 * Each dispatch is submitted alone and waited for (GpuContext.profile), so the total is larger than a real pass:
 * the per-kernel split is the point, not the sum. Runs on whatever adapter Dawn finds (SwiftShader without a GPU).
 */
import { parseArgs } from 'node:util';
import { createTrainer, GPT2_SMALL, type GPTConfig, initParams, randomWindows } from '@glassbox/compute';
import { createNodeContext } from '@glassbox/compute/node';
import { createWebGpuEngine } from '../packages/compute/src/webgpu/engine';

const { values } = parseArgs({
  options: {
    gpt2: { type: 'boolean' },
    toy: { type: 'boolean' },
    train: { type: 'boolean' },
    T: { type: 'string' },
    decode: { type: 'boolean' },
    reps: { type: 'string' },
  },
});
const config: GPTConfig = values.gpt2
  ? GPT2_SMALL
  : values.toy
    ? { vocab_size: 11, n_positions: 16, n_embd: 4, n_layer: 1, n_head: 1, layer_norm_epsilon: 1e-5 }
    : { vocab_size: 2048, n_positions: 128, n_embd: 128, n_layer: 4, n_head: 4, layer_norm_epsilon: 1e-5 };
const T = Number(values.T ?? 64);
const reps = Number(values.reps ?? 3);
const ctx = await createNodeContext();
const engine = await createWebGpuEngine(config, initParams(config, { seed: 1 }), { context: ctx });
const ids = Array.from({ length: T }, (_, i) => (i * 7919) % config.vocab_size);

const trainer = values.train
  ? await createTrainer(config, initParams(config, { seed: 1 }), {
      engine: 'webgpu',
      context: ctx,
      data: randomWindows(
        Array.from({ length: 4096 }, (_, i) => (i * 7919) % config.vocab_size),
        {
          batchSize: 4,
          blockSize: T,
          seed: 0,
        },
      ),
      schedule: { lr: 1e-4 },
      checkpointOnTrainEnd: false,
    })
  : null;

async function once(): Promise<number> {
  const t0 = performance.now();
  if (trainer) {
    await trainer.runStep();
    return performance.now() - t0;
  }
  if (values.decode) {
    const cache = engine.createCache();
    await engine.run(ids.slice(0, -1), { cache });
    const t1 = performance.now();
    await engine.run(ids.slice(-1), { cache });
    return performance.now() - t1;
  }
  await engine.run(ids);
  return performance.now() - t0;
}

await once(); // compile pipelines
const plain: number[] = [];
for (let i = 0; i < reps; i++) plain.push(await once());
ctx.profile = new Map();
for (let i = 0; i < reps; i++) await once();
const profile = [...ctx.profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
ctx.profile = null;
const total = profile.reduce((s, [, e]) => s + e.ms, 0);
console.log(`adapter: ${ctx.adapter?.description ?? ctx.adapter?.vendor ?? 'unknown'}`);
console.log(
  `${trainer ? `train step B=4 T=${T}` : values.decode ? 'decode 1 token' : `forward T=${T}`}: ${plain.map((x) => x.toFixed(1)).join(', ')} ms (unprofiled)`,
);
console.log(`profiled dispatches, summed over ${reps} passes: ${total.toFixed(1)} ms`);
for (const [key, e] of profile) {
  console.log(
    `${key.padEnd(36)} ${(e.ms / reps).toFixed(2).padStart(9)} ms/pass  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${(e.count / reps).toFixed(0)} dispatches`,
  );
}
engine.dispose();
trainer?.dispose();
ctx.destroy?.();
