import { describe, expect, it } from 'vitest';
import { distributionModel } from './Distribution';
import { textPieces } from './TokenStrip';

describe('distribution bars', () => {
  it('rank tokens and place the top-k and top-p lines between bars', () => {
    const probs = [0.1, 0.4, 0.05, 0.3, 0.15];
    const keptK = [0, 1, 0, 1, 1];
    const kept = [0, 1, 0, 1, 0];
    const m = distributionModel(probs, 4, keptK, kept);
    expect(m.rows.map((r) => r.id)).toEqual([1, 3, 4, 0]);
    expect(m.topKLine).toBe(3);
    expect(m.topPLine).toBe(2);
    expect(m.keptCount).toBe(2);
    expect(m.keptMass).toBeCloseTo(0.7);
  });

  it('draw no line when nothing among the bars was cut', () => {
    const m = distributionModel([0.5, 0.5], 2, null, null);
    expect(m.topKLine).toBeNull();
    expect(m.topPLine).toBeNull();
  });
});

describe('token pieces', () => {
  it('cut text by token offsets, leaving uncovered characters plain', () => {
    const pieces = textPieces('ab cd', [
      { id: 1, text: 'ab', start: 0, end: 2 },
      { id: 2, text: 'cd', start: 3, end: 5 },
    ]);
    expect(pieces).toEqual([
      { token: 0, text: 'ab' },
      { token: null, text: ' ' },
      { token: 1, text: 'cd' },
    ]);
  });

  it('show a character split between two byte-level tokens once', () => {
    const pieces = textPieces('😀', [
      { id: 1, text: 'a', start: 0, end: 2 },
      { id: 2, text: 'b', start: 0, end: 2 },
    ]);
    expect(pieces).toEqual([{ token: 0, text: '😀' }]);
  });
});
