import { describeChar, TokenizerError } from './errors';

/**
 * UTF-8 by hand rather than TextEncoder, because TextEncoder silently turns a lone surrogate into U+FFFD: a
 * byte-level tokenizer would then decode to different text than it was given. We refuse instead, naming the index.
 * `indexBase` is where `text` starts in the caller's original string, so the error points into that string.
 */
export function encodeUtf8(text: string, indexBase = 0): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const lo = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (cp > 0xdbff || lo < 0xdc00 || lo > 0xdfff) throw loneSurrogate(text, i, indexBase);
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      i++;
    }
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return bytes;
}

function loneSurrogate(text: string, i: number, indexBase: number): TokenizerError {
  const index = indexBase + i;
  return new TokenizerError(
    'invalid-text',
    `lone surrogate ${describeChar(text[i])} at index ${index} is not valid Unicode and has no UTF-8 bytes; ` +
      'byte-level tokenizers need well-formed text',
    index,
  );
}

/**
 * For each UTF-8 byte of `text` (well-formed), the [start, end) UTF-16 range of the character it belongs to.
 * A token made of some of a character's bytes is given the whole character's range.
 */
export function utf8ByteSpans(text: string): { start: Uint32Array; end: Uint32Array } {
  const n = utf8Length(text);
  const start = new Uint32Array(n);
  const end = new Uint32Array(n);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < len; k++, b++) {
      start[b] = i;
      end[b] = i + units;
    }
    i += units;
  }
  return { start, end };
}

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a (well-formed) surrogate pair: 4 bytes for 2 code units
      i++;
    } else n += 3;
  }
  return n;
}

// ignoreBOM: by default TextDecoder drops a leading U+FEFF, which would break decode(encode(s)) === s.
// Not fatal: decoding an arbitrary id sequence can cut a character in half; that shows as U+FFFD, as in GPT-2.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Text for display: complete UTF-8 sequences as their characters, every byte that is not part of one as `<0xE2>`
 * (the convention of SentencePiece's byte fallback), so a token holding half an emoji is still visible and exact.
 */
export function bytesToDisplay(bytes: ArrayLike<number>): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const len = validSequenceLength(bytes, i);
    if (len === 0) {
      out += `<0x${bytes[i].toString(16).toUpperCase().padStart(2, '0')}>`;
      i++;
      continue;
    }
    let cp = len === 1 ? bytes[i] : bytes[i] & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[i + k] & 63);
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence starting at i (Unicode Table 3-7), or 0 if there is none. */
function validSequenceLength(b: ArrayLike<number>, i: number): number {
  const b0 = b[i];
  if (b0 < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) len = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 === 0xe0) lo = 0xa0; // no overlongs
    if (b0 === 0xed) hi = 0x9f; // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + len > b.length) return 0;
  if (b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < len; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return len;
}
