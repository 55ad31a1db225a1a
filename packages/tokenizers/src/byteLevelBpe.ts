import { checkId, TokenizerError } from './errors';
import { pretokenize, splitSpecial } from './pretokenize';
import type { Token, Tokenizer, TokenizerJSON } from './types';
import { bytesToDisplay, decodeUtf8, encodeUtf8, utf8ByteSpans } from './utf8';

/** Ids below BASE are single bytes; merge of rank r creates id BASE + r (true of GPT-2's files and of ours). */
export const BASE = 256;
/** Pairs are looked up by the number left * PAIR + right; ids must stay below it (2M, far above any vocabulary). */
export const PAIR = 0x200000;
/** Heap keys are rank * POS + position, both exact in a double: rank < 2^21, position < 2^32. */
const POS = 0x100000000;
const DEAD = -1;
const CACHE_LIMIT = 50_000;

/**
 * What GPT-2's tokenizer and the project's trained BPE share: UTF-8 bytes as the base alphabet (so every string is
 * encodable), GPT-2 pre-tokenisation, merges applied by rank, special tokens matched first and never merged.
 * They differ only in which id each byte gets and in how they are serialised.
 */
export abstract class ByteLevelBpe implements Tokenizer {
  abstract readonly kind: 'gpt2' | 'bpe';
  readonly vocabSize: number;
  readonly specialTokens: readonly string[];
  /** [left, right] of merge r at [2r, 2r + 1]. */
  protected readonly mergePairs: Uint32Array;
  private readonly byteToId = new Uint32Array(256);
  private readonly ranks = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly specialIds = new Map<string, number>();
  private readonly display: (string | undefined)[] = [];
  /** piece → ids. Natural text repeats its words, so most pieces skip BPE entirely. */
  private readonly cache = new Map<string, number[]>();

  /** `byteOrder[id]` is the byte that id (< 256) stands for. */
  protected constructor(byteOrder: readonly number[], mergePairs: Uint32Array, specialTokens: readonly string[]) {
    if (byteOrder.length !== 256 || new Set(byteOrder).size !== 256 || byteOrder.some((b) => !(b >= 0 && b < 256))) {
      throw new TokenizerError('bad-vocab', 'the byte table must give each of the 256 bytes exactly one id');
    }
    if (mergePairs.length % 2 !== 0) throw new TokenizerError('bad-vocab', 'merges must come in [left, right] pairs');
    const numMerges = mergePairs.length / 2;
    this.vocabSize = BASE + numMerges + specialTokens.length;
    if (this.vocabSize > PAIR) throw new TokenizerError('bad-vocab', `a vocabulary above ${PAIR} ids is not supported`);
    this.mergePairs = mergePairs;
    for (let id = 0; id < 256; id++) {
      this.byteToId[byteOrder[id]] = id;
      this.bytesOf.push(Uint8Array.of(byteOrder[id]));
    }
    for (let r = 0; r < numMerges; r++) {
      const left = mergePairs[2 * r];
      const right = mergePairs[2 * r + 1];
      // A merge may only join tokens that exist before it; encoding relies on this to apply merges in rank order.
      if (left >= BASE + r || right >= BASE + r) {
        throw new TokenizerError('bad-vocab', `merge ${r} joins ids ${left} and ${right}, not all created before it`);
      }
      const key = left * PAIR + right;
      if (this.ranks.has(key)) throw new TokenizerError('bad-vocab', `merge ${r} repeats merge ${this.ranks.get(key)}`);
      this.ranks.set(key, r);
      const a = this.bytesOf[left];
      const b = this.bytesOf[right];
      const merged = new Uint8Array(a.length + b.length);
      merged.set(a);
      merged.set(b, a.length);
      this.bytesOf.push(merged);
    }
    specialTokens.forEach((s, i) => {
      if (s.length === 0) throw new TokenizerError('bad-vocab', 'a special token cannot be empty');
      if (this.specialIds.has(s)) throw new TokenizerError('bad-vocab', `special token "${s}" is listed twice`);
      this.specialIds.set(s, BASE + numMerges + i);
      this.bytesOf.push(Uint8Array.from(encodeUtf8(s)));
    });
    this.specialTokens = [...specialTokens];
  }

