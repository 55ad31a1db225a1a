import type { Engine, EngineKind, HookFn, KVCache, Tensor, Trace } from '@glassbox/compute';
import { clone } from '@glassbox/compute';
import type { Token } from '@glassbox/tokenizers';
import { loadGpt2Tokenizer } from '@glassbox/tokenizers';
import type { StoreApi } from './createStore';
import { createStore } from './createStore';
import { rowOf } from './derived';
import { isDeviceLost, watchDeviceLoss } from './deviceLoss';
import type { EngineChoice, EnginePreference, EngineSelector } from './engineChoice';
import { engineSelector } from './engineChoice';
import type { HubEnvironment, HubProgress } from './hub';
import { HUB_ID_PREFIX, hubRefFromModelId } from './hub';
import { appendDecodeTrace } from './kvTrace';
import type { LoadedModel, ModelEntry, ModelSource } from './modelSource';
import { loadModelSource } from './modelSource';
import type { Sampling, SamplingErrors, SamplingField } from './sampling';
import { DEFAULT_SAMPLING, samplingError } from './sampling';
import type { Step, StepKind } from './steps';
import { buildSteps, findStep } from './steps';
import type { UrlState } from './urlState';
import { DEFAULT_URL_STATE, fitToModel, MAX_PROMPT_LENGTH, parseUrlState } from './urlState';

// ---------------------------------------------------------------------------------------------------------------
// Session: the model, its engine, the prompt and the trace of the last forward pass.

export type SessionStatus = 'empty' | 'loading' | 'running' | 'ready' | 'error';

/** How the trace on screen was computed. */
export interface LastPass {
  /** 'full': every position of the prompt in one pass; 'decode': one new token against the KV cache. */
  kind: 'full' | 'decode';
  /** Positions the engine processed in that call (T), and positions attended over (S = cached before + T). */
  positions: number;
  attended: number;
  ms: number;
  /** The first position whose rows came from decode steps (null after a full pass). */
  decodedFrom: number | null;
  /** Why an append ran the whole pass instead of decoding, when it did. */
  note?: string;
}

/** "What if": an ablation applied through an intervention hook. */
export type Intervention =
  | { kind: 'head'; layer: number; head: number }
  | { kind: 'neuron'; layer: number; neuron: number };

export interface InterventionResult {
  intervention: Intervention;
  /** The position whose prediction is compared (the last). */
  position: number;
  /** [V] logits at that position with the intervention applied. */
  logits: Float32Array;
}

export interface SessionState {
  catalog: readonly ModelEntry[];
  status: SessionStatus;
  model: LoadedModel | null;
  engine: Engine | null;
  engineKind: EngineKind | null;
  engineReason: string;
  /** 'auto' picks WebGPU when it works; 'cpu' forces the reference engine (also a URL setting). */
  enginePreference: EnginePreference;
  prompt: string;
  /** The tokens of the prompt the trace was computed for. */
  tokens: Token[];
  /** Every hook of the last forward pass (capture: 'all'), or null before the first run. */
  trace: Trace | null;
  /** Wall time of the last forward pass, ms. */
  runMs: number | null;
  /** What went wrong, in one sentence (bad prompt, bad file, …); the previous trace is cleared. */
  error: string | null;
  /** Things the student should know (ignored link values, truncations); dismissible. */
  notices: string[];
  intervention: Intervention | null;
  interventionResult: InterventionResult | null;
  /** GPT-2's tokenization of the same prompt, for comparison (null until asked for). */
  gpt2Tokens: Token[] | null;
  gpt2Wanted: boolean;
  /** The engine's KV cache: keys and values of every position of `tokens` (null when it must be rebuilt). */
  kvCache: KVCache | null;
  lastPass: LastPass | null;
  /** The file a Hugging Face load is reading now (null when none). */
  download: HubProgress | null;

