// Trains "austen", the shipped default model, and writes packages/models/austen/.
//   bash packages/models/scripts/prepare-austen.sh          # once: corpus → packages/models/.cache/austen/
//   npx tsx packages/models/scripts/train-english.ts          # train (resumes from the cache's checkpoint if any)
// Options: --fresh (ignore a saved checkpoint), --steps N, --workers W, --bench N (time N steps, write nothing),
//          --finish-only (skip training: load the saved checkpoint and write the model folder from it),
//          --deadline HH:MM (UTC; stop training then, keep the checkpoint, and write the model folder from it),
//          --stop-after N (stop after N steps of this invocation and keep the checkpoint, as Ctrl-C does).
//
// Data parallel: W worker threads (train-english-worker.ts) each compute the gradient of B/W sequences with
// computeGradients; this thread averages them in worker order, clips, and applies AdamW with the warmup + cosine
// schedule. The parameters live in a SharedArrayBuffer, so nothing is copied per step but the batch ids and the
// gradients. For a fixed W a run is deterministic bit for bit (also across a stop and resume: batches are a pure
// function of the step, and the checkpoint holds the parameters and the AdamW state exactly). A different W changes
// the result only through float32 summation order (W means of B/W sequences, averaged, instead of one mean of B).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Batch, GPTParams, ParamGrads } from '@glassbox/compute';
import {
  clipGradNorm,
  countParams,
  flattenParams,
  initParams,
  learningRate,
  Optimizer,
  paramSpecs,
  randomWindows,
  saveCheckpoint,
} from '@glassbox/compute';
import type { BpeTokenizer } from '@glassbox/tokenizers';
import { trainBpe } from '@glassbox/tokenizers';
import type { AustenRecipe } from '../src/austen';
import {
  AUSTEN_CONFIG,
  AUSTEN_RECIPE,
  AUSTEN_SPECIAL,
  continueText,
  tokenCounts,
  unigramCrossEntropy,
} from '../src/austen';
import type { WorkerReply, WorkerRequest } from './train-english-worker';
import { paramsOnBuffer } from './train-english-worker';
import { writeAustenCard } from './write-austen-card';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const option = (name: string): number | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cache = `${root}packages/models/.cache/austen/`;
const runDir = `${cache}run/`;
const outDir = fileURLToPath(new URL('../austen/', import.meta.url));
const config = AUSTEN_CONFIG;
const recipe: AustenRecipe = {
  ...AUSTEN_RECIPE,
  steps: option('steps') ?? AUSTEN_RECIPE.steps,
  workers: option('workers') ?? AUSTEN_RECIPE.workers,
};
if (recipe.steps !== AUSTEN_RECIPE.steps) {
  // Another length (a smoke test, a longer run): the same warmup (at most a tenth of the run), cosine to the end.
  const warmupSteps = Math.max(1, Math.min(AUSTEN_RECIPE.schedule.warmupSteps ?? 0, Math.floor(recipe.steps / 10)));
  recipe.schedule = { ...recipe.schedule, warmupSteps, decaySteps: recipe.steps };
}
const bench = option('bench');
const deadlineArg = args.includes('--deadline') ? args[args.indexOf('--deadline') + 1] : undefined;
const deadline = deadlineArg
  ? new Date(`${new Date().toISOString().slice(0, 11)}${deadlineArg}:00Z`).getTime()
  : Infinity;
const EVAL_EVERY = 250;
const EVAL_WINDOWS = 64;
const CHECKPOINT_EVERY = 100;
const LOG_EVERY = 10;
const PROMPTS = [
  'It is a truth universally acknowledged, that',
  'Elizabeth',
  'Mr. Knightley said',
  '"My dear',
  'She was',
];

const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
const fmtTime = (ms: number): string =>
  `${Math.floor(ms / 60000)}m${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}s`;

