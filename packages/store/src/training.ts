import { defaultModel } from '@glassbox/models';
import type { StoreApi } from './createStore';
import { createStore } from './createStore';
import type { EnginePreference } from './engineChoice';
import type { SettingsErrors } from './trainingPresets';
import { defaultSettings, MAX_RUN_STEPS, settingsErrors } from './trainingPresets';
import type {
  BackwardPhase,
  ForwardPhase,
  LossPhase,
  OptimizerKind,
  PhaseName,
  Prediction,
  PresetId,
  RunInfo,
  SavedRun,
  Snapshot,
  StepRecord,
  TrainingEngine,
  TrainingRequest,
  TrainingResponse,
  TrainingSettings,
  UpdatePhase,
  ValRecord,
} from './trainingProtocol';

/**
 * The training lab's store. The Trainer lives in a Web Worker (or, in tests, in the same thread): the store talks to
 * it through a TrainingTransport and keeps what the views draw — the loss curves, the phases of the stepped step,
 * the latest prediction and embedding matrix, the divergence explanation. Weights are saved through a
 * TrainingPersistence (IndexedDB in the app) whenever they change in a way worth keeping.
 */

export interface TrainingTransport {
  post(msg: TrainingRequest, transfer?: ArrayBuffer[]): void;
  subscribe(listener: (msg: TrainingResponse) => void): () => void;
}

export interface TrainingPersistence {
  load(): Promise<SavedRun | null>;
  save(run: SavedRun): Promise<void>;
  clear(): Promise<void>;
}

export type TrainingStatus = 'idle' | 'starting' | 'ready' | 'running' | 'paused' | 'error';

/** The phases of one training step computed so far (the stepped view accumulates them). */
export interface SteppedState {
  forward: ForwardPhase | null;
  loss: LossPhase | null;
  backward: BackwardPhase[];
  update: UpdatePhase | null;
}

export interface Divergence {
  message: string;
  failedStep: number;
  restoredStep: number;
}

export interface TrainingState {
  status: TrainingStatus;
  /** The settings form (applied with start() or applyLearningRate()). */
  form: TrainingSettings;
  formErrors: SettingsErrors;
  /** Settings of the run in the worker. */
  settings: TrainingSettings | null;
  info: RunInfo | null;
  /** Completed steps of the current weights. */
  step: number;
  history: StepRecord[];
  valHistory: ValRecord[];
  /** Steps undone after a divergence (drawn greyed out on the loss curve). */
  undone: StepRecord[];
  tokensPerSecond: number | null;
  /** The run in progress or paused: steps done of total. */
  run: { done: number; total: number; pace: number } | null;
  /** The phase the next nextPhase() runs. */
  phase: PhaseName;
  stepped: SteppedState;
  /** The weight matrix the update view shows. */
  inspect: string;
  prediction: Prediction | null;
  /** Every change of the continuation while training, oldest first. */
  predictionLog: Prediction[];
  embedding: Snapshot['embedding'] | null;
  embeddingStep: number;
  divergence: Divergence | null;
  error: string | null;
  notices: string[];
  /** What is saved in this browser. */
  saved: { step: number; savedAt: number } | null;
  /** The current run's weights were loaded from this browser's storage. */
  restored: boolean;
  /** What was restored at page load (cleared when a new run starts or the notice is dismissed). */
  restoredFrom: { step: number; savedAt: number } | null;
  /** The engine that runs "Run N steps", and why (null until the worker has said). */
  engine: TrainingEngine | null;
  /** 'auto': WebGPU when the worker has it; 'cpu': always the CPU. */
  enginePreference: EnginePreference;

