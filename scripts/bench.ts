// `npm run bench`: the CPU engine, the WebGPU engine and ONNX Runtime (wasm, one thread) on the same models and
// prompt, in one run: forward pass, decode per token (KV cache vs recompute), one training step, and the cost of
// capturing every hook. Models: every shipped model, then a random GPT-2-small-shaped one (124M parameters). Then the
// same models in headless Chromium, where ORT's WebGPU backend can run beside ours (scripts/bench-web).
//
//   npm run bench                     everything (~4–6 minutes on two shared cores)
//   npm run bench -- --quick          shipped models only
//   npm run bench -- --json           the figures as JSON on stdout (progress still goes to stderr)
//   npm run bench -- --markdown       the tables as Markdown (what docs/benchmarks.md holds)
//   npm run bench -- --full           also the WebGPU training step on GPT-2 small (slow on SwiftShader)
//   npm run bench -- --node-only      skip the browser half (scripts/bench-web: both engines and ORT wasm + WebGPU
//                                     in headless Chromium, where ORT's WebGPU backend runs)
//
// Every figure is the median of n timed runs after warm-up (scripts/bench-measure.ts); a run shorter than 20 ms is
// repeated until it is not and divided, so sub-millisecond figures are not timer noise. Token ids are drawn at random: speed does not
// depend on which tokens they are. Results and caveats: docs/benchmarks.md.
//
// Why not the CLI's `glassbox bench` measuring code: it reports tokens/s of the CPU engine over a time window, while
// this compares engines, two of them async, by median milliseconds per call; and scripts cannot import an app.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Batch, GPTConfig, GPTParams } from '@glassbox/compute';
import {
  cloneParams,
  countParams,
  createCpuEngine,
  createOnnxDecoder,
  createOnnxSession,
  createRng,
  createTrainer,
  createWebGpuEngine,
  exportOnnx,
  GPT2_SMALL,
  initParams,
  randomWindows,
} from '@glassbox/compute';
import { createNodeContext } from '@glassbox/compute/node';
import { loadShippedModel, SHIPPED_MODELS } from '@glassbox/models';
import { type Figure, measure, measureAlternating, msOf as ms, skipped } from './bench-measure';
import { decodeSample, forwardSample, ortDecodeSample, ortForwardSample, trainSample } from './bench-samples';
import { runWebBench, type WebBenchResult, webBenchSpecs } from './bench-web/run';

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--quick', '--json', '--markdown', '--full', '--node-only'].includes(a)) {
    process.stderr.write(`unknown option ${a}; options: --quick --json --markdown --full --node-only\n`);
    process.exit(2);
  }
}
const QUICK = args.has('--quick');
const FULL = args.has('--full');

const PROMPT = 64;
/** Tokens decoded one at a time per decode sample, after a 1-token prefill. */
const DECODE_TOKENS = 8;
/** Untimed running before each figure, for every engine alike (see bench-measure.ts for why a count is not enough). */
const WARMUP_MS = 2000;

// ---- measuring (scripts/bench-measure.ts: medians after a count- and time-based warm-up) ----------------------------

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---- one model ----------------------------------------------------------------------------------------------------

interface ModelSpec {
  name: string;
  title: string;
  config: GPTConfig;
  params: GPTParams;
  large: boolean;
}

interface EngineFigures {
  forward: Figure;
  forwardAll: Figure;
  decode: Figure;
  train: Figure;
}

interface ModelResult {
  name: string;
  title: string;
  parameters: number;
  T: number;
  train: { B: number; T: number };
  cpu: EngineFigures;
  webgpu: EngineFigures;
  ort: { forward: Figure; decode: Figure; exportMs: number; sessionMs: number; fileBytes: number };
  notes: string[];
}

