import { describe, expect, it } from 'vitest';
import { TokenizerError } from './errors';
import { tokenizerFromJSON } from './json';
import { WordTokenizer } from './word';

const WORLD = ['cat', 'dog', 'sat', 'on', 'the', 'mat', 'is', 'happy', 'sad', 'END'];

describe('WordTokenizer', () => {
  const t = new WordTokenizer(WORLD);

  it('gives each word its index and splits on any whitespace', () => {
    expect(t.kind).toBe('word');
    expect(t.vocabSize).toBe(10);
    expect(t.encode('the cat sat on the mat END')).toEqual([4, 0, 2, 3, 4, 5, 9]);
    expect(t.encode('  the\tcat\n\nis  happy ')).toEqual([4, 0, 6, 7]);
    expect(t.encode('')).toEqual([]);
    expect(t.idToToken(7)).toBe('happy');
  });

  it('offsets point at the words in the original text', () => {
    const text = '  the\tcat\n\nis  happy ';
    const tokens = t.tokenize(text);
    expect(tokens.map((x) => text.slice(x.start, x.end))).toEqual(['the', 'cat', 'is', 'happy']);
    expect(tokens[1]).toEqual({ id: 0, text: 'cat', start: 6, end: 9 });
  });

  it('decode joins with single spaces', () => {
    expect(t.decode([4, 1, 6, 8])).toBe('the dog is sad');
    expect(t.decode(t.encode(' the   dog\nsat '))).toBe('the dog sat');
  });

  it('an unknown word is an error naming the word and its offset', () => {
    let err: unknown;
    try {
      t.encode('the cat sat on the sofa');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenizerError);
    expect((err as TokenizerError).code).toBe('unknown-text');
    expect((err as TokenizerError).index).toBe(19);
    expect((err as Error).message).toMatch(/unknown word "sofa" at index 19/);
    expect(() => t.encode('Cat')).toThrow(/"Cat" at index 0/); // case matters
  });

  it('with an unknown token, unknown words map to it', () => {
    const u = new WordTokenizer(WORLD, { unknown: '<unk>' });
    expect(u.vocabSize).toBe(11);
    expect(u.encode('the sofa is happy')).toEqual([4, 10, 6, 7]);
    expect(u.tokenize('a dog')[0]).toEqual({ id: 10, text: '<unk>', start: 0, end: 1 });
    expect(u.decode(u.encode('my dog'))).toBe('<unk> dog');
    // An unknown token already in the list keeps its id.
    expect(new WordTokenizer(WORLD, { unknown: 'END' }).encode('zebra')).toEqual([9]);
  });

  it('decode and idToToken reject ids outside the vocabulary', () => {
    expect(() => t.decode([0, 10])).toThrow(/token id 10 at position 1/);
    expect(() => t.idToToken(-1)).toThrow(TokenizerError);
  });

  it('rejects bad vocabularies', () => {
    expect(() => new WordTokenizer(['a', 'a'])).toThrow(/listed twice/);
    expect(() => new WordTokenizer(['a b'])).toThrow(/no whitespace/);
    expect(() => new WordTokenizer([''])).toThrow(TokenizerError);
  });

  it('toJSON / tokenizerFromJSON round trip, with and without an unknown token', () => {
    for (const tok of [t, new WordTokenizer(WORLD, { unknown: '<unk>' })]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
      expect(back.toJSON()).toEqual(tok.toJSON());
      expect(back.encode('the cat is happy')).toEqual(tok.encode('the cat is happy'));
    }
    expect(() => tokenizerFromJSON({ kind: 'word', version: 1, words: ['a'], unknown: '<unk>' })).toThrow(
      /not among the words/,
    );
  });
});
