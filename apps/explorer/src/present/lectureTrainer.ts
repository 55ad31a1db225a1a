import type { StoreApi, TrainingResponse, TrainingState, TrainingTransport, TrainPhase } from '@glassbox/store';
import { createTrainingStore } from '@glassbox/store';

/**
 * The training slides' own trainer: the training lab's worker and store, but a separate instance with nothing
 * saved, so a lecture never touches the run a student keeps in the lab. It always starts from the toy world's
 * seed-0 initialisation: the phase slides show the first training step, the "run" slide continues from there.
 */
let store: StoreApi<TrainingState> | null = null;
/** The step number the lecture's training step has (the step the trainer stood at when it started). */
let base = -1;
let queue: Promise<unknown> = Promise.resolve();

export function lectureTrainer(): StoreApi<TrainingState> {
  if (store) return store;
  const worker = new Worker(new URL('../lab/trainWorker.ts', import.meta.url), {
    type: 'module',
    name: 'glassbox-lecture-trainer',
  });
  const transport: TrainingTransport = {
    post: (msg, transfer = []) => worker.postMessage(msg, transfer),
    subscribe(listener) {
      const onMessage = (e: MessageEvent<TrainingResponse>) => listener(e.data);
      worker.addEventListener('message', onMessage);
      return () => worker.removeEventListener('message', onMessage);
    },
  };
  const s = createTrainingStore({ transport, persistence: null });
  worker.addEventListener('error', (e) => {
    s.setState({ status: 'error', error: `The training worker failed: ${e.message || 'unknown error'}` });
  });
  store = s;
  return s;
}

function waitUntil(pred: (s: TrainingState) => boolean): Promise<TrainingState> {
  const s = lectureTrainer();
  return new Promise((resolve) => {
    if (pred(s.getState())) {
      resolve(s.getState());
      return;
    }
    const stop = s.subscribe((state) => {
      if (pred(state)) {
        stop();
        resolve(state);
      }
    });
  });
}

function failed(s: TrainingState): Error | null {
  return s.status === 'error' ? new Error(s.error ?? 'The trainer failed.') : null;
}

/** Back to the seed-0 initialisation (stopping a run first). */
async function fresh(): Promise<void> {
  const s = lectureTrainer();
  if (s.getState().status === 'starting') await waitUntil((x) => x.status !== 'starting');
  if (s.getState().status === 'running' || s.getState().status === 'paused') {
    s.getState().cancel();
    await waitUntil((x) => x.status === 'ready' || x.status === 'error');
  }
  if (!(await s.getState().start())) throw failed(s.getState()) ?? new Error('The trainer could not start.');
  base = s.getState().step;
}

/** True when the first step's results include `phase`. */
export function hasPhase(s: TrainingState, phase: Exclude<TrainPhase, 'run'>): boolean {
  const st = s.stepped;
  if (base < 0 || !st.forward || st.forward.step !== base) return false;
  switch (phase) {
    case 'forward':
      return true;
    case 'loss':
    case 'gradient':
      return st.loss !== null;
    case 'backward':
      return st.backward.length > 0 && st.backward[st.backward.length - 1].next === undefined;
    case 'update':
      return st.update !== null;
  }
}

async function reach(phase: Exclude<TrainPhase, 'run'>): Promise<void> {
  const s = lectureTrainer();
  if (s.getState().status === 'starting') await waitUntil((x) => x.status !== 'starting');
  const st = s.getState();
  const idle = base < 0 || st.status === 'idle' || st.status === 'error' || st.status === 'running';
  // Still on the first step: nothing run past it (the update of the first step moves `step` to base + 1).
  const onFirst = st.step === base || (st.step === base + 1 && st.stepped.update?.step === base);
  if (idle || !onFirst || st.status === 'paused') await fresh();
  while (!hasPhase(s.getState(), phase)) {
    const before = s.getState().stepped;
    s.getState().nextPhase();
    const after = await waitUntil((x) => x.stepped !== before || x.status === 'error');
    const err = failed(after);
    if (err) throw err;
  }
}

async function runTo(steps: number): Promise<void> {
  const s = lectureTrainer();
  if (s.getState().status === 'starting') await waitUntil((x) => x.status !== 'starting');
  let st = s.getState();
  if (st.status === 'running' && st.run && st.step + st.run.total - st.run.done === steps) return;
  if (base < 0 || st.status !== 'ready' || st.step > steps) await fresh();
  st = s.getState();
  const remaining = steps - st.step;
  // About four seconds whatever the number of steps: long enough to watch the curve fall.
  if (remaining > 0) st.runSteps(remaining, Math.max(25, Math.ceil(remaining / 4)));
}

/** Put the lecture's trainer where a training slide needs it; one request at a time, in order. */
export function showTrainPhase(phase: TrainPhase, steps: number | null): Promise<void> {
  const task = () => (phase === 'run' ? runTo(steps ?? 300) : reach(phase));
  const next = queue.then(task, task);
  queue = next.catch(() => {});
  return next;
}
