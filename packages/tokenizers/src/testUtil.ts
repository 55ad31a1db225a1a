/**
 * Seeded random text for property-style tests (not exported from the package). Seeded so a failure names a string
 * that can be reproduced; the mix targets what breaks tokenizers: multi-byte UTF-8, astral code points, ZWJ
 * sequences, combining marks, whitespace runs of every kind, apostrophe contractions and long repeated runs.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXED = [
  ' ',
  '  ',
  '\t',
  '\n',
  '\n\n',
  '\r\n',
  '\u00a0',
  '\u3000',
  '\u2028',
  '\ufeff',
  '\u0085',
  '\u0000',
  "'s",
  "'ll",
  "'re",
  "n't",
  'e\u0301', // e + combining acute
  '👨‍👩‍👧‍👦', // ZWJ family
  '🏳️‍🌈', // flag + variation selector + ZWJ
  '👍🏽', // skin-tone modifier
  '🇫🇷', // regional indicators
  ' the',
  ' The',
  'Hello',
  ', ',
  '. ',
  '123',
  ' 4567',
  '...',
  '!!!',
];

const RANGES: [number, number][] = [
  [0x20, 0x7e], // ASCII
  [0x20, 0x7e],
  [0xa0, 0xff], // Latin-1
  [0x100, 0x17f], // Latin Extended-A
  [0x391, 0x3c9], // Greek
  [0x410, 0x44f], // Cyrillic
  [0x4e00, 0x9fff], // CJK
  [0x3040, 0x30ff], // kana
  [0x1f300, 0x1faff], // emoji (astral)
  [0x10000, 0x1007f], // Linear B (astral, rarely in any vocabulary)
];

export function randomText(rand: () => number, maxParts = 12): string {
  let s = '';
  const parts = 1 + Math.floor(rand() * maxParts);
  for (let p = 0; p < parts; p++) {
    const r = rand();
    if (r < 0.35) s += FIXED[Math.floor(rand() * FIXED.length)];
    else if (r < 0.45) s += String.fromCharCode(97 + Math.floor(rand() * 3)).repeat(1 + Math.floor(rand() * 9));
    else {
      const [lo, hi] = RANGES[Math.floor(rand() * RANGES.length)];
      const n = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < n; k++) s += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
    }
  }
  return s;
}

/** Rebuilds the input from token offsets, skipping what earlier tokens already covered (split characters). */
export function textFromOffsets(text: string, tokens: readonly { start: number; end: number }[]): string {
  let out = '';
  let covered = 0;
  for (const t of tokens) {
    if (t.start > covered)
      throw new Error(`gap before token at ${t.start}: ${JSON.stringify(text.slice(covered, t.start))}`);
    if (t.end > covered) out += text.slice(covered, t.end);
    covered = Math.max(covered, t.end);
  }
  return out;
}