  get numMerges(): number {
    return this.mergePairs.length / 2;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const seg of splitSpecial(text, this.specialTokens)) {
      if (seg.special) {
        ids.push(this.specialIds.get(seg.text)!);
        continue;
      }
      for (const piece of pretokenize(seg.text, seg.start)) {
        for (const id of this.encodePiece(piece.text, piece.start)) ids.push(id);
      }
    }
    return ids;
  }

  /**
   * Offsets: a token made of whole characters covers exactly them. A token holding only some of a character's
   * UTF-8 bytes (GPT-2 splits many emoji and CJK characters) covers the whole character, so two neighbouring tokens
   * can share that range; concatenating the slices while skipping what was already covered gives back the text.
   */
  tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    for (const seg of splitSpecial(text, this.specialTokens)) {
      if (seg.special) {
        const id = this.specialIds.get(seg.text)!;
        tokens.push({ id, text: seg.text, start: seg.start, end: seg.start + seg.text.length });
        continue;
      }
      for (const piece of pretokenize(seg.text, seg.start)) {
        const ids = this.encodePiece(piece.text, piece.start);
        let byteLength = 0;
        for (const id of ids) byteLength += this.bytesOf[id].length;
        const ascii = byteLength === piece.text.length;
        const spans = ascii ? undefined : utf8ByteSpans(piece.text);
        let b = 0;
        for (const id of ids) {
          const n = this.bytesOf[id].length;
          const start = piece.start + (spans ? spans.start[b] : b);
          const end = piece.start + (spans ? spans.end[b + n - 1] : b + n);
          tokens.push({ id, text: this.idToToken(id), start, end });
          b += n;
        }
      }
    }
    return tokens;
  }

  /** Bytes that are not valid UTF-8 on their own (a cut character) decode to U+FFFD, as in GPT-2. */
  decode(ids: readonly number[]): string {
    let total = 0;
    ids.forEach((id, i) => {
      checkId(id, this.vocabSize, i);
      total += this.bytesOf[id].length;
    });
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      bytes.set(this.bytesOf[id], at);
      at += this.bytesOf[id].length;
    }
    return decodeUtf8(bytes);
  }

  /** The token's text, with bytes that are only part of a character shown as `<0xE2>`; special tokens as written. */
  idToToken(id: number): string {
    checkId(id, this.vocabSize);
    let s = this.display[id];
    if (s === undefined) {
      s =
        id >= BASE + this.numMerges ? this.specialTokens[id - BASE - this.numMerges] : bytesToDisplay(this.bytesOf[id]);
      this.display[id] = s;
    }
    return s;
  }

  /** The token's raw UTF-8 bytes (a copy). */
  tokenBytes(id: number): Uint8Array {
    checkId(id, this.vocabSize);
    return this.bytesOf[id].slice();
  }

  /** The id of a special token, or undefined. */
  specialTokenId(token: string): number | undefined {
    return this.specialIds.get(token);
  }

  abstract toJSON(): TokenizerJSON;

  private encodePiece(text: string, start: number): number[] {
    const hit = this.cache.get(text);
    if (hit) return hit;
    const bytes = encodeUtf8(text, start);
    const ids = applyMerges(
      bytes.map((b) => this.byteToId[b]),
      this.ranks,
    );
    // A crude bound on memory for long sessions: start over rather than track recency.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(text, ids);
    return ids;
  }
}

/**
 * Applies merges by rank: repeatedly join the adjacent pair with the lowest rank, leftmost first. This is exactly
 * GPT-2's `bpe()`, which merges every occurrence of the best pair left to right before looking again: a merge's
 * new pairs contain the new token, so their ranks are higher and they wait their turn. A heap of (rank, position)
 * over a linked list makes it O(n log n), so a long run of letters or spaces cannot stall the page.
 */
export function applyMerges(sym: number[], ranks: ReadonlyMap<number, number>): number[] {
  const n = sym.length;
  if (n < 2) return sym;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : DEAD;
    prev[i] = i - 1;
  }
  const heap: number[] = [];
  const consider = (pos: number) => {
    const nx = next[pos];
    if (nx === DEAD) return;
    const r = ranks.get(sym[pos] * PAIR + sym[nx]);
    if (r !== undefined) heapPush(heap, r * POS + pos);
  };
  for (let i = 0; i < n - 1; i++) consider(i);
  while (heap.length > 0) {
    const key = heapPop(heap);
    const rank = Math.floor(key / POS);
    const pos = key - rank * POS;
    const nx = next[pos];
    // Stale entries: the left symbol was absorbed, or either side has been merged into something else since.
    if (sym[pos] === DEAD || nx === DEAD || ranks.get(sym[pos] * PAIR + sym[nx]) !== rank) continue;
    sym[pos] = BASE + rank;
    sym[nx] = DEAD;
    next[pos] = next[nx];
    if (next[nx] !== DEAD) prev[next[nx]] = pos;
    if (prev[pos] >= 0) consider(prev[pos]);
    consider(pos);
  }
  const out: number[] = [];
  for (let i = 0; i !== DEAD; i = next[i]) out.push(sym[i]);
  return out;
}

function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p] <= v) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): number {
  const top = h[0];
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l;
      if (h[c] >= last) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
  return top;
}
