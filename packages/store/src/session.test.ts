import type { Engine, GPTConfig, GPTParams, RunOptions } from '@glassbox/compute';
import { CpuEngine, GlassboxError } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import type { EngineSelector } from './engineChoice';
import { engineSelector } from './engineChoice';
import { createExplorerStores } from './explorer';
import { createFakeHub } from './fakeHub';
import { HF_ENDPOINT, memoryFileCache } from './hub';
import { UNTRAINED_GPT2_VOCAB_MODEL, UNTRAINED_MODEL } from './modelSource';

/** Stands in for the WebGPU engine: computes on the CPU, reports 'webgpu', and fails like a lost device on demand. */
class LosableEngine implements Engine {
  readonly kind = 'webgpu' as const;
  lost = false;
  private readonly inner: CpuEngine;
  constructor(
    readonly config: GPTConfig,
    params: GPTParams,
  ) {
    this.inner = new CpuEngine(config, params);
  }
  async run(ids: readonly number[], options?: RunOptions) {
    if (this.lost) throw new GlassboxError('device-lost', 'the WebGPU device was lost (destroyed)');
    return this.inner.run(ids, options);
  }
  createCache() {
    return this.inner.createCache();
  }
  getParams() {
    return this.inner.getParams();
  }
  dispose() {}
}

function withLosableGpu() {
  const engines: LosableEngine[] = [];
  const select = (preference: 'auto' | 'cpu'): EngineSelector =>
    preference === 'cpu'
      ? engineSelector('cpu')
      : async (config, params) => {
          const engine = new LosableEngine(config, params);
          engines.push(engine);
          return { engine, kind: 'webgpu', reason: 'Running on WebGPU (fake).' };
        };
  return { engines, select };
}

