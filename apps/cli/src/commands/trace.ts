import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GPTConfig, Tensor, Trace } from '@glassbox/compute';
import { createCpuEngine, hookNames } from '@glassbox/compute';
import type { Command } from '../command';
import { MODEL_OPTION_HELP } from '../command';
import { CliError, EXIT_OK, UsageError } from '../errors';
import { formatBytes, plural } from '../format';
import { loadModel } from '../modelDir';
import { encodeNpy } from '../npy';
import type { OptionValues } from '../options';
import { numberOption, requiredString, stringOption } from '../options';
import { encodePrompt } from '../prompt';

const FORMATS = ['json', 'npy'] as const;
type TraceFormat = (typeof FORMATS)[number];

export const traceCommand: Command = {
  name: 'trace',
  summary: 'run a prompt and write chosen hooked tensors (JSON or .npy) with their shapes',
  help: `Usage: glassbox trace [--model M] --prompt TEXT --hooks NAMES|all [--format json|npy] --out DIR
                     [--temperature T]

Runs the prompt through the model once, captures the named hooks (docs/hooks.md lists every name with its shape
and meaning) and writes them to DIR:
  json  trace.json: {"<hook>": {"shape": [...], "data": [row-major numbers]}}; the JSON numbers are the
        float32 values, and −∞ (masked attention scores) is written as the string "-Infinity"
  npy   one <hook>.npy per hook (float32, little-endian, NumPy format 1.0: numpy.load reads it)
Both formats also write index.json: the prompt, its token ids and token strings, and each hook's shape and file.

Options:
${MODEL_OPTION_HELP}
  --prompt TEXT      the text to run
  --hooks NAMES      comma-separated hook names, e.g. blocks.0.attn.hook_pattern,hook_logits; * matches any
                     run of characters (blocks.*.attn.hook_pattern); "all" captures every hook
  --format F         json (default) or npy
  --out DIR          directory to write to (created if missing; files of the same name are replaced)
  --temperature T    temperature of hook_scaled_logits and hook_probs (default 1)
  -h, --help         show this help`,
  options: {
    model: { type: 'string' },
    prompt: { type: 'string' },
    hooks: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    temperature: { type: 'string' },
  },
  run: runTrace,
};

