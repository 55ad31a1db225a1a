// Cleans and splits the Austen corpus written by prepare-austen.sh (run that script; it calls this one).
//   npx tsx packages/models/scripts/prepare-austen.ts packages/models/.cache/austen
//
// Cleaning: the Gutenberg text is hard-wrapped at ~70 columns. Lines are joined into paragraphs (a paragraph ends at
// a blank line), runs of spaces become one space, and paragraphs are separated by "\n\n". Nothing else changes
// (Austen's _underscored_ italics stay).
// Split (deterministic): for each novel, the paragraphs after the first 95% of its characters are validation, the
// rest training. The novels are joined, in the package's order, with '<|endoftext|>' between them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const EOT = '<|endoftext|>';
const VAL_FRACTION = 0.05;

const dir = process.argv[2] ?? 'packages/models/.cache/austen';
const rawDir = join(dir, 'raw');
const files = readdirSync(rawDir)
  .filter((f) => /^\d+\.txt$/.test(f))
  .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
if (files.length !== 6) throw new Error(`expected the six novels in ${rawDir}, found ${files.length} files`);

function paragraphs(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const t = line.trim();
    if (t === '') {
      if (cur.length) out.push(cur.join(' ').replace(/ {2,}/g, ' '));
      cur = [];
    } else cur.push(t);
  }
  if (cur.length) out.push(cur.join(' ').replace(/ {2,}/g, ' '));
  return out;
}

const train: string[] = [];
const val: string[] = [];
const stats: { book: string; paragraphs: number; trainChars: number; valChars: number }[] = [];
for (const f of files) {
  const paras = paragraphs(readFileSync(join(rawDir, f), 'utf8'));
  const total = paras.reduce((n, p) => n + p.length + 2, 0);
  let acc = 0;
  let cut = paras.length;
  for (let i = 0; i < paras.length; i++) {
    if (acc >= (1 - VAL_FRACTION) * total) {
      cut = i;
      break;
    }
    acc += paras[i].length + 2;
  }
  const tr = paras.slice(0, cut).join('\n\n');
  const va = paras.slice(cut).join('\n\n');
  train.push(tr);
  val.push(va);
  stats.push({ book: paras[0], paragraphs: paras.length, trainChars: tr.length, valChars: va.length });
}
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'train.txt'), train.join(EOT));
writeFileSync(join(dir, 'val.txt'), val.join(EOT));
writeFileSync(join(dir, 'stats.json'), `${JSON.stringify(stats, null, 2)}\n`);
for (const s of stats)
  console.log(`${s.book}: ${s.paragraphs} paragraphs, train ${s.trainChars} chars, val ${s.valChars}`);
const nonAscii = new Set([...train.join('')].filter((c) => c.charCodeAt(0) > 126));
console.log(
  `train ${train.join(EOT).length} chars, val ${val.join(EOT).length} chars; non-ASCII: ${[...nonAscii].join(' ')}`,
);