async function benchModel(spec: ModelSpec, gpu: Awaited<ReturnType<typeof createNodeContext>>): Promise<ModelResult> {
  const { config, params, large } = spec;
  const T = Math.min(PROMPT, config.n_positions);
  const rng = createRng(1);
  const ids = Array.from({ length: 4096 }, () => Math.floor(rng.next() * config.vocab_size));
  const prompt = ids.slice(0, T);
  const decodeTokens = Math.min(DECODE_TOKENS, T - 1);
  // GPT-2 small on two shared cores: fewer repetitions (3 for the training step), one sequence per training step.
  const reps = large ? 7 : 15;
  const trainReps = large ? 3 : reps;
  const train = large ? { B: 1, T: Math.min(64, config.n_positions) } : { B: 4, T };
  const batches = randomWindows(ids, { batchSize: train.B, blockSize: train.T, seed: 0 });
  const notes: string[] = [];
  const step = (what: string) => log(`  ${spec.name}: ${what}`);

  const warm = large ? { warmup: 1 } : { warmup: 1, warmupMs: WARMUP_MS };

  step('ONNX export and session');
  let t0 = performance.now();
  let bytes: Uint8Array | null = exportOnnx(config, params);
  const exportMs = performance.now() - t0;
  const fileBytes = bytes.length;
  t0 = performance.now();
  const session = await createOnnxSession(bytes);
  const sessionMs = performance.now() - t0;
  bytes = null; // ~500 MB for GPT-2 small: let it go once ORT has its copy

  // The CPU engine and its peer, ORT wasm, in alternation: both see the same background load.
  const cpuEngine = createCpuEngine(config, params);
  step('CPU engine vs ONNX Runtime: forward');
  const [forward, forwardAll, ortForward] = await measureAlternating(
    [forwardSample(cpuEngine, prompt), forwardSample(cpuEngine, prompt, 'all'), ortForwardSample(session, prompt)],
    { reps, ...warm },
  );
  await session.release();
  step('CPU engine vs ONNX Runtime (kvCache export): decode');
  bytes = exportOnnx(config, params, { kvCache: true });
  const decoder = await createOnnxDecoder(bytes);
  bytes = null;
  const [cpuDecode, ortDecode] = await measureAlternating(
    [decodeSample(cpuEngine, prompt, decodeTokens), ortDecodeSample(decoder, prompt, decodeTokens)],
    { reps, ...warm },
  );
  await decoder.release();
  const cpu: EngineFigures = { forward, forwardAll, decode: cpuDecode, train: skipped('') };
  step(`CPU train step B=${train.B} T=${train.T}`);
  {
    const trainer = await createTrainer(config, cloneParams(config, params), {
      engine: 'cpu',
      data: (s: number): Batch => batches(s),
      schedule: { lr: 1e-4 },
    });
    cpu.train = await measure(trainSample(trainer), { reps: trainReps, ...warm });
    trainer.dispose();
  }

  step('WebGPU forward');
  const gpuEngine = await createWebGpuEngine(config, params, { context: gpu });
  const webgpu: EngineFigures = {
    forward: skipped(''),
    forwardAll: skipped(''),
    decode: skipped(''),
    train: skipped(''),
  };
  try {
    // GPT-2 small on SwiftShader: a 64-token pass takes ~15–40 s, so two repetitions (the order rotates, and the
    // pipelines were compiled by the shipped models), 4 decode tokens, and the training step only with --full.
    const r = large ? 2 : reps;
    [webgpu.forward, webgpu.forwardAll] = await measureAlternating(
      [forwardSample(gpuEngine, prompt), forwardSample(gpuEngine, prompt, 'all')],
      large ? { reps: r, warmup: 0 } : { reps: r, ...warm },
    );
    step('WebGPU decode');
    const gpuTokens = large ? 4 : decodeTokens;
    webgpu.decode = await measure(
      decodeSample(gpuEngine, prompt, gpuTokens),
      large ? { reps: 3, warmup: 1 } : { reps, ...warm },
    );
    if (large) notes.push('WebGPU forward and capture: n=2, no warm-up run; WebGPU decode uses 4 tokens per sample.');
    if (large && !FULL) {
      const s = (ms(webgpu.forward) / 1000).toFixed(0);
      webgpu.train = skipped(`a step is a forward and a ~2× backward, ~${3 * Number(s)} s here (--full runs it)`);
    } else {
      step(`WebGPU train step B=${train.B} T=${train.T}`);
      const trainer = await createTrainer(config, params, {
        engine: 'webgpu',
        context: gpu,
        data: (s: number): Batch => batches(s),
        schedule: { lr: 1e-4 },
        checkpointOnTrainEnd: false,
      });
      webgpu.train = await measure(trainSample(trainer), large ? { reps: 1, warmup: 0 } : { reps, ...warm });
      trainer.dispose();
    }
  } finally {
    gpuEngine.dispose();
  }

  return {
    name: spec.name,
    title: spec.title,
    parameters: countParams(config).total,
    T,
    train,
    cpu,
    webgpu,
    ort: { forward: ortForward, decode: ortDecode, exportMs, sessionMs, fileBytes },
    notes,
  };
}

