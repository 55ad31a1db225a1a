import { readFileSync } from 'node:fs';
import { compareWithOnnx, flattenParams, saveCheckpoint } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { defaultModel, loadShippedModel, SHIPPED_MODELS } from './shipped';
import { continueGreedy, TOY_WORLD_CONFIG, TOY_WORLD_RECIPE, trainToyWorld } from './toyWorld';

describe('shipped models', () => {
  it('every shipped model loads with its tokenizer and a config that matches its weights', async () => {
    for (const info of SHIPPED_MODELS) {
      const m = await loadShippedModel(info.name);
      expect(m.warnings).toEqual([]);
      expect(m.tokenizer.vocabSize).toBe(m.config.vocab_size);
      expect(m.params.embed.W_E.shape).toEqual([m.config.vocab_size, m.config.n_embd]);
      expect(() => m.tokenizer.encode(info.examplePrompt)).not.toThrow();
    }
    expect(SHIPPED_MODELS.map((m) => m.name)).toContain(defaultModel);
  });

  it('the committed toy-world checkpoint is exactly what its recipe produces (bit for bit)', async () => {
    const { params } = await trainToyWorld(TOY_WORLD_RECIPE);
    const { safetensors } = saveCheckpoint(TOY_WORLD_CONFIG, params, {
      metadata: { recipe: JSON.stringify(TOY_WORLD_RECIPE), producer: 'packages/models/scripts/train-toy-world.ts' },
    });
    const committed = new Uint8Array(readFileSync(new URL('../toy-world/model.safetensors', import.meta.url)));
    expect(Buffer.from(safetensors).equals(Buffer.from(committed))).toBe(true);

    const shipped = await loadShippedModel('toy-world');
    const a = flattenParams(shipped.params);
    const b = flattenParams(params);
    a.forEach(([name, t], i) => {
      expect(b[i][0]).toBe(name);
      expect(Array.from(t.data)).toEqual(Array.from(b[i][1].data));
    });
  });

  it('the shipped toy world continues "cat sat" as "on the mat END"', async () => {
    const m = await loadShippedModel('toy-world');
    expect(continueGreedy(m.params, 'cat sat')).toBe('on the mat END');
  });
});

describe('shipped models agree with ONNX Runtime', () => {
  it('logits of every shipped model match ONNX Runtime (wasm) on its example prompt to < 1e-4', async () => {
    for (const info of SHIPPED_MODELS) {
      const m = await loadShippedModel(info.name);
      const ids = m.tokenizer.encode(info.examplePrompt);
      const r = await compareWithOnnx(m.config, m.params, ids);
      expect(r.maxAbsDiff).toBeLessThan(1e-4);
      expect(r.sameArgmax).toBe(true);
    }
  });
});