  setForm(patch: Partial<TrainingSettings>): void;
  /** Reset the form to a preset's defaults. */
  choosePreset(preset: PresetId): void;
  /** Start a new run with the form's settings. Resolves when the worker is ready (or refused). */
  start(): Promise<boolean>;
  /** Load the run saved in this browser, if any; resolves whether one was loaded. */
  restore(): Promise<boolean>;
  /** Apply the form's learning rate and optimizer to the current run, keeping its weights. */
  applyLearningRate(): boolean;
  nextPhase(): void;
  runSteps(steps: number, pace?: number): boolean;
  pause(): void;
  resume(): void;
  cancel(): void;
  setInspect(name: string): void;
  setPrompt(prompt: string): void;
  /** The current weights as checkpoint files. */
  exportCheckpoint(): Promise<SavedRun>;
  /** Save the current weights now. */
  saveNow(): Promise<void>;
  forgetSaved(): Promise<void>;
  dismissNotice(index: number): void;
  dismissRestored(): void;
  /** Choose the engine for runs (a run in progress switches after the step in flight). */
  setEngine(prefer: EnginePreference): void;
  /** Destroy the worker's WebGPU device, as a driver reset would (?debug=1 and tests). */
  loseDevice(): void;
}

export interface TrainingStoreOptions {
  transport: TrainingTransport;
  persistence?: TrainingPersistence | null;
  /** Save at most this often while a run goes (ms). */
  saveEveryMs?: number;
  now?: () => number;
  /** The engine preference the lab opens with (the address's ?engine=cpu). */
  engine?: EnginePreference;
}

const emptyStepped = (): SteppedState => ({ forward: null, loss: null, backward: [], update: null });
const PREDICTION_LOG = 40;

