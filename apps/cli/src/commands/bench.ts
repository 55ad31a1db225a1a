import type { GPTConfig, GPTParams } from '@glassbox/compute';
import { CpuKVCache, cloneParams, countParams, createRng, forward, randomWindows, Trainer } from '@glassbox/compute';
import type { Command } from '../command';
import { MODEL_OPTION_HELP } from '../command';
import { EXIT_OK, UsageError } from '../errors';
import { formatCount, formatRate } from '../format';
import { loadModel } from '../modelDir';
import type { OptionValues } from '../options';
import { intOption, numberOption, stringOption } from '../options';

const DEFAULT_SECONDS = 1;
const DEFAULT_BATCH = 4;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure the CPU engine on a model: prefill, KV-cache decode (against recompute), training steps',
  help: `Usage: glassbox bench [--model M] [--tokens T] [--batch B] [--seconds S] [--json]

Measures the CPU engine on a model, each figure next to a peer measured in the same run on the same machine:
  prefill      one forward pass over T tokens
  decode       T tokens generated one at a time with the KV cache, against recomputing the whole prefix for
               every token (what generation would cost without a cache)
  train step   forward + backward + AdamW update on a batch of B sequences of T tokens
Each figure is tokens per second over at least S seconds of repeats, after one warm-up run. Token ids are drawn
at random: speed does not depend on which tokens they are.

Options:
${MODEL_OPTION_HELP}
  --tokens T         sequence length (default: n_positions, at most 128)
  --batch B          sequences per training step (default ${DEFAULT_BATCH})
  --seconds S        minimum measuring time per figure (default ${DEFAULT_SECONDS})
  --json             print the figures as JSON
  -h, --help         show this help`,
  options: {
    model: { type: 'string' },
    tokens: { type: 'string' },
    batch: { type: 'string' },
    seconds: { type: 'string' },
    json: { type: 'boolean' },
  },
  run: runBench,
};

export interface BenchFigures {
  prefill: number;
  decodeCached: number;
  decodeRecompute: number;
  trainStep: number;
}

async function runBench(values: OptionValues): Promise<number> {
  const tokensFlag = intOption(values, 'tokens', 2);
  const batch = intOption(values, 'batch', 1) ?? DEFAULT_BATCH;
  const seconds = numberOption(values, 'seconds') ?? DEFAULT_SECONDS;
  if (!(seconds > 0 && Number.isFinite(seconds)))
    throw new UsageError(`--seconds must be a number > 0, got ${seconds}`);
  const model = await loadModel(stringOption(values, 'model'));
  const { config, params } = model;
  const T = tokensFlag ?? Math.min(config.n_positions, 128);
  if (T > config.n_positions) {
    throw new UsageError(`--tokens ${T} is longer than the model's context window (n_positions ${config.n_positions})`);
  }

  const figures = bench(config, params, { T, batch, seconds });
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ model: model.spec, T, batch, tokensPerSecond: figures }, null, 2)}\n`);
    return EXIT_OK;
  }
  const rate = (r: number) => `${formatRate(r).padStart(10)} tokens/s`;
  const lines = [
    `${model.spec}: ${formatCount(countParams(config).total)} parameters, CPU engine (float32), Node ${process.version}`,
    `  prefill      ${`T=${T}`.padEnd(14)}${rate(figures.prefill)}`,
    `  decode       ${'KV cache'.padEnd(14)}${rate(figures.decodeCached)}  ` +
      `(${(figures.decodeCached / figures.decodeRecompute).toFixed(1)}× recompute)`,
    `               ${'recompute'.padEnd(14)}${rate(figures.decodeRecompute)}`,
    `  train step   ${`B=${batch}, T=${T}`.padEnd(14)}${rate(figures.trainStep)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** All four figures; the parameters are not changed (training runs on a copy). */
export function bench(
  config: GPTConfig,
  params: GPTParams,
  { T, batch, seconds }: { T: number; batch: number; seconds: number },
): BenchFigures {
  const rng = createRng(0);
  const ids = Array.from({ length: Math.max(4 * T, batch * (T + 1)) }, () =>
    Math.floor(rng.next() * config.vocab_size),
  );
  const prompt = ids.slice(0, T);

  const prefill = measure(seconds, () => {
    forward(config, params, prompt);
    return T;
  });
  // Both decode figures produce T positions from a 1-token start, so they do the same useful work.
  const decodeCached = measure(seconds, () => {
    const cache = new CpuKVCache(config);
    for (let t = 0; t < T; t++) forward(config, params, [prompt[t]], { cache });
    return T;
  });
  const decodeRecompute = measure(seconds, () => {
    for (let t = 1; t <= T; t++) forward(config, params, prompt.slice(0, t));
    return T;
  });
  const trainer = new Trainer(config, cloneParams(config, params), {
    data: randomWindows(ids, { batchSize: batch, blockSize: T, seed: 0 }),
    schedule: { lr: 1e-4 },
  });
  const trainStep = measure(seconds, () => trainer.runStep().tokens);
  return { prefill, decodeCached, decodeRecompute, trainStep };
}

/** Tokens per second over repeats of `run` lasting at least `seconds`, after one untimed warm-up (JIT, caches). */
function measure(seconds: number, run: () => number): number {
  run();
  let tokens = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    tokens += run();
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  return tokens / elapsed;
}
