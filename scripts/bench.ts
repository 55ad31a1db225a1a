// `npm run bench`: the CPU engine, the WebGPU engine and ONNX Runtime (wasm, one thread) on the same models and
// prompt, in one run: forward pass, decode per token (KV cache vs recompute), one training step, and the cost of
// capturing every hook. Models: every shipped model, then a random GPT-2-small-shaped one (124M parameters).
//
//   npm run bench                     everything (~4–6 minutes on two shared cores)
//   npm run bench -- --quick          shipped models only
//   npm run bench -- --json           the figures as JSON on stdout (progress still goes to stderr)
//   npm run bench -- --markdown       the tables as Markdown (what docs/benchmarks.md holds)
//   npm run bench -- --full           also WebGPU capture and training on GPT-2 small (slow on SwiftShader)
//
// Every figure is the median of n timed runs after warm-up runs; a run shorter than MIN_MS is repeated until it is
// not and divided, so sub-millisecond figures are not timer noise. Token ids are drawn at random: speed does not
// depend on which tokens they are. Results and caveats: docs/benchmarks.md.
//
// Why not the CLI's `glassbox bench` measuring code: it reports tokens/s of the CPU engine over a time window, while
// this compares engines, two of them async, by median milliseconds per call; and scripts cannot import an app.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Batch, Engine, GPTConfig, GPTParams, KVCache, ModelTrainer } from '@glassbox/compute';
import {
  cloneParams,
  countParams,
  createCpuEngine,
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

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--quick', '--json', '--markdown', '--full'].includes(a)) {
    process.stderr.write(`unknown option ${a}; options: --quick --json --markdown --full\n`);
    process.exit(2);
  }
}
const QUICK = args.has('--quick');
const FULL = args.has('--full');

const PROMPT = 64;
const MIN_MS = 20;
/** Tokens decoded one at a time per decode sample, after a 1-token prefill. */
const DECODE_TOKENS = 8;

// ---- measuring ------------------------------------------------------------------------------------------------------

type Figure = { ms: number; n: number } | { skipped: string };

/** A sample runs the thing once and returns the milliseconds of the part that counts (setup may be untimed). */
type Sample = () => Promise<number>;

async function measure(sample: Sample, opts: { reps: number; warmup: number }): Promise<Figure> {
  return (await measureAlternating([sample], opts))[0];
}

/**
 * Several samples measured in turn within each repetition, so that all of them see the same load from whatever else
 * the machine is running: their ratio (the cost of capture) is steadier than that of two separate medians.
 */
