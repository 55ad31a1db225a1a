/**
 * The three WebGPU matmul kernels (tiled, block, rows: packages/compute/src/webgpu/kernels/matmul.wgsl.ts) at the
 * shapes the models use, on whatever adapter Dawn finds (SwiftShader without a GPU). This is the measurement behind
 * `chooseKernel`; run it on a new kind of adapter before changing that rule.
 *
 *   npx tsx scripts/bench-matmul-webgpu.ts
 *
 * Each figure is the median of 5 flushes (one dispatch plus reading the product back, so small shapes include the
 * fixed cost of a submission), the kernels taken in turn within each repetition.
 */
import { GPT2_SMALL, type GPTConfig, type GpuContext } from '@glassbox/compute';
import { createNodeContext } from '@glassbox/compute/node';
import { chooseKernel, type MatmulKernel, matmul } from '../packages/compute/src/webgpu/kernels/matmul.wgsl';
import { Recorder } from '../packages/compute/src/webgpu/scheduler';
import { median } from './bench-measure';

const AUSTEN: GPTConfig = {
  vocab_size: 2048,
  n_positions: 128,
  n_embd: 128,
  n_layer: 4,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
};
const KERNELS: MatmulKernel[] = ['tiled', 'block', 'rows'];

/** [label, N, K, M, transB] for a 64-token prompt through one block and the unembedding. */
function shapes(name: string, c: GPTConfig, T = 64): [string, number, number, number, boolean][] {
  const d = c.n_embd;
  return [
    [`${name} q/k/v/out`, T, d, d, false],
    [`${name} mlp in`, T, d, 4 * d, false],
    [`${name} mlp out`, T, 4 * d, d, false],
    [`${name} unembed`, T, d, c.vocab_size, true],
  ];
}

async function time(
  ctx: GpuContext,
  N: number,
  K: number,
  M: number,
  transB: boolean,
): Promise<Record<MatmulKernel, number>> {
  const a = ctx.alloc([N, K], 'a');
  const b = ctx.alloc(transB ? [M, K] : [K, M], 'b');
  const out = ctx.alloc([N, M], 'out');
  const runs: Record<MatmulKernel, number[]> = { tiled: [], block: [], rows: [] };
  for (let rep = 0; rep < 6; rep++) {
    for (const kernel of KERNELS) {
      const rec = new Recorder(ctx);
      matmul(rec, { a, b, out, transB, kernel });
      rec.read(out);
      const t0 = performance.now();
      await rec.flush();
      if (rep > 0) runs[kernel].push(performance.now() - t0); // the first flush compiles the pipeline
    }
  }
  for (const t of [a, b, out]) ctx.free(t);
  return { tiled: median(runs.tiled), block: median(runs.block), rows: median(runs.rows) };
}

const ctx = await createNodeContext();
console.log(
  `adapter: ${ctx.adapter?.description || ctx.adapter?.architecture || 'unknown'} (emulated: ${ctx.emulated})`,
);
console.log(`${'shape'.padEnd(46)}${KERNELS.map((k) => k.padStart(11)).join('')}   chosen`);
for (const [label, N, K, M, transB] of [...shapes('austen', AUSTEN), ...shapes('gpt2-small', GPT2_SMALL)]) {
  const t = await time(ctx, N, K, M, transB);
  const dims = `${label} [${N}×${K}]·[${K}×${M}]`;
  console.log(
    `${dims.padEnd(46)}${KERNELS.map((k) => `${t[k].toFixed(1)} ms`.padStart(11)).join('')}   ${chooseKernel(N, M, ctx.emulated)}`,
  );
}
ctx.destroy();
