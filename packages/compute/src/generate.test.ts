import { describe, expect, it } from 'vitest';
import type { GPTConfig } from './config';
import { validateConfig } from './config';
import { createCpuEngine } from './cpu/engine';
import type { Engine, KVCache, RunOptions, RunResult } from './engine';
import { GlassboxError } from './errors';
import type { GenerateOptions } from './generate';
import { generate } from './generate';
import { initParams } from './params';
import { createRng } from './rng';
import { argmax, sampleStep } from './sample';
import { row, tensor } from './tensor';

/**
 * A fake engine whose next-token logits are any function of the tokens it can see (its cache plus the call's ids),
 * so the loop's bookkeeping (prefill, decode, window slides) is checked against what the "model" actually saw.
 * Its cache refuses to grow past n_positions, as a real one must.
 */
class FakeCache implements KVCache {
  tokens: number[] = [];
  get length(): number {
    return this.tokens.length;
  }
}

class FakeEngine implements Engine {
  readonly kind = 'cpu' as const;
  readonly config: GPTConfig;
  readonly calls: { ids: number[]; start: number; fresh: boolean; options: RunOptions }[] = [];
  private readonly caches = new Set<FakeCache>();

  constructor(
    V: number,
    N: number,
    private readonly next: (visible: readonly number[]) => number[],
  ) {
    this.config = validateConfig({ vocab_size: V, n_positions: N, n_embd: 4, n_layer: 1, n_head: 1 });
  }

  async run(ids: readonly number[], options: RunOptions = {}): Promise<RunResult> {
    const cache = options.cache as FakeCache;
    const fresh = !this.caches.has(cache);
    this.caches.add(cache);
    const start = cache.length;
    if (start + ids.length > this.config.n_positions) throw new Error(`cache overflow at ${start} + ${ids.length}`);
    this.calls.push({ ids: [...ids], start, fresh, options });
    const rows: number[] = [];
    for (const id of ids) {
      cache.tokens.push(id);
      rows.push(...this.next(cache.tokens));
    }
    const logits = tensor([ids.length, this.config.vocab_size], rows);
    return { logits, start, trace: options.capture ? { hook_logits: logits } : {} };
  }

  createCache(): KVCache {
    return new FakeCache();
  }

  async getParams(): Promise<never> {
    throw new Error('not used');
  }

  dispose(): void {}
}

const oneHot = (V: number, id: number) => Array.from({ length: V }, (_, i) => (i === id ? 5 : 0));
/** Greedy successor of the last visible token is (token + 1) mod V. */
const bigram = (V: number, N = 64) => new FakeEngine(V, N, (seen) => oneHot(V, (seen[seen.length - 1] + 1) % V));
const greedy = { temperature: 0 };

async function expectError(p: Promise<unknown>, code: string, mentions: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GlassboxError);
  expect((e as GlassboxError).code).toBe(code);
  expect((e as Error).message).toMatch(mentions);
}

