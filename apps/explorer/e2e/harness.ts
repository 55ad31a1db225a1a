/**
 * What every browser script of the explorer shares: how Chromium is launched (flags from shared/RECIPES.md: Debian's
 * chromium, SwiftShader WebGPU, no background network), a free port for `vite preview`, and the check log.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

/** apps/explorer, the Vite root. */
export const root = fileURLToPath(new URL('..', import.meta.url));
export const shots = join(root, 'e2e', 'screenshots');

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

/**
 * Builds the app (unless E2E_SKIP_BUILD is set; into `outDir` when given) and serves it with `vite preview` on a free
 * local port. `base` is the page's address; `close` stops the server.
 */
export async function serveApp(outDir?: string): Promise<{ base: string; close: () => Promise<void> }> {
  const configFile = join(root, 'vite.config.ts');
  const out = outDir === undefined ? {} : { build: { outDir } };
  if (!process.env.E2E_SKIP_BUILD) {
    console.log('== vite build');
    await build({ root, configFile, logLevel: 'warn', ...out });
  }
  const port = await freePort();
  const server = await preview({ root, configFile, ...out, preview: { port, strictPort: true, host: '127.0.0.1' } });
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}

/** The last check of every page: nothing was thrown in it. */
export function checkNoPageErrors(pageErrors: string[]): void {
  check(pageErrors.length === 0, `no page errors${pageErrors.length ? `: ${pageErrors.slice(0, 3).join(' | ')}` : ''}`);
}

/** Prints the summary line (PASS, or FAIL with the count) and sets a non-zero exit code when a check failed. */
export function finish(t0: number, what: string): void {
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `\n${failures.length === 0 ? 'PASS' : `FAIL (${failures.length})`} ${what} in ${secs} s; screenshots in ${shots}`,
  );
  if (failures.length > 0) process.exitCode = 1;
}
