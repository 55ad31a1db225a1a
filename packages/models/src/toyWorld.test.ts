import { flattenParams } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import {
  continueGreedy,
  createToyWorldTrainer,
  decodeToyWorld,
  encodeToyWorld,
  TOY_WORLD_PARAM_COUNT,
  TOY_WORLD_RECIPE,
  TOY_WORLD_TARGET_LOSS,
  TOY_WORLD_TEXT,
  trainToyWorld,
} from './toyWorld';

describe('toy world', () => {
  it('encodes words by their index in the vocabulary and rejects unknown words', () => {
    expect(encodeToyWorld('cat sat on the mat END')).toEqual([0, 2, 3, 4, 5, 9]);
    expect(decodeToyWorld(encodeToyWorld(TOY_WORLD_TEXT))).toBe(TOY_WORLD_TEXT);
    expect(() => encodeToyWorld('cat barked')).toThrow(/unknown word "barked" at index 4/);
  });

  it('has 356 parameters (embedding 40, positions 64, one block 244, final LayerNorm 8)', () => {
    expect(TOY_WORLD_PARAM_COUNT).toBe(356);
    const tr = createToyWorldTrainer();
    expect(flattenParams(tr.params).reduce((n, [, t]) => n + t.data.length, 0)).toBe(356);
  });

  it('trains from the fixed seed, then continues "cat sat" greedily as "on the mat END"', async () => {
    const untrained = createToyWorldTrainer();
    expect(continueGreedy(untrained.params, 'cat sat')).not.toBe('on the mat END');
    const { params, summary, trainer } = await trainToyWorld();
    expect(summary.steps).toBe(TOY_WORLD_RECIPE.steps);
    expect(trainer.history[0].loss).toBeGreaterThan(2); // ≈ log 10 at the start
    expect(summary.lastLoss).toBeLessThan(TOY_WORLD_TARGET_LOSS);
    expect(continueGreedy(params, 'cat sat')).toBe('on the mat END');
    // The other branch after "cat" comes from the same context mechanism.
    expect(continueGreedy(params, 'cat sat on the mat END dog is')).toBe('happy END');
  });
});
