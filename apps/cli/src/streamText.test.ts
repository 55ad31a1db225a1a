import { BpeTokenizer, CharTokenizer, WordTokenizer } from '@glassbox/tokenizers';
import { describe, expect, it } from 'vitest';
import { TextStream } from './streamText';

function streamAll(stream: TextStream, ids: readonly number[]): string[] {
  return [...ids.map((id) => stream.push(id)), stream.flush()];
}

describe('TextStream', () => {
  it('puts the spaces a word tokenizer adds between words', () => {
    const tok = new WordTokenizer(['the', 'cat', 'sat']);
    const pieces = streamAll(new TextStream(tok, tok.encode('the')), tok.encode('cat sat'));
    expect(pieces).toEqual([' cat', ' sat', '']);
  });

  it('holds back a partial UTF-8 character until its last byte arrives', () => {
    const tok = new BpeTokenizer([]); // no merges: one token per byte
    const prompt = tok.encode('a');
    const emoji = tok.encode('😀'); // four byte tokens
    expect(emoji).toHaveLength(4);
    const pieces = streamAll(new TextStream(tok, prompt), [...emoji, ...tok.encode('b')]);
    expect(pieces).toEqual(['', '', '', '😀', 'b', '']);
  });

  it('shows an incomplete character at the end as U+FFFD on flush', () => {
    const tok = new BpeTokenizer([]);
    const stream = new TextStream(tok, tok.encode('a'));
    expect(stream.push(tok.encode('é')[0])).toBe('');
    expect(stream.flush()).toBe('\uFFFD');
  });

  it('concatenates to exactly the decoded continuation', () => {
    const tok = CharTokenizer.fromCorpus('hello world');
    const ids = tok.encode('lo wor');
    expect(streamAll(new TextStream(tok, tok.encode('hel')), ids).join('')).toBe('lo wor');
  });
});
