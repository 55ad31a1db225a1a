/**
 * Headless Chromium for every browser script of the repository (the explorer's e2e suites, the widgets test, the
 * stories test, browser benchmarks), so they all run the same browser with the same flags, and the check log they
 * print reads the same.
 *
 *   import { check, checkNoPageErrors, collectPageErrors, finish, launchChromium } from '…/scripts/browser/chromium';
 *   const t0 = performance.now();
 *   const browser = await launchChromium();
 *   const page = await browser.newPage();
 *   const pageErrors = collectPageErrors(page);
 *   …  check(ok, 'what was checked');
 *   checkNoPageErrors(pageErrors);
 *   await browser.close();
 *   finish(t0, 'my suite');          // "PASS my suite in 12.3 s", or FAIL (n) and a non-zero exit code
 *
 * The browser is Debian's chromium package (scripts/ensure-system-deps.sh installs it), not a Playwright download:
 * the machines that run these tests cannot download browsers, and Debian's build ships the SwiftShader Vulkan driver
 * that gives WebGPU without a GPU (shared/RECIPES.md).
 */
import { createServer } from 'node:net';
import type { Browser, LaunchOptions, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Debian's Chromium, the one browser the tests drive. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  // Tests run as root in containers, where Chromium's sandboxes cannot start.
  '--no-sandbox',
  '--disable-gpu-sandbox',
  // Nothing outside the test server: no update checks, sync or first-run pages reaching the network.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // WebGPU in headless Linux Chromium is behind this flag; with no GPU it runs on SwiftShader (a CPU Vulkan).
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
];

/**
 * Starts headless Chromium with CHROMIUM_ARGS plus `extraArgs` (e.g. a window size or a feature flag); `options`
 * passes anything else playwright's launch takes (slowMo, env, …). Close the browser when done.
 */
export function launchChromium(extraArgs: readonly string[] = [], options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    headless: true,
    ...options,
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/** A TCP port free on 127.0.0.1 right now (for a server the script is about to start). */
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

/** Every failed check's description; `finish` fails the script when this is not empty. */
export const failures: string[] = [];

/**
 * Logs one check as `ok` or `FAIL` and remembers failures. The script goes on after a failure, so one run shows every
 * problem. `quiet` logs only failures, for suites that print their own line per item.
 */
export function check(ok: boolean, what: string, { quiet = false }: { quiet?: boolean } = {}): boolean {
  if (!ok || !quiet) console.log(`${ok ? '  ok  ' : '  FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}

/**
 * Collects what a page throws and what it logs as a console error (into `into`, e.g. to share one list between
 * pages); pass the list to checkNoPageErrors at the end.
 */
export function collectPageErrors(page: Page, into: string[] = []): string[] {
  page.on('pageerror', (e) => into.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') into.push(m.text());
  });
  return into;
}

/**
 * Dismisses every dialog (alert, confirm, prompt) the pages open and counts them: a hostile prompt or link that
 * managed to run script would show up here. Pass one counter to several pages to count them together.
 */
export function countDialogs(page: Page, counter: { count: number } = { count: 0 }): { count: number } {
  page.on('dialog', async (d) => {
    counter.count++;
    await d.dismiss();
  });
  return counter;
}

/** The last check of every page: nothing was thrown or logged as an error in it. */
export function checkNoPageErrors(pageErrors: string[]): void {
  check(pageErrors.length === 0, `no page errors${pageErrors.length ? `: ${pageErrors.slice(0, 3).join(' | ')}` : ''}`);
}

/**
 * Prints the summary line, `PASS <what> in <s> s` or `FAIL (<n>) <what> …` followed by the failed checks (so they
 * are not lost in a long log), plus `note` (e.g. where the screenshots are), and sets a non-zero exit code when a
 * check failed. `t0` is performance.now() at the start of the suite.
 */
export function finish(t0: number, what: string, note?: string): void {
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const verdict = failures.length === 0 ? 'PASS' : `FAIL (${failures.length})`;
  console.log(`\n${verdict} ${what} in ${secs} s${note ? `; ${note}` : ''}`);
  for (const f of failures) console.log(`  - ${f}`);
  if (failures.length > 0) process.exitCode = 1;
}
