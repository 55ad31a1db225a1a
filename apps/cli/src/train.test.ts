import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@glassbox/compute';
import { loadCheckpoint, parseSafetensors } from '@glassbox/compute';
import { tokenizerFromJSON } from '@glassbox/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, collect, isOneLineError, runCli, runInProcess, tempDir, writeTinyModel } from './testing';

let root: string;
let corpus: string;
const SHAPE = ['--layers', '1', '--heads', '1', '--embd', '8', '--positions', '16', '--batch', '2', '--seq', '8'];

beforeAll(() => {
  root = tempDir('glassbox-train-');
  corpus = join(root, 'corpus.txt');
  const lines = ['the cat sat on the mat', 'the dog sat on the log', 'a cat and a dog'];
  writeFileSync(corpus, Array.from({ length: 30 }, (_, i) => lines[i % 3]).join('\n'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function weights(dir: string): Map<string, Tensor> {
  return parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors')))).tensors;
}

function trainerState(dir: string): { step: number; losses: number[] } {
  return JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
}

describe('glassbox train', () => {
  it('writes a model directory; a paused and resumed run ends with the same weights as an unbroken one', async () => {
    const whole = join(root, 'whole');
    const paused = join(root, 'paused');
    const common = ['train', '--corpus', corpus, ...SHAPE, '--steps', '12', '--lr', '0.01'];
    const [a, b] = await Promise.all([
      runCli([...common, '--out', whole]),
      runCli([...common, '--out', paused, '--pause-at', '5']),
    ]);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/^step 12\/12 {2}loss [\d.]+ {2}[\d,.]+ tokens\/s/m);
    expect(b.code).toBe(0);
    expect(trainerState(paused).step).toBe(5);

    const c = await runCli(['train', '--resume', paused]);
    expect(c.code).toBe(0);
    expect(c.stderr).toContain('resuming at step 5');

    const [w1, w2] = [weights(whole), weights(paused)];
    expect([...w2.keys()]).toEqual([...w1.keys()]);
    for (const [name, t] of w1) expect(w2.get(name)?.data, name).toEqual(t.data);
    expect(trainerState(paused)).toMatchObject({ step: 12, losses: trainerState(whole).losses });

    // The result is an ordinary model directory: the checkpoint loads and the tokenizer rebuilds.
    const loaded = loadCheckpoint(
      new Uint8Array(readFileSync(join(whole, 'model.safetensors'))),
      readFileSync(join(whole, 'config.json'), 'utf8'),
    );
    const tokenizer = tokenizerFromJSON(JSON.parse(readFileSync(join(whole, 'tokenizer.json'), 'utf8')));
    expect(loaded.config).toMatchObject({ n_layer: 1, n_head: 1, n_embd: 8, n_positions: 16 });
    expect(loaded.config.vocab_size).toBe(tokenizer.vocabSize);
    expect(loaded.metadata['glassbox.step']).toBe('12');
    const losses = trainerState(whole).losses;
    expect(losses).toHaveLength(12);
    expect(losses[11]).toBeLessThan(losses[0]);
  });

  it('Ctrl-C saves a checkpoint, exits 130, and the checkpoint resumes', async () => {
    const out = join(root, 'interrupted');
    const child = spawn(
      process.execPath,
      [BIN, 'train', '--corpus', corpus, '--out', out, ...SHAPE, '--steps', '1000000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const done = collect(child);
    // Interrupt once training is under way (the first step prints a progress line); a run that dies before that
    // fails the expectations below instead of hanging the test.
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (s: string) => {
        if (String(s).includes('step 1/')) resolve();
      });
      child.on('close', () => resolve());
    });
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/stopped at step \d+ of 1000000; .*checkpoint saved to/);
    const step = trainerState(out).step;
    expect(step).toBeGreaterThanOrEqual(1);
    expect(step).toBeLessThan(1000000);

    const resumed = await runInProcess(['train', '--resume', out, '--steps', String(step + 2)]);
    expect(resumed.code).toBe(0);
    expect(trainerState(out).step).toBe(step + 2);
  });

  it('a corpus character the tokenizer cannot encode is one line naming it with line and column', async () => {
    const model = join(root, 'abc-model');
    writeTinyModel(model); // a char tokenizer of a–h and space
    const bad = join(root, 'bad.txt');
    writeFileSync(bad, 'bad cab\nfaceZ dead\n');
    const r = await runCli([
      'train',
      '--corpus',
      bad,
      '--out',
      join(root, 'x'),
      '--tokenizer',
      join(model, 'tokenizer.json'),
    ]);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toContain(`${bad}:1:8:`); // the line break is the first character outside a–h and space
    expect(r.stderr).toContain('U+000A');

    writeFileSync(bad, 'bad cab faceZ dead');
    const z = await runInProcess(['train', '--corpus', bad, '--out', join(root, 'x'), '--resume', model]);
    expect(isOneLineError({ ...z, stderr: z.stderr.replace(/^\(.*\n/, '') })).toBe(true);
    expect(z.stderr).toContain(`${bad}:1:13: the char tokenizer cannot encode the corpus: unknown character "Z"`);
  });

  it('trains a BPE tokenizer on the corpus and generates from the result', async () => {
    const out = join(root, 'bpe');
    const r = await runInProcess([
      'train',
      '--corpus',
      corpus,
      '--out',
      out,
      ...SHAPE,
      '--steps',
      '3',
      '--tokenizer',
      'bpe:300',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(json.kind).toBe('bpe');
    expect(tokenizerFromJSON(json).vocabSize).toBeLessThanOrEqual(300);
    const g = await runInProcess(['generate', '--model', out, '--prompt', 'the cat', '--max-tokens', '4']);
    expect(g.code).toBe(0);
    expect(g.stdout.startsWith('the cat')).toBe(true);
  });

  it('refuses flags that contradict the run, in one line', async () => {
    const cases: [string[], string][] = [
      [['train', '--out', join(root, 'y')], '--corpus is required'],
      [['train', '--corpus', corpus, '--out', join(root, 'y'), '--embd', '10', '--heads', '3'], 'divisible'],
      [['train', '--corpus', corpus, '--out', join(root, 'y'), '--positions', '8', '--seq', '9'], '--seq 9 is longer'],
      [['train', '--corpus', corpus, '--out', join(root, 'y'), '--optimizer', 'lion'], '--optimizer must be'],
      [['train', '--corpus', corpus, '--out', join(root, 'y'), '--tokenizer', 'bpe:10'], 'at least 256 tokens'],
      [['train', '--resume', join(root, 'whole'), '--layers', '3'], '--layers cannot be combined with --resume'],
      [['train', '--corpus', join(root, 'missing.txt'), '--out', join(root, 'y')], 'no such file'],
    ];
    for (const [args, message] of cases) {
      const r = await runInProcess(args);
      expect(isOneLineError(r), args.join(' ')).toBe(true);
      expect(r.stderr).toContain(message);
    }
  });
});
