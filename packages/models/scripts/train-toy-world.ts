// Trains the toy world with TOY_WORLD_RECIPE and writes packages/models/toy-world/.
//   npx tsx packages/models/scripts/train-toy-world.ts
// The result is bit-for-bit reproducible: packages/models/src/shipped.test.ts retrains and compares.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { saveCheckpoint } from '@glassbox/compute';
import { TOY_WORLD_CONFIG, TOY_WORLD_RECIPE, toyWorldTokenizer, trainToyWorld } from '../src/toyWorld';

const dir = fileURLToPath(new URL('../toy-world/', import.meta.url));
const t0 = performance.now();
const { params, summary } = await trainToyWorld();
const ms = performance.now() - t0;
const { safetensors, configJson } = saveCheckpoint(TOY_WORLD_CONFIG, params, {
  metadata: { recipe: JSON.stringify(TOY_WORLD_RECIPE), producer: 'packages/models/scripts/train-toy-world.ts' },
});
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}model.safetensors`, safetensors);
writeFileSync(`${dir}config.json`, `${configJson}\n`);
writeFileSync(`${dir}tokenizer.json`, `${JSON.stringify(toyWorldTokenizer.toJSON())}\n`);
console.log(`trained ${summary.steps} steps in ${ms.toFixed(0)} ms, final loss ${summary.lastLoss}`);
console.log(`wrote ${dir}`);
