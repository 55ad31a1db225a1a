import type { Engine } from '@glassbox/compute';
import { WebGpuEngine } from '@glassbox/compute';

/**
 * A WebGPU device can be lost at any time (driver reset, GPU process crash, the OS reclaiming memory). The engine
 * then fails every run with GlassboxError('device-lost'); the app switches to the CPU engine with the parameters
 * it holds and carries on with the same prompt and view.
 */
export function isDeviceLost(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'device-lost';
}

/** Calls `onLost` with the browser's reason when a WebGPU engine's device is lost (including by `destroy()`). */
export function watchDeviceLoss(engine: Engine, onLost: (why: string) => void): void {
  if (!(engine instanceof WebGpuEngine)) return;
  engine.context.device.lost.then((info: { reason?: string; message?: string }) => {
    const why = [info.reason, info.message].filter(Boolean).join(': ') || 'unknown reason';
    onLost(why.replace(/\.+$/, ''));
  });
}

/** Destroys a WebGPU engine's device, as a driver reset would (the app's ?debug=1 hook, and tests). */
export function loseDevice(engine: Engine | null): boolean {
  if (!(engine instanceof WebGpuEngine)) return false;
  engine.context.device.destroy();
  return true;
}
