/**
 * What every browser script of the explorer shares: how Chromium is launched (flags from shared/RECIPES.md: Debian's
 * chromium, SwiftShader WebGPU, no background network), a free port for `vite preview`, and the check log.
 */
import { createServer } from 'node:net';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
];

/** Every failed check's description; a script exits non-zero when this is not empty. */
export const failures: string[] = [];

/** Log one check as `ok` or `FAIL` and remember failures (the script goes on, so one run shows every problem). */
export function check(ok: boolean, what: string): void {
  console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
