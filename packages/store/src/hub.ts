import type { GPTConfig } from '@glassbox/compute';
import { GlassboxError, loadCheckpoint, parseHfConfig } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import { loadGpt2Tokenizer, tokenizerFromJSON } from '@glassbox/tokenizers';
import type { LoadedModel } from './modelSource';

/**
 * GPT-2 models from the Hugging Face hub, downloaded by the browser with plain `fetch` against the hub's documented
 * endpoints (docs/transformers-js.md says why not transformers.js):
 *
 *   GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true   the commit sha and the files with their sizes
 *   GET {endpoint}/{repo}/resolve/{sha}/{file}                        a file at that commit (LFS files redirect)
 *
 * Everything is checked before the weights are downloaded: the repository exists and is public, config.json says
 * model_type "gpt2" and describes a model the engine runs, the model fits this device's memory, and there is a
 * tokenizer Glassbox can use. Files are cached under repo + commit + file name, so a second load (even offline)
 * reads them from the browser instead of the network. fetch, the cache and the device budget are injected: tests
 * serve a fake hub and never touch the network.
 */

export const HF_ENDPOINT = 'https://huggingface.co';
export const GPT2_VOCAB_SIZE = 50257;
/** Memory a loaded model needs, per parameter, in units of its float32 size: see estimateModelMemory. */
export const MEMORY_OVERHEAD = 2.5;
/** The budget when the browser does not say how much memory the device has (navigator.deviceMemory). */
export const DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30;

export type HubErrorCode =
  | 'bad-repo'
  | 'offline'
  | 'not-found'
  | 'gated'
  | 'http'
  | 'not-gpt2'
  | 'bad-config'
  | 'no-weights'
  | 'too-large'
  | 'no-tokenizer'
  | 'incomplete'
  | 'aborted';

/** Why a hub model was refused, with a stable code (tests and the app branch on it) and one sentence for the page. */
export class HubError extends Error {
  readonly code: HubErrorCode;
  constructor(code: HubErrorCode, message: string) {
    super(message);
    this.name = 'HubError';
    this.code = code;
  }
}

