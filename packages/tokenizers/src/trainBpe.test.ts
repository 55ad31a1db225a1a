import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from './bpe';
import { TokenizerError } from './errors';
import { tokenizerFromJSON } from './json';
import { pretokenize } from './pretokenize';
import { mulberry32, randomText, textFromOffsets } from './testUtil';
import { trainBpe } from './trainBpe';
import type { MergeRecord } from './types';

/** The textbook algorithm: recount every pair of every word before each merge. Slow, obviously right. */
function naiveTrain(corpus: string, numMerges: number, minFrequency = 2): [number, number, number][] {
  const freq = new Map<string, number>();
  for (const p of pretokenize(corpus)) freq.set(p.text, (freq.get(p.text) ?? 0) + 1);
  let words = [...freq].map(([w, f]) => ({ syms: [...new TextEncoder().encode(w)], f }));
  const merges: [number, number, number][] = [];
  while (merges.length < numMerges) {
    const counts = new Map<string, number>();
    for (const { syms, f } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]},${syms[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + f);
      }
    }
    let best: [number, number, number] | undefined;
    for (const [k, c] of counts) {
      const [l, r] = k.split(',').map(Number);
      if (!best || c > best[2] || (c === best[2] && (l < best[0] || (l === best[0] && r < best[1])))) best = [l, r, c];
    }
    if (!best || best[2] < minFrequency) break;
    const [l, r] = best;
    const id = 256 + merges.length;
    merges.push(best);
    words = words.map(({ syms, f }) => {
      const out: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === l && syms[i + 1] === r) {
          out.push(id);
          i++;
        } else out.push(syms[i]);
      }
      return { syms: out, f };
    });
  }
  return merges;
}

const LOW = 'low low low low low lower lower newest newest newest newest newest newest widest widest widest';

describe('trainBpe', () => {
  it('learns the expected first merges on the "low lower newest widest" corpus', () => {
    const t = trainBpe(LOW, { vocabSize: 256 + 6 });
    // (e,s) and (s,t) both occur 9 times; the tie goes to the smaller left id ('e' = 101 < 's' = 115).
    expect(t.merges.map((m) => t.idToToken(m.merged))).toEqual(['es', 'est', 'lo', 'low', ' n', ' low']);
    expect(t.merges.map((m) => m.count)).toEqual([9, 9, 7, 7, 6, 6]);
    expect(t.merges[0]).toEqual({ rank: 0, left: 101, right: 115, merged: 256, count: 9 });
    expect(t.vocabSize).toBe(262);
    expect(t.tokenize(' lowest').map((x) => x.text)).toEqual([' low', 'est']);
  });

  it('matches the recount-everything reference merge for merge, count for count', () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 6; trial++) {
      let corpus = '';
      // A small alphabet makes many ties and overlapping runs ("aaaa"), where incremental updates go wrong.
      for (let i = 0; i < 400; i++) {
        corpus += rand() < 0.2 ? ' ' : 'aabbc'[Math.floor(rand() * 5)];
        if (rand() < 0.05) corpus += randomText(rand, 2);
      }
      const fast = trainBpe(corpus, { vocabSize: 256 + 60 }).toJSON().merges;
      expect(fast, `trial ${trial}`).toEqual(naiveTrain(corpus, 60));
    }
  });

  it('round-trips any text, including characters never seen in training', () => {
    const t = trainBpe(LOW.repeat(3) + ' the cat sat on the mat', { vocabSize: 300 });
    const rand = mulberry32(5);
    for (let i = 0; i < 200; i++) {
      const s = randomText(rand);
      const tokens = t.tokenize(s);
      expect(t.decode(t.encode(s)), JSON.stringify(s)).toBe(s);
      expect(textFromOffsets(s, tokens)).toBe(s);
    }
  });

  it('matches special tokens first and never merges them', () => {
    const eot = '<|endoftext|>';
    const corpus = `${eot}ab ab${eot}ab${eot}${eot}`.repeat(20);
    const t = trainBpe(corpus, { vocabSize: 300, specialTokens: [eot] });
    // The special's characters were cut out before counting, so no merge contains '<' or '|'.
    for (const m of t.merges) expect(t.idToToken(m.merged)).not.toMatch(/[<|>]/);
    const id = t.vocabSize - 1;
    expect(t.specialTokenId(eot)).toBe(id);
    expect(t.encode(`x${eot}ab`)).toEqual([120, id, t.encode('ab')[0]]);
    expect(t.tokenize(`ab${eot}`).at(-1)).toEqual({ id, text: eot, start: 2, end: 2 + eot.length });
    expect(t.decode(t.encode(`a${eot}${eot}b`))).toBe(`a${eot}${eot}b`);
  });

  it('stops at vocabSize or when no pair reaches minFrequency, and reports merges as it goes', () => {
    const seen: MergeRecord[] = [];
    const t = trainBpe(LOW, { vocabSize: 10_000, minFrequency: 3, onMerge: (m) => seen.push(m) });
    expect(seen).toEqual(t.merges);
    expect(t.merges.at(-1)!.count).toBeGreaterThanOrEqual(3);
    expect(t.vocabSize).toBe(256 + seen.length);
    expect(trainBpe(LOW, { vocabSize: 258 }).vocabSize).toBe(258);
    expect(trainBpe('', { vocabSize: 1000 }).vocabSize).toBe(256);
  });

  it('is deterministic', () => {
    const corpus = randomText(mulberry32(9), 400);
    expect(trainBpe(corpus, { vocabSize: 400 }).toJSON()).toEqual(trainBpe(corpus, { vocabSize: 400 }).toJSON());
  });

  it('learns 500 merges on 200 KB of text in well under the time limit', () => {
    const rand = mulberry32(2);
    const words = Array.from({ length: 3000 }, () => randomText(rand, 2).replace(/\s/g, ''));
    let corpus = '';
    while (corpus.length < 200_000) corpus += `${words[Math.floor(rand() ** 2 * words.length)]} `;
    const t0 = performance.now();
    const t = trainBpe(corpus, { vocabSize: 256 + 500 });
    expect(t.merges.length).toBe(500);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('rejects bad options and lone surrogates in the corpus', () => {
    expect(() => trainBpe('abc', { vocabSize: 100 })).toThrow(/at least 256/);
    expect(() => trainBpe('abc', { vocabSize: 256, specialTokens: ['<s>'] })).toThrow(/at least 257/);
    expect(() => trainBpe('abc', { vocabSize: 300, minFrequency: 0 })).toThrow(TokenizerError);
    expect(() => trainBpe('ab \ud800', { vocabSize: 300 })).toThrow(/lone surrogate U\+D800 at index 3/);
  });
});