  /** Load a model; resolves true when it became the session's model. */
  loadModel(source: ModelSource): Promise<boolean>;
  /** Stop a Hugging Face download in progress. */
  cancelLoad(): void;
  /** Switch engines for the loaded model (the trace is recomputed). */
  setEnginePreference(preference: EnginePreference): Promise<void>;
  setPrompt(prompt: string): void;
  run(): Promise<void>;
  /** Append the sampled token to the prompt and decode it with the KV cache (a full pass when it cannot). */
  appendToken(id: number): Promise<void>;
  setIntervention(intervention: Intervention | null): Promise<void>;
  showGpt2Comparison(): Promise<void>;
  addNotices(notices: readonly string[]): void;
  dismissNotice(index: number): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Stepper and selection.

export interface StepperState {
  /** The ordered steps for the loaded model (buildSteps). */
  steps: Step[];
  kind: StepKind;
  /** Index of the current step in `steps` (the layer comes from the selection). */
  index(): number;
  goTo(index: number): void;
  next(): void;
  prev(): void;
  setKind(kind: StepKind): void;
}

export interface SelectionState {
  layer: number;
  head: number;
  /** Selected position, or null for the last one. */
  token: number | null;
  setLayer(layer: number): void;
  setHead(head: number): void;
  setToken(token: number | null): void;
}

export interface SamplingState extends Sampling {
  /** Per field, why the last value typed was refused (the setting keeps its previous valid value). */
  errors: SamplingErrors;
  /** Sets a field when the value is valid, else records the error; returns whether it was set. */
  set(field: SamplingField, value: number | null): boolean;
}

export interface ExplorerStores {
  session: StoreApi<SessionState>;
  stepper: StoreApi<StepperState>;
  selection: StoreApi<SelectionState>;
  sampling: StoreApi<SamplingState>;
  /** The state a shared link must reproduce. */
  urlState(): UrlState;
  /** Open the view a link describes (`location.search`); bad values fall back to defaults with notices. */
  openUrl(search: string): Promise<void>;
}

export interface ExplorerOptions {
  /** Models offered by id; the first is the default. */
  catalog: readonly ModelEntry[];
  /** The engine for a preference; compute's selectEngine by default (tests may pass a fake-free CPU-only one). */
  selectEngine?: (preference: EnginePreference) => EngineSelector;
  now?: () => number;
  /** fetch, cache and device budget for Hugging Face downloads (tests pass a fake hub); the page's own by default. */
  hub?: HubEnvironment;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.trunc(v)));
}

/** Zero one head's slice of hook_z (z: [T, H, dh]) or one neuron of hook_post (post: [T, m]), as a replacement. */
export function interventionHooks(i: Intervention): Record<string, HookFn> {
  if (i.kind === 'head') {
    return {
      [`blocks.${i.layer}.attn.hook_z`]: (z: Tensor) => {
        const out = clone(z);
        const [T, H, dh] = z.shape;
        for (let t = 0; t < T; t++) out.data.fill(0, (t * H + i.head) * dh, (t * H + i.head + 1) * dh);
        return out;
      },
    };
  }
  return {
    [`blocks.${i.layer}.mlp.hook_post`]: (post: Tensor) => {
      const out = clone(post);
      const [T, m] = post.shape;
      for (let t = 0; t < T; t++) out.data[t * m + i.neuron] = 0;
      return out;
    },
  };
}

