import type { EnginePreference } from '@glassbox/store';

/**
 * What the address asked of the lab when the page opened (the explorer rewrites the address once it has read it, so
 * this is read at startup): `?engine=cpu` trains on the CPU even where WebGPU works, as it runs the explorer on the
 * CPU; `?debug=1` installs `window.__glassboxLabLoseDevice()`, which destroys the training worker's WebGPU device.
 */
const params = new URLSearchParams(typeof window === 'undefined' ? '' : window.location.search);

export const labOptions: { engine: EnginePreference; debug: boolean } = {
  engine: params.get('engine') === 'cpu' ? 'cpu' : 'auto',
  debug: params.get('debug') === '1',
};
