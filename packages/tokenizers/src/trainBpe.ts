import { BpeTokenizer } from './bpe';
import { BASE, PAIR } from './byteLevelBpe';
import { TokenizerError } from './errors';
import { pretokenize, splitSpecial } from './pretokenize';
import type { MergeRecord } from './types';
import { encodeUtf8 } from './utf8';

export interface TrainBpeOptions {
  /** Total vocabulary: 256 bytes + learned merges + special tokens. */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this. Default 2: a pair seen once teaches nothing. */
  minFrequency?: number;
  /** E.g. ['<|endoftext|>']: cut out of the corpus before counting, so they never take part in merges. */
  specialTokens?: readonly string[];
  /** Called after each merge is chosen, in rank order (for progress bars and live views). */
  onMerge?: (merge: MergeRecord) => void;
}

interface Candidate {
  count: number;
  /** left * PAIR + right, so ordering by key is ordering by (left, right). */
  key: number;
}

/**
 * Learns byte-level BPE merges. The corpus is cut like GPT-2 cuts text (special tokens, then the GPT-2 pattern),
 * the pieces are counted once into a word-frequency table, and each step merges the most frequent adjacent pair.
 * Ties go to the smaller left id, then the smaller right id, so training is deterministic.
 *
 * Speed comes from never recounting: pair counts are updated only around the occurrences being merged, each pair
 * remembers which words contain it, and a max-heap with lazy deletion finds the best pair (stale entries, whose
 * count has changed since they were pushed, are skipped when popped).
 */
export function trainBpe(corpus: string, options: TrainBpeOptions): BpeTokenizer {
  const specials = options.specialTokens ?? [];
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < BASE + specials.length) {
    throw new TokenizerError(
      'bad-vocab',
      `vocabSize must be an integer of at least ${BASE + specials.length} (256 bytes + ${specials.length} special tokens)`,
    );
  }
  if (!(minFrequency >= 1)) throw new TokenizerError('bad-vocab', 'minFrequency must be at least 1');
  const target = options.vocabSize - BASE - specials.length;

  // Word-frequency table: each distinct piece once, with how often it occurs.
  const freqOf = new Map<string, number>();
  for (const seg of splitSpecial(corpus, specials)) {
    if (seg.special) continue;
    for (const piece of pretokenize(seg.text, seg.start)) {
      const f = freqOf.get(piece.text);
      if (f === undefined) encodeUtf8(piece.text, piece.start); // rejects lone surrogates, with their index
      freqOf.set(piece.text, (f ?? 0) + 1);
    }
  }
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [text, f] of freqOf) {
    words.push(Int32Array.from(encodeUtf8(text)));
    freqs.push(f);
  }
  const lens = Int32Array.from(words, (w) => w.length);

  const pairCount = new Map<number, number>();
  /** pair → words that contain (or once contained) it; may hold a word twice, which `seen` below absorbs. */
  const where = new Map<number, number[]>();
  const addWhere = (key: number, w: number) => {
    const list = where.get(key);
    if (list === undefined) where.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  words.forEach((s, w) => {
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] * PAIR + s[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + freqs[w]);
      addWhere(key, w);
    }
  });

  const heap: Candidate[] = [];
  for (const [key, count] of pairCount) heapPush(heap, { count, key });

  const merges: [number, number, number][] = [];
  const seen = new Int32Array(words.length).fill(-1);
  while (merges.length < target) {
    let best: Candidate | undefined;
    while (heap.length > 0) {
      const c = heapPop(heap);
      if (pairCount.get(c.key) === c.count) {
        best = c;
        break;
      }
    }
    if (best === undefined || best.count < minFrequency) break;

    const rank = merges.length;
    const left = Math.floor(best.key / PAIR);
    const right = best.key - left * PAIR;
    const merged = BASE + rank;
    merges.push([left, right, best.count]);
    options.onMerge?.({ rank, left, right, merged, count: best.count });

    const delta = new Map<number, number>();
    const add = (key: number, d: number) => delta.set(key, (delta.get(key) ?? 0) + d);
    for (const w of where.get(best.key) ?? []) {
      if (seen[w] === rank) continue;
      seen[w] = rank;
      const s = words[w];
      const f = freqs[w];
      const len = lens[w];
      let j = 0;
      for (let i = 0; i < len; ) {
        if (i + 1 < len && s[i] === left && s[i + 1] === right) {
          // Only the pairs touching this occurrence change. The left neighbour is read from what is already
          // written (it may be a token merged a moment ago), the right one from what is still to come.
          if (j > 0) {
            add(s[j - 1] * PAIR + left, -f);
            add(s[j - 1] * PAIR + merged, f);
            addWhere(s[j - 1] * PAIR + merged, w);
          }
          if (i + 2 < len) {
            add(right * PAIR + s[i + 2], -f);
            add(merged * PAIR + s[i + 2], f);
            addWhere(merged * PAIR + s[i + 2], w);
          }
          s[j++] = merged;
          i += 2;
        } else {
          s[j++] = s[i++];
        }
      }
      lens[w] = j;
    }
    // Every occurrence of the pair is gone (merging left to right leaves no adjacent copy behind).
    pairCount.delete(best.key);
    where.delete(best.key);
    for (const [key, d] of delta) {
      if (key === best.key || d === 0) continue;
      const count = (pairCount.get(key) ?? 0) + d;
      if (count === 0) {
        pairCount.delete(key);
        where.delete(key);
      } else {
        pairCount.set(key, count);
        heapPush(heap, { count, key });
      }
    }
  }
  return new BpeTokenizer(merges, specials);
}

/** Max-heap order: higher count first, then smaller key (smaller left id, then smaller right id). */
function before(a: Candidate, b: Candidate): boolean {
  return a.count > b.count || (a.count === b.count && a.key < b.key);
}

function heapPush(h: Candidate[], v: Candidate): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(v, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = v;
}

function heapPop(h: Candidate[]): Candidate {
  const top = h[0];
  const last = h.pop()!;
  const n = h.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && before(h[l + 1], h[l]) ? l + 1 : l;
      if (!before(h[c], last)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
  return top;
}