async function measureAlternating(
  samples: Sample[],
  { reps, warmup }: { reps: number; warmup: number },
): Promise<Figure[]> {
  for (let i = 0; i < warmup; i++) for (const sample of samples) await sample();
  const runs: number[][] = samples.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < samples.length; k++) {
      let ms = 0;
      let count = 0;
      const wall = performance.now();
      do {
        ms += await samples[k]();
        count++;
      } while (performance.now() - wall < MIN_MS);
      runs[k].push(ms / count);
    }
  }
  return runs.map((rs) => ({ ms: median(rs), n: reps }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const timed = async (fn: () => unknown): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

const forwardSample =
  (engine: Engine, prompt: number[], capture?: 'all'): Sample =>
  () =>
    timed(() => engine.run(prompt, { capture }));

/** Per-token ms of decoding DECODE_TOKENS tokens one at a time with the KV cache, after a 1-token prefill. */
const decodeSample =
  (engine: Engine, prompt: number[], tokens: number): Sample =>
  async () => {
    const cache: KVCache & { dispose?: () => void } = engine.createCache();
    await engine.run(prompt.slice(0, 1), { cache });
    const ms = await timed(async () => {
      for (let i = 1; i <= tokens; i++) await engine.run([prompt[i]], { cache });
    });
    cache.dispose?.();
    return ms / tokens;
  };

const trainSample =
  (trainer: ModelTrainer): Sample =>
  () =>
    timed(() => trainer.runStep());

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
  ort: { forward: Figure; exportMs: number; sessionMs: number; fileBytes: number };
  notes: string[];
}

const skipped = (why: string): Figure => ({ skipped: why });
const ms = (f: Figure): number => ('ms' in f ? f.ms : Number.NaN);

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

  const cpuEngine = createCpuEngine(config, params);
  step('CPU forward');
  const [forward, forwardAll] = await measureAlternating(
    [forwardSample(cpuEngine, prompt), forwardSample(cpuEngine, prompt, 'all')],
    { reps, warmup: 1 },
  );
  const cpu: EngineFigures = { forward, forwardAll, decode: skipped(''), train: skipped('') };
  step('CPU decode');
  cpu.decode = await measure(decodeSample(cpuEngine, prompt, decodeTokens), { reps, warmup: 1 });
  step(`CPU train step B=${train.B} T=${train.T}`);
  {
    const trainer = await createTrainer(config, cloneParams(config, params), {
      engine: 'cpu',
      data: (s: number): Batch => batches(s),
      schedule: { lr: 1e-4 },
    });
    cpu.train = await measure(trainSample(trainer), { reps: trainReps, warmup: 1 });
    trainer.dispose();
  }

  step('ONNX export and session');
  let t0 = performance.now();
  let bytes: Uint8Array | null = exportOnnx(config, params);
  const exportMs = performance.now() - t0;
  const fileBytes = bytes.length;
  t0 = performance.now();
  const session = await createOnnxSession(bytes);
  const sessionMs = performance.now() - t0;
  bytes = null; // ~500 MB for GPT-2 small: let it go once ORT has its copy
  step('ONNX Runtime forward');
  const ortForward = await measure(() => timed(() => session.run(prompt, { outputs: [] })), { reps, warmup: 1 });
  await session.release();

  step('WebGPU forward');
  const gpuEngine = await createWebGpuEngine(config, params, { context: gpu });
  const webgpu: EngineFigures = {
    forward: skipped(''),
    forwardAll: skipped(''),
    decode: skipped(''),
    train: skipped(''),
  };
  try {
    if (large && !FULL) {
      // One 64-token pass is minutes on SwiftShader: a single run, its pipelines already compiled by the shipped model.
      webgpu.forward = await measure(forwardSample(gpuEngine, prompt), { reps: 1, warmup: 0 });
      const s = (ms(webgpu.forward) / 1000).toFixed(0);
      const why = `one forward pass takes ${s} s on SwiftShader, past the time budget (--full runs it)`;
      webgpu.forwardAll = skipped(why);
      webgpu.train = skipped(
        `a step is a forward and a ~2× backward, ~${(3 * Number(s)).toFixed(0)} s here (--full runs it)`,
      );
      step('WebGPU decode');
      webgpu.decode = await measure(decodeSample(gpuEngine, prompt, 4), { reps: 3, warmup: 1 });
      notes.push('WebGPU forward is a single run (n=1); WebGPU decode uses 4 tokens per sample.');
    } else {
      const r = large ? 1 : reps;
      [webgpu.forward, webgpu.forwardAll] = await measureAlternating(
        [forwardSample(gpuEngine, prompt), forwardSample(gpuEngine, prompt, 'all')],
        { reps: r, warmup: large ? 0 : 1 },
      );
      step('WebGPU decode');
      webgpu.decode = await measure(decodeSample(gpuEngine, prompt, decodeTokens), { reps: r, warmup: 1 });
      step(`WebGPU train step B=${train.B} T=${train.T}`);
      const trainer = await createTrainer(config, params, {
        engine: 'webgpu',
        context: gpu,
        data: (s: number): Batch => batches(s),
        schedule: { lr: 1e-4 },
        checkpointOnTrainEnd: false,
      });
      webgpu.train = await measure(trainSample(trainer), { reps: r, warmup: 1 });
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
    ort: { forward: ortForward, exportMs, sessionMs, fileBytes },
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
    ['decode / token, KV cache', cell(cpu.decode), cell(webgpu.decode), 'n/a: export has no cache'],
    [
      `decode / token, recompute (= forward T=${r.T})`,
      fmtMs(ms(cpu.forward)),
      fmtMs(ms(webgpu.forward)),
      fmtMs(ms(ort.forward)),
    ],
    ['  KV-cache speed-up', speedup(cpu.forward, cpu.decode), speedup(webgpu.forward, webgpu.decode), '—'],
    [`train step, B=${r.train.B} T=${r.train.T} (AdamW)`, cell(cpu.train), cell(webgpu.train), 'n/a'],
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
const totalS = (performance.now() - started) / 1000;

if (args.has('--json')) {
  process.stdout.write(`${JSON.stringify({ env, webgpu: webgpuLabel, totalS, results, bandwidth }, null, 2)}\n`);
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
