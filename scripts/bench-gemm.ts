// GFLOP/s of the CPU matrix multiplies: plain loops (the ops before cpu/gemm) vs the register-blocked JS gemm vs the
// WebAssembly SIMD gemm, with ONNX Runtime's single-threaded wasm backend (one Gemm node, both operands fed as inputs,
// timed through session.run) as the peer. Shapes are those of the shipped model and of GPT-2 small.
// `npx tsx scripts/bench-gemm.ts` (`--quick` for fewer repeats). Prints medians over repeated runs; on a shared
// machine expect ±10–20%.
import { type GemmKind, gemm, gemmBackend, wasmGemmFeature } from '@glassbox/compute';
import * as ort from 'onnxruntime-web';

interface Shape {
  label: string;
  kind: GemmKind;
  M: number;
  N: number;
  K: number;
}

const shapes: Shape[] = [
  // shipped model: d=128, T·B = 512 rows, 4k vocab
  { label: 'tiny q/k/v/proj  x·W', kind: 'nn', M: 512, N: 128, K: 128 },
  { label: 'tiny mlp up      x·W', kind: 'nn', M: 512, N: 512, K: 128 },
  { label: 'tiny mlp down    x·W', kind: 'nn', M: 512, N: 128, K: 512 },
  { label: 'tiny logits      x·W_Eᵀ', kind: 'nt', M: 512, N: 4096, K: 128 },
  { label: 'tiny mlp-up dx   dy·Wᵀ', kind: 'nt', M: 512, N: 128, K: 512 },
  { label: 'tiny mlp-up dW   xᵀ·dy', kind: 'tn', M: 128, N: 512, K: 512 },
  { label: 'tiny logits dx   dy·W_E', kind: 'nn', M: 512, N: 128, K: 4096 },
  { label: 'tiny logits dW_E dyᵀ·x', kind: 'tn', M: 4096, N: 128, K: 512 },
  // GPT-2 small: d=768, 512 rows
  { label: 'gpt2 attn        x·W', kind: 'nn', M: 512, N: 768, K: 768 },
  { label: 'gpt2 mlp up      x·W', kind: 'nn', M: 512, N: 3072, K: 768 },
  { label: 'gpt2 mlp down    x·W', kind: 'nn', M: 512, N: 768, K: 3072 },
  { label: 'gpt2 mlp-up dx   dy·Wᵀ', kind: 'nt', M: 512, N: 768, K: 3072 },
  { label: 'gpt2 mlp-up dW   xᵀ·dy', kind: 'tn', M: 768, N: 3072, K: 512 },
  { label: 'gpt2 logits 64t  x·W_Eᵀ', kind: 'nt', M: 64, N: 50257, K: 768 },
  // decode: one new token
  { label: 'gpt2 decode mlp  x·W', kind: 'nn', M: 1, N: 3072, K: 768 },
];

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const MIN_MS = quick ? 20 : 60;
/** The naive loops take seconds on the biggest shapes; skip them above this many flops. */
const NAIVE_MAX_FLOPS = 3e9;

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    a[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return a;
}

/**
 * The plain loops the CPU ops ran before cpu/gemm (ops/linear.ts now calls gemm, so they are kept here as the
 * baseline): i-k-j for nn, a row·row dot product for nt, and linearBackward's old dW loop for tn.
 */
function naive(s: Shape, A: Float32Array, B: Float32Array, C: Float32Array): void {
  const { M, N, K } = s;
  C.fill(0);
  if (s.kind === 'nn') {
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const a = A[i * K + k];
        for (let j = 0; j < N; j++) C[i * N + j] += a * B[k * N + j];
      }
    }
  } else if (s.kind === 'nt') {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += A[i * K + k] * B[j * K + k];
        C[i * N + j] = sum;
      }
    }
  } else {
    // dW[M,N] = Σ_p A[p,:]ᵀ B[p,:]
    for (let p = 0; p < K; p++) {
      for (let i = 0; i < M; i++) {
        const a = A[p * M + i];
        for (let j = 0; j < N; j++) C[i * N + j] += a * B[p * N + j];
      }
    }
  }
}

/** Median GFLOP/s over RUNS timed runs, each repeating fn for at least MIN_MS. */
async function measure(flops: number, fn: () => void | Promise<void>): Promise<number> {
  await fn(); // warm-up (JIT, arena growth)
  const t0 = performance.now();
  await fn();
  const once = performance.now() - t0;
  const reps = Math.max(1, Math.ceil(MIN_MS / Math.max(once, 0.001)));
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) await fn();
    const ms = (performance.now() - t) / reps;
    rates.push(flops / ms / 1e6);
  }
  rates.sort((x, y) => x - y);
  return rates[Math.floor(rates.length / 2)];
}