// ---- corpus and tokenizer --------------------------------------------------------------------------------------
if (!existsSync(`${cache}train.txt`) || !existsSync(`${cache}val.txt`)) {
  log('corpus missing: running prepare-austen.sh');
  execFileSync('bash', [`${root}packages/models/scripts/prepare-austen.sh`], { stdio: 'inherit' });
}
const trainText = readFileSync(`${cache}train.txt`, 'utf8');
const valText = readFileSync(`${cache}val.txt`, 'utf8');
let t0 = performance.now();
const tokenizer: BpeTokenizer = trainBpe(trainText, { vocabSize: recipe.vocabSize, specialTokens: [AUSTEN_SPECIAL] });
if (tokenizer.vocabSize !== config.vocab_size) throw new Error(`BPE gave ${tokenizer.vocabSize} tokens`);
const trainIds = tokenizer.encode(trainText);
const valIds = tokenizer.encode(valText);
const counts = tokenCounts(trainIds, config.vocab_size);
const valTargets = valIds.slice(1);
const unigram = unigramCrossEntropy(counts, valTargets);
log(
  `BPE ${tokenizer.vocabSize} tokens in ${(performance.now() - t0).toFixed(0)} ms; train ${trainIds.length} tokens ` +
    `(${(trainText.length / trainIds.length).toFixed(2)} chars/token), val ${valIds.length}; ` +
    `unigram baseline on val ${unigram.toFixed(4)} nats/token`,
);

// ---- parameters, optimizer, workers ----------------------------------------------------------------------------
const specs = paramSpecs(config);
const nParams = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
const pBuf = new SharedArrayBuffer(nParams * 4);
const params: GPTParams = paramsOnBuffer(config, pBuf);
const flatParams = new Float32Array(pBuf);
{
  let o = 0;
  for (const [, t] of flattenParams(initParams(config, { seed: recipe.seed }))) {
    flatParams.set(t.data, o);
    o += t.data.length;
  }
}
const gradSum = new Float32Array(nParams);
const grads: ParamGrads = paramsOnBuffer(config, gradSum.buffer);
const optimizer = new Optimizer(config, params, recipe.optimizer);
log(`model ${JSON.stringify(config)}: ${countParams(config).total} parameters; recipe ${JSON.stringify(recipe)}`);

const W = recipe.workers;
if (recipe.batchSize % W !== 0) throw new Error(`batch ${recipe.batchSize} does not split over ${W} workers`);
const gBufs = Array.from({ length: W }, () => new SharedArrayBuffer(nParams * 4));
// tsx compiles TypeScript through a module loader that Node 20 does not pass on to workers: register it there first.
const workerBoot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./train-english-worker.ts', import.meta.url).href)}); });`;
const workers = gBufs.map(
  (g) => new Worker(workerBoot, { eval: true, workerData: { config, params: pBuf, grads: g } }),
);
function ask(w: number, req: WorkerRequest): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const worker = workers[w];
    const onError = (e: Error) => reject(e);
    worker.once('error', onError);
    worker.once('message', (m: WorkerReply) => {
      worker.off('error', onError);
      resolve(m);
    });
    worker.postMessage(req);
  });
}
const shard = (b: Batch, w: number, n: number): Batch => {
  const per = b.inputs.length / n;
  return { inputs: b.inputs.slice(w * per, (w + 1) * per), targets: b.targets.slice(w * per, (w + 1) * per) };
};

/** Mean loss over windows of blockSize + 1 (non-overlapping) of `ids`, split over the workers. */
async function evalLoss(ids: readonly number[], maxWindows = Number.POSITIVE_INFINITY): Promise<number> {
  const T = recipe.blockSize;
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let s = 0; s + T + 1 <= ids.length && inputs.length < maxWindows; s += T) {
    inputs.push(ids.slice(s, s + T));
    targets.push(ids.slice(s + 1, s + T + 1));
  }
  const per = Math.ceil(inputs.length / W);
  const replies = await Promise.all(
    workers.map((_, w) =>
      ask(w, {
        kind: 'eval',
        batch: { inputs: inputs.slice(w * per, (w + 1) * per), targets: targets.slice(w * per, (w + 1) * per) },
      }),
    ),
  );
  let sum = 0;
  let n = 0;
  for (const r of replies) {
    if (r.kind !== 'eval') continue;
    sum += r.sum;
    n += r.n;
  }
  return sum / n;
}

