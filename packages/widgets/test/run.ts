/**
 * End-to-end test of the widgets, in Debian's Chromium through playwright-core (flags from the project's recipes,
 * WebGPU on SwiftShader):
 *
 *   - test/index.html: three widgets on a course page with hostile CSS. Each shows real numbers (compared with the
 *     same checkpoint run by the CPU engine here in Node), the host CSS does not break them, their CSS does not leak,
 *     three widgets fetch the model once, bad attributes give inline errors, attribute changes re-render, and an
 *     `<img onerror>` prompt is shown as text and never runs. Then a stepper and a training widget join the page.
 *   - test/iframe.html: the explorer's iframe route (/embed/attention?…) in a page of another origin, sized by the
 *     postMessage height protocol; messages from an origin the embed was not configured for are ignored.
 *
 * Screenshots go to packages/widgets/test-results/screenshots/ (ignored by git): look at them.
 *
 *   npm run test:widgets            (from the repository root)
 *   WIDGETS_SKIP_BUILD=1 …          reuse dist/ and test-results/explorer/
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forward, row, softmaxWithTemperature } from '@glassbox/compute';
import { loadShippedModel, trainToyWorld } from '@glassbox/models';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { build, loadConfigFromFile } from 'vite';
import {
  check,
  checkNoPageErrors,
  collectPageErrors,
  countDialogs,
  finish,
  launchChromium,
} from '../../../scripts/browser/chromium';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const explorer = join(pkg, '..', '..', 'apps', 'explorer');
const results = join(pkg, 'test-results');
const shots = join(results, 'screenshots');
const embedOut = join(results, 'explorer');
const TOLERANCE = 1e-4; // WebGPU (SwiftShader) against the float32 CPU engine
const XSS = '<img src=x onerror="window.__xss=1;alert(1)">';

const close = (a: number, b: number) => Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));

// ---------------------------------------------------------------------------------------------------------------
// A static server: files under `root`, `/x` served from `x.html` when that exists (as GitHub Pages, Netlify and
// `vite preview` do), every request logged so the test can count model fetches.

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.wasm': 'application/wasm',
};

interface Served {
  origin: string;
  port: number;
  requests: string[];
  server: Server;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

function serve(root: string): Promise<Served> {
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (path.endsWith('/')) file = join(file, 'index.html');
    else if (!(await isFile(file)) && (await isFile(`${file}.html`))) file = `${file}.html`;
    if (!(await isFile(file))) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ origin: `http://127.0.0.1:${port}`, port, requests, server });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

type Scope = Page | FrameLocator;

async function waitState(scope: Scope, id: string, state: 'ready' | 'error', timeout = 60_000): Promise<void> {
  await scope.locator(`#${id} .gbw[data-state="${state}"]`).waitFor({ timeout });
}

/** Hover the centre of cell (row, col) of a heatmap (inside a shadow root) and read its read-out. */
async function hoverCell(page: Page, scope: Scope, host: string, testId: string, r: number, c: number) {
  const fig = scope.locator(`${host} [data-testid="${testId}"]`).first();
  const grid = fig.locator('.gb-heatmap-overlay');
  await grid.scrollIntoViewIfNeeded();
  const box = await grid.boundingBox();
  if (!box) throw new Error(`heatmap ${testId} is not visible`);
  const rows = Number(await fig.getAttribute('data-rows'));
  const cols = Number(await fig.getAttribute('data-cols'));
  await page.mouse.move(box.x + ((c + 0.5) * box.width) / cols, box.y + ((r + 0.5) * box.height) / rows);
  const out = scope.locator(`${host} [data-testid="${testId}-readout"]`).first();
  for (let tries = 0; tries < 50; tries++) {
    if ((await out.getAttribute('data-row')) === String(r) && (await out.getAttribute('data-col')) === String(c)) break;
    await page.waitForTimeout(100);
  }
  return {
    row: Number(await out.getAttribute('data-row')),
    col: Number(await out.getAttribute('data-col')),
    value: Number(await out.getAttribute('data-value')),
  };
}