/** The part of `fetch` the hub needs (the browser's fetch, or a fake hub in tests). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** Bytes by key; the browser's Cache Storage in the app, a Map in tests. Failures to store are not fatal. */
export interface FileCache {
  get(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

/** What the device can hold: memory for the model and, with WebGPU, the largest buffer a shader may bind. */
export interface DeviceBudget {
  memoryBytes: number;
  /** Where `memoryBytes` comes from, for the refusal message. */
  memorySource: string;
  gpu?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export interface HubEnvironment {
  fetch: FetchLike;
  cache: FileCache;
  budget: () => Promise<DeviceBudget>;
  /** False when the browser knows it is offline (navigator.onLine); the hub is then not asked at all. */
  isOnline: () => boolean;
  endpoint: string;
}

export interface HubProgress {
  repo: string;
  file: string;
  loaded: number;
  /** Bytes expected, when known (the hub lists sizes; else Content-Length). */
  total: number | null;
  fromCache: boolean;
}

export interface HubRef {
  repo: string;
  revision: string;
}

// Hub names: letters, digits, '-', '_', '.', at most 96 characters; "owner/name" or a bare legacy name like gpt2.
const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SHA = /^[0-9a-f]{40}$/;
export const HUB_ID_PREFIX = 'hf:';

function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** "gpt2", "openai-community/gpt2", "owner/name@revision", or a pasted https://huggingface.co/… address. */
export function parseHubRef(input: string): HubRef {
  let s = input.trim();
  const url = /^https?:\/\/(?:www\.)?huggingface\.co\/(.+?)\/*$/i.exec(s);
  if (url) {
    s = url[1];
    const tree = /^(.+?)\/tree\/([^/]+)$/.exec(s);
    if (tree) s = `${tree[1]}@${tree[2]}`;
  }
  const at = s.lastIndexOf('@');
  const repo = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : 'main';
  const parts = repo.split('/');
  if (parts.length > 2 || parts.some((p) => !REPO_PART.test(p) || p.includes('..'))) {
    throw new HubError(
      'bad-repo',
      `"${clip(input)}" is not a Hugging Face repository id: write it as a name or owner/name, e.g. gpt2 or ` +
        'openai-community/gpt2',
    );
  }
  if (!REVISION.test(revision)) {
    throw new HubError('bad-repo', `"${clip(revision)}" is not a revision (a branch, tag or commit) Glassbox accepts`);
  }
  return { repo, revision };
}

/** The model id that goes into the URL: hf:gpt2, hf:owner/name:revision. */
export function hubModelId(ref: HubRef): string {
  return `${HUB_ID_PREFIX}${ref.repo}${ref.revision === 'main' ? '' : `:${ref.revision}`}`;
}

/** The reference a hub model id stands for, or null when the id is not one. */
export function hubRefFromModelId(id: string): HubRef | null {
  if (!id.startsWith(HUB_ID_PREFIX)) return null;
  const [repo, revision] = id.slice(HUB_ID_PREFIX.length).split(':');
  try {
    return parseHubRef(revision ? `${repo}@${revision}` : repo);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Memory.

export interface MemoryEstimate {
  parameters: number;
  /** parameters × 4 bytes × MEMORY_OVERHEAD. */
  bytes: number;
  largestTensor: string;
  largestTensorBytes: number;
}

/**
 * What a model costs in memory, from its config alone (before anything is downloaded): the parameters in float32,
 * times MEMORY_OVERHEAD for the downloaded file held while it is parsed, the engine's copy (GPU upload or CPU work
 * buffers) and the captured activations. GPT-2 small (124 M parameters) comes to about 1.2 GB.
 */
export function estimateModelMemory(c: GPTConfig): MemoryEstimate {
  const d = c.n_embd;
  // Per block: two LayerNorms (4d), W_QKV and b (3d² + 3d), W_O and b (d² + d), MLP in and out (8d² + 5d).
  const perBlock = 12 * d * d + 13 * d;
  const parameters = c.vocab_size * d + c.n_positions * d + c.n_layer * perBlock + 2 * d;
  const tensors: [string, number][] = [
    ['the token embedding W_E [V, d]', c.vocab_size * d],
    ['the position embedding W_pos [n_positions, d]', c.n_positions * d],
    ['an MLP weight [d, 4d]', 4 * d * d],
  ];
  const [largestTensor, n] = tensors.reduce((a, b) => (b[1] > a[1] ? b : a));
  return { parameters, bytes: parameters * 4 * MEMORY_OVERHEAD, largestTensor, largestTensorBytes: n * 4 };
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KB`;
  return `${n} B`;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : n.toLocaleString('en-US');
}

/**
 * Refuses a model this device cannot hold (HubError 'too-large'); returns notes for what it can hold only in part
 * (a tensor larger than WebGPU lets a shader bind: the engine will say 'device-limit' and the app runs on the CPU).
 */
export function checkFitsDevice(repo: string, c: GPTConfig, budget: DeviceBudget): string[] {
  const est = estimateModelMemory(c);
  if (est.bytes > budget.memoryBytes) {
    throw new HubError(
      'too-large',
      `"${repo}" is too large for this device: ${formatCount(est.parameters)} parameters need about ` +
        `${formatBytes(est.bytes)} in the browser (4 bytes each × ${MEMORY_OVERHEAD} for the download, the engine and ` +
        `the activations), and the budget here is ${formatBytes(budget.memoryBytes)} (${budget.memorySource}). ` +
        'Choose a smaller model.',
    );
  }
  const notes: string[] = [];
  const gpu = budget.gpu;
  if (gpu) {
    const limit = Math.min(gpu.maxStorageBufferBindingSize, gpu.maxBufferSize);
    if (est.largestTensorBytes > limit) {
      notes.push(
        `WebGPU on this device binds at most ${formatBytes(limit)} per buffer and ${est.largestTensor} of "${repo}" ` +
          `needs ${formatBytes(est.largestTensorBytes)}: it will run on the CPU engine.`,
      );
    }
  }
  return notes;
}

interface NavigatorLike {
  deviceMemory?: number;
  onLine?: boolean;
  gpu?: { requestAdapter(): Promise<{ limits: Record<string, number> } | null> };
}

function browserNavigator(): NavigatorLike | undefined {
  return (globalThis as { navigator?: NavigatorLike }).navigator;
}

/**
 * The budget in a browser: half of navigator.deviceMemory (Chromium reports the device's memory in GB, rounded down
 * to a power of two and capped, and a tab gets only part of it), or DEFAULT_MEMORY_BUDGET where the browser does
 * not say; plus the WebGPU adapter's buffer limits when there is an adapter.
 */
export async function browserDeviceBudget(): Promise<DeviceBudget> {
  const nav = browserNavigator();
  const gb = nav?.deviceMemory;
  const budget: DeviceBudget =
    typeof gb === 'number' && gb > 0
      ? { memoryBytes: (gb * 2 ** 30) / 2, memorySource: `half of the ${gb} GB navigator.deviceMemory reports` }
      : {
          memoryBytes: DEFAULT_MEMORY_BUDGET,
          memorySource: 'assumed, because this browser does not report navigator.deviceMemory',
        };
  try {
    const adapter = await nav?.gpu?.requestAdapter();
    if (adapter) {
      budget.gpu = {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      };
    }
  } catch {
    // No adapter: the model runs on the CPU, which only the memory budget limits.
  }
  return budget;
}

// ---------------------------------------------------------------------------------------------------------------
// Caches.

export function memoryFileCache(): FileCache & { keys(): string[] } {
  const map = new Map<string, Uint8Array>();
  return {
    async get(key) {
      return map.get(key) ?? null;
    },
    async put(key, bytes) {
      map.set(key, bytes);
    },
    keys: () => [...map.keys()],
  };
}

interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

/**
 * The browser's Cache Storage (persists across visits; the browser may evict it under storage pressure). Entries
 * live under a reserved, never-fetched origin so they cannot be confused with real responses. Null where there is
 * no Cache Storage (Node, or a page that is not a secure context).
 */
export function cacheStorageFileCache(name = 'glassbox-hub-v1'): FileCache | null {
  const caches = (globalThis as { caches?: { open(name: string): Promise<CacheLike> } }).caches;
  if (!caches) return null;
  let opened: Promise<CacheLike> | undefined;
  const open = () => {
    opened ??= caches.open(name);
    return opened;
  };
  const url = (key: string) => `https://glassbox.invalid/${key.split('/').map(encodeURIComponent).join('/')}`;
  return {
    async get(key) {
      const res = await (await open()).match(url(key));
      return res ? new Uint8Array(await res.arrayBuffer()) : null;
    },
    async put(key, bytes) {
      await (await open()).put(url(key), new Response(bytes as Uint8Array<ArrayBuffer>));
    },
  };
}

/** fetch, Cache Storage (or memory), the device budget and navigator.onLine of the page this runs in. */
export function browserHubEnvironment(overrides: Partial<HubEnvironment> = {}): HubEnvironment {
  return {
    fetch: (url, init) => globalThis.fetch(url, init),
    cache: cacheStorageFileCache() ?? memoryFileCache(),
    budget: browserDeviceBudget,
    isOnline: () => browserNavigator()?.onLine !== false,
    endpoint: HF_ENDPOINT,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Downloading.

interface RepoFiles {
  sha: string;
  /** File name → size in bytes (undefined when the hub did not say). */
  sizes: Map<string, number | undefined>;
}

export interface LoadHubOptions {
  onProgress?: (p: HubProgress) => void;
  signal?: AbortSignal;
}

const cacheKey = (repo: string, sha: string, file: string) => `hf/${repo}/${sha}/${file}`;
const refKey = (ref: HubRef) => `hf/${ref.repo}/refs/${ref.revision}`;
const utf8 = new TextDecoder();

function offlineMessage(repo: string, why: string): string {
  return (
    `Cannot download "${repo}": the Hugging Face hub cannot be reached (${why}), and this browser has not cached ` +
    'it. Connect to the internet and load it again, or choose a shipped model.'
  );
}

function gatedError(repo: string): HubError {
  return new HubError(
    'gated',
    `"${repo}" is gated: the hub asks you to log in and accept its conditions, and Glassbox only downloads public ` +
      'repositories.',
  );
}

/** fetch itself failed: no connection, DNS, CORS. Turned into an 'offline' HubError with the right sentence. */
class NetworkFailure extends Error {}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e instanceof Error && e.name === 'AbortError');
}

class HubSession {
  /** Notes for the page (loaded from cache, a cache that could not be written). */
  readonly notes: string[] = [];
  private offlineWhy: string | null = null;
  fromNetwork = 0;
  fromCache = 0;

  constructor(
    readonly ref: HubRef,
    readonly env: HubEnvironment,
    readonly options: LoadHubOptions,
  ) {}

  /** fetch, with a network failure (offline, DNS, CORS) turned into NetworkFailure and a cancel into 'aborted'. */
  private async get(url: string): Promise<Response> {
    try {
      return await this.env.fetch(url, { signal: this.options.signal });
    } catch (e) {
      if (isAbort(e, this.options.signal)) throw new HubError('aborted', 'The download was cancelled.');
      throw new NetworkFailure((e as Error).message || 'the request failed');
    }
  }

  private httpError(res: Response, what: string): HubError {
    const repo = this.ref.repo;
    if (res.status === 404 || res.status === 401) {
      return new HubError(
        'not-found',
        `There is no public model "${repo}"${this.ref.revision === 'main' ? '' : ` at revision "${this.ref.revision}"`} ` +
          'on the Hugging Face hub (check the spelling; private repositories cannot be opened here).',
      );
    }
    if (res.status === 403) return gatedError(repo);
    return new HubError('http', `The Hugging Face hub answered ${res.status} when asked for ${what} of "${repo}".`);
  }

  /** The commit the revision points at and the files there; offline, null (the commit cached last time is used). */
  async resolve(): Promise<RepoFiles | null> {
    const { ref, env } = this;
    if (!env.isOnline()) {
      this.offlineWhy = 'the browser reports that it is offline';
    } else {
      try {
        const res = await this.get(
          `${env.endpoint}/api/models/${ref.repo}/revision/${encodeURIComponent(ref.revision)}?blobs=true`,
        );
        if (!res.ok) throw this.httpError(res, 'the file list');
        return this.parseInfo(await res.json());
      } catch (e) {
        if (!(e instanceof NetworkFailure)) throw e;
        this.offlineWhy = e.message;
      }
    }
    const cached = await env.cache.get(refKey(ref)).catch(() => null);
    if (!cached) throw new HubError('offline', offlineMessage(ref.repo, this.offlineWhy ?? 'offline'));
    this.notes.push(`Offline: "${ref.repo}" was loaded from this browser's cache (downloaded on an earlier visit).`);
    return null;
  }

  private parseInfo(json: unknown): RepoFiles {
    const info = json as { sha?: unknown; siblings?: unknown; gated?: unknown };
    if (info.gated !== undefined && info.gated !== false) throw gatedError(this.ref.repo);
    if (typeof info.sha !== 'string' || !SHA.test(info.sha) || !Array.isArray(info.siblings)) {
      throw new HubError(
        'http',
        `The Hugging Face hub's answer about "${this.ref.repo}" is not what Glassbox expects.`,
      );
    }
    const sizes = new Map<string, number | undefined>();
    for (const s of info.siblings as { rfilename?: unknown; size?: unknown; lfs?: { size?: unknown } }[]) {
      if (typeof s?.rfilename !== 'string') continue;
      const size = typeof s.lfs?.size === 'number' ? s.lfs.size : typeof s.size === 'number' ? s.size : undefined;
      sizes.set(s.rfilename, size);
    }
    return { sha: info.sha, sizes };
  }

  /** A file at `sha`: from the cache, else downloaded (with progress) and cached. */
  async file(sha: string, name: string, expected: number | undefined): Promise<Uint8Array> {
    const { ref, env, options } = this;
    const key = cacheKey(ref.repo, sha, name);
    const cached = await env.cache.get(key).catch(() => null);
    if (cached && (expected === undefined || cached.length === expected)) {
      this.fromCache += cached.length;
      options.onProgress?.({
        repo: ref.repo,
        file: name,
        loaded: cached.length,
        total: cached.length,
        fromCache: true,
      });
      return cached;
    }
    if (this.offlineWhy !== null) {
      throw new HubError('offline', offlineMessage(ref.repo, this.offlineWhy));
    }
    let res: Response;
    try {
      res = await this.get(`${env.endpoint}/${ref.repo}/resolve/${sha}/${encodeURIComponent(name)}`);
    } catch (e) {
      if (!(e instanceof NetworkFailure)) throw e;
      throw new HubError(
        'offline',
        `The download of ${name} from "${ref.repo}" failed (${e.message}): check the connection and try again.`,
      );
    }
    if (!res.ok) throw this.httpError(res, name);
    const header = Number(res.headers.get('content-length'));
    const total = expected ?? (Number.isFinite(header) && header > 0 ? header : null);
    const bytes = await this.read(res, name, total);
    if (expected !== undefined && bytes.length !== expected) {
      throw new HubError(
        'incomplete',
        `The download of ${name} from "${ref.repo}" stopped at ${formatBytes(bytes.length)} of ${formatBytes(expected)}; try again.`,
      );
    }
    this.fromNetwork += bytes.length;
    try {
      await env.cache.put(key, bytes);
    } catch (e) {
      this.notes.push(
        `${name} could not be stored in this browser's cache (${(e as Error).message}); it will be downloaded again next time.`,
      );
    }
    return bytes;
  }

  /** The body, chunk by chunk, reporting progress; into one buffer of the expected size when it is known. */
  private async read(res: Response, file: string, total: number | null): Promise<Uint8Array> {
    const report = (loaded: number) =>
      this.options.onProgress?.({ repo: this.ref.repo, file, loaded, total, fromCache: false });
    report(0);
    if (!res.body) {
      const all = new Uint8Array(await res.arrayBuffer());
      report(all.length);
      return all;
    }
    const reader = res.body.getReader();
    let buf = new Uint8Array(total ?? 1 << 16);
    let loaded = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (loaded + value.length > buf.length) {
          const grown = new Uint8Array(Math.max(buf.length * 2, loaded + value.length));
          grown.set(buf.subarray(0, loaded));
          buf = grown;
        }
        buf.set(value, loaded);
        loaded += value.length;
        report(loaded);
      }
    } catch (e) {
      if (isAbort(e, this.options.signal)) throw new HubError('aborted', 'The download was cancelled.');
      throw new HubError(
        'offline',
        `The download of ${file} from "${this.ref.repo}" was interrupted (${(e as Error).message}); try again.`,
      );
    }
    return loaded === buf.length ? buf : buf.slice(0, loaded);
  }

  async rememberRef(sha: string): Promise<void> {
    await this.env.cache.put(refKey(this.ref), new TextEncoder().encode(sha)).catch(() => {});
  }

  async cachedSha(): Promise<string> {
    const bytes = await this.env.cache.get(refKey(this.ref));
    return bytes ? utf8.decode(bytes) : '';
  }
}

/** The tokenizer for a hub model, or a refusal that says what is missing; decided before the weights download. */
async function hubTokenizer(
  hub: HubSession,
  sha: string,
  files: RepoFiles | null,
  config: GPTConfig,
): Promise<{ tokenizer: Tokenizer; which: string }> {
  const repo = hub.ref.repo;
  const V = config.vocab_size;
  if (V === GPT2_VOCAB_SIZE) {
    return { tokenizer: await loadGpt2Tokenizer(), which: "GPT-2's (vocab_size 50,257), built into Glassbox" };
  }
  const vocab = `a ${V.toLocaleString('en-US')}-token vocabulary, not GPT-2's 50,257`;
  if (files && !files.sizes.has('tokenizer.json')) {
    throw new HubError(
      'no-tokenizer',
      `"${repo}" has ${vocab}, and no tokenizer.json: Glassbox cannot tokenize for it.`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await hub.file(sha, 'tokenizer.json', files?.sizes.get('tokenizer.json'));
  } catch (e) {
    if (e instanceof HubError && e.code === 'not-found') {
      throw new HubError(
        'no-tokenizer',
        `"${repo}" has ${vocab}, and no tokenizer.json: Glassbox cannot tokenize for it.`,
      );
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new HubError('no-tokenizer', `"${repo}" has ${vocab}, and its tokenizer.json is not valid JSON.`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromJSON(json);
  } catch {
    const model = (json as { model?: { type?: unknown } })?.model?.type;
    const format =
      typeof model === 'string'
        ? `in the Hugging Face tokenizers format (model type ${JSON.stringify(clip(model, 20))})`
        : 'in a format Glassbox does not know';
    throw new HubError(
      'no-tokenizer',
      `"${repo}" has ${vocab}, and its tokenizer.json is ${format}. Glassbox reads GPT-2's vocabulary and its own ` +
        'tokenizer.json (kind "gpt2", "bpe", "word" or "char"), so it cannot tokenize for this model.',
    );
  }
  if (tokenizer.vocabSize > V) {
    throw new HubError(
      'no-tokenizer',
      `"${repo}"'s tokenizer.json has ${tokenizer.vocabSize} tokens but the model only ${V}: they do not belong together.`,
    );
  }
  return { tokenizer, which: `the repository's tokenizer.json (${tokenizer.kind}, ${tokenizer.vocabSize} tokens)` };
}

/** GPT-2's classic prompt; for another tokenizer, "Hello" if it can read it, else its first few tokens. */
function examplePrompt(tokenizer: Tokenizer): string {
  if (tokenizer.kind === 'gpt2') return 'Hello, I am a language model,';
  try {
    tokenizer.encode('Hello');
    return 'Hello';
  } catch {
    return tokenizer.decode([0, 1, 2].filter((i) => i < tokenizer.vocabSize));
  }
}

/**
 * Download (or read from the cache) a GPT-2 model from the hub: checks first, weights last. Every refusal is a
 * HubError whose message names the reason.
 */
export async function loadHubModel(
  ref: HubRef,
  env: HubEnvironment,
  options: LoadHubOptions = {},
): Promise<LoadedModel> {
  const hub = new HubSession(ref, env, options);
  const files = await hub.resolve();
  const sha = files?.sha ?? (await hub.cachedSha());
  const { repo } = ref;
  if (files) {
    if (!files.sizes.has('config.json')) {
      throw new HubError(
        'not-gpt2',
        `"${repo}" has no config.json, so it is not a transformers model Glassbox can run.`,
      );
    }
    if (!files.sizes.has('model.safetensors')) {
      const sharded = files.sizes.has('model.safetensors.index.json');
      throw new HubError(
        'no-weights',
        sharded
          ? `"${repo}" stores its weights in several safetensors shards; Glassbox reads one model.safetensors file.`
          : `"${repo}" has no model.safetensors (only other weight formats); Glassbox reads safetensors only, never ` +
              'pickled PyTorch files, which can run code.',
      );
    }
  }

  const configBytes = await hub.file(sha, 'config.json', files?.sizes.get('config.json'));
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(configBytes));
  } catch {
    throw new HubError('bad-config', `"${repo}"'s config.json is not valid JSON.`);
  }
  const modelType = (raw as { model_type?: unknown })?.model_type;
  if (modelType !== 'gpt2') {
    throw new HubError(
      'not-gpt2',
      `"${repo}" is not a GPT-2 model: its config.json says model_type ${JSON.stringify(clip(String(modelType), 30))}, ` +
        'and Glassbox runs only "gpt2" models.',
    );
  }
  let parsed: ReturnType<typeof parseHfConfig>;
  try {
    parsed = parseHfConfig(raw);
  } catch (e) {
    throw new HubError(
      'bad-config',
      `"${repo}"'s config.json describes a model Glassbox cannot run: ${(e as Error).message}.`,
    );
  }
  const config = parsed.config;
  const budget = await env.budget();
  const fitNotes = checkFitsDevice(repo, config, budget);
  const { tokenizer, which } = await hubTokenizer(hub, sha, files, config);

  const weights = await hub.file(sha, 'model.safetensors', files?.sizes.get('model.safetensors'));
  let ckpt: ReturnType<typeof loadCheckpoint>;
  try {
    ckpt = loadCheckpoint(weights, raw);
  } catch (e) {
    const msg = e instanceof GlassboxError ? e.message : String(e);
    throw new HubError('no-weights', `"${repo}"'s model.safetensors does not fit its config.json: ${msg}.`);
  }
  if (files) await hub.rememberRef(sha);

  const est = estimateModelMemory(config);
  const source = [
    hub.fromNetwork > 0 ? `downloaded ${formatBytes(hub.fromNetwork)}` : '',
    hub.fromCache > 0 ? `${hub.fromNetwork > 0 ? formatBytes(hub.fromCache) : 'read'} from this browser's cache` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return {
    id: hubModelId(ref),
    label: `${repo} (Hugging Face)`,
    trained: true,
    description:
      `"${repo}" from the Hugging Face hub, commit ${sha.slice(0, 7)} (${source}): ${plural(config.n_layer, 'layer')}, ` +
      `${plural(config.n_head, 'head')}, d = ${config.n_embd}, ${formatCount(est.parameters)} parameters. ` +
      `Tokenizer: ${which}.`,
    examplePrompt: examplePrompt(tokenizer),
    config,
    params: ckpt.params,
    tokenizer,
    // loadCheckpoint's warnings include parseHfConfig's (an activation the engine only approximates).
    warnings: [...hub.notes, ...fitNotes, ...ckpt.warnings],
  };
}