// ---- checkpoint (parameters + AdamW state + history) -----------------------------------------------------------
interface History {
  step: number[];
  loss: number[];
  lr: number[];
  gradNorm: number[];
  val: { step: number; loss: number; tokens: number }[];
}
interface RunState {
  recipe: AustenRecipe;
  completedSteps: number;
  optimizerT: number;
  trainMs: number;
  history: History;
}
let state: RunState = {
  recipe,
  completedSteps: 0,
  optimizerT: 0,
  trainMs: 0,
  history: { step: [], loss: [], lr: [], gradNorm: [], val: [] },
};

function saveRun(): void {
  mkdirSync(runDir, { recursive: true });
  const snap = optimizer.snapshot();
  const bin = new Float32Array(nParams * 3);
  bin.set(flatParams, 0);
  let o = nParams;
  for (const a of [...snap.m, ...snap.v]) {
    bin.set(a as Float32Array, o);
    o += (a as Float32Array).length;
  }
  state.optimizerT = snap.t;
  writeFileSync(`${runDir}state.bin.tmp`, new Uint8Array(bin.buffer));
  writeFileSync(`${runDir}state.json.tmp`, JSON.stringify(state));
  renameSync(`${runDir}state.bin.tmp`, `${runDir}state.bin`);
  renameSync(`${runDir}state.json.tmp`, `${runDir}state.json`);
}

function loadRun(): boolean {
  if (flag('fresh') || !existsSync(`${runDir}state.json`)) return false;
  const saved = JSON.parse(readFileSync(`${runDir}state.json`, 'utf8')) as RunState;
  if (JSON.stringify(saved.recipe) !== JSON.stringify(recipe)) {
    log('saved checkpoint has a different recipe: starting fresh (use the same --steps/--workers to resume)');
    return false;
  }
  const bin = new Float32Array(new Uint8Array(readFileSync(`${runDir}state.bin`)).buffer);
  flatParams.set(bin.subarray(0, nParams));
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  let o = nParams;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    m.push(bin.slice(o, o + n));
    o += n;
  }
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    v.push(bin.slice(o, o + n));
    o += n;
  }
  optimizer.restore({ t: saved.optimizerT, m, v });
  state = saved;
  return true;
}

// ---- training --------------------------------------------------------------------------------------------------
const data = randomWindows(trainIds, { batchSize: recipe.batchSize, blockSize: recipe.blockSize, seed: recipe.seed });
const tokensPerStep = recipe.batchSize * recipe.blockSize;
let stopRequested = false;
process.on('SIGINT', () => {
  log('SIGINT: stopping after this step and saving a checkpoint');
  stopRequested = true;
});
process.on('SIGTERM', () => {
  stopRequested = true;
});

