import type { Engine, GenerateResult, SamplingSettings } from '@glassbox/compute';
import { createCpuEngine, GlassboxError, generate, validateSampling } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import type { Command } from '../command';
import { MODEL_OPTION_HELP } from '../command';
import { CliError, EXIT_INTERRUPTED, EXIT_OK } from '../errors';
import { formatRate, formatSeconds, plural } from '../format';
import { loadModel } from '../modelDir';
import type { OptionValues } from '../options';
import { intOption, numberOption, seedOption, stringOption } from '../options';
import { defaultPrompt, encodePrompt } from '../prompt';
import { TextStream } from '../streamText';

const DEFAULT_MAX_TOKENS = 50;
const DEFAULT_TEMPERATURE = 1;

export const generateCommand: Command = {
  name: 'generate',
  summary: 'continue a prompt, printing tokens as they are sampled',
  help: `Usage: glassbox generate [--model M] [--prompt TEXT] [--max-tokens N] [--temperature T] [--top-k K]
                        [--top-p P] [--seed S] [--stop TOKEN]...

Prints the prompt, then each new token as soon as it is sampled (on stdout), then a summary line on stderr: how
many tokens, how fast, why generation stopped, and whether the context window slid or the prompt was cut.
Ctrl-C stops early and still prints the summary.

Options:
${MODEL_OPTION_HELP}
  --prompt TEXT      the text to continue (default: the shipped model's example prompt, or a short opening
                     the model's tokenizer can encode)
  --max-tokens N     generate at most N new tokens (default ${DEFAULT_MAX_TOKENS})
  --temperature T    divide the logits by T before the softmax; 0 means greedy, always the most probable token
                     (default ${DEFAULT_TEMPERATURE})
  --top-k K          sample only among the K most probable tokens
  --top-p P          sample only among the most probable tokens whose probabilities add up to P, in (0, 1]
  --seed S           seed of the sampler's random numbers: the same seed gives the same text (default 0)
  --stop TOKEN       stop after generating this token (one token of the model's vocabulary; \\n and \\t are
                     understood); may be given more than once
  -h, --help         show this help`,
  options: {
    model: { type: 'string' },
    prompt: { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    stop: { type: 'string', multiple: true },
  },
  run: runGenerate,
};

async function runGenerate(values: OptionValues): Promise<number> {
  // Parse every flag before loading the model, so a typo fails at once instead of after reading megabytes.
  const maxNewTokens = intOption(values, 'max-tokens', 0) ?? DEFAULT_MAX_TOKENS;
  const sampling: SamplingSettings = {
    temperature: numberOption(values, 'temperature') ?? DEFAULT_TEMPERATURE,
    seed: seedOption(values) ?? 0,
  };
  const topK = numberOption(values, 'top-k');
  const topP = numberOption(values, 'top-p');
  if (topK !== undefined) sampling.topK = topK;
  if (topP !== undefined) sampling.topP = topP;
  checkSampling(sampling);

  const model = await loadModel(stringOption(values, 'model'));
  for (const w of model.warnings) process.stderr.write(`warning: ${w}\n`);
  const { tokenizer } = model;
  const stopTokens = ((values.stop as string[] | undefined) ?? []).map((s) => stopTokenId(tokenizer, s));
  let prompt = stringOption(values, 'prompt');
  if (prompt === undefined) {
    prompt = model.examplePrompt ?? defaultPrompt(tokenizer);
    process.stderr.write(`(no --prompt given; continuing ${JSON.stringify(prompt)})\n`);
  }
  const promptIds = encodePrompt(tokenizer, prompt);

  const engine = yielding(createCpuEngine(model.config, model.params));
  const stream = new TextStream(tokenizer, promptIds);
  const abort = new AbortController();
  // First Ctrl-C: stop after the current token and report what was generated. A second one kills as usual.
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);

  process.stdout.write(prompt);
  const began = performance.now();
  let result: GenerateResult;
  try {
    result = await generate(engine, promptIds, {
      maxNewTokens,
      stopTokens,
      sampling,
      signal: abort.signal,
      onToken: (event) => process.stdout.write(stream.push(event.token)),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`${stream.flush()}\n`);
  process.stderr.write(`${summarize(result, seconds, model.config.n_positions)}\n`);
  return result.stoppedBy === 'aborted' ? EXIT_INTERRUPTED : EXIT_OK;
}

/** The sampler names its settings as the API spells them (topP); the user typed flags (--top-p), so say those. */
function checkSampling(sampling: SamplingSettings): void {
  try {
    validateSampling(sampling);
  } catch (err) {
    if (!(err instanceof GlassboxError)) throw err;
    const flags: Record<string, string> = {
      temperature: '--temperature',
      topK: '--top-k',
      topP: '--top-p',
      seed: '--seed',
    };
    throw new CliError(err.message.replace(/^(temperature|topK|topP|seed)\b/, (name) => flags[name]));
  }
}

/**
 * The CPU engine resolves its promises at once, so the generation loop would run entirely in microtasks and Ctrl-C
 * (delivered as an event-loop callback) would not be seen until it ended. Yielding to the event loop before each
 * engine call costs microseconds and lets the SIGINT handler abort between tokens.
 */
function yielding(engine: Engine): Engine {
  return {
    kind: engine.kind,
    config: engine.config,
    run: async (ids, options) => {
      await new Promise((resolve) => setImmediate(resolve));
      return engine.run(ids, options);
    },
    createCache: () => engine.createCache(),
    getParams: () => engine.getParams(),
    dispose: () => engine.dispose(),
  };
}

/** `--stop '\n'` arrives as backslash + n from most shells; the stop token the user means is the newline. */
function unescapeStop(s: string): string {
  return s.replace(/\\([nt\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

function stopTokenId(tokenizer: Tokenizer, raw: string): number {
  const text = unescapeStop(raw);
  let ids: number[];
  try {
    ids = tokenizer.encode(text);
  } catch (err) {
    throw new CliError(`--stop ${JSON.stringify(raw)}: ${(err as Error).message}`);
  }
  if (ids.length !== 1) {
    throw new CliError(
      `--stop ${JSON.stringify(raw)} must be a single token of the model's vocabulary, but it encodes to ` +
        `${plural(ids.length, 'token')}`,
    );
  }
  return ids[0];
}

export function summarize(result: GenerateResult, seconds: number, nPositions: number): string {
  const n = result.newIds.length;
  const parts = [
    `${plural(n, 'token')} in ${formatSeconds(seconds)} (${formatRate(n / seconds)} tokens/s)`,
    `stopped by ${result.stoppedBy === 'aborted' ? 'Ctrl-C' : result.stoppedBy}`,
  ];
  if (result.truncatedPrompt > 0) {
    const seen = result.ids.length - n - result.truncatedPrompt;
    parts.push(`prompt truncated: the model saw only its last ${plural(seen, 'token')} (n_positions ${nPositions})`);
  }
  if (result.windowShifts > 0) {
    parts.push(`context window slid ${plural(result.windowShifts, 'time')} (n_positions ${nPositions})`);
  }
  return parts.join('; ');
}
