/**
 * Node-only. Times trainBpe on a few MB of text, then encoding that text with the result.
 *   npx tsx packages/tokenizers/scripts/benchTrain.ts [--mb 4] [--merges 4000] [file or folder ...]
 * With no paths it reads the Markdown under node_modules (English prose that every checkout has).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { trainBpe } from '../src/trainBpe';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return Number(value);
};
const mb = flag('mb', 4);
const merges = flag('merges', 4000);
const roots = args.length > 0 ? args : ['node_modules'];
const wanted = mb * 1024 * 1024;

let corpus = '';
const visit = (path: string) => {
  if (corpus.length >= wanted) return;
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) visit(join(path, name));
  } else if (args.length > 0 || path.endsWith('.md')) {
    corpus += `${readFileSync(path, 'utf8')}\n`;
  }
};
roots.forEach(visit);
corpus = corpus.slice(0, wanted);

let t0 = performance.now();
const tok = trainBpe(corpus, { vocabSize: 256 + merges });
const trainMs = performance.now() - t0;
t0 = performance.now();
const ids = tok.encode(corpus);
const encodeMs = performance.now() - t0;
if (tok.decode(ids) !== corpus) throw new Error('round trip failed');
console.log(
  `corpus ${(corpus.length / 1e6).toFixed(2)} M chars from ${roots.join(', ')}\n` +
    `trained ${tok.merges.length} merges in ${(trainMs / 1000).toFixed(2)} s; ` +
    `encoded to ${ids.length} tokens (${(corpus.length / ids.length).toFixed(2)} chars/token) in ${(encodeMs / 1000).toFixed(2)} s\n` +
    `last merges: ${tok.merges
      .slice(-8)
      .map((m) => JSON.stringify(tok.idToToken(m.merged)))
      .join(' ')}`,
);