describe('BpeTokenizer', () => {
  it('applies merges by rank, not by position', () => {
    const [a, b, c] = [97, 98, 99];
    // Rank 0 joins b+c, so "abc" becomes a|bc even though a+b comes first in the text.
    const bcFirst = new BpeTokenizer([
      [b, c, 0],
      [a, b, 0],
    ]);
    expect(bcFirst.tokenize('abc').map((t) => t.text)).toEqual(['a', 'bc']);
    const abFirst = new BpeTokenizer([
      [a, b, 0],
      [b, c, 0],
    ]);
    expect(abFirst.tokenize('abc').map((t) => t.text)).toEqual(['ab', 'c']);
    // Overlapping pairs merge left to right: aaa → aa|a.
    const aa = new BpeTokenizer([[a, a, 0]]);
    expect(aa.encode('aaa')).toEqual([256, a]);
    expect(aa.encode('aaaa')).toEqual([256, 256]);
  });

  it('toJSON / tokenizerFromJSON round trip keeps merges, counts and special tokens', () => {
    const t = trainBpe(`${LOW}<|endoftext|>`, { vocabSize: 270, specialTokens: ['<|endoftext|>'] });
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(t.toJSON()))) as BpeTokenizer;
    expect(back.kind).toBe('bpe');
    expect(back.merges).toEqual(t.merges);
    expect(back.vocabSize).toBe(t.vocabSize);
    expect(back.encode('lowest newer<|endoftext|>')).toEqual(t.encode('lowest newer<|endoftext|>'));
  });

  it('rejects merge lists that cannot be applied in rank order, and unknown ids', () => {
    expect(() => new BpeTokenizer([[97, 256, 0]])).toThrow(/not all created before it/);
    expect(
      () =>
        new BpeTokenizer([
          [97, 98, 0],
          [97, 98, 0],
        ]),
    ).toThrow(/repeats merge 0/);
    expect(() => tokenizerFromJSON({ kind: 'bpe', version: 1, merges: [[1, 2]], specialTokens: [] })).toThrow(
      /not a version-1 bpe/,
    );
    const t = new BpeTokenizer([]);
    expect(() => t.decode([256])).toThrow(
      /token id 256 at position 0 is outside the vocabulary \(valid ids are 0..255\)/,
    );
  });
});
