import type { StoreApi, TrainingResponse, TrainingState, TrainingTransport } from '@glassbox/store';
import { createTrainingStore } from '@glassbox/store';
import { labOptions } from './labOptions';
import { indexedDbPersistence } from './persist';

declare global {
  interface Window {
    /** ?debug=1 only: destroy the training worker's WebGPU device, as a driver reset would. */
    __glassboxLabLoseDevice?: () => void;
  }
}

let lab: StoreApi<TrainingState> | null = null;
let opened = false;

/** The lab's store, created (with its worker) the first time the lab is opened. */
export function labStore(): StoreApi<TrainingState> {
  if (lab) return lab;
  const worker = new Worker(new URL('./trainWorker.ts', import.meta.url), { type: 'module', name: 'glassbox-trainer' });
  const transport: TrainingTransport = {
    post: (msg, transfer = []) => worker.postMessage(msg, transfer),
    subscribe(listener) {
      const onMessage = (e: MessageEvent<TrainingResponse>) => listener(e.data);
      worker.addEventListener('message', onMessage);
      return () => worker.removeEventListener('message', onMessage);
    },
  };
  const store = createTrainingStore({ transport, persistence: indexedDbPersistence, engine: labOptions.engine });
  if (labOptions.debug) window.__glassboxLabLoseDevice = () => store.getState().loseDevice();
  worker.addEventListener('error', (e) => {
    store.setState({ status: 'error', error: `The training worker failed: ${e.message || 'unknown error'}` });
  });
  lab = store;
  return store;
}

/** Open the lab once per page: the run saved in this browser if there is one, else the toy world from scratch. */
export async function openLab(): Promise<void> {
  if (opened) return;
  opened = true;
  const store = labStore();
  if (!(await store.getState().restore())) await store.getState().start();
}