export function createExplorerStores(options: ExplorerOptions): ExplorerStores {
  const selectEngine = options.selectEngine ?? engineSelector;
  const now = options.now ?? (() => performance.now());
  let runCounter = 0;
  let loadAbort: AbortController | null = null;
  /** Engines this store replaced: their device going away is expected, not a loss to recover from. */
  const retired = new WeakSet<Engine>();
  /** One recovery per lost engine, however many runs notice the loss. */
  const recovering = new Map<Engine, Promise<void>>();

  function disposeCache(cache: KVCache | null): void {
    (cache as { dispose?: () => void } | null)?.dispose?.();
  }

  function retire(engine: Engine | null, cache: KVCache | null): void {
    disposeCache(cache);
    if (!engine) return;
    retired.add(engine);
    engine.dispose();
  }

  /** The session's fields for a new engine, watched for device loss. */
  function adopt(choice: EngineChoice): Pick<SessionState, 'engine' | 'engineKind' | 'engineReason' | 'kvCache'> {
    watchDeviceLoss(choice.engine, (why) => {
      if (!retired.has(choice.engine)) void recoverFromDeviceLoss(choice.engine, why);
    });
    return { engine: choice.engine, engineKind: choice.kind, engineReason: choice.reason, kvCache: null };
  }

  /**
   * The WebGPU device behind `lost` is gone: the CPU engine takes over with the model's parameters. The prompt, the
   * trace on screen and the view stay; the KV cache lived on the GPU, so the next append runs a full pass.
   */
  function recoverFromDeviceLoss(lost: Engine, why: string): Promise<void> {
    let p = recovering.get(lost);
    if (!p) {
      p = (async () => {
        const { engine, model } = session.getState();
        if (engine !== lost || !model) return;
        retired.add(lost);
        const choice = await selectEngine('cpu')(model.config, model.params);
        if (session.getState().engine !== lost) {
          choice.engine.dispose();
          return;
        }
        session.setState({
          ...adopt(choice),
          engineReason: `Running on the CPU reference engine: the WebGPU device was lost (${why}).`,
          notices: [
            ...session.getState().notices,
            `The WebGPU device was lost (${why}). Glassbox switched to the CPU engine and kept your prompt and view.`,
          ],
        });
        lost.dispose();
      })();
      recovering.set(lost, p);
    }
    return p;
  }

  /** Run `fn` on the session's engine; if its device is lost, recover on the CPU and run `fn` there once. */
  async function onEngine<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = session.getState().engine;
    if (!engine) throw new Error('no engine is loaded');
    try {
      return await fn(engine);
    } catch (e) {
      if (!isDeviceLost(e)) throw e;
      await recoverFromDeviceLoss(engine, message(e));
      const next = session.getState().engine;
      if (!next || next === engine) throw e;
      return fn(next);
    }
  }

  const sampling = createStore<SamplingState>((set) => ({
    ...DEFAULT_SAMPLING,
    errors: {},
    set(field, value) {
      const error = samplingError(field, value);
      if (error !== null) {
        set((s) => ({ errors: { ...s.errors, [field]: error } }));
        return false;
      }
      set((s) => {
        const errors = { ...s.errors };
        delete errors[field];
        return { [field]: value, errors } as Partial<SamplingState>;
      });
      return true;
    },
  }));

  const dims = () => {
    const model = session.getState().model;
    return {
      n_layer: model?.config.n_layer ?? 1,
      n_head: model?.config.n_head ?? 1,
      T: session.getState().tokens.length,
    };
  };

  const selection = createStore<SelectionState>((set) => ({
    layer: 0,
    head: 0,
    token: null,
    setLayer(layer) {
      set({ layer: clampInt(layer, 0, dims().n_layer - 1) });
    },
    setHead(head) {
      set({ head: clampInt(head, 0, dims().n_head - 1) });
    },
    setToken(token) {
      const T = dims().T;
      set({ token: token === null || T === 0 || token >= T - 1 ? null : clampInt(token, 0, T - 1) });
    },
  }));

  const stepper = createStore<StepperState>((set, get) => ({
    steps: buildSteps({ n_layer: 1 }),
    kind: 'tokens',
    index() {
      const i = findStep(get().steps, get().kind, selection.getState().layer);
      return Math.max(0, i);
    },
    goTo(index) {
      const steps = get().steps;
      const step = steps[clampInt(index, 0, steps.length - 1)];
      if (step.layer !== null) selection.setState({ layer: step.layer });
      set({ kind: step.kind });
    },
    next() {
      get().goTo(get().index() + 1);
    },
    prev() {
      get().goTo(get().index() - 1);
    },
    setKind(kind) {
      set({ kind });
    },
  }));

  async function runIntervention(runId: number): Promise<void> {
    const { engine, intervention, tokens } = session.getState();
    if (!engine || !intervention || tokens.length === 0) {
      session.setState({ interventionResult: null });
      return;
    }
    const result = await onEngine((e) =>
      e.run(
        tokens.map((t) => t.id),
        { capture: ['hook_logits'], hooks: interventionHooks(intervention) },
      ),
    );
    if (runId !== runCounter) return;
    const position = tokens.length - 1;
    session.setState({
      interventionResult: { intervention, position, logits: Float32Array.from(rowOf(result.logits, position)) },
    });
  }

  async function refreshGpt2(runId: number): Promise<void> {
    if (!session.getState().gpt2Wanted) return;
    const tokenizer = await loadGpt2Tokenizer();
    if (runId !== runCounter) return;
    session.setState({ gpt2Tokens: tokenizer.tokenize(session.getState().prompt) });
  }

  const session = createStore<SessionState>((set, get) => ({
    catalog: options.catalog,
    status: 'empty',
    model: null,
    engine: null,
    engineKind: null,
    engineReason: '',
    enginePreference: 'auto',
    prompt: '',
    tokens: [],
    trace: null,
    runMs: null,
    error: null,
    notices: [],
    intervention: null,
    interventionResult: null,
    gpt2Tokens: null,
    gpt2Wanted: false,
    kvCache: null,
    lastPass: null,
    download: null,

    async loadModel(source) {
      const runId = ++runCounter;
      loadAbort?.abort();
      const abort = new AbortController();
      loadAbort = abort;
      set({ status: 'loading', error: null, download: null });
      try {
        const model = await loadModelSource(source, get().catalog, {
          hub: options.hub,
          signal: abort.signal,
          onProgress: (download) => {
            if (runId === runCounter) set({ download });
          },
        });
        const preference = get().enginePreference;
        const choice = await selectEngine(preference)(model.config, model.params);
        if (runId !== runCounter) {
          choice.engine.dispose();
          return false;
        }
        const notices = [...get().notices, ...model.warnings];
        // A downloaded model may be too big for WebGPU's buffer limits ('device-limit'): say so, not only in the badge.
        if (source.kind === 'huggingface' && preference === 'auto' && choice.kind === 'cpu')
          notices.push(choice.reason);
        retire(get().engine, get().kvCache);
        set({
          model,
          ...adopt(choice),
          trace: null,
          tokens: [],
          lastPass: null,
          intervention: null,
          interventionResult: null,
          status: 'ready',
          download: null,
          notices,
        });
        stepper.setState({ steps: buildSteps(model.config) });
        const sel = selection.getState();
        selection.setState({
          layer: Math.min(sel.layer, model.config.n_layer - 1),
          head: Math.min(sel.head, model.config.n_head - 1),
        });
        return true;
      } catch (e) {
        if (runId !== runCounter) return false;
        set({ status: 'error', error: `Could not load the model: ${message(e)}`, download: null });
        return false;
      } finally {
        if (loadAbort === abort) loadAbort = null;
      }
    },

    cancelLoad() {
      loadAbort?.abort();
    },

    async setEnginePreference(preference) {
      set({ enginePreference: preference });
      const { model } = get();
      if (!model) return;
      const runId = ++runCounter;
      const choice = await selectEngine(preference)(model.config, model.params);
      if (runId !== runCounter) {
        choice.engine.dispose();
        return;
      }
      retire(get().engine, get().kvCache);
      set(adopt(choice));
      await get().run();
    },

    setPrompt(prompt) {
      set({ prompt: prompt.slice(0, MAX_PROMPT_LENGTH) });
    },

    async run() {
      const { model, engine, prompt } = get();
      if (!model || !engine) return;
      const runId = ++runCounter;
      let tokens: Token[];
      try {
        tokens = model.tokenizer.tokenize(prompt);
      } catch (e) {
        set({ status: 'error', error: `The prompt cannot be tokenized: ${message(e)}`, tokens: [], trace: null });
        return;
      }
      if (tokens.length === 0) {
        set({ status: 'ready', error: 'Type a prompt to run the model.', tokens, trace: null });
        return;
      }
      const N = model.config.n_positions;
      if (tokens.length > N) {
        set({
          status: 'error',
          error: `The prompt is ${tokens.length} tokens long; this model sees at most ${N}. Shorten it.`,
          tokens: [],
          trace: null,
        });
        return;
      }
      set({ status: 'running', error: null });
      try {
        const t0 = now();
        const ids = tokens.map((t) => t.id);
        // The full pass also fills a fresh KV cache, so "append and run again" can decode just the new token.
        const { result, cache } = await onEngine(async (e) => {
          const cache = e.createCache();
          try {
            return { result: await e.run(ids, { capture: 'all', cache }), cache };
          } catch (err) {
            disposeCache(cache);
            throw err;
          }
        });
        const runMs = now() - t0;
        if (runId !== runCounter) {
          disposeCache(cache);
          return;
        }
        const old = get().kvCache;
        set({
          status: 'ready',
          tokens,
          trace: result.trace,
          runMs,
          kvCache: cache,
          lastPass: { kind: 'full', positions: ids.length, attended: ids.length, ms: runMs, decodedFrom: null },
        });
        if (old !== cache) disposeCache(old);
        const sel = selection.getState();
        if (sel.token !== null && sel.token >= tokens.length - 1) selection.setState({ token: null });
        await Promise.all([runIntervention(runId), refreshGpt2(runId)]);
      } catch (e) {
        if (runId !== runCounter) return;
        set({ status: 'error', error: `The forward pass failed: ${message(e)}`, trace: null });
      }
    },

    async appendToken(id) {
      const { model, tokens, prompt, engine, kvCache, trace, lastPass } = get();
      if (!model || !engine) return;
      // What decoding adds for the new token, separator included (a word tokenizer joins words with a space).
      const ids = tokens.map((t) => t.id);
      const before = model.tokenizer.decode(ids);
      const after = model.tokenizer.decode([...ids, id]);
      const added = after.startsWith(before) ? after.slice(before.length) : model.tokenizer.decode([id]);
      get().setPrompt(prompt + added);
      const next = get().prompt;

      // Decoding reuses the cached keys and values only if the new text is the old tokens plus exactly this one.
      let grown: Token[] | null = null;
      try {
        grown = model.tokenizer.tokenize(next);
      } catch {
        // run() below reports it
      }
      const obstacle = decodeObstacle();
      function decodeObstacle(): string | null {
        if (!grown) return 'the new text could not be tokenized';
        if (!kvCache || !trace) return 'there was no KV cache to extend';
        if (kvCache.length !== tokens.length) return 'the KV cache did not match the prompt';
        if (next !== prompt + added) return 'the prompt reached its length limit';
        if (tokens.length + 1 > (model?.config.n_positions ?? 0)) return 'the context window is full';
        const same = grown.length === tokens.length + 1 && grown[tokens.length].id === id;
        if (!same || tokens.some((t, i) => grown?.[i].id !== t.id)) {
          return 'the new text splits into different tokens than the old ones plus the new one';
        }
        return null;
      }
      if (obstacle || !grown || !kvCache || !trace) {
        await get().run();
        const pass = get().lastPass;
        if (pass && get().status === 'ready') set({ lastPass: { ...pass, note: obstacle ?? undefined } });
        return;
      }

      const runId = ++runCounter;
      set({ status: 'running', error: null });
      try {
        const t0 = now();
        const result = await engine.run([id], { capture: 'all', cache: kvCache });
        const ms = now() - t0;
        if (runId !== runCounter) return; // the cache moved on; the next append sees the mismatch and runs a full pass
        set({
          status: 'ready',
          tokens: grown,
          trace: appendDecodeTrace(trace, result.trace),
          runMs: ms,
          lastPass: {
            kind: 'decode',
            positions: 1,
            attended: kvCache.length,
            ms,
            decodedFrom: lastPass?.decodedFrom ?? tokens.length,
          },
        });
        await Promise.all([runIntervention(runId), refreshGpt2(runId)]);
      } catch (e) {
        if (runId !== runCounter) return;
        if (isDeviceLost(e)) {
          await recoverFromDeviceLoss(engine, message(e));
          await get().run();
          return;
        }
        set({ status: 'error', error: `The forward pass failed: ${message(e)}`, trace: null });
      }
    },

    async setIntervention(intervention) {
      set({ intervention, interventionResult: null });
      await runIntervention(runCounter);
    },

    async showGpt2Comparison() {
      set({ gpt2Wanted: true });
      await refreshGpt2(runCounter);
    },

    addNotices(notices) {
      if (notices.length > 0) set({ notices: [...get().notices, ...notices] });
    },

    dismissNotice(index) {
      set({ notices: get().notices.filter((_, i) => i !== index) });
    },
  }));

  function urlState(): UrlState {
    const s = session.getState();
    const sel = selection.getState();
    const sam = sampling.getState();
    return {
      model: s.model?.id ?? '',
      prompt: s.prompt,
      step: stepper.getState().kind,
      layer: sel.layer,
      head: sel.head,
      token: sel.token,
      temperature: sam.temperature,
      seed: sam.seed,
      topK: sam.topK,
      topP: sam.topP,
      engine: s.enginePreference,
    };
  }

  async function openUrl(search: string): Promise<void> {
    const parsed = parseUrlState(search, DEFAULT_URL_STATE);
    const notices = [...parsed.notices];
    let state = parsed.state;
    const catalog = session.getState().catalog;
    const hubRef = state.model.startsWith(HUB_ID_PREFIX) ? hubRefFromModelId(state.model) : null;
    let entry = catalog.find((m) => m.id === state.model);
    if (state.model && !entry && !hubRef) {
      notices.push(`There is no model called "${state.model}"; opened ${catalog[0]?.label ?? 'the default'}.`);
    }
    entry ??= catalog[0];
    if (!entry) {
      session.setState({ status: 'error', error: 'No model is available.' });
      return;
    }
    session.setState({ enginePreference: state.engine });
    // A link to a Hugging Face model downloads it (from the browser's cache after the first time).
    let loaded = false;
    if (hubRef) {
      loaded = await session.getState().loadModel({ kind: 'huggingface', repo: `${hubRef.repo}@${hubRef.revision}` });
      if (!loaded) {
        notices.push(`${session.getState().error ?? 'The link’s model could not be loaded.'} Opened ${entry.label}.`);
        session.setState({ error: null });
      }
    }
    if (!loaded) await session.getState().loadModel({ kind: 'catalog', id: entry.id });
    const model = session.getState().model;
    if (!model) {
      session.getState().addNotices(notices);
      return;
    }
    const params = new URLSearchParams(search);
    session.getState().setPrompt(params.has('prompt') ? state.prompt : model.examplePrompt);
    sampling.setState({
      temperature: state.temperature,
      seed: state.seed,
      topK: state.topK,
      topP: state.topP,
      errors: {},
    });
    await session.getState().run();
    const fitted = fitToModel(state, { ...dims(), T: session.getState().tokens.length || 1 });
    state = fitted.state;
    notices.push(...fitted.notices);
    selection.setState({ layer: state.layer, head: state.head, token: state.token });
    stepper.setState({ kind: state.step });
    session.getState().addNotices(notices);
  }

  return { session, stepper, selection, sampling, urlState, openUrl };
}