// ---- memory bandwidth: the floor under decode -------------------------------------------------------------------

/**
 * Bytes of weights one decoded token reads (float32): every block's matrices, biases and LayerNorms, the whole of W_E
 * (the tied unembedding), one row each of W_E and W_pos, and ln_final. The KV cache adds 2·L·t·d floats at position t.
 *   bytes/token = 4 · (L·(12d² + 13d) + V·d + 2d + 2d) + 8·L·d·t
 */
function decodeBytes(c: GPTConfig, t: number): number {
  const d = c.n_embd;
  return 4 * (c.n_layer * (12 * d * d + 13 * d) + c.vocab_size * d + 4 * d) + 8 * c.n_layer * d * t;
}

/** This machine's copy bandwidth (read + write) in GB/s, from a 256 MB TypedArray.set: the medians of 5. */
function copyBandwidth(): number {
  const n = 64 * 1024 * 1024;
  const a = new Float32Array(n).fill(1);
  const b = new Float32Array(n);
  const runs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    b.set(a);
    const s = (performance.now() - t0) / 1000;
    if (i > 0) runs.push((2 * 4 * n) / s / 1e9);
  }
  runs.sort((x, y) => x - y);
  return runs[2];
}

// ---- report -------------------------------------------------------------------------------------------------------

function environment() {
  const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8' }).trim();
  let commit = 'unknown';
  try {
    commit = git('rev-parse', '--short', 'HEAD');
    if (git('status', '--porcelain', '--untracked-files=no') !== '') commit += ' + uncommitted changes';
  } catch {}
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    commit,
    cpu: cpuModel,
    cores: availableParallelism(),
    node: process.version,
  };
}

const fmtMs = (x: number): string =>
  !Number.isFinite(x)
    ? '—'
    : x >= 10_000
      ? `${(x / 1000).toFixed(1)} s`
      : x >= 100
        ? `${x.toFixed(0)} ms`
        : x >= 1
          ? `${x.toFixed(1)} ms`
          : `${x.toFixed(3)} ms`;
const cell = (f: Figure): string => ('ms' in f ? `${fmtMs(f.ms)} (n=${f.n})` : 'skipped');
const ratio = (a: Figure, b: Figure): string => ('ms' in a && 'ms' in b ? `${(a.ms / b.ms).toFixed(2)}×` : '—');
const overhead = (all: Figure, none: Figure): string =>
  'ms' in all && 'ms' in none ? `${(((all.ms - none.ms) / none.ms) * 100).toFixed(0)}%` : '—';
const speedup = (recompute: Figure, decode: Figure): string =>
  'ms' in recompute && 'ms' in decode ? `${(recompute.ms / decode.ms).toFixed(1)}×` : '—';

function rows(r: ModelResult): string[][] {
  const { cpu, webgpu, ort } = r;
  return [
    ['', 'CPU engine', 'WebGPU engine (SwiftShader)', 'ORT wasm, 1 thread'],
    [`forward, T=${r.T}`, cell(cpu.forward), cell(webgpu.forward), cell(ort.forward)],
    ['  ratio to ORT', ratio(cpu.forward, ort.forward), ratio(webgpu.forward, ort.forward), '1×'],
    [`forward, capture 'all'`, cell(cpu.forwardAll), cell(webgpu.forwardAll), 'n/a'],
    ['  cost of capture', overhead(cpu.forwardAll, cpu.forward), overhead(webgpu.forwardAll, webgpu.forward), 'n/a'],
    ['decode / token, KV cache', cell(cpu.decode), cell(webgpu.decode), cell(ort.decode)],
    ['  ratio to ORT', ratio(cpu.decode, ort.decode), ratio(webgpu.decode, ort.decode), '1×'],
    [
      `decode / token, recompute (= forward T=${r.T})`,
      fmtMs(ms(cpu.forward)),
      fmtMs(ms(webgpu.forward)),
      fmtMs(ms(ort.forward)),
    ],
    [
      '  KV-cache speed-up',
      speedup(cpu.forward, cpu.decode),
      speedup(webgpu.forward, webgpu.decode),
      speedup(ort.forward, ort.decode),
    ],
    [`train step, B=${r.train.B} T=${r.train.T} (AdamW)`, cell(cpu.train), cell(webgpu.train), 'n/a'],
  ];
}

