import type { Engine, EngineKind, GPTConfig, GPTParams } from '@glassbox/compute';
import { selectEngine } from '@glassbox/compute';

export interface EngineChoice {
  engine: Engine;
  kind: EngineKind;
  /** One sentence for the page: which engine runs and why. */
  reason: string;
}

/** Picks an engine for a model. */
export type EngineSelector = (config: GPTConfig, params: GPTParams) => Promise<EngineChoice>;

/** 'auto': WebGPU when the browser has a working adapter and the model fits it, else the CPU; 'cpu': always the CPU. */
export type EnginePreference = 'auto' | 'cpu';

/** compute's selectEngine, with its reason turned into a sentence for the page. */
export function engineSelector(prefer: EnginePreference = 'auto'): EngineSelector {
  return async (config, params) => {
    const s = await selectEngine(config, params, { prefer: prefer === 'cpu' ? 'cpu' : 'webgpu' });
    if (s.kind === 'webgpu') {
      const a = s.adapter;
      const on = a ? [a.vendor, a.architecture].filter(Boolean).join(' ') : '';
      return { engine: s.engine, kind: s.kind, reason: `Running on WebGPU${on ? ` (${on})` : ''}.` };
    }
    return {
      engine: s.engine,
      kind: s.kind,
      reason: `Running on the CPU reference engine${s.reason ? `: ${s.reason}` : ''}.`,
    };
  };
}
