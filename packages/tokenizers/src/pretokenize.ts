/**
 * GPT-2's pre-tokenisation: text is first cut into words, numbers, punctuation runs and whitespace runs, and BPE
 * never merges across these pieces. The pattern is OpenAI's
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * with `\s` spelled as \p{White_Space}: that is what `\s` means in tiktoken's (Rust) regex engine, whereas JS `\s`
 * also matches U+FEFF. `\s+(?!\S)` leaves the last space of a run to join the following word (" the").
 */
const WS = '\\p{White_Space}';
const GPT2_PATTERN = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`;

export interface Piece {
  text: string;
  /** UTF-16 offset of the piece in the original string. */
  start: number;
}

/** The GPT-2 pieces of `text`, which starts at `offset` in the original string. They cover `text` exactly. */
export function pretokenize(text: string, offset = 0): Piece[] {
  const pieces: Piece[] = [];
  // A fresh RegExp per call: a shared global regex carries lastIndex state between callers.
  for (const m of text.matchAll(new RegExp(GPT2_PATTERN, 'gu'))) pieces.push({ text: m[0], start: offset + m.index });
  return pieces;
}

export interface Segment {
  special: boolean;
  text: string;
  start: number;
}

/**
 * Cuts out special tokens (e.g. `<|endoftext|>`) before anything else, so they are never split or merged. Longer
 * specials win when one is a prefix of another.
 */
export function splitSpecial(text: string, specials: readonly string[]): Segment[] {
  if (specials.length === 0) return text.length > 0 ? [{ special: false, text, start: 0 }] : [];
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  const re = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push({ special: false, text: text.slice(last, m.index), start: last });
    out.push({ special: true, text: m[0], start: m.index });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ special: false, text: text.slice(last), start: last });
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
