import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GPTConfig } from '@glassbox/compute';
import { countParams, forward, hookNames, initParams } from '@glassbox/compute';
import { CharTokenizer } from '@glassbox/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from './cli';
import { traceCommand } from './commands/trace';
import type { RunResult } from './testing';
import { isOneLineError, parseNpy, runCli, runInProcess, TINY_CHARS, tempDir, writeTinyModel } from './testing';

/** End-to-end: the real bin/glassbox.js on a random 2-layer model written to a temporary directory. */
let root: string;
let model: string;
let config: GPTConfig;

beforeAll(() => {
  root = tempDir();
  model = join(root, 'tiny');
  config = writeTinyModel(model, { seed: 1 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('glassbox info', () => {
  it('prints the config and the parameter total that countParams gives', async () => {
    const r = await runCli(['info', '--model', model]);
    expect(r.code).toBe(0);
    const total = countParams(config).total;
    expect(total).toBe(1960); // 72 + 128 + 2 × 872 + 16, so a wrong formula cannot agree with itself
    expect(r.stdout).toMatch(/total\s+1,960\b/);
    expect(r.stdout).toContain('n_layer 2, n_head 2, n_embd 8');
    expect(r.stdout).toContain('tokenizer   char, 9 tokens');
    expect(r.stdout).toContain('model.safetensors');
  });

  it('gives the same facts as JSON', async () => {
    const r = await runInProcess(['info', '--model', model, '--json']);
    const info = JSON.parse(r.stdout);
    expect(info.params.total).toBe(1960);
    expect(info.params.perBlock.attn).toBe(4 * (8 * 8 + 8));
    expect(info.tokenizer).toEqual({ kind: 'char', vocabSize: 9 });
    expect(info.weightsDtype).toBe('F32');
  });
});

describe('glassbox generate', () => {
  // Functions, not arrays: `model` is set by the outer beforeAll, after this describe block is collected.
  const greedy = () => ['generate', '--model', model, '--prompt', 'ab', '--max-tokens', '12', '--temperature', '0'];
  const seeded = (seed: string) => [
    'generate',
    '--model',
    model,
    '--prompt',
    'abc',
    '--max-tokens',
    '30',
    '--seed',
    seed,
  ];
  let runs: RunResult[];

  beforeAll(async () => {
    runs = await Promise.all([
      runCli(greedy()),
      runCli(greedy()),
      runCli(seeded('7')),
      runCli(seeded('7')),
      runCli(seeded('8')),
    ]);
  });

  it('is deterministic at temperature 0 and reproducible with a seed', () => {
    const [g1, g2, s1, s2, other] = runs;
    for (const r of runs) expect(r.code).toBe(0);
    expect(g1.stdout).toBe(g2.stdout);
    expect(s1.stdout).toBe(s2.stdout);
    expect(s1.stdout).not.toBe(other.stdout);
    // The prompt is echoed, then exactly --max-tokens characters (a char model), then a newline.
    expect(s1.stdout).toMatch(/^abc[a-h ]{30}\n$/);
  });

  it('greedy output equals greedy decoding computed in-process from the same weights', () => {
    const tok = new CharTokenizer(TINY_CHARS);
    const params = initParams(config, { seed: 1 });
    const ids = tok.encode('ab');
    for (let i = 0; i < 12; i++) {
      const { logits } = forward(config, params, ids.slice(-config.n_positions));
      const T = logits.shape[0];
      const last = [...logits.data.subarray((T - 1) * config.vocab_size, T * config.vocab_size)];
      ids.push(last.indexOf(Math.max(...last)));
    }
    expect(runs[0].stdout).toBe(`${tok.decode(ids)}\n`);
  });

  it('ends with a summary line: tokens, tokens/s, why it stopped, window slides', () => {
    // n_positions is 16, so 30 new tokens after a 3-token prompt must slide the window.
    expect(runs[2].stderr).toMatch(
      /^30 tokens in [\d.]+ s \([\d,.]+ tokens\/s\); stopped by max-tokens; context window slid \d+ times? /m,
    );
  });

  it('stops at a --stop token', async () => {
    const firstNew = runs[0].stdout[2];
    const r = await runCli([...greedy(), '--stop', firstNew]);
    expect(r.stdout).toBe(`ab${firstNew}\n`);
    expect(r.stderr).toContain('1 token in');
    expect(r.stderr).toContain('stopped by stop-token');
  });
});

describe('glassbox trace', () => {
  const prompt = 'bad cafe';
  let expected: Record<string, { shape: readonly number[]; data: Float32Array }>;

  beforeAll(() => {
    const ids = new CharTokenizer(TINY_CHARS).encode(prompt);
    expected = forward(config, initParams(config, { seed: 1 }), ids, { capture: 'all' }).trace as typeof expected;
  });
  const runTrace = (out: string, ...options: string[]) =>
    runCli(['trace', '--model', model, '--prompt', prompt, '--out', out, ...options]);

  it('writes the chosen hooks as JSON with their shapes and the engine values', async () => {
    const out = join(root, 'trace-json');
    const r = await runTrace(out, '--hooks', 'blocks.*.attn.hook_attn_scores,hook_logits');
    expect(r.code).toBe(0);
    const trace = JSON.parse(readFileSync(join(out, 'trace.json'), 'utf8'));
    expect(Object.keys(trace)).toEqual([
      'blocks.0.attn.hook_attn_scores',
      'blocks.1.attn.hook_attn_scores',
      'hook_logits',
    ]);
    expect(trace.hook_logits.shape).toEqual([8, 9]);
    expect(trace['blocks.1.attn.hook_attn_scores'].shape).toEqual([2, 8, 8]);
    for (const name of Object.keys(trace)) {
      // Masked scores are −∞, written as a string; every finite number reads back as the exact float32.
      const values = trace[name].data.map((x: number | string) => (typeof x === 'string' ? Number(x) : Math.fround(x)));
      expect(values).toEqual([...expected[name].data]);
    }
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.tokens.join('')).toBe(prompt);
    expect(index.ids).toEqual(new CharTokenizer(TINY_CHARS).encode(prompt));
  });

  it('writes one .npy per hook that a NumPy-format reader parses, plus an index', async () => {
    const out = join(root, 'trace-npy');
    const r = await runTrace(out, '--hooks', 'all', '--format', 'npy');
    expect(r.code).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.hooks.map((h: { name: string }) => h.name)).toEqual(hookNames(config));
    for (const { name, shape, file } of index.hooks) {
      const npy = parseNpy(new Uint8Array(readFileSync(join(out, file))));
      expect(npy.shape).toEqual([...expected[name].shape]);
      expect(shape).toEqual(npy.shape);
      expect([...npy.data]).toEqual([...expected[name].data]);
    }
  });
});

describe('glassbox bench', () => {
  it('reports four positive speeds, each figure measured on the given sequence length', async () => {
    const r = await runInProcess([
      'bench',
      '--model',
      model,
      '--tokens',
      '8',
      '--batch',
      '2',
      '--seconds',
      '0.01',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ T: 8, batch: 2 });
    expect(Object.keys(out.tokensPerSecond)).toEqual(['prefill', 'decodeCached', 'decodeRecompute', 'trainStep']);
    for (const v of Object.values(out.tokensPerSecond)) expect(v).toBeGreaterThan(0);
    const tooLong = await runInProcess(['bench', '--model', model, '--tokens', '17']);
    expect(isOneLineError(tooLong)).toBe(true);
  });
});

describe('errors are one line on stderr with a non-zero exit code', () => {
  // The four cases the contract names run as real processes; the rest go through the same cli() in-process.
  it('a model directory that does not exist', async () => {
    const r = await runCli(['info', '--model', join(root, 'nowhere')]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/^glassbox info: no model ".*nowhere": no such directory/);
  });

  it('a file that is not a checkpoint', async () => {
    const dir = join(root, 'not-a-checkpoint');
    writeTinyModel(dir);
    writeFileSync(join(dir, 'model.safetensors'), 'this is plain text, not safetensors\n'.repeat(4));
    const r = await runCli(['generate', '--model', dir, '--prompt', 'a']);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain(join(dir, 'model.safetensors'));
    expect(r.stdout).toBe('');
  });

  it('an unknown flag exits 2 (usage)', async () => {
    const r = await runCli(['generate', '--model', model, '--frobnicate']);
    expect(isOneLineError(r)).toBe(true);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('glassbox generate: unknown option --frobnicate (see glassbox generate --help)\n');
  });

  it('a bad temperature, named by its flag, before anything is generated', async () => {
    const r = await runCli(['generate', '--model', model, '--temperature', '-1']);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/--temperature must be a finite number >= 0.*got -1/);
    expect(r.stdout).toBe('');
  });

  it('a missing file in a model directory, or a path to a file that is not a model', async () => {
    const dir = join(root, 'no-tokenizer');
    writeTinyModel(dir);
    rmSync(join(dir, 'tokenizer.json'));
    const missing = await runInProcess(['generate', '--model', dir]);
    expect(isOneLineError(missing)).toBe(true);
    expect(missing.stderr).toContain('missing tokenizer.json');
    const file = await runInProcess(['info', '--model', join(dir, 'config.json')]);
    expect(isOneLineError(file)).toBe(true);
    expect(file.stderr).toContain('is a file, not a model directory');
  });

  it('usage errors exit 2: unknown command, malformed number, missing value', async () => {
    for (const args of [['frobnicate'], ['generate', '--max-tokens', 'many'], ['trace', '--prompt']]) {
      const r = await runInProcess(args);
      expect(isOneLineError(r)).toBe(true);
      expect(r.code).toBe(2);
    }
  });

  it('sampling settings out of range, a prompt the tokenizer cannot encode, an unknown hook', async () => {
    const cases: [string[], string][] = [
      [['generate', '--model', model, '--top-p', '1.5'], '--top-p must be in (0, 1]'],
      [['generate', '--model', model, '--top-k', '0'], '--top-k must be an integer >= 1'],
      [['generate', '--model', model, '--prompt', 'xyz'], 'unknown character "x"'],
      [['generate', '--model', model, '--stop', 'ab'], '--stop "ab" must be a single token'],
      [
        ['trace', '--model', model, '--prompt', 'ab', '--hooks', 'blocks.2.hook_resid_pre', '--out', root],
        'blocks 0..1',
      ],
      [['trace', '--model', model, '--prompt', 'ab', '--hooks', 'hook_nothing*', '--out', root], 'matches no hook'],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(args);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('help', () => {
  it("the top level lists every command, and a command's --help shows its usage", async () => {
    const [top, trace] = await Promise.all([runCli(['--help']), runCli(['trace', '--help'])]);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) {
      expect(top.stdout).toContain(`  ${c.name} `);
      expect(c.help).toMatch(new RegExp(`^Usage: glassbox ${c.name} `));
    }
    expect(trace.code).toBe(0);
    expect(trace.stdout).toBe(`${traceCommand.help}\n`);
  });
});