// ---- ONNX Runtime: a one-node model, C = Gemm(A, B, transA, transB), encoded as protobuf by hand ----------------

const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const field = (f: number, v: number) => [...varint(f << 3), ...varint(v)];
const message = (f: number, body: number[]) => [...varint((f << 3) | 2), ...varint(body.length), ...body];
const text = (s: string) => Array.from(new TextEncoder().encode(s));
/** ValueInfoProto: a float tensor input or output of fixed shape. */
const value = (f: number, label: string, dims: number[]) =>
  message(f, [
    ...message(1, text(label)),
    ...message(
      2,
      message(1, [
        ...field(1, 1),
        ...message(
          2,
          dims.flatMap((d) => message(1, field(1, d))),
        ),
      ]),
    ),
  ]);
const intAttribute = (label: string, v: number) =>
  message(5, [...message(1, text(label)), ...field(3, v), ...field(20, 2)]);

function gemmModel({ kind, M, N, K }: Shape): Uint8Array {
  const node = message(1, [
    ...message(1, text('A')),
    ...message(1, text('B')),
    ...message(2, text('C')),
    ...message(4, text('Gemm')),
    ...intAttribute('transA', kind === 'tn' ? 1 : 0),
    ...intAttribute('transB', kind === 'nt' ? 1 : 0),
  ]);
  const graph = [
    ...node,
    ...message(2, text('gemm')),
    ...value(11, 'A', kind === 'tn' ? [K, M] : [M, K]),
    ...value(11, 'B', kind === 'nt' ? [N, K] : [K, N]),
    ...value(12, 'C', [M, N]),
  ];
  // ModelProto: ir_version 8, opset 17, the graph
  return new Uint8Array([...field(1, 8), ...message(8, [...message(1, []), ...field(2, 17)]), ...message(7, graph)]);
}

/** ORT's GFLOP/s; first checks that its C matches ours (so transA/transB mean what we think). */
async function ortRate(s: Shape, A: Float32Array, B: Float32Array, ours: Float32Array, flops: number): Promise<number> {
  const session = await ort.InferenceSession.create(gemmModel(s), { executionProviders: ['wasm'] });
  const feeds = {
    A: new ort.Tensor('float32', A, s.kind === 'tn' ? [s.K, s.M] : [s.M, s.K]),
    B: new ort.Tensor('float32', B, s.kind === 'nt' ? [s.N, s.K] : [s.K, s.N]),
  };
  const theirs = (await session.run(feeds)).C.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  if (!(worst < 1e-3)) throw new Error(`${s.label}: ONNX Runtime's result differs from gemm's by ${worst}`);
  const rate = await measure(flops, async () => {
    await session.run(feeds);
  });
  await session.release();
  return rate;
}

const fmt = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1));
const ratio = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(1)}×`);

ort.env.wasm.numThreads = 1;
console.log(`wasm feature: ${wasmGemmFeature() ?? 'none'}; GFLOP/s, medians of ${RUNS} runs, each ≥ ${MIN_MS} ms`);
console.log(
  '| shape | kind | M×N×K | naive | blocked JS | wasm SIMD | ORT wasm 1T | wasm/naive | wasm/JS | wasm/ORT |',
);
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of shapes) {
  const { M, N, K, kind } = s;
  const A = random(M * K, 1);
  const B = random(K * N, 2);
  const C = new Float32Array(M * N);
  const flops = 2 * M * N * K;
  const naiveRate = flops <= NAIVE_MAX_FLOPS ? await measure(flops, () => naive(s, A, B, C)) : Number.NaN;
  gemmBackend('js');
  const jsRate = await measure(flops, () => gemm(kind, M, N, K, A, B, C));
  let wasmRate = Number.NaN;
  if (wasmGemmFeature() !== null) {
    gemmBackend('wasm');
    wasmRate = await measure(flops, () => gemm(kind, M, N, K, A, B, C));
  }
  gemmBackend(null);
  const ortGflops = await ortRate(s, A, B, C, flops);
  console.log(
    `| ${s.label} | ${kind} | ${M}×${N}×${K} | ${fmt(naiveRate)} | ${fmt(jsRate)} | ${fmt(wasmRate)} | ` +
      `${fmt(ortGflops)} | ${ratio(wasmRate / naiveRate)} | ${ratio(wasmRate / jsRate)} | ${ratio(wasmRate / ortGflops)} |`,
  );
}
