import type { GPTConfig } from './config';
import type { CaptureSpec, HookFn, RunOptions } from './engine';
import { fail } from './errors';
import { hookNames, hookShape, hookSpec } from './hooks';
import type { GPTParams } from './params';
import { flattenParams, paramsFromMap } from './params';
import type { Tensor } from './tensor';
import { formatShape, numel, sameShape } from './tensor';

/**
 * The run-option checks and hook bookkeeping shared by both engines, so a bad id, temperature, hook name or
 * replacement gets the same error code and message from the CPU and the WebGPU engine.
 */
export class HookPoints {
  readonly captured: ReadonlySet<string>;
  private readonly fns: ReadonlyMap<string, HookFn>;

  constructor(
    protected readonly config: GPTConfig,
    options: RunOptions,
    protected readonly dims: { T: number; S: number },
  ) {
    const names = hookNames(config);
    const known = new Set(names);
    this.captured = new Set(captureList(options.capture, names));
    for (const name of this.captured) checkHookName(name, known, config, 'capture');
    const fns = new Map<string, HookFn>();
    for (const [name, fn] of Object.entries(options.hooks ?? {})) {
      checkHookName(name, known, config, 'hooks');
      if (typeof fn !== 'function') fail('bad-hook', `hooks["${name}"] must be a function, got ${typeof fn}`);
      fns.set(name, fn);
    }
    this.fns = fns;
  }

  fn(name: string): HookFn | undefined {
    return this.fns.get(name);
  }

  hooked(name: string): boolean {
    return this.fns.has(name);
  }

  touches(name: string): boolean {
    return this.fns.has(name) || this.captured.has(name);
  }

  /** A hook's return value, checked to be a tensor of the hook's shape. */
  checkReplacement(name: string, out: unknown): Tensor {
    const t = out as Tensor;
    const isTensor =
      typeof out === 'object' &&
      Array.isArray(t.shape) &&
      (t.data instanceof Float32Array || t.data instanceof Float64Array);
    if (!isTensor) fail('bad-shape', `hook ${name} returned something that is not a tensor ({shape, data})`);
    const want = hookShape(name, this.config, this.dims);
    if (!sameShape(t.shape, want) || t.data.length !== numel(want)) {
      fail(
        'bad-shape',
        `hook ${name} returned shape ${formatShape(t.shape)} (${t.data.length} values); it must be ${formatShape(want)}`,
      );
    }
    return t;
  }
}

/**
 * Both engines' check of the parameters they are given: throws (bad-checkpoint / bad-shape) naming the first missing
 * or misshapen parameter; keeps the caller's tensors.
 */
export function checkParams(config: GPTConfig, params: GPTParams): void {
  if (params.blocks.length !== config.n_layer) {
    fail(
      'bad-checkpoint',
      `parameters have ${params.blocks.length} blocks; the config says n_layer = ${config.n_layer}`,
    );
  }
  paramsFromMap(config, new Map(flattenParams(params)));
}

/** A capture spec as a membership test over names (the trainers' gradient captures; the CPU and WebGPU trainers share it). */
export function capturePredicate(capture: CaptureSpec): (name: string) => boolean {
  if (capture === 'all') return () => true;
  if (typeof capture === 'function') return capture;
  if (Array.isArray(capture)) {
    const set = new Set(capture);
    return (n) => set.has(n);
  }
  return fail('bad-hook', `capture must be 'all', a list of names or a predicate, got ${typeof capture}`);
}

function captureList(capture: CaptureSpec | undefined, names: readonly string[]): readonly string[] {
  if (capture === undefined) return [];
  if (capture === 'all') return names;
  if (typeof capture === 'function') return names.filter((n) => capture(n));
  if (Array.isArray(capture)) return capture;
  return fail('bad-hook', `capture must be 'all', a list of hook names or a predicate, got ${JSON.stringify(capture)}`);
}

function checkHookName(name: string, known: ReadonlySet<string>, config: GPTConfig, where: string): void {
  if (known.has(name)) return;
  const found = hookSpec(name);
  if (found && found.layer !== null && found.layer >= config.n_layer) {
    fail(
      'bad-hook',
      `${where}: hook "${name}" names layer ${found.layer}, but the model has ${config.n_layer} layers ` +
        `(0 … ${config.n_layer - 1})`,
    );
  }
  fail('bad-hook', `${where}: unknown hook "${name}" (hookNames(config) lists every name)`);
}

export function checkIds(ids: readonly number[], config: GPTConfig, start: number): void {
  if (!Array.isArray(ids)) fail('bad-ids', 'ids must be an array of token ids');
  if (ids.length === 0) fail('bad-ids', 'ids is empty: a forward pass needs at least one token id');
  const V = config.vocab_size;
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= V) {
      fail('bad-ids', `ids[${i}] = ${id} is not a token id: ids must be integers in 0 … ${V - 1} (vocab_size ${V})`);
    }
  });
  const n = config.n_positions;
  if (start + ids.length > n) {
    fail(
      'bad-ids',
      start === 0
        ? `${ids.length} ids is more than n_positions (${n}), the longest sequence this model has positions for`
        : `${start} cached + ${ids.length} new positions is more than n_positions (${n}); start a new cache`,
    );
  }
}

export function checkTemperature(temperature: number | undefined): number {
  const t = temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    fail('bad-sampling', `temperature must be a finite number > 0, got ${t}`);
  }
  return t;
}
