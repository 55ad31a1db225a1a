import { describe, expect, it } from 'vitest';
import { pretokenize } from './pretokenize';
import { mulberry32, randomText } from './testUtil';
import { bytesToDisplay, decodeUtf8, encodeUtf8, utf8ByteSpans } from './utf8';

describe('UTF-8 helpers', () => {
  it('encodeUtf8 agrees with TextEncoder on well-formed text and decodeUtf8 inverts it', () => {
    const rand = mulberry32(13);
    for (let i = 0; i < 200; i++) {
      const s = randomText(rand);
      const bytes = encodeUtf8(s);
      expect(bytes).toEqual([...new TextEncoder().encode(s)]);
      expect(decodeUtf8(Uint8Array.from(bytes))).toBe(s);
      expect(utf8ByteSpans(s).start.length).toBe(bytes.length);
    }
  });

  it('decodeUtf8 keeps a leading byte-order mark', () => {
    expect(decodeUtf8(Uint8Array.from(encodeUtf8('\ufeffx')))).toBe('\ufeffx');
  });

  it('bytesToDisplay shows whole characters as text and cut ones as <0xNN>', () => {
    expect(bytesToDisplay(encodeUtf8(' héllo 😀'))).toBe(' héllo 😀');
    expect(bytesToDisplay([0x20, 0xf0, 0x9f, 0x98])).toBe(' <0xF0><0x9F><0x98>');
    expect(bytesToDisplay([0xc0, 0xaf, 0xed, 0xa0, 0x80])).toBe('<0xC0><0xAF><0xED><0xA0><0x80>'); // overlong, surrogate
  });

  it('byte spans give each byte the UTF-16 range of its character', () => {
    const { start, end } = utf8ByteSpans('aé😀');
    expect([...start]).toEqual([0, 1, 1, 2, 2, 2, 2]);
    expect([...end]).toEqual([1, 2, 2, 4, 4, 4, 4]);
  });
});

describe('GPT-2 pre-tokenisation', () => {
  const split = (s: string) => pretokenize(s).map((p) => p.text);

  it('splits like GPT-2', () => {
    expect(split("Hello, I'm a language model,")).toEqual(['Hello', ',', ' I', "'m", ' a', ' language', ' model', ',']);
    expect(split('  two spaces')).toEqual([' ', ' two', ' spaces']);
    expect(split('a\n\nb')).toEqual(['a', '\n', '\n', 'b']);
    expect(split('end  ')).toEqual(['end', '  ']);
    expect(split('1234 abc123')).toEqual(['1234', ' abc', '123']);
    expect(split("they'll we've")).toEqual(['they', "'ll", ' we', "'ve"]);
  });

  it('uses Unicode White_Space for \\s, as tiktoken does: U+FEFF is not whitespace', () => {
    expect(split('a \ufeffb')).toEqual(['a', ' \ufeff', 'b']);
  });

  it('pieces cover the text exactly, with offsets', () => {
    const rand = mulberry32(17);
    for (let i = 0; i < 200; i++) {
      const s = randomText(rand);
      const pieces = pretokenize(s, 5);
      expect(pieces.map((p) => p.text).join('')).toBe(s);
      for (const p of pieces) expect(s.slice(p.start - 5, p.start - 5 + p.text.length)).toBe(p.text);
    }
  });
});
