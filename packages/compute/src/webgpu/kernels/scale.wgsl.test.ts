import { describe, it } from 'vitest';
import { createRng } from '../../rng';
import { tensor } from '../../tensor';
import { expectClose, randn, readAll, run, testContext, toGpu } from '../testing';
import { scaleBy } from './scale.wgsl';

describe('scaleBy kernel', () => {
  it.each([0.3, 1, 1.7])('multiplies logits by 1 / temperature for temperature %f', async (temperature) => {
    const ctx = await testContext();
    const x = randn(createRng(3), [5, 301], 4);
    const y = ctx.alloc([5, 301], 'y');
    await run(ctx, (rec) => scaleBy(rec, toGpu(ctx, x), 1 / temperature, y));
    const [out] = await readAll(ctx, [y]);
    const ref = tensor(
      x.shape,
      x.data.map((v) => v * (1 / temperature)),
    );
    expectClose(out, ref, 'x · (1 / temperature)', { rtol: 1e-6 });
  });
});
