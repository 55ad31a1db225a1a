import type { GPTConfig } from '../config';
import type { GPTParams } from '../params';
import { flattenParams, paramsFromMap } from '../params';
import type { Tensor } from '../tensor';
import type { GpuContext, GpuTensor } from './context';
import { Recorder } from './scheduler';

/** GPTParams with every tensor replaced by the GPU buffer holding it (float32, same [in, out] layouts). */
export type OnGpu<T> = T extends Tensor
  ? GpuTensor
  : T extends readonly (infer U)[]
    ? OnGpu<U>[]
    : { [K in keyof T]: OnGpu<T[K]> };
export type GpuParams = OnGpu<GPTParams>;

type Leaf = { readonly shape: readonly number[] };

/** Walk a GPTParams-shaped tree (of CPU or GPU tensors), mapping each leaf with its dotted name (flattenParams's). */
function mapTree<L extends Leaf>(node: unknown, path: string, f: (t: L, name: string) => unknown): unknown {
  if (typeof node === 'object' && node !== null && 'shape' in node) return f(node as L, path);
  const key = (k: string | number) => (path ? `${path}.${k}` : String(k));
  if (Array.isArray(node)) return node.map((n, i) => mapTree(n, key(i), f));
  return Object.fromEntries(Object.entries(node as object).map(([k, v]) => [k, mapTree(v, key(k), f)]));
}

/**
 * Upload every parameter into its own exact-size buffer (not pooled: they live as long as the engine). Checks each
 * against maxStorageBufferBindingSize first, so a model too big for the device fails before anything is allocated.
 */
export function uploadParams(ctx: GpuContext, params: GPTParams): GpuParams {
  for (const [name, t] of flattenParams(params)) ctx.checkBufferSize(t.data.length * 4, `parameter ${name}`);
  return mapTree<Tensor>(params, '', (t, name) => ctx.upload(t, name)) as GpuParams;
}

/** [name, buffer] pairs in paramSpecs order (the same names flattenParams gives the CPU tensors). */
export function flattenGpuParams(p: GpuParams): [string, GpuTensor][] {
  const out: [string, GpuTensor][] = [];
  mapTree<GpuTensor>(p, '', (t, name) => out.push([name, t]));
  return out;
}

/** Read every parameter back (one staging buffer, one map) as float32 CPU tensors. */
export async function downloadParams(ctx: GpuContext, config: GPTConfig, p: GpuParams): Promise<GPTParams> {
  const rec = new Recorder(ctx);
  const reads = flattenGpuParams(p).map(([name, t]) => [name, rec.read(t)] as const);
  await rec.flush();
  return paramsFromMap(config, new Map(reads.map(([name, r]) => [name, r.tensor])));
}

export function destroyParams(p: GpuParams): void {
  for (const [, t] of flattenGpuParams(p)) t.buffer.destroy();
}