describe('generate (loop logic, fake engine)', () => {
  it('prefills the prompt once, then decodes exactly one token per call', async () => {
    const engine = bigram(10);
    const r = await generate(engine, [7, 2], { maxNewTokens: 5, sampling: greedy });
    expect(r.newIds).toEqual([3, 4, 5, 6, 7]);
    expect(r.ids).toEqual([7, 2, 3, 4, 5, 6, 7]);
    expect(r.stoppedBy).toBe('max-tokens');
    expect(r.windowShifts).toBe(0);
    expect(r.truncatedPrompt).toBe(0);
    // No call is wasted on the last token, which nothing will read.
    expect(engine.calls.map((c) => [c.ids, c.start, c.fresh])).toEqual([
      [[7, 2], 0, true],
      [[3], 2, false],
      [[4], 3, false],
      [[5], 4, false],
      [[6], 5, false],
    ]);
    expect(r.steps.map((s) => [s.token, s.prob, s.position, s.contextStart, s.shifted])).toEqual([
      [3, 1, 2, 0, false],
      [4, 1, 3, 0, false],
      [5, 1, 4, 0, false],
      [6, 1, 5, 0, false],
      [7, 1, 6, 0, false],
    ]);
    expect(r.steps[0].summary.greedy).toBe(true);
    expect(r.steps[0].trace).toBeUndefined();
  });

  it('stops at a stop token, which is included in the output', async () => {
    const r = await generate(bigram(10), [0], { maxNewTokens: 50, stopTokens: [4, 9], sampling: greedy });
    expect(r.newIds).toEqual([1, 2, 3, 4]);
    expect(r.stoppedBy).toBe('stop-token');
  });

  it('maxNewTokens 0 returns the prompt without running the model', async () => {
    const engine = bigram(10);
    const r = await generate(engine, [1, 2], { maxNewTokens: 0, sampling: greedy });
    expect(r).toMatchObject({ ids: [1, 2], newIds: [], steps: [], stoppedBy: 'max-tokens' });
    expect(engine.calls).toEqual([]);
  });

  it('a prompt longer than n_positions keeps its last n_positions − 1 tokens and reports how many were dropped', async () => {
    const engine = bigram(20, 8);
    const prompt = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const r = await generate(engine, prompt, { maxNewTokens: 1, sampling: greedy });
    expect(r.truncatedPrompt).toBe(3);
    expect(engine.calls[0].ids).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(r.ids).toEqual([...prompt, 11]);
    expect(r.steps[0].contextStart).toBe(3);
    // A prompt of exactly n_positions fits and is kept whole.
    const exact = bigram(20, 8);
    const r8 = await generate(exact, prompt.slice(0, 8), { maxNewTokens: 2, sampling: greedy });
    expect(r8.truncatedPrompt).toBe(0);
    expect(exact.calls[0].ids).toEqual(prompt.slice(0, 8));
    expect(r8.windowShifts).toBe(1);
  });

  it('slides the window when the cache fills: keeps the newest ⌊N/2⌋ tokens, re-prefills them, counts the shift', async () => {
    // The "model" outputs how many tokens it can see, which exposes the window at every step.
    const V = 16;
    const engine = new FakeEngine(V, 8, (seen) => oneHot(V, seen.length % V));
    const r = await generate(engine, [9, 9, 9], { maxNewTokens: 20, sampling: greedy });
    expect(r.newIds).toEqual([3, 4, 5, 6, 7, 8, 4, 5, 6, 7, 8, 4, 5, 6, 7, 8, 4, 5, 6, 7]);
    expect(r.windowShifts).toBe(3);
    const shiftedAt = r.steps.flatMap((s, i) => (s.shifted ? [i] : []));
    expect(shiftedAt).toEqual([6, 11, 16]);
    for (const i of shiftedAt) {
      const s = r.steps[i];
      expect(s.contextStart).toBe(s.position - 4);
    }
    const reprefills = engine.calls.filter((c) => c.fresh).slice(1);
    expect(reprefills.map((c) => c.ids)).toEqual(
      shiftedAt.map((i) => r.ids.slice(r.steps[i].contextStart, r.steps[i].position)),
    );
    expect(Math.max(...engine.calls.map((c) => c.start + c.ids.length))).toBe(8);
  });

  it('works with the smallest window (n_positions = 1): every step sees only the last token', async () => {
    const engine = bigram(5, 1);
    const r = await generate(engine, [3, 3, 0], { maxNewTokens: 4, sampling: greedy });
    expect(r.truncatedPrompt).toBe(2);
    expect(r.newIds).toEqual([1, 2, 3, 4]);
    expect(r.windowShifts).toBe(3);
  });

  it('one seeded Rng drives the whole loop: same seed same text, other seed other text', async () => {
    const V = 12;
    const flat = () => new FakeEngine(V, 64, () => new Array(V).fill(0));
    const opts = (seed: number): GenerateOptions => ({ maxNewTokens: 30, sampling: { temperature: 1, seed } });
    const a = await generate(flat(), [0], opts(3));
    expect((await generate(flat(), [0], opts(3))).newIds).toEqual(a.newIds);
    expect((await generate(flat(), [0], opts(4))).newIds).not.toEqual(a.newIds);
    // The same stream as drawing with one Rng by hand (a per-step Rng would repeat its first draw).
    const rng = createRng(3);
    const byHand = Array.from({ length: 30 }, () => sampleStep(new Float32Array(V), { temperature: 1 }, rng).token);
    expect(a.newIds).toEqual(byHand);
    // Without a seed, seed 0.
    const d = await generate(flat(), [0], { maxNewTokens: 30, sampling: { temperature: 1 } });
    expect(d.newIds).toEqual((await generate(flat(), [0], opts(0))).newIds);
  });

  it('applies the sampling filters at every step (top-k 1 is greedy whatever the temperature)', async () => {
    const r = await generate(bigram(10), [0], { maxNewTokens: 4, sampling: { temperature: 5, topK: 1, seed: 9 } });
    expect(r.newIds).toEqual([1, 2, 3, 4]);
    expect(r.steps.every((s) => s.summary.keptCount === 1 && !s.summary.greedy)).toBe(true);
  });

  it('onToken sees every token with its full sampling step, in order', async () => {
    const seen: [number, number, number][] = [];
    await generate(bigram(10), [5], {
      maxNewTokens: 3,
      sampling: greedy,
      onToken: (e) => seen.push([e.index, e.token, e.sample.probs.length]),
    });
    expect(seen).toEqual([
      [0, 6, 10],
      [1, 7, 10],
      [2, 8, 10],
    ]);
  });

  it('capture is passed to every call and each step keeps the trace that produced it', async () => {
    const engine = bigram(10);
    const r = await generate(engine, [1, 2], {
      maxNewTokens: 2,
      sampling: { temperature: 0.5 },
      capture: ['hook_logits'],
    });
    expect(
      engine.calls.every(
        (c) => JSON.stringify(c.options.capture) === '["hook_logits"]' && c.options.temperature === 0.5,
      ),
    ).toBe(true);
    expect(r.steps.map((s) => s.trace?.hook_logits.shape)).toEqual([
      [2, 10],
      [1, 10],
    ]);
  });

  it('an abort stops the loop with the tokens so far and no further engine call', async () => {
    const engine = bigram(10);
    const ac = new AbortController();
    const r = await generate(engine, [0], {
      maxNewTokens: 10,
      sampling: greedy,
      signal: ac.signal,
      onToken: (e) => e.index === 2 && ac.abort(),
    });
    expect(r.newIds).toEqual([1, 2, 3]);
    expect(r.stoppedBy).toBe('aborted');
    expect(engine.calls.length).toBe(3);

    const before = bigram(10);
    const pre = await generate(before, [0], { maxNewTokens: 10, sampling: greedy, signal: AbortSignal.abort() });
    expect(pre.stoppedBy).toBe('aborted');
    expect(pre.newIds).toEqual([]);
    expect(before.calls).toEqual([]);
  });

  it('rejects bad input before running the model, naming what is wrong', async () => {
    const engine = bigram(10);
    const ok = { maxNewTokens: 3, sampling: greedy };
    await expectError(generate(engine, [], ok), 'bad-ids', /promptIds is empty/);
    await expectError(generate(engine, [1, 10], ok), 'bad-ids', /promptIds\[1\] = 10/);
    await expectError(generate(engine, [1.5], ok), 'bad-ids', /promptIds\[0\] = 1.5/);
    await expectError(generate(engine, [1], { ...ok, stopTokens: [-1] }), 'bad-ids', /stopTokens\[0\] = -1/);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expectError(generate(engine, [1], { ...ok, maxNewTokens: bad }), 'bad-sampling', /maxNewTokens.*got/);
    }
    await expectError(generate(engine, [1], { ...ok, sampling: { temperature: -1 } }), 'bad-sampling', /temperature/);
    expect(engine.calls).toEqual([]);
  });
});

