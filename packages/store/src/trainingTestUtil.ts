import type { TrainingPersistence, TrainingTransport } from './training';
import type { SavedRun, TrainingRequest, TrainingResponse } from './trainingProtocol';
import type { WorkerDeps } from './trainingWorker';
import { TrainingWorkerCore } from './trainingWorker';

/**
 * A transport that runs the worker core in this thread but keeps postMessage's rules: every message is structured-
 * cloned and its transfer list detached, and delivery is asynchronous. Tests of the store use it, so a message
 * that is not plain data, or a buffer transferred while the Trainer still uses it, fails here as it would in a
 * browser.
 */
export function inProcessTransport(deps: Partial<WorkerDeps> = {}): TrainingTransport & {
  core: TrainingWorkerCore;
  sent: TrainingRequest[];
  received: TrainingResponse[];
} {
  const listeners = new Set<(msg: TrainingResponse) => void>();
  const received: TrainingResponse[] = [];
  const core = new TrainingWorkerCore((msg, transfer) => {
    const copy = structuredClone(msg, { transfer });
    received.push(copy);
    setTimeout(() => {
      for (const l of listeners) l(copy);
    }, 0);
  }, deps);
  const sent: TrainingRequest[] = [];
  return {
    core,
    sent,
    received,
    post(msg, transfer = []) {
      const copy = structuredClone(msg, { transfer });
      sent.push(copy);
      setTimeout(() => void core.handle(copy), 0);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Persistence in memory (structured-cloned, like IndexedDB). */
export function memoryPersistence(): TrainingPersistence & { value: SavedRun | null } {
  const p = {
    value: null as SavedRun | null,
    async load() {
      return p.value ? structuredClone(p.value) : null;
    },
    async save(run: SavedRun) {
      p.value = structuredClone(run);
    },
    async clear() {
      p.value = null;
    },
  };
  return p;
}
