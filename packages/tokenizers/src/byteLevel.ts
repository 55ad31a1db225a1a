/**
 * GPT-2's bytes ↔ unicode table. GPT-2's vocabulary files store each token's bytes as a string in which every byte
 * is one printable character: bytes that are already printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
 * themselves, the other 68 (controls, space, soft hyphen…) are shifted to U+0100 onwards, so space becomes 'Ġ' and
 * newline 'Ċ'. GPT-2's ids 0..255 are the bytes in the table's order (printable ones first), not in byte order.
 */
export function bytesToUnicode(): { byteToChar: string[]; byteOrder: number[] } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const byteToChar: string[] = new Array(256);
  bs.forEach((b, i) => {
    byteToChar[b] = String.fromCharCode(cs[i]);
  });
  // byteOrder[id] = the byte GPT-2's id `id` (< 256) stands for.
  return { byteToChar, byteOrder: bs };
}
