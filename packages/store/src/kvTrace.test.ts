import type { Tensor } from '@glassbox/compute';
import { CpuEngine } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { appendDecodeTrace } from './kvTrace';
import { UNTRAINED_MODEL } from './modelSource';

/** Largest difference, with equal infinities (masked scores) counting as equal. */
function diff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y));
  }
  return m;
}

describe('appendDecodeTrace', () => {
  it('a decode step appended to the prompt’s trace equals the full pass, hook for hook', async () => {
    const model = await UNTRAINED_MODEL.load();
    const engine = new CpuEngine(model.config, model.params);
    const ids = model.tokenizer.encode('The cat sat');
    const cache = engine.createCache();
    const prompt = await engine.run(ids.slice(0, -2), { capture: 'all', cache });
    const step1 = await engine.run(ids.slice(-2, -1), { capture: 'all', cache });
    const step2 = await engine.run(ids.slice(-1), { capture: 'all', cache });
    expect(step2.trace['blocks.0.attn.hook_k_cache'].shape[0]).toBe(ids.length);
    const merged = appendDecodeTrace(appendDecodeTrace(prompt.trace, step1.trace), step2.trace);
    const full = (await engine.run(ids, { capture: 'all' })).trace;
    expect(Object.keys(merged).sort()).toEqual(Object.keys(full).sort());
    for (const name of Object.keys(full)) expect(diff(merged[name], full[name]), name).toBeLessThan(1e-5);
    expect(merged['blocks.1.attn.hook_attn_scores'].data[1]).toBe(Number.NEGATIVE_INFINITY); // [h0, t0, s1]: masked
  });
});
