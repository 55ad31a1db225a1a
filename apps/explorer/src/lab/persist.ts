import type { SavedRun, TrainingPersistence } from '@glassbox/store';

/**
 * The lab's weights in IndexedDB: one record, the current run (safetensors bytes, config.json, tokenizer.json and
 * the loss history), so a reload finds the trained model where it was. About 40 lines instead of a dependency.
 */
const DB_NAME = 'glassbox-training-lab';
const STORE = 'runs';
const KEY = 'current';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? req.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

export const indexedDbPersistence: TrainingPersistence = {
  async load() {
    if (typeof indexedDB === 'undefined') return null;
    const run = await withStore<SavedRun | undefined>('readonly', (s) => s.get(KEY));
    return run ?? null;
  },
  async save(run) {
    if (typeof indexedDB === 'undefined') return;
    await withStore('readwrite', (s) => s.put(run, KEY));
  },
  async clear() {
    if (typeof indexedDB === 'undefined') return;
    await withStore('readwrite', (s) => s.delete(KEY));
  },
};
