import { BASE, ByteLevelBpe } from './byteLevelBpe';
import { TokenizerError } from './errors';
import type { BpeTokenizerJSON, MergeRecord } from './types';

const BYTE_ORDER = Array.from({ length: 256 }, (_, b) => b);

/**
 * The project's own byte-level BPE (what trainBpe produces). Unlike GPT-2, id b < 256 is simply byte b, so a
 * student reading ids sees 104 for 'h'. Merge r creates id 256 + r; special tokens follow the merges.
 */
export class BpeTokenizer extends ByteLevelBpe {
  readonly kind = 'bpe' as const;
  /** Every merge in rank order, with its training count, so a view can replay how the vocabulary was built. */
  readonly merges: readonly MergeRecord[];

  /** `merges`: [left, right, count] in rank order; `count` is informational (0 when unknown). */
  constructor(merges: readonly (readonly [number, number, number])[], specialTokens: readonly string[] = []) {
    const pairs = new Uint32Array(merges.length * 2);
    merges.forEach(([left, right, count], r) => {
      for (const v of [left, right, count]) {
        if (!Number.isSafeInteger(v) || v < 0)
          throw new TokenizerError('bad-vocab', `merge ${r} has invalid value ${v}`);
      }
      pairs[2 * r] = left;
      pairs[2 * r + 1] = right;
    });
    super(BYTE_ORDER, pairs, specialTokens);
    this.merges = merges.map(([left, right, count], rank) => ({ rank, left, right, merged: BASE + rank, count }));
  }

  static fromJSON(json: BpeTokenizerJSON): BpeTokenizer {
    if (
      json.kind !== 'bpe' ||
      json.version !== 1 ||
      !Array.isArray(json.merges) ||
      !Array.isArray(json.specialTokens) ||
      json.merges.some((m) => !Array.isArray(m) || m.length !== 3) ||
      json.specialTokens.some((s) => typeof s !== 'string')
    ) {
      throw new TokenizerError('bad-json', 'not a version-1 bpe tokenizer');
    }
    return new BpeTokenizer(json.merges, json.specialTokens);
  }

  toJSON(): BpeTokenizerJSON {
    return {
      kind: 'bpe',
      version: 1,
      merges: this.merges.map((m) => [m.left, m.right, m.count]),
      specialTokens: [...this.specialTokens],
    };
  }
}