async function runTrace(values: OptionValues): Promise<number> {
  const prompt = requiredString(values, 'prompt');
  const hooksArg = requiredString(values, 'hooks');
  const out = resolve(requiredString(values, 'out'));
  const format = (stringOption(values, 'format') ?? 'json') as TraceFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be json or npy, got "${format}"`);
  const temperature = numberOption(values, 'temperature');

  const model = await loadModel(stringOption(values, 'model'));
  for (const w of model.warnings) process.stderr.write(`warning: ${w}\n`);
  const names = selectHooks(model.config, hooksArg);
  const ids = encodePrompt(model.tokenizer, prompt);
  if (ids.length > model.config.n_positions) {
    throw new CliError(
      `the prompt is ${plural(ids.length, 'token')} long; this model sees at most n_positions = ` +
        `${model.config.n_positions} at once (generate slides a window; a trace is one pass)`,
    );
  }
  const engine = createCpuEngine(model.config, model.params);
  const { trace } = await engine.run(ids, { capture: names, temperature });

  await mkdir(out, { recursive: true });
  const files = format === 'npy' ? await writeNpy(out, names, trace) : await writeJson(out, names, trace);
  const index = {
    model: model.spec,
    prompt,
    ids,
    tokens: ids.map((id) => model.tokenizer.idToToken(id)),
    format,
    hooks: names.map((name, i) => ({ name, shape: trace[name].shape, file: files[i] })),
  };
  await writeFile(join(out, 'index.json'), compactJson(index));
  const bytes = names.reduce((sum, n) => sum + 4 * trace[n].data.length, 0);
  process.stderr.write(
    `wrote ${plural(names.length, 'hook')} (${formatBytes(bytes)} of float32) for ${plural(ids.length, 'token')} ` +
      `to ${out} as ${format}\n`,
  );
  return EXIT_OK;
}

/**
 * Expands --hooks into concrete names of this model, in the order the forward pass reaches them (so files and
 * index.json list them the way docs/hooks.md does). A name that does not exist is an error naming it, not an
 * empty file: a typo in a hook name should never look like a successful trace.
 */
export function selectHooks(config: GPTConfig, arg: string): string[] {
  const all = hookNames(config);
  if (arg.trim() === 'all') return all;
  const wanted = new Set<string>();
  const items = arg
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError('--hooks needs at least one hook name, or "all"');
  for (const item of items) {
    if (item.includes('*')) {
      const pattern = new RegExp(`^${item.split('*').map(escapeRegExp).join('.*')}$`);
      const matched = all.filter((n) => pattern.test(n));
      if (matched.length === 0) throw new CliError(`--hooks: "${item}" matches no hook of this model`);
      for (const n of matched) wanted.add(n);
    } else if (all.includes(item)) {
      wanted.add(item);
    } else {
      const layers = /^blocks\.(\d+)\./.exec(item);
      const why =
        layers && Number(layers[1]) >= config.n_layer
          ? `this model has blocks 0..${config.n_layer - 1}`
          : 'see docs/hooks.md for every name';
      throw new CliError(`--hooks: unknown hook "${item}" (${why})`);
    }
  }
  return all.filter((n) => wanted.has(n));
}

/** One top-level key per line and one hook per line: readable in a terminal, unlike fully indented shapes. */
function compactJson(obj: Record<string, unknown>): string {
  const lines = Object.entries(obj).map(([k, v]) =>
    Array.isArray(v) && v.some((x) => typeof x === 'object')
      ? `  ${JSON.stringify(k)}: [\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]`
      : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

async function writeNpy(out: string, names: readonly string[], trace: Trace): Promise<string[]> {
  const files = names.map((name) => `${name}.npy`);
  await Promise.all(names.map((name, i) => writeFile(join(out, files[i]), encodeNpy(trace[name]))));
  return files;
}

/**
 * trace.json is written hook by hook and in slices of numbers: a trace of every hook of a real GPT-2 has hundreds
 * of millions of digits, more than one JavaScript string may hold.
 */
async function writeJson(out: string, names: readonly string[], trace: Trace): Promise<string[]> {
  const file = 'trace.json';
  const handle = await open(join(out, file), 'w');
  try {
    await handle.write('{\n');
    for (let h = 0; h < names.length; h++) {
      const t = trace[names[h]];
      await handle.write(`${JSON.stringify(names[h])}: {"shape": ${JSON.stringify(t.shape)}, "data": [`);
      await writeNumbers(handle, t);
      await handle.write(h < names.length - 1 ? ']},\n' : ']}\n');
    }
    await handle.write('}\n');
  } finally {
    await handle.close();
  }
  return names.map(() => file);
}

const SLICE = 1 << 16;

async function writeNumbers(handle: FileHandle, t: Tensor): Promise<void> {
  for (let i = 0; i < t.data.length; i += SLICE) {
    const parts: string[] = [];
    const end = Math.min(t.data.length, i + SLICE);
    for (let j = i; j < end; j++) parts.push(jsonFloat32(t.data[j]));
    await handle.write((i > 0 ? ',' : '') + parts.join(','));
  }
}

/**
 * The shortest decimal that reads back as the same float32 (at most 9 significant digits), instead of the 17 digits
 * of the float64 the value widens to: the file is half the size and the numbers are the ones the engine had.
 * JSON has no infinities; they appear in attention scores (masked positions), so they are written as strings.
 */
export function jsonFloat32(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
  const f = Math.fround(x);
  for (let p = 6; p < 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return String(candidate);
  }
  return String(Number(f.toPrecision(9)));
}
