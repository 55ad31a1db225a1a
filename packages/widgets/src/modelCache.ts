import type { CaptureSpec, RunResult } from '@glassbox/compute';
import { defaultModel } from '@glassbox/models';
import type { EngineChoice, EnginePreference, LoadedModel, ModelEntry } from '@glassbox/store';
import { engineSelector, isDeviceLost, shippedModelEntries } from '@glassbox/store';

/**
 * Every widget on a page shares one load per model and one engine per model (and engine preference): a course page
 * with ten widgets fetches the weights once and creates one WebGPU device. Module-level promise caches, keyed by
 * name; a failed load is forgotten so that a later widget (or a re-render) can try again.
 */

let entries: ModelEntry[] | null = null;

/** The shipped models, the default first. */
export function widgetModels(): readonly ModelEntry[] {
  entries ??= shippedModelEntries();
  return entries;
}

export function widgetModelNames(): string[] {
  return widgetModels().map((m) => m.id);
}

export const DEFAULT_WIDGET_MODEL = defaultModel;

const models = new Map<string, Promise<LoadedModel>>();
const engines = new Map<string, Promise<EngineChoice>>();
/** Runs on one engine go one at a time (several widgets ask at once; the GPU engine's buffers are shared). */
const queues = new WeakMap<object, Promise<unknown>>();
/** The CPU engine that took over from a WebGPU engine whose device was lost (one per lost engine). */
const replaced = new WeakMap<object, Promise<EngineChoice>>();

/** The counts the end-to-end test reads: one load and one engine however many widgets there are. */
export const cacheStats = { modelLoads: 0, engines: 0 };

function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(key);
  if (!p) {
    p = make();
    map.set(key, p);
    p.catch(() => {
      if (map.get(key) === p) map.delete(key);
    });
  }
  return p;
}

export function loadWidgetModel(name: string): Promise<LoadedModel> {
  return cached(models, name, () => {
    const entry = widgetModels().find((m) => m.id === name);
    if (!entry) return Promise.reject(new Error(`there is no shipped model called "${name}"`));
    cacheStats.modelLoads++;
    return entry.load();
  });
}

export function widgetEngine(name: string, preference: EnginePreference): Promise<EngineChoice> {
  return cached(engines, `${name}|${preference}`, async () => {
    const model = await loadWidgetModel(name);
    cacheStats.engines++;
    return engineSelector(preference)(model.config, model.params);
  });
}

function exclusive<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve();
  const next = before.then(fn, fn);
  queues.set(
    key,
    next.catch(() => undefined),
  );
  return next;
}

export interface WidgetRun {
  result: RunResult;
  engine: EngineChoice;
}

/**
 * One forward pass on the shared engine. If the WebGPU device is lost, the engine is replaced (for every widget) by
 * the CPU engine with the model's parameters, and the pass runs once more there.
 */
export async function runWidgetModel(
  name: string,
  preference: EnginePreference,
  ids: readonly number[],
  capture: CaptureSpec,
): Promise<WidgetRun> {
  const key = `${name}|${preference}`;
  const choice = await widgetEngine(name, preference);
  try {
    return { result: await exclusive(choice.engine, () => choice.engine.run(ids, { capture })), engine: choice };
  } catch (e) {
    if (!isDeviceLost(e)) throw e;
    let replacement = replaced.get(choice.engine);
    if (!replacement) {
      replacement = loadWidgetModel(name)
        .then((model) => engineSelector('cpu')(model.config, model.params))
        .then((c) => ({ ...c, reason: 'Running on the CPU reference engine: the WebGPU device was lost.' }));
      replaced.set(choice.engine, replacement);
      engines.set(key, replacement);
      choice.engine.dispose();
    }
    const fallback = await replacement;
    return { result: await fallback.engine.run(ids, { capture }), engine: fallback };
  }
}