function browserRows(r: WebBenchResult): string[][] {
  const { cpu, ortWasm, webgpu, ortWebgpu } = r;
  return [
    ['', 'CPU engine', 'ORT wasm', 'WebGPU engine', 'ORT WebGPU'],
    [`forward, T=${r.T}`, cell(cpu.forward), cell(ortWasm.forward), cell(webgpu.forward), cell(ortWebgpu.forward)],
    ['  ratio to peer', ratio(cpu.forward, ortWasm.forward), '1×', ratio(webgpu.forward, ortWebgpu.forward), '1×'],
    [`forward, capture 'all'`, cell(cpu.forwardAll), 'n/a', cell(webgpu.forwardAll), 'n/a'],
    ['  cost of capture', overhead(cpu.forwardAll, cpu.forward), '—', overhead(webgpu.forwardAll, webgpu.forward), '—'],
    ['decode / token, KV cache', cell(cpu.decode), cell(ortWasm.decode), cell(webgpu.decode), cell(ortWebgpu.decode)],
    ['  ratio to peer', ratio(cpu.decode, ortWasm.decode), '1×', ratio(webgpu.decode, ortWebgpu.decode), '1×'],
  ];
}

function textTable(table: string[][]): string {
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  return table.map((row) => row.map((v, c) => v.padEnd(widths[c])).join('  ')).join('\n');
}