async function trainStep(step: number): Promise<{ loss: number; gradNorm: number; lr: number }> {
  const batch = data(step);
  const replies = await Promise.all(workers.map((_, w) => ask(w, { kind: 'grad', batch: shard(batch, w, W) })));
  // Average the workers' gradients in worker order (each is the mean over its B/W sequences).
  gradSum.set(new Float32Array(gBufs[0]));
  for (let w = 1; w < W; w++) {
    const g = new Float32Array(gBufs[w]);
    for (let i = 0; i < nParams; i++) gradSum[i] += g[i];
  }
  if (W > 1) for (let i = 0; i < nParams; i++) gradSum[i] /= W;
  let loss = 0;
  for (const r of replies) if (r.kind === 'grad') loss += r.loss;
  loss /= W;
  if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step}: loss ${loss}`);
  const clip = clipGradNorm(grads, recipe.clipNorm);
  if (!Number.isFinite(clip.norm)) throw new Error(`training diverged at step ${step}: gradient norm ${clip.norm}`);
  const lr = learningRate(step, recipe.schedule);
  optimizer.step(params, grads, lr);
  return { loss, gradNorm: clip.norm, lr };
}

if (bench !== undefined) {
  log(`bench: ${bench} steps of ${tokensPerStep} tokens on ${W} worker(s), ${cpus().length} cores`);
  for (let s = 0; s < bench; s++) {
    const t = performance.now();
    const r = await trainStep(s);
    const ms = performance.now() - t;
    log(`step ${s}: loss ${r.loss.toFixed(4)} ${ms.toFixed(0)} ms ${((tokensPerStep * 1000) / ms).toFixed(0)} tok/s`);
  }
  const t = performance.now();
  const vl = await evalLoss(valIds, EVAL_WINDOWS);
  log(`eval of ${EVAL_WINDOWS} windows: ${vl.toFixed(4)} in ${(performance.now() - t).toFixed(0)} ms`);
  for (const w of workers) await w.terminate();
  process.exit(0);
}

const resumed = loadRun();
if (flag('finish-only') && !resumed) throw new Error(`--finish-only: no checkpoint for this recipe in ${runDir}`);
if (resumed) log(`resumed at step ${state.completedSteps} (${fmtTime(state.trainMs)} trained so far)`);
const h = state.history;
if (!flag('finish-only')) {
  let segStart = performance.now();
  let segTokens = 0;
  let lastSave = performance.now();
  const stopAt = state.completedSteps + (option('stop-after') ?? Number.POSITIVE_INFINITY);
  while (state.completedSteps < recipe.steps && !stopRequested) {
    if (Date.now() > deadline) {
      log(`deadline ${deadlineArg} UTC reached at step ${state.completedSteps} of ${recipe.steps}: finishing early`);
      break;
    }
    const step = state.completedSteps;
    if (step % EVAL_EVERY === 0 && !h.val.some((v) => v.step === step)) {
      const vl = await evalLoss(valIds, EVAL_WINDOWS);
      h.val.push({ step, loss: round(vl), tokens: step * tokensPerStep });
      log(`step ${step}: val loss ${vl.toFixed(4)} (first ${EVAL_WINDOWS} val windows; unigram ${unigram.toFixed(4)})`);
    }
    const t = performance.now();
    const r = await trainStep(step);
    state.trainMs += performance.now() - t;
    segTokens += tokensPerStep;
    state.completedSteps += 1;
    h.step.push(step);
    h.loss.push(round(r.loss));
    h.lr.push(Number(r.lr.toPrecision(4)));
    h.gradNorm.push(round(r.gradNorm));
    if (state.completedSteps % LOG_EVERY === 0) {
      const recent = h.loss.slice(-LOG_EVERY);
      const avg = recent.reduce((a, b) => a + b, 0) / recent.length;
      const tps = (segTokens * 1000) / (performance.now() - segStart);
      const eta = ((recipe.steps - state.completedSteps) * tokensPerStep) / tps;
      log(
        `step ${state.completedSteps}/${recipe.steps} loss ${r.loss.toFixed(4)} (avg${LOG_EVERY} ${avg.toFixed(4)}) ` +
          `lr ${r.lr.toExponential(2)} |g| ${r.gradNorm.toFixed(3)} ${tps.toFixed(0)} tok/s ` +
          `trained ${fmtTime(state.trainMs)} eta ${fmtTime(eta * 1000)}`,
      );
    }
    if (state.completedSteps >= stopAt) stopRequested = true;
    if (state.completedSteps % CHECKPOINT_EVERY === 0 || performance.now() - lastSave > 5 * 60_000) {
      saveRun();
      lastSave = performance.now();
      segStart = performance.now();
      segTokens = 0;
    }
  }
  saveRun();
  if (stopRequested) {
    log(`stopped at step ${state.completedSteps}; checkpoint saved in ${runDir}; run again to resume`);
    for (const w of workers) await w.terminate();
    process.exit(0);
  }
}

// ---- final evaluation, samples, files ----------------------------------------------------------------------------
t0 = performance.now();
const finalVal = await evalLoss(valIds);
const finalValFixed = await evalLoss(valIds, EVAL_WINDOWS);
const trainSample = trainIds.slice(0, Math.min(trainIds.length, 400 * recipe.blockSize));
// Training loss measured the same way as validation (non-overlapping windows), on the first ~50k train tokens.
const finalTrain = await evalLoss(trainSample);
const lastLosses = h.loss.slice(-100);
const finalTrainRunning = lastLosses.reduce((a, b) => a + b, 0) / lastLosses.length;
log(
  `final: val ${finalVal.toFixed(4)} (all ${Math.floor((valIds.length - 1) / recipe.blockSize)} windows), ` +
    `train ${finalTrain.toFixed(4)} (first ${trainSample.length} train tokens), last-100-step train ${finalTrainRunning.toFixed(4)}, ` +
    `unigram ${unigram.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
for (const w of workers) await w.terminate();

const samples = PROMPTS.map((prompt) => ({
  prompt,
  greedy: continueText(config, params, tokenizer, prompt, { maxNew: 48, temperature: 0 }),
  t08: continueText(config, params, tokenizer, prompt, { maxNew: 48, temperature: 0.8, seed: 0 }),
}));
for (const s of samples)
  log(`${JSON.stringify(s.prompt)}\n  greedy: ${JSON.stringify(s.greedy)}\n  T=0.8:  ${JSON.stringify(s.t08)}`);

// A fixed validation slice for the test (packages/models/src/austen.test.ts): the first 4 windows of val.
const testSlice = valIds.slice(0, 4 * recipe.blockSize + 1);
const tokensSeen = state.completedSteps * tokensPerStep;
const trainLog = {
  corpus: 'Jane Austen, six novels (Debian r-cran-janeaustenr), last 5% of each novel held out',
  trainTokens: trainIds.length,
  valTokens: valIds.length,
  trainChars: trainText.length,
  valChars: valText.length,
  charsPerToken: Number((trainText.length / trainIds.length).toFixed(2)),
  recipe,
  parameters: countParams(config).total,
  steps: state.completedSteps,
  tokensSeen,
  trainWallMs: Math.round(state.trainMs),
  tokensPerSecond: Math.round((tokensSeen * 1000) / state.trainMs),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? 'CPU'}, shared with other work), Node ${process.version}`,
  stoppedEarly: state.completedSteps < recipe.steps,
  unigramValLoss: round(unigram),
  finalValLoss: round(finalVal),
  finalValLossFirst64Windows: round(finalValFixed),
  finalTrainLoss: round(finalTrain),
  finalTrainLossLast100Steps: round(finalTrainRunning),
  samples,
  testSlice: { text: tokenizer.decode(testSlice), ids: testSlice },
  unigramCounts: Array.from(counts),
  history: h,
};
mkdirSync(outDir, { recursive: true });
const { safetensors, configJson } = saveCheckpoint(config, params, {
  dtype: 'F32',
  metadata: { recipe: JSON.stringify(recipe), producer: 'packages/models/scripts/train-english.ts' },
});
writeFileSync(`${outDir}model.safetensors`, safetensors);
writeFileSync(`${outDir}config.json`, configJson);
writeFileSync(`${outDir}tokenizer.json`, `${JSON.stringify(tokenizer.toJSON())}\n`);
writeFileSync(`${outDir}training-log.json`, `${JSON.stringify(trainLog)}\n`);
writeAustenCard(trainLog);
log(`wrote ${outDir} (model.safetensors ${(safetensors.length / 1e6).toFixed(2)} MB, MODEL_CARD.md)`);

function round(x: number): number {
  return Number(x.toFixed(4));
}
