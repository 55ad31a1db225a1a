import { computeGradients, initParams, randomWindows } from '@glassbox/compute';

const V = Number(process.argv[2] ?? 4096);
const T = Number(process.argv[3] ?? 128);
const B = Number(process.argv[4] ?? 8);
const config = { vocab_size: V, n_positions: 128, n_embd: 128, n_layer: 4, n_head: 4, layer_norm_epsilon: 1e-5 } as any;
const params = initParams(config, { seed: 0 });
const tokens = Array.from({ length: 100000 }, (_, i) => (i * 7919) % V);
const data = randomWindows(tokens, { batchSize: B, blockSize: T, seed: 0 });
for (let s = 0; s < 3; s++) {
  const t0 = performance.now();
  const g = computeGradients(config, params, data(s));
  const ms = performance.now() - t0;
  console.log(
    `V=${V} T=${T} B=${B} step ${s}: ${ms.toFixed(0)} ms, ${((B * T * 1000) / ms).toFixed(0)} tok/s loss ${g.loss.toFixed(3)}`,
  );
}