function markdownTable(table: string[][]): string {
  const line = (row: string[]) => `| ${row.map((v) => v.trim().replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(table[0]), line(table[0].map(() => '---')), ...table.slice(1).map(line)].join('\n');
}

function header(r: ModelResult): string {
  return (
    `${r.parameters.toLocaleString('en-US')} parameters; prompt T=${r.T}; ONNX export ${fmtMs(r.ort.exportMs)} ` +
    `(${r.ort.fileBytes >= 1e6 ? `${(r.ort.fileBytes / 1e6).toFixed(1)} MB` : `${(r.ort.fileBytes / 1e3).toFixed(1)} kB`}), ` +
    `ORT session ${fmtMs(r.ort.sessionMs)}`
  );
}

const FIGURE_LABELS: Record<keyof EngineFigures, string> = {
  forward: 'forward',
  forwardAll: "capture 'all'",
  decode: 'decode',
  train: 'train step',
};

function skipReasons(r: ModelResult): string[] {
  const out: string[] = [];
  for (const [engine, figs] of [
    ['CPU', r.cpu],
    ['WebGPU', r.webgpu],
  ] as const) {
    for (const [key, f] of Object.entries(figs)) {
      if ('skipped' in f && f.skipped) out.push(`${engine} ${FIGURE_LABELS[key as keyof EngineFigures]}: ${f.skipped}`);
    }
  }
  return [...out, ...r.notes];
}

// ---- main ---------------------------------------------------------------------------------------------------------

const env = environment();
const started = performance.now();
log(`Glassbox bench: ${env.date}, commit ${env.commit}, ${env.cores} × ${env.cpu}, Node ${env.node}`);
const gpu = await createNodeContext();
const adapter = gpu.adapter;
const software =
  (process.env.VK_ICD_FILENAMES ?? '').includes('swiftshader') || /swiftshader/i.test(adapter?.description ?? '');
const webgpuLabel = `Dawn (webgpu npm) over ${adapter?.description || adapter?.device || 'unknown adapter'}${
  software ? ': a CPU emulation of a GPU, its times say nothing about GPU speed' : ''
}`;
log(`WebGPU: ${webgpuLabel}`);

const results: ModelResult[] = [];
for (const info of SHIPPED_MODELS) {
  log(`${info.name}: loading`);
  const m = await loadShippedModel(info.name);
  results.push(
    await benchModel({ name: info.name, title: info.title, config: m.config, params: m.params, large: false }, gpu),
  );
}
let bandwidth: { bytesPerToken: number; copyGBs: number } | null = null;
if (!QUICK) {
  log('gpt2-small: random weights (initParams, seed 1)');
  const params = initParams(GPT2_SMALL, { seed: 1 });
  const title = 'GPT-2 small shape, random weights (12 layers, d=768, 12 heads, V=50257)';
  results.push(await benchModel({ name: 'gpt2-small', title, config: GPT2_SMALL, params, large: true }, gpu));
  bandwidth = { bytesPerToken: decodeBytes(GPT2_SMALL, PROMPT), copyGBs: copyBandwidth() };
}
gpu.destroy();
// The browser half: ORT's WebGPU backend exists only in a browser (scripts/bench-web).
const browser = args.has('--node-only') ? null : await runWebBench(webBenchSpecs(QUICK), log);
const totalS = (performance.now() - started) / 1000;

if (args.has('--json')) {
  process.stdout.write(
    `${JSON.stringify({ env, webgpu: webgpuLabel, totalS, results, bandwidth, browser }, null, 2)}\n`,
  );
} else {
  const md = args.has('--markdown');
  const out: string[] = [];
  const say = (s = '') => out.push(s);
  say(`${env.date} · commit ${env.commit} · ${env.cores} × ${env.cpu} (shared) · Node ${env.node}`);
  say(`WebGPU: ${webgpuLabel}.`);
  say(
    `ONNX Runtime: onnxruntime-web, wasm backend, numThreads 1. Medians of n runs after warm-up; ${totalS.toFixed(0)} s in all.`,
  );
  for (const r of results) {
    say();
    say(md ? `### ${r.title}` : r.title);
    say(header(r));
    say();
    say(md ? markdownTable(rows(r)) : textTable(rows(r)));
    const reasons = skipReasons(r);
    if (reasons.length) {
      say();
      for (const why of reasons) say(`- ${why}`);
    }
  }
  if (browser) {
    const first = browser[0];
    const a = first?.adapter;
    say();
    say(md ? '## In the browser' : 'In the browser');
    say(
      `Headless Chromium (${/Chrome\/[\d.]+/.exec(first?.userAgent ?? '')?.[0] ?? 'unknown version'}), one page. WebGPU adapter: ` +
        `${a ? `${a.vendor} ${a.architecture} ${a.description}`.trim() : 'none'}${
          a?.isFallbackAdapter ? ' (a fallback adapter: a CPU emulation, its times say nothing about GPU speed)' : ''
        }. ORT: onnxruntime-web/webgpu, wasm with ${first?.ortWasmThreads ?? '?'} thread(s) ` +
        `(cross-origin isolated: ${first?.crossOriginIsolated ? 'yes' : 'no'}). Each engine in alternation with its peer.`,
    );
    for (const r of browser) {
      say();
      say(md ? `### ${r.model} in the browser` : `${r.model} in the browser`);
      say(
        `${r.parameters.toLocaleString('en-US')} parameters; prompt T=${r.T}; decode: ${r.decodeTokens} tokens per sample`,
      );
      say();
      say(md ? markdownTable(browserRows(r)) : textTable(browserRows(r)));
    }
  }
  if (bandwidth) {
    const b = bandwidth;
    const gpt2 = results[results.length - 1];
    say();
    say(md ? '### Decode floor: memory bandwidth (GPT-2 small)' : 'Decode floor: memory bandwidth (GPT-2 small)');
    const weightsMB = decodeBytes(GPT2_SMALL, 0) / 1e6;
    const kvKB = (decodeBytes(GPT2_SMALL, 1) - decodeBytes(GPT2_SMALL, 0)) / 1e3;
    say(
      `bytes read per token at position t = 4·(L·(12d² + 13d) + V·d + 4d) + 8·L·d·t = ${weightsMB.toFixed(1)} MB of ` +
        `float32 weights + ${kvKB.toFixed(1)} kB of KV cache per position (${(b.bytesPerToken / 1e6).toFixed(1)} MB at t=${PROMPT}).`,
    );
    const floorMs = (b.bytesPerToken / (b.copyGBs * 1e9)) * 1000;
    say(
      `This machine copies ${b.copyGBs.toFixed(1)} GB/s (TypedArray.set, read + write counted): floor ≈ ${fmtMs(floorMs)} ` +
        `/ token; CPU decode measured ${fmtMs(ms(gpt2.cpu.decode))} = ${(ms(gpt2.cpu.decode) / floorMs).toFixed(1)}× the floor.`,
    );
    say(
      `On a GPU the floor is bytes / bandwidth, e.g. ${(b.bytesPerToken / 1e6).toFixed(0)} MB / 3.35 TB/s (H100 SXM) = ` +
        `${((b.bytesPerToken / 3.35e12) * 1000).toFixed(3)} ms; the target (decode within 2× of it) needs a run on a real ` +
        'GPU (the device machine), which this run did not have.',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
process.exit(0);
