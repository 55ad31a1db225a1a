/**
 * Opens every story of the static Storybook build in headless Chromium (playwright-core + Debian's /usr/bin/chromium)
 * and fails on a page error, a console error, a failed request, Storybook's error display, or a blank render: an
 * empty root, a canvas with no painted pixel, an SVG with nothing drawn, or a "not captured" note under the story's
 * default args. Every story is also rendered once per model in stories/data (the `model` control), and a few
 * controls are moved through the URL (args=…) to check that they re-render without errors.
 * Screenshots go to stories/screenshots/ (ignored by git).
 *
 *   npm run test:stories                     build (npm run build-storybook), then test
 *   STORIES_SKIP_BUILD=1 npm run test:stories  reuse stories/dist
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { check, finish, launchChromium } from '../scripts/browser/chromium';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const dist = join(here, 'dist');
const shots = join(here, 'screenshots');

/** The per-item checks log only failures: every render prints its own ok/FAIL line. */
const QUIET = { quiet: true };

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.md': 'text/markdown',
  '.safetensors': 'application/octet-stream',
};

/** A static file server for stories/dist on a free port (Storybook's static build needs nothing more). */
function serve(): Promise<{ url: string; close: () => void }> {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(dist, path.endsWith('/') ? `${path}index.html` : path);
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // the browser asks for it; Storybook ships favicon.svg
      return;
    }
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      if (process.env.STORIES_DEBUG) console.log(`  404 ${req.url}`);
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() });
    });
  });
}

interface IndexEntry {
  id: string;
  title: string;
  name: string;
  type: 'story' | 'docs';
  tags?: string[];
}

/** What a rendered story looks like from inside the page. */
interface Rendered {
  state: 'main' | 'error' | 'nopreview' | 'timeout';
  errorText: string;
  width: number;
  height: number;
  text: number;
  blankCanvases: number;
  canvases: number;
  svgShapes: number;
  notCaptured: boolean;
  /** data-state of a widget's frame (null: not a widget story). */
  widgetState: string | null;
}

async function inspect(page: Page): Promise<Rendered> {
  const state = await page
    .waitForFunction(
      () => {
        const c = document.body.classList;
        if (c.contains('sb-show-errordisplay')) return 'error';
        if (c.contains('sb-show-nopreview')) return 'nopreview';
        const root = document.getElementById('storybook-root');
        return c.contains('sb-show-main') && root && root.childElementCount > 0 ? 'main' : false;
      },
      undefined,
      { timeout: 30_000 },
    )
    .then((h) => h.jsonValue() as Promise<Rendered['state']>)
    .catch(() => 'timeout' as const);
  // A widget loads its model and runs it: wait until it settles (ready, or its inline error).
  if (state === 'main' && (await page.locator('#storybook-root .gbw').count()) > 0) {
    await page
      .locator('#storybook-root .gbw:not([data-state="loading"])')
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(() => {});
    // The training widget trains for about two seconds after it is ready.
    if ((await page.locator('#storybook-root [data-testid="training"]').count()) > 0) {
      await page
        .locator('#storybook-root [data-testid="training"]:not([data-status="running"])')
        .first()
        .waitFor({ timeout: 60_000 })
        .catch(() => {});
    }
  }
  // Effects paint the canvases after the first commit; give them two frames.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const facts = await page.evaluate(() => {
    const root = document.getElementById('storybook-root');
    // Widgets render into (open) shadow roots: look through them too.
    const all: Element[] = [];
    let text = '';
    const walk = (node: ParentNode) => {
      for (const el of Array.from(node.querySelectorAll('*'))) {
        all.push(el);
        if (el.shadowRoot) {
          text += el.shadowRoot.textContent ?? '';
          walk(el.shadowRoot);
        }
      }
    };
    if (root) walk(root);
    text += root?.textContent ?? '';
    const box = root?.getBoundingClientRect();
    let blankCanvases = 0;
    const canvases = all.filter(
      (e): e is HTMLCanvasElement => e instanceof HTMLCanvasElement && e.width > 0 && e.height > 0,
    );
    for (const c of canvases) {
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      let painted = false;
      if (data) for (let i = 3; i < data.length && !painted; i += 4) painted = data[i] > 0;
      // An overlay canvas (cursor, selection) may legitimately be empty when nothing is selected.
      if (!painted && !c.classList.contains('gb-heatmap-overlay')) blankCanvases++;
    }
    const svgShapes = all
      .filter(
        (e) => e instanceof SVGGraphicsElement && e.closest('svg') && /^(rect|path|line|circle|text)$/.test(e.tagName),
      )
      .map((e) => (e as SVGGraphicsElement).getBBox())
      .filter((b) => b.width > 0 || b.height > 0).length;
    return {
      errorText: document.querySelector('#error-message')?.textContent ?? '',
      width: box?.width ?? 0,
      height: box?.height ?? 0,
      text: text.trim().length,
      blankCanvases,
      canvases: canvases.length,
      svgShapes,
      notCaptured: all.some((e) => e.getAttribute('data-testid') === 'not-captured'),
      widgetState: all.find((e) => e.classList.contains('gbw'))?.getAttribute('data-state') ?? null,
    };
  });
  return { state, ...facts };
}