describe('session: KV cache, device loss, Hugging Face models', () => {
  it('append and run again decodes one token with the KV cache, and the trace stays that of a full pass', async () => {
    const stores = createExplorerStores({ catalog: [UNTRAINED_MODEL] });
    await stores.openUrl('?prompt=The%20cat');
    const { session } = stores;
    const T = session.getState().tokens.length;
    expect(session.getState().lastPass).toMatchObject({ kind: 'full', positions: T, decodedFrom: null });
    expect(session.getState().kvCache?.length).toBe(T);

    const id = session.getState().model!.tokenizer.encode(' ')[0];
    await session.getState().appendToken(id);
    await session.getState().appendToken(session.getState().model!.tokenizer.encode('s')[0]);
    const s = session.getState();
    expect(s.prompt).toBe('The cat s');
    expect(s.lastPass).toMatchObject({ kind: 'decode', positions: 1, attended: T + 2, decodedFrom: T });
    expect(s.kvCache?.length).toBe(T + 2);
    expect(s.trace?.['blocks.0.attn.hook_k_cache'].shape).toEqual([T + 2, 4, 16]);
    expect(s.trace?.['blocks.0.attn.hook_pattern'].shape).toEqual([4, T + 2, T + 2]);
    const full = await new CpuEngine(s.model!.config, s.model!.params).run(
      s.tokens.map((t) => t.id),
      { capture: ['hook_logits'] },
    );
    let worst = 0;
    for (let i = 0; i < full.logits.data.length; i++) {
      worst = Math.max(worst, Math.abs(full.logits.data[i] - s.trace!.hook_logits.data[i]));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('run the whole pass again when the appended text re-tokenizes differently, and say why', async () => {
    const stores = createExplorerStores({ catalog: [UNTRAINED_GPT2_VOCAB_MODEL] });
    await stores.openUrl('?prompt=Hel');
    const { session } = stores;
    const tok = session.getState().model!.tokenizer;
    expect(session.getState().tokens.map((t) => t.text)).toEqual(['Hel']);
    await session.getState().appendToken(tok.encode('lo')[0]); // "Hello" is one GPT-2 token, not "Hel" + "lo"
    const s = session.getState();
    expect(s.tokens.map((t) => t.id)).toEqual(tok.encode('Hello'));
    expect(s.lastPass?.kind).toBe('full');
    expect(s.lastPass?.note).toMatch(/splits into different tokens/);
  });

  it('a lost WebGPU device switches to the CPU engine with the same params, keeping prompt, trace and step', async () => {
    const gpu = withLosableGpu();
    const stores = createExplorerStores({ catalog: [UNTRAINED_MODEL], selectEngine: gpu.select });
    await stores.openUrl('?prompt=Hello&step=pattern&layer=1');
    const { session } = stores;
    expect(session.getState().engineKind).toBe('webgpu');
    const before = session.getState().trace;
    gpu.engines[0].lost = true;

    await session.getState().appendToken(session.getState().model!.tokenizer.encode('!')[0]);
    const s = session.getState();
    expect(s.engineKind).toBe('cpu');
    expect(s.engineReason).toMatch(/the WebGPU device was lost/);
    expect(s.notices.join(' ')).toMatch(/switched to the CPU engine and kept your prompt and view/);
    expect(s.status).toBe('ready');
    expect(s.prompt).toBe('Hello!');
    expect(s.trace).not.toBe(before);
    expect(s.trace?.hook_logits.shape[0]).toBe(6);
    expect(stores.urlState()).toMatchObject({ step: 'pattern', layer: 1, engine: 'auto' });

    // The CPU engine goes on decoding with its own KV cache.
    await session.getState().appendToken(session.getState().model!.tokenizer.encode('!')[0]);
    expect(session.getState().lastPass?.kind).toBe('decode');
  });

  it('load a Hugging Face model through the session with progress, and reopen it from a link', async () => {
    const model = await UNTRAINED_MODEL.load();
    const { saveCheckpoint } = await import('@glassbox/compute');
    const ckpt = saveCheckpoint(model.config, model.params);
    const hub = createFakeHub({
      'tiny/char-gpt': {
        files: {
          'config.json': ckpt.configJson,
          'model.safetensors': ckpt.safetensors,
          'tokenizer.json': JSON.stringify(model.tokenizer.toJSON()),
        },
      },
    });
    const env = {
      fetch: hub.fetch,
      cache: memoryFileCache(),
      budget: async () => ({ memoryBytes: 2 ** 30, memorySource: 'test' }),
      isOnline: () => true,
      endpoint: HF_ENDPOINT,
    };
    const stores = createExplorerStores({ catalog: [UNTRAINED_MODEL], hub: env });
    await stores.openUrl('');
    const seen: number[] = [];
    const unsub = stores.session.subscribe((s) => {
      if (s.download?.file === 'model.safetensors') seen.push(s.download.loaded);
    });
    expect(await stores.session.getState().loadModel({ kind: 'huggingface', repo: 'tiny/char-gpt' })).toBe(true);
    unsub();
    expect(seen.length).toBeGreaterThan(0);
    expect(stores.session.getState().model?.id).toBe('hf:tiny/char-gpt');
    expect(stores.session.getState().download).toBeNull();

    // Refused: the previous model stays, with the reason as the error.
    expect(await stores.session.getState().loadModel({ kind: 'huggingface', repo: 'no/such' })).toBe(false);
    expect(stores.session.getState().error).toMatch(/Could not load the model: There is no public model "no\/such"/);
    expect(stores.session.getState().model?.id).toBe('hf:tiny/char-gpt');

    const again = createExplorerStores({ catalog: [UNTRAINED_MODEL], hub: env });
    await again.openUrl('?model=hf:tiny/char-gpt&prompt=Hi');
    expect(again.session.getState().model?.id).toBe('hf:tiny/char-gpt');
    expect(again.session.getState().tokens.length).toBe(2);
    hub.offline = true;
    const offline = createExplorerStores({ catalog: [UNTRAINED_MODEL], hub: { ...env, cache: memoryFileCache() } });
    await offline.openUrl('?model=hf:tiny/char-gpt');
    expect(offline.session.getState().model?.id).toBe(UNTRAINED_MODEL.id);
    expect(offline.session.getState().notices.join(' ')).toMatch(/cannot be reached .* Opened untrained/);
  });
});