describe('generate with the CPU engine', () => {
  const config = validateConfig({ vocab_size: 23, n_positions: 16, n_embd: 8, n_layer: 2, n_head: 2 });
  const engine = createCpuEngine(config, initParams(config, { seed: 5 }));

  /** Greedy by full recomputation: run the whole visible window every step, argmax of the last row. */
  async function recompute(window: readonly number[]): Promise<number> {
    const { logits } = await engine.run(window);
    return argmax(row(logits, logits.shape[0] - 1));
  }

  it('decode with the KV cache equals greedy generation by full recomputation', async () => {
    const prompt = [3, 17, 0, 9];
    const r = await generate(engine, prompt, { maxNewTokens: 10, sampling: greedy });
    const ids = [...prompt];
    for (let i = 0; i < 10; i++) ids.push(await recompute(ids));
    expect(r.ids).toEqual(ids);
    expect(r.windowShifts).toBe(0);
    expect(new Set(r.newIds).size).toBeGreaterThan(1); // a degenerate constant output would prove little
  });

  it('after window slides, each token equals full recomputation over the window the model saw', async () => {
    const r = await generate(engine, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], {
      maxNewTokens: 20,
      sampling: greedy,
    });
    expect(r.windowShifts).toBeGreaterThanOrEqual(2);
    for (const s of r.steps) {
      expect(s.position - s.contextStart).toBeLessThanOrEqual(config.n_positions);
      expect(await recompute(r.ids.slice(s.contextStart, s.position))).toBe(s.token);
    }
  });
});