export function createTrainingStore(options: TrainingStoreOptions): StoreApi<TrainingState> {
  const { transport, persistence = null, saveEveryMs = 5000 } = options;
  const now = options.now ?? (() => Date.now());
  let lastSave = 0;
  let waiters: { types: TrainingResponse['type'][]; resolve: (m: TrainingResponse) => void }[] = [];

  const waitFor = (types: TrainingResponse['type'][]) =>
    new Promise<TrainingResponse>((resolve) => {
      waiters.push({ types, resolve });
    });

  const post = (msg: TrainingRequest, transfer: ArrayBuffer[] = []) => transport.post(msg, transfer);

  const requestSave = () => {
    if (!persistence) return;
    lastSave = now();
    post({ type: 'checkpoint', reason: 'save' });
  };

  const withPrediction = (s: TrainingState, p: Prediction | null): Partial<TrainingState> => {
    const last = s.predictionLog[s.predictionLog.length - 1];
    const changed = p && (!last || last.continuation !== p.continuation || last.prompt !== p.prompt);
    return changed
      ? { prediction: p, predictionLog: [...s.predictionLog, p].slice(-PREDICTION_LOG) }
      : { prediction: p };
  };

  const withSnapshot = (s: TrainingState, snap: Snapshot | undefined): Partial<TrainingState> =>
    snap ? { embedding: snap.embedding, embeddingStep: snap.step, ...withPrediction(s, snap.prediction) } : {};

  const store = createStore<TrainingState>((set, get) => ({
    status: 'idle',
    form: defaultSettings('toy-world', defaultModel),
    formErrors: {},
    settings: null,
    info: null,
    step: 0,
    history: [],
    valHistory: [],
    undone: [],
    tokensPerSecond: null,
    run: null,
    phase: 'forward',
    stepped: emptyStepped(),
    inspect: 'blocks.0.attn.W_Q',
    prediction: null,
    predictionLog: [],
    embedding: null,
    embeddingStep: 0,
    divergence: null,
    error: null,
    notices: [],
    saved: null,
    restored: false,
    restoredFrom: null,
    engine: null,
    enginePreference: options.engine ?? 'auto',

    setForm(patch) {
      const form = { ...get().form, ...patch };
      set({ form, formErrors: settingsErrors(form) });
    },

    choosePreset(preset) {
      const form = defaultSettings(preset, get().form.baseModel);
      set({ form, formErrors: settingsErrors(form) });
    },

    async start() {
      const form = get().form;
      const errors = settingsErrors(form);
      set({ formErrors: errors });
      if (Object.keys(errors).length > 0) return false;
      set({ status: 'starting', error: null, divergence: null, restoredFrom: null });
      const reply = waitFor(['ready', 'error']);
      post({ type: 'init', settings: form, engine: get().enginePreference });
      const msg = await reply;
      if (msg.type === 'ready') requestSave();
      return msg.type === 'ready';
    },

    async restore() {
      if (!persistence) return false;
      let saved: SavedRun | null = null;
      try {
        saved = await persistence.load();
      } catch (e) {
        set({ notices: [...get().notices, `Could not read the saved run: ${message(e)}`] });
      }
      if (!saved) return false;
      set({ status: 'starting', error: null, form: saved.settings, formErrors: {} });
      const reply = waitFor(['ready', 'error']);
      post({ type: 'init', settings: saved.settings, saved, engine: get().enginePreference });
      const msg = await reply;
      if (msg.type !== 'ready') {
        set({ notices: [...get().notices, 'The run saved in this browser could not be loaded; starting afresh.'] });
        return false;
      }
      set({
        saved: { step: saved.step, savedAt: saved.savedAt },
        restoredFrom: { step: saved.step, savedAt: saved.savedAt },
      });
      return true;
    },

    applyLearningRate() {
      const { form, settings } = get();
      const errors = settingsErrors(form);
      set({ formErrors: errors });
      if (!settings || errors.lr || errors.optimizer) return false;
      post({ type: 'configure', lr: form.lr, optimizer: form.optimizer as OptimizerKind });
      return true;
    },

    nextPhase() {
      const s = get().status;
      if (s !== 'ready' && s !== 'paused') return;
      post({ type: 'phase' });
    },

    runSteps(steps, pace = 0) {
      if (get().status !== 'ready') return false;
      if (!(Number.isInteger(steps) && steps >= 1 && steps <= MAX_RUN_STEPS)) {
        set({ error: `Steps must be a whole number from 1 to ${MAX_RUN_STEPS}.` });
        return false;
      }
      set({
        status: 'running',
        run: { done: 0, total: steps, pace },
        stepped: emptyStepped(),
        phase: 'forward',
        divergence: null,
        error: null,
        undone: [],
      });
      post({ type: 'run', steps, pace });
      return true;
    },

    pause() {
      if (get().status === 'running') post({ type: 'pause' });
    },

    resume() {
      if (get().status !== 'paused') return;
      set({ status: 'running', stepped: emptyStepped(), phase: 'forward' });
      post({ type: 'resume' });
    },

    cancel() {
      const s = get().status;
      if (s === 'running' || s === 'paused') post({ type: 'cancel' });
    },

    setInspect(name) {
      set({ inspect: name });
      post({ type: 'inspect', param: name });
    },

    setPrompt(prompt) {
      get().setForm({ prompt });
      if (get().settings) {
        set({ settings: { ...(get().settings as TrainingSettings), prompt } });
        post({ type: 'set-prompt', prompt });
      }
    },

    async exportCheckpoint() {
      const reply = waitFor(['checkpoint']);
      post({ type: 'checkpoint', reason: 'export' });
      const msg = await reply;
      return (msg as Extract<TrainingResponse, { type: 'checkpoint' }>).run;
    },

    async saveNow() {
      if (!persistence) return;
      const reply = waitFor(['checkpoint']);
      requestSave();
      await reply;
    },

    async forgetSaved() {
      if (!persistence) return;
      await persistence.clear();
      set({ saved: null });
    },

    dismissNotice(index) {
      set({ notices: get().notices.filter((_, i) => i !== index) });
    },

    dismissRestored() {
      set({ restoredFrom: null });
    },

    setEngine(prefer) {
      set({ enginePreference: prefer });
      post({ type: 'set-engine', prefer });
    },

    loseDevice() {
      post({ type: 'lose-device' });
    },
  }));

  const onMessage = (msg: TrainingResponse) => {
    const s = store.getState();
    switch (msg.type) {
      case 'ready':
        store.setState({
          status: 'ready',
          settings: s.form,
          info: msg.info,
          step: msg.step,
          history: msg.history,
          valHistory: msg.valHistory,
          undone: [],
          tokensPerSecond: null,
          run: null,
          phase: msg.phase,
          stepped: emptyStepped(),
          divergence: null,
          error: null,
          restored: msg.restored,
          predictionLog: [],
          inspect: msg.info.paramNames.includes(s.inspect) ? s.inspect : msg.info.matrixNames[0],
          notices: msg.info.notes,
          ...withSnapshot({ ...s, predictionLog: [] }, msg.snapshot),
        });
        post({ type: 'inspect', param: store.getState().inspect });
        break;
      case 'configured':
        store.setState({
          info: msg.info,
          settings: { ...(s.settings as TrainingSettings), lr: s.form.lr, optimizer: s.form.optimizer },
          stepped: emptyStepped(),
          phase: 'forward',
          ...withSnapshot(s, msg.snapshot),
        });
        break;
      case 'phase': {
        const r = msg.result;
        const stepped =
          r.kind === 'forward'
            ? { ...emptyStepped(), forward: r }
            : r.kind === 'loss'
              ? { ...s.stepped, loss: r }
              : r.kind === 'backward'
                ? { ...s.stepped, backward: [...s.stepped.backward, r] }
                : { ...s.stepped, update: r };
        const patch: Partial<TrainingState> = { stepped, phase: msg.phase, ...withSnapshot(s, msg.snapshot) };
        if (msg.record) {
          patch.history = [...s.history, msg.record];
          patch.step = msg.record.step + 1;
        }
        if (msg.val) patch.valHistory = [...s.valHistory, msg.val];
        store.setState(patch);
        if (msg.record) requestSave();
        break;
      }
      case 'progress': {
        const last = msg.records[msg.records.length - 1];
        store.setState({
          history: msg.records.length > 0 ? [...s.history, ...msg.records] : s.history,
          valHistory: msg.val.length > 0 ? [...s.valHistory, ...msg.val] : s.valHistory,
          step: last ? last.step + 1 : s.step,
          tokensPerSecond: msg.tokensPerSecond,
          run: s.run ? { ...s.run, done: msg.done, total: msg.total } : { done: msg.done, total: msg.total, pace: 0 },
          ...withSnapshot(s, msg.snapshot),
        });
        if (persistence && now() - lastSave >= saveEveryMs) requestSave();
        break;
      }
      case 'run-ended':
        store.setState({
          status: msg.reason === 'paused' ? 'paused' : 'ready',
          run: msg.reason === 'paused' && s.run ? { ...s.run, done: msg.done, total: msg.total } : null,
          phase: msg.phase,
          ...withSnapshot(s, msg.snapshot),
        });
        requestSave();
        break;
      case 'diverged':
        store.setState({
          status: 'ready',
          run: null,
          phase: msg.phase,
          step: msg.restoredStep,
          stepped: emptyStepped(),
          history: s.history.filter((r) => r.step < msg.restoredStep),
          valHistory: s.valHistory.filter((v) => v.step <= msg.restoredStep),
          undone: msg.undone,
          divergence: { message: msg.message, failedStep: msg.failedStep, restoredStep: msg.restoredStep },
          ...withSnapshot(s, msg.snapshot),
        });
        requestSave();
        break;
      case 'checkpoint':
        if (msg.reason === 'save' && persistence) {
          const run = msg.run;
          persistence
            .save(run)
            .then(() => store.setState({ saved: { step: run.step, savedAt: run.savedAt } }))
            .catch((e) =>
              store.setState({ notices: [...store.getState().notices, `Could not save the weights: ${message(e)}`] }),
            );
        }
        break;
      case 'prediction':
        store.setState(withPrediction(s, msg.prediction));
        break;
      case 'engine': {
        const patch: Partial<TrainingState> = { engine: msg.engine };
        if (msg.notice) patch.notices = [...s.notices, msg.notice];
        if (msg.rewind !== undefined) {
          const at = msg.rewind;
          patch.history = s.history.filter((r) => r.step < at);
          patch.valHistory = s.valHistory.filter((v) => v.step <= at);
          patch.step = at;
        }
        store.setState(patch);
        break;
      }
      case 'error':
        store.setState({
          error: msg.message,
          status:
            s.status === 'starting' ? (s.settings ? 'ready' : 'error') : s.status === 'running' ? 'ready' : s.status,
          run: s.status === 'running' ? null : s.run,
        });
        break;
    }
    const matched = waiters.filter((w) => w.types.includes(msg.type));
    waiters = waiters.filter((w) => !w.types.includes(msg.type));
    for (const w of matched) w.resolve(msg);
  };
  transport.subscribe(onMessage);
  return store;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
