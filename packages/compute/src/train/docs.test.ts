import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/training.md explains each backward rule next to an excerpt of the code that implements it. Each excerpt is
 * marked `<!-- excerpt: path -->`; this test fails when an excerpt line no longer appears in that file, so the page
 * cannot drift away from the code it explains.
 */
const root = join(__dirname, '../../../..');
const doc = readFileSync(join(root, 'docs/training.md'), 'utf8');

describe('docs/training.md', () => {
  const excerpts = [...doc.matchAll(/<!-- excerpt: (\S+) -->\s*```ts\n([\s\S]*?)```/g)];

  it('has an excerpt for every op backward and the optimizer', () => {
    const files = new Set(excerpts.map((m) => m[1]));
    for (const op of ['linear', 'gelu', 'softmax', 'attention', 'layerNorm', 'embedding']) {
      expect(files.has(`packages/compute/src/cpu/ops/${op}.ts`), op).toBe(true);
    }
    expect(files.has('packages/compute/src/train/optim.ts')).toBe(true);
  });

  it('every excerpt line appears in the file it quotes', () => {
    for (const [, path, code] of excerpts) {
      const source = readFileSync(join(root, path), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      for (const line of code.split('\n').map((l) => l.trim())) {
        if (line) expect(source, `${path}: ${line}`).toContain(line);
      }
    }
  });
});