async function main(): Promise<void> {
  if (!process.env.STORIES_SKIP_BUILD) {
    const t0 = performance.now();
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'storybook'),
      ['build', '-c', 'stories/.storybook', '-o', 'stories/dist', '--quiet'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) throw new Error('storybook build failed');
    console.log(`storybook build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const index = JSON.parse(readFileSync(join(dist, 'index.json'), 'utf8')) as { entries: Record<string, IndexEntry> };
  const stories = Object.values(index.entries).filter((e) => e.type === 'story');
  // The model control's options: every trace file, smallest model first (the default).
  const models = readdirSync(join(here, 'data'))
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) => JSON.parse(readFileSync(join(here, 'data', f), 'utf8')) as { model: { name: string; parameters: number } },
    )
    .sort((a, b) => a.model.parameters - b.model.parameters)
    .map((f) => f.model.name);
  check(stories.length > 0, 'the build has stories');

  await rm(shots, { recursive: true, force: true });
  await mkdir(shots, { recursive: true });
  const server = await serve();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  // tsx (esbuild keepNames) wraps the named functions inside page.evaluate callbacks in __name(); define it there.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  let problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  // Every story with its default args, then under every model, then with a few controls moved.
  const variants: { story: IndexEntry; args: string; strict: boolean }[] = [];
  for (const story of stories) {
    variants.push({ story, args: '', strict: true });
    for (const m of models.slice(1)) variants.push({ story, args: `model:${m}`, strict: false });
  }
  const moved: Record<string, string[]> = {
    'views-distribution--temperature': ['temperature:0', 'temperature:2;topK:3', 'token:0;topP:0.5'],
    'views-attentionpattern--pattern': ['kind:scores;head:3;layer:3', 'token:0'],
    'views-heatmap--any-hook': [
      'hook:attn-hook_q;head:1',
      'hook:attn-hook_pattern;scale:diverging',
      'hook:ln_final-hook_scale',
      'hook:hook_probs',
    ],
    'views-heatmap--gradient': ['gradient:grad-params-attn-W_Q;checkpoint:shipped', 'gradient:grad-hook_embed'],
    'views-losscurve--recipe': ['log:!false'],
    'views-embeddingscatter--vocabulary': ['token:5;neighbours:0'],
    'widgets--attention': ['kind:scores', 'prompt:dog is happy END cat'],
    'widgets--next-token': ['temperature:2;topk:3;seed:7'],
    'widgets--stepper': ['step:logits', 'step:mlp_post'],
  };
  for (const story of stories) {
    for (const args of moved[story.id] ?? []) variants.push({ story, args, strict: true });
  }
  // A renamed story would otherwise drop its moved-control checks here, and the live ones below, without a word.
  const storyIds = new Set(stories.map((s) => s.id));
  for (const id of Object.keys(moved)) check(storyIds.has(id), `moved controls: story ${id} exists`, QUIET);

  const t0 = performance.now();
  for (const { story, args, strict } of variants) {
    problems = [];
    const what = `${story.id}${args ? ` [${args}]` : ''}`;
    const url = `${server.url}/iframe.html?id=${story.id}&viewMode=story${args ? `&args=${encodeURIComponent(args)}` : ''}`;
    await page.goto(url);
    const r = await inspect(page);
    const ok = problems.length === 0 && r.state === 'main';
    check(
      r.state === 'main',
      `${what}: rendered (${r.state}${r.errorText ? `: ${r.errorText.slice(0, 300)}` : ''})`,
      QUIET,
    );
    check(problems.length === 0, `${what}: no errors (${problems.slice(0, 4).join(' | ')})`, QUIET);
    check(
      r.width > 20 && r.height > 20 && r.text > 0,
      `${what}: not blank (${r.width}×${r.height}, ${r.text} chars)`,
      QUIET,
    );
    check(r.blankCanvases === 0, `${what}: every canvas painted (${r.blankCanvases} of ${r.canvases} blank)`, QUIET);
    // A model that did not capture a hook shows a note; the default args must always show the view itself.
    if (strict) check(!r.notCaptured, `${what}: the default model captured what the story draws`, QUIET);
    if (r.widgetState !== null) {
      const want = story.tags?.includes('widget-error') ? 'error' : 'ready';
      check(r.widgetState === want, `${what}: widget ${want} (data-state ${r.widgetState})`, QUIET);
    }
    if (ok && !args) await page.locator('#storybook-root').screenshot({ path: join(shots, `${story.id}.png`) });
    if (ok && args.startsWith('model:')) {
      await page.locator('#storybook-root').screenshot({ path: join(shots, `${story.id}--${args.slice(6)}.png`) });
    }
    console.log(
      `  ${ok ? 'ok  ' : 'FAIL'} ${what} (${r.canvases} canvases, ${r.svgShapes} svg shapes${r.notCaptured ? ', not captured' : ''})`,
    );
  }
  // Controls moved while the story is open (as the Controls panel does): the view re-renders in place.
  const live: { id: string; args: Record<string, unknown>; expect: string }[] = [
    { id: 'views-attentionpattern--pattern', args: { kind: 'scores' }, expect: 'attention scores' },
    { id: 'views-distribution--temperature', args: { temperature: 0.5 }, expect: 'temperature 0.50' },
    { id: 'views-heatmap--any-hook', args: { hook: 'hook_embed' }, expect: 'hook_embed [' },
    { id: 'widgets--attention', args: { kind: 'scores' }, expect: 'Attention scores' },
    { id: 'widgets--next-token', args: { temperature: 2 }, expect: 'softmax(logits / 2.00)' },
  ];
  for (const { id, args, expect } of live) {
    check(storyIds.has(id), `live controls: story ${id} exists`, QUIET);
    if (!storyIds.has(id)) continue;
    problems = [];
    await page.goto(`${server.url}/iframe.html?id=${id}&viewMode=story`);
    await inspect(page);
    await page.evaluate(
      ({ storyId, updatedArgs }) => {
        const channel = (globalThis as { __STORYBOOK_ADDONS_CHANNEL__?: { emit(e: string, p: unknown): void } })
          .__STORYBOOK_ADDONS_CHANNEL__;
        channel?.emit('updateStoryArgs', { storyId, updatedArgs });
      },
      { storyId: id, updatedArgs: args },
    );
    const changed = await page
      .waitForFunction(
        (want) => {
          let text = document.getElementById('storybook-root')?.textContent ?? '';
          for (const el of Array.from(document.querySelectorAll('#storybook-root *'))) {
            if (el.shadowRoot) text += el.shadowRoot.textContent ?? '';
          }
          return text.includes(want);
        },
        expect,
        { timeout: 30_000 },
      )
      .then(() => true)
      .catch(() => false);
    const what = `${id} {${Object.entries(args).map(([k, v]) => `${k}: ${v}`)}} while open`;
    check(changed, `${what}: re-rendered ("${expect}")`, QUIET);
    check(problems.length === 0, `${what}: no errors (${problems.slice(0, 4).join(' | ')})`, QUIET);
    console.log(`  ${changed && problems.length === 0 ? 'ok  ' : 'FAIL'} ${what}`);
  }
  await browser.close();
  server.close();
  finish(
    t0,
    `${variants.length} renders and ${live.length} live control changes of ${stories.length} stories ` +
      `(${models.length} model${models.length === 1 ? '' : 's'})`,
    'screenshots in stories/screenshots/',
  );
}

await main();
