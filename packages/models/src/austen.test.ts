import { readFileSync } from 'node:fs';
import { countParams } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { AUSTEN_CONFIG, continueText, unigramCrossEntropy, windowedLoss } from './austen';
import { defaultModel, loadShippedModel } from './shipped';

interface TrainingLog {
  parameters: number;
  unigramValLoss: number;
  finalValLoss: number;
  testSlice: { text: string; ids: number[] };
  unigramCounts: number[];
}

const trainingLog = JSON.parse(
  readFileSync(new URL('../austen/training-log.json', import.meta.url), 'utf8'),
) as TrainingLog;

describe('the shipped austen model', () => {
  it('is the default model, and loads with the config, shapes and tokenizer its card describes', async () => {
    expect(defaultModel).toBe('austen');
    const m = await loadShippedModel('austen');
    expect(m.warnings).toEqual([]);
    expect(m.config).toEqual(AUSTEN_CONFIG);
    expect(m.tokenizer.kind).toBe('bpe');
    expect(m.tokenizer.vocabSize).toBe(2048);
    expect(m.params.embed.W_E.shape).toEqual([2048, 128]);
    expect(m.params.pos_embed.W_pos.shape).toEqual([128, 128]);
    expect(m.params.blocks).toHaveLength(4);
    expect(m.params.blocks[3].mlp.W_in.shape).toEqual([128, 512]);
    expect(countParams(m.config).total).toBe(trainingLog.parameters);
    expect(m.tokenizer.encode('<|endoftext|>')).toEqual([2047]);
    const text = 'It is a truth universally acknowledged.';
    expect(m.tokenizer.decode(m.tokenizer.encode(text))).toBe(text);
  });

  it('beats the unigram baseline by a clear margin on a fixed validation slice', async () => {
    const m = await loadShippedModel('austen');
    const { ids, text } = trainingLog.testSlice;
    expect(ids).toHaveLength(4 * 128 + 1);
    expect(m.tokenizer.decode(ids)).toBe(text);
    const { loss, targets } = windowedLoss(m.config, m.params, ids, 128);
    const unigram = unigramCrossEntropy(trainingLog.unigramCounts, targets);
    // Measured when the model was trained: 3.86 (model) vs 6.39 (unigram) nats per token on this slice.
    expect(unigram).toBeGreaterThan(5.5);
    expect(loss).toBeLessThan(unigram - 1.5);
    expect(trainingLog.finalValLoss).toBeLessThan(trainingLog.unigramValLoss - 1.5);
  });

  it('continues a prompt greedily with English-looking text, the same way twice', async () => {
    const m = await loadShippedModel('austen');
    const a = continueText(m.config, m.params, m.tokenizer, 'It is a truth universally acknowledged, that', {
      maxNew: 12,
    });
    const b = continueText(m.config, m.params, m.tokenizer, 'It is a truth universally acknowledged, that', {
      maxNew: 12,
    });
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(12);
    expect(a).toMatch(/^[\x20-\x7e\n]+$/);
    // Mostly words: letters, spaces and punctuation, and at least three words of two or more letters.
    expect(a.match(/[A-Za-z]{2,}/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });
});
