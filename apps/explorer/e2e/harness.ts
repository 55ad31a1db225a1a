/**
 * What the explorer's browser scripts share beyond scripts/browser/chromium.ts (the browser, its flags and the check
 * log): where the app and the screenshots are, and serving a build of the app with `vite preview`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { freePort } from '../../../scripts/browser/chromium';

/** apps/explorer, the Vite root. */
export const root = fileURLToPath(new URL('..', import.meta.url));
export const shots = join(root, 'e2e', 'screenshots');

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