async function firstProb(scope: Scope, host: string): Promise<number> {
  return Number(await scope.locator(`${host} [data-testid="probs"] [data-prob]`).first().getAttribute('data-prob'));
}

async function errorText(scope: Scope, id: string): Promise<string> {
  await waitState(scope, id, 'error', 20_000);
  return (await scope.locator(`#${id} [data-testid="widget-error"]`).textContent()) ?? '';
}

async function setAttr(page: Page, id: string, name: string, value: string | null): Promise<void> {
  await page.evaluate(
    ([id, name, value]) => {
      const el = document.getElementById(id as string);
      if (!el) throw new Error(`no #${id}`);
      if (value === null) el.removeAttribute(name as string);
      else el.setAttribute(name as string, value);
    },
    [id, name, value],
  );
}

async function rowLabels(scope: Scope, host: string): Promise<string> {
  return (await scope.locator(`${host} [data-testid="attention-large"] .gb-heatmap-rowlabels`).textContent()) ?? '';
}

// ---------------------------------------------------------------------------------------------------------------

async function buildAll(): Promise<void> {
  console.log('== vite build: packages/widgets → dist/glassbox-widgets.js');
  await build({ configFile: join(pkg, 'vite.config.ts'), logLevel: 'warn' });
  // The explorer's own config (its plugins write the embed pages), keeping only the embed entries: the whole app
  // would add a minute and its own work in progress. onnxruntime-web, which only the app's ONNX panel loads, stays
  // out of this build.
  console.log('== vite build: apps/explorer embed/*.html → test-results/explorer');
  const loaded = await loadConfigFromFile(
    { command: 'build', mode: 'production' },
    join(explorer, 'vite.config.ts'),
    undefined,
    'silent',
  );
  if (!loaded) throw new Error('apps/explorer/vite.config.ts did not load');
  const { config } = loaded;
  const entries = [config.build?.rolldownOptions?.input ?? []].flat() as string[];
  const input = entries.filter((f) => /[/\\]embed[/\\][^/\\]+\.html$/.test(f));
  if (input.length === 0) throw new Error(`no embed entries among the explorer's inputs: ${entries.join(', ')}`);
  await build({
    ...config,
    configFile: false,
    logLevel: 'warn',
    build: {
      ...config.build,
      outDir: embedOut,
      emptyOutDir: true,
      chunkSizeWarningLimit: 2000,
      rolldownOptions: { ...config.build?.rolldownOptions, input, external: ['onnxruntime-web'] },
    },
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  if (!process.env.WIDGETS_SKIP_BUILD) await buildAll();
  await rm(shots, { recursive: true, force: true });
  await mkdir(shots, { recursive: true });
  const wasm = (await import('node:fs')).readdirSync(join(pkg, 'dist', 'assets')).filter((f) => f.endsWith('.wasm'));
  check(wasm.length === 0, `the widget build ships no .wasm (${wasm.join(', ') || 'none'})`);

  // The reference: the same shipped checkpoint, run by the CPU engine here in Node.
  const model = await loadShippedModel('toy-world');
  const ref = (prompt: string) => {
    const ids = model.tokenizer.encode(prompt);
    return { ids, ...forward(model.config, model.params, ids, { capture: 'all' }) };
  };

  const site = await serve(pkg); // the course page and the widget script
  const app = await serve(embedOut); // the explorer (its embed pages)
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);
    const dialogs = countDialogs(page);
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));

    // ---------------------------------------------------------------------------------------------------------
    console.log('== three widgets on a hostile course page');
    await page.goto(`${site.origin}/test/index.html`);
    for (const id of ['attention', 'next-token', 'tokenizer']) await waitState(page, id, 'ready');
    await page.screenshot({ path: join(shots, 'page.png'), fullPage: true });

    const weights = fetched.filter((p) => p.endsWith('.safetensors'));
    const configs = fetched.filter((p) => /\/config-[^/]*\.json$/.test(p));
    const tokenizers = fetched.filter((p) => /\/tokenizer-[^/]*\.json$/.test(p));
    check(
      weights.length === 1 && configs.length === 1 && tokenizers.length === 1,
      `three widgets, one model load: ${weights.length} weights, ${configs.length} config, ${tokenizers.length} tokenizer request(s)`,
    );
    check(weights[0]?.startsWith('/dist/assets/') ?? false, `weights resolved relative to the script (${weights[0]})`);
    const stats = await page.evaluate(async (u) => (await import(u)).cacheStats, '/dist/glassbox-widgets.js');
    check(stats.modelLoads === 1 && stats.engines === 1, `one load, one engine (${JSON.stringify(stats)})`);
    const engines = await page
      .locator('[data-testid="widget-engine"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-engine')));
    console.log(`     engines: ${engines.join(', ')}`);

    // Real numbers.
    let want = ref('cat sat on');
    let T = want.ids.length;
    let got = await hoverCell(page, page, '#attention', 'attention-large', T - 1, 1);
    let wantP = want.trace['blocks.0.attn.hook_pattern'].data[(T - 1) * T + 1];
    check(close(got.value, wantP), `attention pattern [${T - 1}, 1] = ${got.value} (Node: ${wantP})`);
    want = ref('cat sat on the');
    T = want.ids.length;
    const softmaxAt = (temperature: number) =>
      Math.max(...softmaxWithTemperature(row(want.logits, T - 1), temperature).probs);
    let p = await firstProb(page, '#next-token');
    check(close(p, softmaxAt(1)), `next-token top probability ${p} (Node: ${softmaxAt(1)})`);
    const ids = model.tokenizer.encode('cat sat on the mat');
    const idsText = (await page.locator('#tokenizer [data-testid="token-ids"]').textContent()) ?? '';
    check(idsText.includes(`[${ids.join(', ')}]`), `tokenizer ids [${ids.join(', ')}] shown`);

    // The host CSS does not break the widgets.
    const looks = await page.evaluate(() =>
      ['attention', 'next-token', 'tokenizer'].map((id) => {
        const root = document.getElementById(id)?.shadowRoot;
        const gbw = root?.querySelector('.gbw') as HTMLElement;
        const s = getComputedStyle(gbw);
        const canvas = root?.querySelector('canvas');
        const svg = root?.querySelector('svg');
        const title = root?.querySelector('.gb-heatmap-title, .gb-distribution figcaption, .gb-token-chip');
        return {
          id,
          width: gbw.getBoundingClientRect().width,
          height: gbw.getBoundingClientRect().height,
          font: s.fontSize,
          spacing: s.letterSpacing,
          transform: s.textTransform,
          color: s.color,
          canvas: canvas ? canvas.getBoundingClientRect().width : null,
          svg: svg ? svg.getBoundingClientRect().width : null,
          titleFont: title ? Number.parseFloat(getComputedStyle(title).fontSize) : null,
        };
      }),
    );
    for (const l of looks) {
      check(
        l.width >= 300 &&
          l.height >= 100 &&
          l.font === '14px' &&
          l.spacing === 'normal' &&
          l.transform === 'none' &&
          l.color === 'rgb(17, 17, 17)' &&
          (l.titleFont ?? 12) >= 11,
        `host CSS does not reach #${l.id}: ${JSON.stringify(l)}`,
      );
    }
    check(
      (looks[0].canvas ?? 0) > 20,
      `attention canvas keeps its size (${looks[0].canvas}px) under canvas{width:1px}`,
    );
    check((looks[1].svg ?? 0) > 100, `next-token bars (svg) visible under svg{display:none} (${looks[1].svg}px)`);

    // The widgets' CSS does not leak.
    const leak = await page.evaluate(() => {
      const w = window as unknown as {
        __probeStyle(): Record<string, string>;
        __probeBefore: Record<string, string>;
        __sheetsBefore: number;
        __headBefore: number;
      };
      return {
        before: JSON.stringify(w.__probeBefore),
        after: JSON.stringify(w.__probeStyle()),
        sheets: [w.__sheetsBefore, document.styleSheets.length],
        head: [w.__headBefore, document.head.children.length],
      };
    });
    check(leak.before === leak.after, `a host element with the widgets' class names looks the same: ${leak.after}`);
    check(
      leak.sheets[0] === leak.sheets[1] && leak.head[0] === leak.head[1],
      `no style sheet or element added to the host page (sheets ${leak.sheets}, head ${leak.head})`,
    );

    // Attribute changes re-render.
    console.log('== attribute changes');
    await setAttr(page, 'attention', 'prompt', 'dog is happy');
    await page.waitForFunction(() =>
      document
        .getElementById('attention')
        ?.shadowRoot?.querySelector('[data-testid="attention-large"] .gb-heatmap-rowlabels')
        ?.textContent?.includes('happy'),
    );
    want = ref('dog is happy');
    T = want.ids.length;
    got = await hoverCell(page, page, '#attention', 'attention-large', T - 1, 0);
    wantP = want.trace['blocks.0.attn.hook_pattern'].data[(T - 1) * T];
    check(
      close(got.value, wantP),
      `prompt="dog is happy" re-renders: pattern [${T - 1}, 0] = ${got.value} (Node ${wantP})`,
    );
    want = ref('cat sat on the');
    T = want.ids.length;
    await setAttr(page, 'next-token', 'temperature', '0.5');
    await page.locator('#next-token [data-testid="temperature-value"]', { hasText: '0.50' }).waitFor();
    p = await firstProb(page, '#next-token');
    check(close(p, softmaxAt(0.5)), `temperature="0.5" re-renders: top probability ${p} (Node ${softmaxAt(0.5)})`);
    await page.locator('#next-token [data-testid="temperature"]').focus();
    await page.keyboard.press('End');
    await page.locator('#next-token [data-testid="temperature-value"]', { hasText: '3.00' }).waitFor();
    p = await firstProb(page, '#next-token');
    check(close(p, softmaxAt(3)), `the slider at 3 re-samples: top probability ${p} (Node ${softmaxAt(3)})`);
    await page.screenshot({ path: join(shots, 'page-changed.png'), fullPage: true });

    // Bad attributes: an inline error, then back to normal when fixed.
    console.log('== bad attributes');
    const bad: [string, string, string, RegExp][] = [
      ['attention', 'layer', '7', /layer=7 is out of range: this model has 1 layer/],
      ['attention', 'head', '-1', /head="-1" must be a whole number/],
      ['attention', 'model', 'gpt-5', /model="gpt-5" is not a shipped model/],
      ['next-token', 'temperature', 'NaN', /temperature="NaN" is not a number/],
      ['next-token', 'topk', '0', /topk="0": Top-k must be a whole number/],
      ['tokenizer', 'prompt', '', /prompt is empty/],
      ['tokenizer', 'prompt', 'cat flew', /unknown word "flew"/],
      ['attention', 'kind', 'weights', /kind="weights" must be one of: pattern, scores/],
      ['attention', 'head', '4', /head=4 is out of range: this model has 1 head/],
      ['attention', 'engine', 'quantum', /engine="quantum" must be one of: auto, cpu/],
      ['next-token', 'topp', '1.5', /topp="1.5": Top-p must be a number above 0 and at most 1/],
      ['next-token', 'seed', '4294967296', /seed="4294967296": Seed must be a whole number from 0 to 4294967295/],
      ['next-token', 'temperature', '3.5', /temperature="3.5": Temperature must be a number from 0/],
      ['next-token', 'prompt', 'x'.repeat(5000), /prompt is 5000 characters long/],
      ['tokenizer', 'model', '../../etc/passwd', /model="..\/..\/etc\/passwd" is not a shipped model/],
    ];
    const restore: Record<string, Record<string, string | null>> = {
      attention: { layer: '0', head: '0', model: 'toy-world', kind: null, engine: null },
      'next-token': { temperature: '1', topk: null, topp: null, seed: null, prompt: 'cat sat on the' },
      tokenizer: { prompt: 'cat sat on the mat', model: 'toy-world' },
    };
    /** Set each bad value: an inline error naming the attribute, no page error; the good value brings it back. */
    const tryBad = async (cases: [string, string, string, RegExp][], good: typeof restore) => {
      for (const [id, name, value, expect] of cases) {
        const errorsBefore = pageErrors.length;
        await setAttr(page, id, name, value);
        const text = await errorText(page, id);
        const box = await page.locator(`#${id} [data-testid="widget-error"]`).boundingBox();
        const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
        check(
          expect.test(text) && (box?.height ?? 0) > 20 && pageErrors.length === errorsBefore,
          `${id} ${name}="${shown}" → inline error, no page error: ${text.trim().slice(0, 160)}`,
        );
        if (name === 'layer') await page.locator(`#${id}`).screenshot({ path: join(shots, `error-${id}-layer.png`) });
        await setAttr(page, id, name, good[id][name]);
        await waitState(page, id, 'ready');
      }
    };
    await tryBad(bad, restore);

    // Text from attributes is only text.
    console.log('== an <img onerror> prompt');
    await setAttr(page, 'tokenizer', 'prompt', XSS);
    const xssText = await errorText(page, 'tokenizer');
    const xss = await page.evaluate(() => ({
      imgs: document.getElementById('tokenizer')?.shadowRoot?.querySelectorAll('img').length,
      flag: (window as unknown as { __xss: number }).__xss,
    }));
    check(
      xssText.includes('<img src=x onerror=') && xss.imgs === 0 && xss.flag === 0 && dialogs.count === 0,
      `the prompt is shown as text (${JSON.stringify(xssText.slice(0, 80))}), no <img>, no script ran`,
    );
    await page.locator('#tokenizer').screenshot({ path: join(shots, 'xss-as-text.png') });
    await setAttr(page, 'tokenizer', 'prompt', 'cat sat on the mat');

    // A stepper and a training widget join the page: still one model load.
    console.log('== stepper and training');
    await page.evaluate(() => {
      const section = document.getElementById('widgets');
      const stepper = document.createElement('glassbox-stepper');
      stepper.id = 'stepper';
      for (const [k, v] of Object.entries({ model: 'toy-world', prompt: 'cat sat on', step: 'pattern' }))
        stepper.setAttribute(k, v);
      const training = document.createElement('glassbox-training');
      training.id = 'training';
      for (const [k, v] of Object.entries({ steps: '300', autoplay: '' })) training.setAttribute(k, v);
      section?.append(stepper, training);
    });
    await waitState(page, 'stepper', 'ready');
    const title = async () => (await page.locator('#stepper [data-testid="step-title"]').textContent()) ?? '';
    check((await title()).startsWith('Attention pattern'), `stepper opens at step="pattern": ${await title()}`);
    await page.locator('#stepper [data-testid="next"]').click();
    await page.locator('#stepper [data-testid="step-title"]', { hasText: 'Weighted sum' }).waitFor();
    want = ref('cat sat on');
    T = want.ids.length;
    got = await hoverCell(page, page, '#stepper', 'blocks.0.attn.hook_z', 1, 2);
    const wantZ = want.trace['blocks.0.attn.hook_z'].data[1 * model.config.n_embd + 2];
    check(close(got.value, wantZ), `stepper → "${await title()}": z[1, 2] = ${got.value} (Node ${wantZ})`);
    await page.locator('#stepper').screenshot({ path: join(shots, 'stepper.png') });

    await page.locator('#training [data-testid="training"][data-status="done"]').waitFor({ timeout: 120_000 });
    const trained = await trainToyWorld();
    const loss = Number(await page.locator('#training [data-testid="training"]').getAttribute('data-loss'));
    const continuation = (await page.locator('#training [data-testid="continuation"]').textContent()) ?? '';
    check(
      Math.abs(loss - trained.summary.lastLoss) <= 1e-6 * Math.max(1, trained.summary.lastLoss),
      `training 300 steps in the page: loss ${loss} (Node, same recipe: ${trained.summary.lastLoss})`,
    );
    check(continuation.includes('on the mat END'), `the trained model continues: ${continuation.trim()}`);
    await page.locator('#training').screenshot({ path: join(shots, 'training.png') });

    // The training widget's attributes feed the optimizer schedule (warmup, cosine decay over `steps`). Each bad one
    // is an inline error naming it; a run shorter than the recipe's 10 warmup steps (steps="5" once threw "decaySteps
    // must be an integer greater than warmupSteps" as an uncaught page error) trains; a good value recovers.
    console.log('== bad stepper and training attributes');
    const words16 = Array(16).fill('cat').join(' ');
    await tryBad(
      [
        ['stepper', 'step', 'nope', /step="nope" must be one of: tokens, embed/],
        ['stepper', 'layer', '3', /layer=3 is out of range: this model has 1 layer/],
        ['stepper', 'head', '2', /head=2 is out of range: this model has 1 head/],
        ['training', 'steps', '0', /steps=0 is out of range: steps must be a whole number from 1 to 5000/],
        ['training', 'steps', '5001', /steps=5001 is out of range: steps must be a whole number from 1 to 5000/],
        ['training', 'steps', 'ten', /steps="ten" must be a whole number from 1 to 5000/],
        ['training', 'steps', '2.5', /steps="2.5" must be a whole number from 1 to 5000/],
        ['training', 'lr', '0', /lr="0": the learning rate must be a number > 0/],
        ['training', 'lr', '-0.02', /lr="-0.02": the learning rate must be a number > 0/],
        ['training', 'lr', 'Infinity', /lr="Infinity" is not a number: the learning rate must be a number > 0/],
        ['training', 'seed', '-3', /seed="-3": the seed must be a whole number from 0 to 4294967295/],
        ['training', 'prompt', 'cat flew', /prompt="cat flew": .*flew/],
        ['training', 'prompt', words16, /is 16 words long; the toy world continues at most 15 words/],
        ['training', 'prompt', XSS, /prompt="<img src=x onerror=/],
      ],
      {
        stepper: { step: 'pattern', layer: '0', head: '0' },
        training: { steps: '300', lr: '0.02', seed: '0', prompt: 'cat sat' },
      },
    );
    const trainingXss = await page.evaluate(() => ({
      imgs: document.getElementById('training')?.shadowRoot?.querySelectorAll('img').length,
      flag: (window as unknown as { __xss: number }).__xss,
    }));
    check(
      trainingXss.imgs === 0 && trainingXss.flag === 0 && dialogs.count === 0,
      `training prompt=<img onerror> was only text (${JSON.stringify(trainingXss)}, ${dialogs.count} dialogs)`,
    );
    for (const short of ['5', '1']) {
      const errorsBefore = pageErrors.length;
      await setAttr(page, 'training', 'steps', short);
      const trained = await page
        .locator(`#training [data-testid="training"][data-status="done"][data-step="${short}"]`)
        .waitFor({ timeout: 30_000 })
        .then(
          () => true,
          () => false,
        );
      const shortLoss = trained
        ? Number(await page.locator('#training [data-testid="training"]').getAttribute('data-loss'))
        : Number.NaN;
      const inlineError = trained
        ? ''
        : ((await page
            .locator('#training [data-testid="widget-error"]')
            .textContent({ timeout: 1000 })
            .catch(() => '')) ?? '');
      check(
        trained && Number.isFinite(shortLoss) && pageErrors.length === errorsBefore,
        `training steps="${short}" (fewer than the recipe's 10 warmup steps) trains ${short} step(s), loss ${shortLoss}, no page error${inlineError ? ` (shown instead: ${inlineError.trim()})` : ''}${pageErrors.length > errorsBefore ? ` (page error: ${pageErrors.slice(errorsBefore).join(' | ')})` : ''}`,
      );
    }
    await page.locator('#training').screenshot({ path: join(shots, 'training-1-step.png') });
    const weightsAfter = fetched.filter((x) => x.endsWith('.safetensors')).length;
    check(weightsAfter === 1, `five widgets, still ${weightsAfter} weights request`);
    await page.screenshot({ path: join(shots, 'page-all.png'), fullPage: true });
    checkNoPageErrors(pageErrors);

    // ---------------------------------------------------------------------------------------------------------
    console.log('== the iframe route: /embed/attention in a page of another origin');
    const embed = (q: Record<string, string>) =>
      `/embed/attention?${new URLSearchParams({ model: 'toy-world', prompt: 'cat sat on', layer: '0', head: '0', ...q })}`;
    const parentPage = (host: string, q: Record<string, string>) =>
      `${host}/test/iframe.html?${new URLSearchParams({ app: app.origin, embed: embed(q) })}`;
    const frame = page.frameLocator('#glassbox-attention');
    await page.goto(parentPage(site.origin, { parent: site.origin }));
    await frame.locator('glassbox-attention .gbw[data-state="ready"]').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => {
      const h = (window as unknown as { __heights: number[] }).__heights;
      const f = document.getElementById('glassbox-attention') as HTMLIFrameElement;
      return h.length > 0 && h[h.length - 1] > 200 && f.getBoundingClientRect().height === h[h.length - 1];
    });
    const sizes = await page.evaluate(() => {
      const f = document.getElementById('glassbox-attention') as HTMLIFrameElement;
      const doc = f.contentDocument; // null: another origin, as it should be
      return {
        heights: (window as unknown as { __heights: number[] }).__heights,
        frame: f.getBoundingClientRect().height,
        crossOrigin: doc === null,
      };
    });
    const inner = await frame.locator('#embed').evaluate((e) => e.getBoundingClientRect().height);
    check(
      sizes.crossOrigin && Math.abs(sizes.frame - Math.ceil(inner)) <= 1,
      `the iframe sized itself by postMessage: ${sizes.frame}px for ${inner}px of content (heights ${sizes.heights})`,
    );
    want = ref('cat sat on');
    T = want.ids.length;
    got = await hoverCell(page, frame, 'glassbox-attention', 'attention-large', T - 1, 1);
    wantP = want.trace['blocks.0.attn.hook_pattern'].data[(T - 1) * T + 1];
    check(close(got.value, wantP), `embedded attention [${T - 1}, 1] = ${got.value} (Node ${wantP})`);
    await page.screenshot({ path: join(shots, 'iframe.png'), fullPage: true });
    await page.evaluate((target) => {
      const f = document.getElementById('glassbox-attention') as HTMLIFrameElement;
      f.contentWindow?.postMessage({ type: 'glassbox:set', attributes: { prompt: 'dog is happy' } }, target);
    }, app.origin);
    await frame.locator('[data-testid="attention-large"] .gb-heatmap-rowlabels', { hasText: 'happy' }).waitFor();
    check(true, 'a glassbox:set message from the configured parent origin changed the prompt');

    // The same page from another origin (localhost instead of 127.0.0.1): the embed was configured for 127.0.0.1.
    const evil = `http://localhost:${site.port}`;
    await page.goto(parentPage(evil, { parent: site.origin }));
    await frame.locator('glassbox-attention .gbw[data-state="ready"]').waitFor({ timeout: 60_000 });
    await page.evaluate((target) => {
      const f = document.getElementById('glassbox-attention') as HTMLIFrameElement;
      f.contentWindow?.postMessage({ type: 'glassbox:set', attributes: { prompt: 'dog is happy' } }, target);
      f.contentWindow?.postMessage({ type: 'glassbox:request-height' }, target);
    }, app.origin);
    await page.waitForTimeout(1500);
    const labels = await rowLabels(frame, 'glassbox-attention');
    const evilHeights = await page.evaluate(() => (window as unknown as { __heights: number[] }).__heights);
    check(
      !labels.includes('happy') && evilHeights.length === 0,
      `an unconfigured origin gets no height and cannot steer the embed (rows: ${labels}; heights: ${evilHeights})`,
    );

    // A hostile link: the prompt is text.
    const before = dialogs.count;
    await page.goto(parentPage(site.origin, { parent: site.origin, prompt: XSS }));
    await frame.locator('glassbox-attention .gbw[data-state="error"]').waitFor({ timeout: 60_000 });
    const shown = (await frame.locator('glassbox-attention [data-testid="widget-error"]').textContent()) ?? '';
    const imgs = await frame.locator('glassbox-attention img').count();
    await page.waitForTimeout(500);
    check(
      shown.includes('<img src=x onerror=') && imgs === 0 && dialogs.count === before,
      `an <img onerror> prompt in the embed URL is shown as text: ${JSON.stringify(shown.trim().slice(0, 90))}`,
    );
    await page.screenshot({ path: join(shots, 'iframe-xss.png'), fullPage: true });

    // The iframe route with bad query values, opened directly (so its page errors are this page's): an inline error
    // naming the parameter, then a good value (set as a script or a glassbox:set message would) recovers.
    console.log('== the iframe route: /embed/training with bad query values');
    const trainingEmbed = (q: Record<string, string>) => `${app.origin}/embed/training?${new URLSearchParams(q)}`;
    const embedBad: [Record<string, string>, RegExp][] = [
      [{ steps: '0' }, /steps=0 is out of range: steps must be a whole number from 1 to 5000/],
      [{ steps: '5', lr: 'fast' }, /lr="fast" is not a number: the learning rate must be a number > 0/],
      [{ seed: '0.5' }, /seed="0.5": the seed must be a whole number from 0 to 4294967295/],
    ];
    for (const [q, expect] of embedBad) {
      const errorsBefore = pageErrors.length;
      await page.goto(trainingEmbed(q));
      await page.locator('glassbox-training .gbw[data-state="error"]').waitFor({ timeout: 20_000 });
      const text = (await page.locator('glassbox-training [data-testid="widget-error"]').textContent()) ?? '';
      check(
        expect.test(text) && pageErrors.length === errorsBefore,
        `/embed/training?${new URLSearchParams(q)} → inline error, no page error: ${text.trim()}`,
      );
    }
    await page.screenshot({ path: join(shots, 'iframe-training-error.png'), fullPage: true });
    {
      const errorsBefore = pageErrors.length;
      await page.evaluate(() => {
        const el = document.querySelector('glassbox-training');
        el?.setAttribute('seed', '1');
        el?.setAttribute('autoplay', '');
      });
      const done = (steps: number, timeout: number) =>
        page
          .locator(`glassbox-training [data-testid="training"][data-status="done"][data-step="${steps}"]`)
          .waitFor({ timeout })
          .then(
            () => true,
            () => false,
          );
      check(
        (await done(300, 60_000)) && pageErrors.length === errorsBefore,
        'a good seed then recovers: the embed trains its 300 steps',
      );
      await page.goto(trainingEmbed({ steps: '5', autoplay: '' }));
      check(
        (await done(5, 30_000)) && pageErrors.length === errorsBefore,
        '/embed/training?steps=5&autoplay trains 5 steps, no page error',
      );
    }
    checkNoPageErrors(pageErrors);
  } finally {
    await browser?.close();
    site.server.close();
    app.server.close();
  }
  finish(t0, 'widget checks', `screenshots in ${shots}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
