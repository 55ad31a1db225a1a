import { BLOCK_HOOKS, HOOK_SPECS, hookNames } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { buildSteps, findStep, HOOK_STEP, STEP_INFO, STEP_KINDS, stepId } from './steps';

describe('steps', () => {
  it('every hook in the engine’s list belongs to a step', () => {
    for (const spec of HOOK_SPECS) expect(HOOK_STEP[spec.name], spec.name).toBeDefined();
  });

  it('run from tokenization to sampling, each block’s steps in pass order', () => {
    const steps = buildSteps({ n_layer: 2 });
    const perBlock = new Set(BLOCK_HOOKS.map((h) => HOOK_STEP[h.name])).size;
    expect(steps.length).toBe(1 + 1 + 2 * perBlock + 3 + 1);
    expect(steps.map(stepId)).toEqual([
      'tokens',
      'embed',
      ...[0, 1].flatMap((l) =>
        [
          'ln1',
          'qkv',
          'mask',
          'scores',
          'pattern',
          'z',
          'attn_out',
          'resid_mid',
          'ln2',
          'mlp_pre',
          'mlp_post',
          'mlp_out',
          'resid_post',
        ].map((k) => `${k}@${l}`),
      ),
      'ln_final',
      'logits',
      'softmax',
      'sample',
    ]);
  });

  it('follow the order in which the forward pass reaches the hooks', () => {
    const config = { n_layer: 3 };
    const order = hookNames(config as never);
    const steps = buildSteps(config);
    let last = -1;
    for (const step of steps) {
      // A step's own hooks (the embeddings step also shows block 0's input) start after the previous step's.
      const own = step.hooks.filter((h) => HOOK_STEP[h.replace(/^blocks\.\d+\./, 'blocks.{l}.')] === step.kind);
      if (own.length === 0) continue;
      const first = order.indexOf(own[0]);
      expect(first).toBeGreaterThan(last);
      last = order.indexOf(own[own.length - 1]);
    }
    const covered = steps.flatMap((s) => s.hooks);
    for (const name of order) expect(covered, name).toContain(name);
  });

  it('find a per-layer step by kind and layer, and a global one by kind alone', () => {
    const steps = buildSteps({ n_layer: 2 });
    expect(steps[findStep(steps, 'pattern', 1)]).toMatchObject({ kind: 'pattern', layer: 1 });
    expect(steps[findStep(steps, 'logits', 1)]).toMatchObject({ kind: 'logits', layer: null });
  });

  it('each kind has a title, an explanation and a formula', () => {
    for (const kind of STEP_KINDS) {
      const info = STEP_INFO[kind];
      expect(info.title.length).toBeGreaterThan(0);
      expect(info.explanation.length).toBeGreaterThan(0);
      expect(info.formula.length).toBeGreaterThan(0);
    }
  });
});
