import type { GPTConfig } from '@glassbox/compute';
import { GPT2_SMALL, initParams, saveCheckpoint, validateConfig } from '@glassbox/compute';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FakeRepo } from './fakeHub';
import { createFakeHub, FAKE_SHA } from './fakeHub';
import type { DeviceBudget, HubEnvironment, HubProgress } from './hub';
import {
  checkFitsDevice,
  estimateModelMemory,
  HF_ENDPOINT,
  HubError,
  hubModelId,
  hubRefFromModelId,
  loadHubModel,
  memoryFileCache,
  parseHubRef,
} from './hub';
import { UNTRAINED_MODEL } from './modelSource';

const BIG_BUDGET: DeviceBudget = { memoryBytes: 2 ** 30, memorySource: 'the test budget' };

/** A small GPT-2 checkpoint as the hub would serve it, written by saveCheckpoint. */
function repoFor(config: GPTConfig, extra: Record<string, string> = {}): FakeRepo {
  const ckpt = saveCheckpoint(config, initParams(config, { seed: 7 }));
  return { files: { 'config.json': ckpt.configJson, 'model.safetensors': ckpt.safetensors, ...extra } };
}

let repos: Record<string, FakeRepo>;

beforeAll(async () => {
  const char = await UNTRAINED_MODEL.load();
  const gpt2Vocab = validateConfig({ vocab_size: 50257, n_positions: 16, n_embd: 8, n_layer: 1, n_head: 2 });
  const charCkpt = saveCheckpoint(char.config, char.params);
  repos = {
    'tiny/char-gpt': {
      files: {
        'config.json': charCkpt.configJson,
        'model.safetensors': charCkpt.safetensors,
        'tokenizer.json': JSON.stringify(char.tokenizer.toJSON()),
        'README.md': '# a tiny model',
      },
    },
    'tiny-gpt2-vocab': repoFor(gpt2Vocab),
    'tiny/hf-tokenizer': repoFor(char.config, {
      'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } }),
    }),
    'tiny/no-tokenizer': repoFor(char.config),
    'meta/llama-ish': {
      files: {
        'config.json': JSON.stringify({ model_type: 'llama', hidden_size: 8 }),
        'model.safetensors': new Uint8Array(16),
      },
    },
    'old/pickle-only': { files: { 'config.json': charCkpt.configJson, 'pytorch_model.bin': new Uint8Array(8) } },
    'corp/gated': { ...repoFor(char.config), gated: 'manual' },
  };
});

