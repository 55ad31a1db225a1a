import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config';
import { initParams } from '../params';
import { nodeGpu } from './nodeDevice';
import { selectEngine } from './select';

const config = validateConfig({ vocab_size: 11, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2 });
const params = initParams(config, { seed: 1 });

describe('selectEngine', () => {
  it('picks WebGPU when the GPU gives an adapter', async () => {
    const s = await selectEngine(config, params, { gpu: await nodeGpu() });
    expect(s.kind).toBe('webgpu');
    expect(s.reason).toBeUndefined();
    expect(s.adapter).toBeDefined();
    s.engine.dispose();
  });

  it('falls back to the CPU with the reason when there is no WebGPU at all', async () => {
    const s = await selectEngine(config, params); // Node has no navigator.gpu
    expect(s.kind).toBe('cpu');
    expect(s.reason).toMatch(/navigator\.gpu/);
    expect((await s.engine.run([1, 2])).logits.shape).toEqual([2, 11]);
  });

  it('falls back to the CPU when WebGPU has no adapter, or the adapter request throws', async () => {
    const none = { requestAdapter: async () => null } as unknown as GPU;
    const a = await selectEngine(config, params, { gpu: none });
    expect(a.kind).toBe('cpu');
    expect(a.reason).toMatch(/no adapter/);
    const broken = {
      requestAdapter: async () => {
        throw new Error('GPU process crashed');
      },
    } as unknown as GPU;
    const b = await selectEngine(config, params, { gpu: broken });
    expect(b.kind).toBe('cpu');
    expect(b.reason).toMatch(/crashed/);
  });

  it('uses the CPU when asked to', async () => {
    const s = await selectEngine(config, params, { prefer: 'cpu', gpu: await nodeGpu() });
    expect(s.kind).toBe('cpu');
  });
});
