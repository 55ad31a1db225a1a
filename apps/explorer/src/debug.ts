import { loseDevice } from '@glassbox/store';
import { session } from './stores';

declare global {
  interface Window {
    /** ?debug=1 only: destroy the WebGPU device, as a driver reset would; true when there was one to destroy. */
    __glassboxLoseDevice?: () => boolean;
  }
}

/** Hooks for testing failure paths in a real browser, installed only when the address has ?debug=1. */
export function installDebugHooks(search: string): void {
  if (new URLSearchParams(search).get('debug') !== '1') return;
  window.__glassboxLoseDevice = () => loseDevice(session.getState().engine);
}