function setup(budget: DeviceBudget = BIG_BUDGET, chunkSize = 4096) {
  const hub = createFakeHub(repos, { chunkSize });
  const cache = memoryFileCache();
  let online = true;
  const env: HubEnvironment = {
    fetch: hub.fetch,
    cache,
    budget: async () => budget,
    isOnline: () => online,
    endpoint: HF_ENDPOINT,
  };
  return {
    hub,
    cache,
    env,
    setOnline: (v: boolean) => {
      online = v;
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

describe('Hugging Face hub downloads (against a fake hub, no network)', () => {
  it('download config.json, tokenizer.json and model.safetensors with progress; the weights are the checkpoint’s', async () => {
    const { env, hub, cache } = setup();
    const progress: HubProgress[] = [];
    const model = await loadHubModel(parseHubRef('tiny/char-gpt'), env, { onProgress: (p) => progress.push(p) });
    const original = await UNTRAINED_MODEL.load();
    expect(model.id).toBe('hf:tiny/char-gpt');
    expect(model.config).toEqual(original.config);
    expect(model.params.blocks[1].attn.W_Q.data).toEqual(original.params.blocks[1].attn.W_Q.data);
    expect(model.tokenizer.encode('Hi!')).toEqual(original.tokenizer.encode('Hi!'));
    expect(model.description).toMatch(
      /commit c0ffee0 \(downloaded .* KB\).*Tokenizer: the repository's tokenizer\.json/,
    );

    const weights = progress.filter((p) => p.file === 'model.safetensors');
    const size = (repos['tiny/char-gpt'].files['model.safetensors'] as Uint8Array).length;
    expect(weights.length).toBeGreaterThan(3); // streamed in 4 KB chunks
    expect(weights.every((p) => p.total === size && !p.fromCache)).toBe(true);
    expect(weights.map((p) => p.loaded)).toEqual([...weights.map((p) => p.loaded)].sort((a, b) => a - b));
    expect(weights.at(-1)?.loaded).toBe(size);

    expect(hub.requests).toEqual([
      '/api/models/tiny/char-gpt/revision/main?blobs=true',
      `/tiny/char-gpt/resolve/${FAKE_SHA}/config.json`,
      `/tiny/char-gpt/resolve/${FAKE_SHA}/tokenizer.json`,
      `/tiny/char-gpt/resolve/${FAKE_SHA}/model.safetensors`,
    ]);
    expect(cache.keys()).toContain(`hf/tiny/char-gpt/${FAKE_SHA}/model.safetensors`);
    expect(cache.keys()).toContain('hf/tiny/char-gpt/refs/main');
  });

  it('a second load reads every file from the cache, keyed by repo + commit + file: only the file list is asked for', async () => {
    const { env, hub } = setup();
    await loadHubModel(parseHubRef('tiny/char-gpt'), env);
    hub.requests.length = 0;
    const progress: HubProgress[] = [];
    const again = await loadHubModel(parseHubRef('tiny/char-gpt'), env, { onProgress: (p) => progress.push(p) });
    expect(hub.requests).toEqual(['/api/models/tiny/char-gpt/revision/main?blobs=true']);
    expect(progress.every((p) => p.fromCache)).toBe(true);
    expect(again.description).toMatch(/from this browser's cache/);
  });

  it('offline: a cached model opens from the cache with a notice; an uncached one is refused with a clear message', async () => {
    const { env, hub, setOnline } = setup();
    await loadHubModel(parseHubRef('tiny/char-gpt'), env);
    hub.offline = true; // fetch rejects, as it does without a connection
    const cached = await loadHubModel(parseHubRef('tiny/char-gpt'), env);
    expect(cached.warnings.join(' ')).toMatch(/Offline: "tiny\/char-gpt" was loaded from this browser's cache/);
    const e = await refusal(loadHubModel(parseHubRef('tiny-gpt2-vocab'), env));
    expect(e.code).toBe('offline');
    expect(e.message).toMatch(
      /Cannot download "tiny-gpt2-vocab": the Hugging Face hub cannot be reached \(Failed to fetch\)/,
    );

    hub.offline = false;
    setOnline(false); // navigator.onLine === false: the hub is not even asked
    hub.requests.length = 0;
    const e2 = await refusal(loadHubModel(parseHubRef('tiny-gpt2-vocab'), env));
    expect(e2.code).toBe('offline');
    expect(e2.message).toMatch(/the browser reports that it is offline/);
    expect(hub.requests).toEqual([]);
  });

  it('refuse a repository that is not a GPT-2 model (config.json model_type), before downloading weights', async () => {
    const { env, hub } = setup();
    const e = await refusal(loadHubModel(parseHubRef('meta/llama-ish'), env));
    expect(e.code).toBe('not-gpt2');
    expect(e.message).toBe(
      '"meta/llama-ish" is not a GPT-2 model: its config.json says model_type "llama", and Glassbox runs only "gpt2" models.',
    );
    expect(hub.requests.some((r) => r.endsWith('model.safetensors'))).toBe(false);
  });

  it('refuse a model too large for the device’s memory budget, estimated from config.json before downloading weights', async () => {
    const { env, hub } = setup({ memoryBytes: 100_000, memorySource: 'half of the 0.0002 GB test device' });
    const e = await refusal(loadHubModel(parseHubRef('tiny/char-gpt'), env));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/is too large for this device: .* parameters need about .* the budget here is 97\.7 KB/);
    expect(hub.requests.some((r) => r.endsWith('model.safetensors'))).toBe(false);
  });

  it('estimate GPT-2 small at 124,439,808 parameters, about 1.2 GB in the browser; warn when WebGPU cannot bind W_E', () => {
    const est = estimateModelMemory(GPT2_SMALL);
    expect(est.parameters).toBe(124_439_808);
    expect(est.bytes / 2 ** 30).toBeCloseTo(1.16, 2);
    expect(est.largestTensorBytes).toBe(50257 * 768 * 4);
    const gpu = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
    expect(checkFitsDevice('gpt2', GPT2_SMALL, { ...BIG_BUDGET, memoryBytes: 4 * 2 ** 30, gpu })).toEqual([
      'WebGPU on this device binds at most 128.0 MB per buffer and the token embedding W_E [V, d] of "gpt2" needs ' +
        '147.2 MB: it will run on the CPU engine.',
    ]);
    expect(() =>
      checkFitsDevice('gpt2-xl', { ...GPT2_SMALL, n_embd: 1600, n_layer: 48, n_head: 25 }, BIG_BUDGET),
    ).toThrow(/too large for this device/);
  });

  it('use the built-in GPT-2 tokenizer when vocab_size is 50,257, without downloading tokenizer files', async () => {
    const { env, hub } = setup();
    const model = await loadHubModel(parseHubRef('tiny-gpt2-vocab'), env);
    expect(model.tokenizer.kind).toBe('gpt2');
    expect(model.tokenizer.encode('Hello,')).toEqual([15496, 11]);
    expect(model.description).toMatch(/Tokenizer: GPT-2's \(vocab_size 50,257\)/);
    expect(hub.requests.some((r) => r.includes('tokenizer'))).toBe(false);
  });

  it('refuse another vocabulary without a tokenizer.json Glassbox reads, and say which', async () => {
    const { env, hub } = setup();
    const hf = await refusal(loadHubModel(parseHubRef('tiny/hf-tokenizer'), env));
    expect(hf.code).toBe('no-tokenizer');
    expect(hf.message).toMatch(
      /has a 97-token vocabulary, not GPT-2's 50,257, and its tokenizer\.json is in the Hugging Face tokenizers format \(model type "BPE"\)/,
    );
    const none = await refusal(loadHubModel(parseHubRef('tiny/no-tokenizer'), env));
    expect(none.code).toBe('no-tokenizer');
    expect(none.message).toMatch(/no tokenizer\.json: Glassbox cannot tokenize for it/);
    expect(hub.requests.some((r) => r.endsWith('model.safetensors'))).toBe(false);
  });

  it('refuse unknown, gated and pickle-only repositories with the reason', async () => {
    const { env } = setup();
    expect((await refusal(loadHubModel(parseHubRef('nobody/nothing'), env))).message).toMatch(
      /There is no public model "nobody\/nothing" on the Hugging Face hub/,
    );
    expect((await refusal(loadHubModel(parseHubRef('tiny/char-gpt@v9'), env))).message).toMatch(/at revision "v9"/);
    expect((await refusal(loadHubModel(parseHubRef('corp/gated'), env))).code).toBe('gated');
    const pickle = await refusal(loadHubModel(parseHubRef('old/pickle-only'), env));
    expect(pickle.code).toBe('no-weights');
    expect(pickle.message).toMatch(/safetensors only, never pickled PyTorch files/);
  });

  it('cancel a download in progress', async () => {
    const { env } = setup(BIG_BUDGET, 1024);
    const abort = new AbortController();
    const e = await refusal(
      loadHubModel(parseHubRef('tiny/char-gpt'), env, {
        signal: abort.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.loaded > 2048) abort.abort();
        },
      }),
    );
    expect(e.code).toBe('aborted');
  });

  it('parse repository ids, revisions and pasted addresses; refuse anything else', () => {
    expect(parseHubRef('gpt2')).toEqual({ repo: 'gpt2', revision: 'main' });
    expect(parseHubRef(' openai-community/gpt2 ')).toEqual({ repo: 'openai-community/gpt2', revision: 'main' });
    expect(parseHubRef('a/b@v1.0')).toEqual({ repo: 'a/b', revision: 'v1.0' });
    expect(parseHubRef('https://huggingface.co/openai-community/gpt2/tree/dev')).toEqual({
      repo: 'openai-community/gpt2',
      revision: 'dev',
    });
    for (const bad of ['', '../x', 'a/b/c', '<img src=x>', 'a/..', 'a@', 'a b']) {
      expect(() => parseHubRef(bad)).toThrow(HubError);
    }
    expect(hubModelId({ repo: 'a/b', revision: 'dev' })).toBe('hf:a/b:dev');
    expect(hubRefFromModelId('hf:a/b:dev')).toEqual({ repo: 'a/b', revision: 'dev' });
    expect(hubRefFromModelId('hf:gpt2')).toEqual({ repo: 'gpt2', revision: 'main' });
    expect(hubRefFromModelId('hf:../../x')).toBeNull();
    expect(hubRefFromModelId('toy-world')).toBeNull();
  });
});
