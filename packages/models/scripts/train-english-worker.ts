// A data-parallel training worker (Node worker_threads; never imported by browser code).
// The main thread (train-english.ts) owns the parameters in a SharedArrayBuffer and updates them between steps;
// each worker reads them, computes the gradient of its shard of the batch with computeGradients (the mean over its
// own B/W sequences) and writes it into its own SharedArrayBuffer. The main thread then averages the workers'
// gradients in worker order (a fixed order, so a run is deterministic for a fixed worker count).
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch, GPTConfig, GPTParams, Tensor } from '@glassbox/compute';
import { computeGradients, crossEntropy, flattenParams, forward, paramSpecs, paramsFromMap } from '@glassbox/compute';

export interface WorkerInit {
  config: GPTConfig;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

export type WorkerRequest = { kind: 'grad'; batch: Batch } | { kind: 'eval'; batch: Batch };
export type WorkerReply = { kind: 'grad'; loss: number } | { kind: 'eval'; sum: number; n: number };

/** GPTParams whose tensors are views on one flat Float32Array, in paramSpecs order. */
export function paramsOnBuffer(config: GPTConfig, buffer: ArrayBufferLike): GPTParams {
  let offset = 0;
  const map = new Map<string, Tensor>();
  for (const spec of paramSpecs(config)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    map.set(spec.name, { shape: spec.shape, data: new Float32Array(buffer, offset * 4, n) });
    offset += n;
  }
  return paramsFromMap(config, map);
}

if (parentPort && workerData) {
  const port = parentPort;
  const { config, params: pBuf, grads: gBuf } = workerData as WorkerInit;
  const params = paramsOnBuffer(config, pBuf);
  const out = new Float32Array(gBuf);
  port.on('message', (req: WorkerRequest) => {
    if (req.kind === 'grad') {
      const g = computeGradients(config, params, req.batch);
      let o = 0;
      for (const [, t] of flattenParams(g.grads)) {
        out.set(t.data, o);
        o += t.data.length;
      }
      port.postMessage({ kind: 'grad', loss: g.loss } satisfies WorkerReply);
    } else {
      // Forward only, capturing nothing: cheaper than forwardBatch, which keeps what a backward pass would need.
      let sum = 0;
      let n = 0;
      req.batch.inputs.forEach((ids, b) => {
        for (const x of crossEntropy(forward(config, params, ids).logits, req.batch.targets[b])) sum += x;
        n += ids.length;
      });
      port.postMessage({ kind: 'eval', sum, n } satisfies WorkerReply);
    }
  });
}
