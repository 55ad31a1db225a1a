import { describe, expect, it } from 'vitest';
import { GlassboxError } from '../../errors';
import { createRng } from '../../rng';
import { compareGradients, numericGradient, probeLoss, randomTensor } from '../../train/gradcheck';
import { gatherRows, gatherRowsBackward, positionRows, positionRowsBackward } from './embedding';

describe('gatherRowsBackward (scatter-add)', () => {
  it('adds the gradients of repeated ids and leaves unread rows at zero', () => {
    const rng = createRng(13);
    const table = randomTensor([6, 3], rng);
    const ids = [2, 4, 2, 0];
    const dOut = randomTensor([4, 3], rng);
    const dTable = gatherRowsBackward(dOut, ids, 6);
    for (let i = 0; i < 3; i++) expect(dTable.data[2 * 3 + i]).toBe(dOut.data[i] + dOut.data[2 * 3 + i]);
    expect(Array.from(dTable.data.subarray(3, 6))).toEqual([0, 0, 0]);
    const L = () => probeLoss(gatherRows(table, ids), dOut);
    expect(compareGradients(dTable, numericGradient(L, table)).maxRelError).toBeLessThan(1e-6);
  });

  it('puts position gradients in rows start … start+T−1', () => {
    const rng = createRng(14);
    const W_pos = randomTensor([7, 2], rng);
    const dOut = randomTensor([3, 2], rng);
    const dW = positionRowsBackward(dOut, 2, 7);
    const L = () => probeLoss(positionRows(W_pos, 2, 3), dOut);
    expect(compareGradients(dW, numericGradient(L, W_pos)).maxRelError).toBeLessThan(1e-6);
    expect(Array.from(dW.data.subarray(4, 6))).toEqual(Array.from(dOut.data.subarray(0, 2)));
  });

  it('rejects an id outside the table', () => {
    const rng = createRng(15);
    expect(() => gatherRowsBackward(randomTensor([1, 2], rng), [9], 4)).toThrow(GlassboxError);
  });
});
