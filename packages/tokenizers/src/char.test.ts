import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char';
import { TokenizerError } from './errors';
import { tokenizerFromJSON } from './json';
import { mulberry32, randomText, textFromOffsets } from './testUtil';

describe('CharTokenizer', () => {
  it('builds a vocabulary of the corpus code points sorted by code point', () => {
    const t = CharTokenizer.fromCorpus('hello world');
    expect(t.kind).toBe('char');
    expect([...Array(t.vocabSize).keys()].map((id) => t.idToToken(id))).toEqual([
      ' ',
      'd',
      'e',
      'h',
      'l',
      'o',
      'r',
      'w',
    ]);
    expect(t.encode('hello')).toEqual([3, 2, 4, 4, 5]);
    expect(t.decode(t.encode('hello world'))).toBe('hello world');
  });

  it('treats an astral emoji as one character with a two-unit UTF-16 range', () => {
    const t = CharTokenizer.fromCorpus('a😀b👍🏽');
    expect(t.vocabSize).toBe(5); // a, b, 😀, 👍, skin-tone modifier
    const tokens = t.tokenize('a😀b');
    expect(tokens.map((x) => [x.text, x.start, x.end])).toEqual([
      ['a', 0, 1],
      ['😀', 1, 3],
      ['b', 3, 4],
    ]);
    expect(t.idToToken(2)).toBe('\u{1f3fd}');
    expect(t.idToToken(4)).toBe('😀');
    // Code-point order, not UTF-16 order (where the surrogates of 😀, 0xD83D…, sort before U+FF01).
    const wide = CharTokenizer.fromCorpus('😀！');
    expect([wide.idToToken(0), wide.idToToken(1)]).toEqual(['！', '😀']);
  });

  it('round-trips and rebuilds the text from offsets for random text', () => {
    const rand = mulberry32(21);
    const samples = Array.from({ length: 200 }, () => randomText(rand));
    const t = CharTokenizer.fromCorpus(samples.join(''));
    for (const s of samples) {
      expect(t.decode(t.encode(s))).toBe(s);
      const tokens = t.tokenize(s);
      expect(tokens.map((x) => s.slice(x.start, x.end)).join('')).toBe(s);
      expect(textFromOffsets(s, tokens)).toBe(s);
    }
  });

  it('keeps a lone surrogate as a character of its own (no bytes involved)', () => {
    const t = CharTokenizer.fromCorpus('a\ud800b');
    expect(t.decode(t.encode('b\ud800a'))).toBe('b\ud800a');
  });

  it('an unknown character is an error naming it and its index', () => {
    const t = CharTokenizer.fromCorpus('abc');
    expect(() => t.encode('abd')).toThrow(TokenizerError);
    expect(() => t.encode('abd')).toThrow(/unknown character "d" \(U\+0064\) at index 2/);
    expect(() => t.encode('ab😀')).toThrow(/"😀" \(U\+1F600\) at index 2/);
    expect(() => t.encode('a\n')).toThrow(/unknown character U\+000A at index 1/);
  });

  it('with an unknown token, unknown characters map to it', () => {
    const t = CharTokenizer.fromCorpus('abc', { unknown: '<unk>' });
    expect(t.vocabSize).toBe(4);
    expect(t.encode('a😀c')).toEqual([0, 3, 2]);
    expect(t.tokenize('a😀')[1]).toEqual({ id: 3, text: '<unk>', start: 1, end: 3 });
    expect(t.decode(t.encode('xa'))).toBe('<unk>a');
  });

  it('rejects bad vocabularies and ids', () => {
    expect(() => new CharTokenizer(['ab'])).toThrow(/not one character/);
    expect(() => new CharTokenizer(['a', 'a'])).toThrow(/listed twice/);
    expect(() => CharTokenizer.fromCorpus('ab').decode([2])).toThrow(/token id 2 at position 0/);
  });

  it('toJSON / tokenizerFromJSON round trip, with and without an unknown token', () => {
    for (const tok of [CharTokenizer.fromCorpus('héllo 😀\n'), CharTokenizer.fromCorpus('abc', { unknown: '?' })]) {
      const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
      expect(back.toJSON()).toEqual(tok.toJSON());
      expect(back.encode('héllo')).toEqual(tok.encode('héllo'));
    }
  });
});
