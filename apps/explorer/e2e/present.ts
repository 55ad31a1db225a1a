/**
 * End-to-end test of presentation mode, driven as a teacher would drive it with a clicker: build the app (vite
 * build), serve it (vite preview), open the shipped lecture in Debian's Chromium through playwright-core and
 *   - press → / Space / PageDown through every slide, checking that each shows the step, layer and head the lecture
 *     file names, with numbers equal to the same model run here in Node (attention pattern, embeddings, logits,
 *     probabilities at each temperature, the sampled token, the training loss, the update, the 300-step run),
 *   - toggle the speaker notes (hidden by default) with N, blank the screen with B, go full screen with F,
 *   - reopen the address of a slide in a new page and find the same slide, go back with ← PageUp Home and End,
 *   - open the presenter view in a second window (button and P), check its notes, next slide, slide number and clock,
 *     navigate in either window and see the other follow, blank the audience screen from it, reset the clock, post
 *     forged and HTML-carrying messages on the lecture's BroadcastChannel (ignored, never rendered), close either
 *     window and keep going with the other, and the blocked-pop-up fallback link,
 *   - open lectures from inline JSON and from a relative URL, then broken ones: bad JSON, unknown step, NaN
 *     temperature, layer out of range, and markup in the title (shown as text, never run).
 * Screenshots go to apps/explorer/e2e/screenshots/present-*.png (ignored by git): look at them.
 * E2E_DOC_IMAGES=1 also writes docs/images/explorer.png, presentation.png, presentation-notes.png and
 * presenter-view.png for the README and docs.
 *
 *   npx tsx apps/explorer/e2e/present.ts    (from the repository root; part of npm run test:e2e)
 *   E2E_SKIP_BUILD=1 …                      reuse apps/explorer/dist
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trace } from '@glassbox/compute';
import { forward } from '@glassbox/compute';
import { continueGreedy, createToyWorldTrainer, loadShippedModel } from '@glassbox/models';
import type { LectureSlide } from '@glassbox/store';
import {
  lectureChannelKey,
  makeSyncMessage,
  parseLecture,
  presentChannelName,
  STEP_INFO,
  samplePrediction,
  slideTitle,
} from '@glassbox/store';
import type { Browser, Page } from 'playwright-core';
import {
  check,
  checkNoPageErrors,
  collectPageErrors,
  countDialogs,
  finish,
  launchChromium,
} from '../../../scripts/browser/chromium';
import { root, serveApp, shots } from './harness';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const docImages = join(repo, 'docs', 'images');
/** A 16:9 projector. */
const VIEWPORT = { width: 1600, height: 900 };
/** The lecturer's laptop, where the presenter view goes. */
const LAPTOP = { width: 1280, height: 800 };

/** Wait until slide n (1-based) is shown and its numbers are in. */
async function waitSlide(page: Page, n: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (want) =>
      document.querySelector('[data-testid="present"]')?.getAttribute('data-slide') === String(want) &&
      document.querySelector('[data-testid="pr-slide"]')?.getAttribute('data-ready') === 'true',
    n,
    { timeout },
  );
}

/** Wait until the presenter view shows slide n (1-based), its small copy of the slide drawn. */
async function waitPresenter(page: Page, n: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (want) =>
      document.querySelector('[data-testid="presenter"]')?.getAttribute('data-slide') === String(want) &&
      document.querySelector('[data-testid="pp-mini"] [data-testid="pr-slide"]')?.getAttribute('data-ready') === 'true',
    n,
    { timeout },
  );
}

async function presenterState(page: Page) {
  return page.evaluate(() => {
    const root = document.querySelector('[data-testid="presenter"]');
    return {
      slide: Number(root?.getAttribute('data-slide')),
      audience: root?.getAttribute('data-audience') ?? '',
      count: (document.querySelector('[data-testid="pp-count"]')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
      timer: document.querySelector('[data-testid="pp-timer"]')?.textContent ?? '',
      title: document.querySelector('[data-testid="pp-slide-title"]')?.textContent ?? '',
      notes: document.querySelector('[data-testid="pp-notes-text"]')?.textContent ?? '',
      next: document.querySelector('[data-testid="pp-next-title"]')?.textContent ?? '',
      mini: document.querySelector('[data-testid="pp-mini"] [data-testid="pr-title"]')?.textContent ?? '',
      blank: document.querySelector('[data-testid="pp-blank"]') !== null,
    };
  });
}

/** Seconds shown by a m:ss or h:mm:ss clock. */
function clockSecs(text: string): number {
  return text
    .trim()
    .split(':')
    .reduce((acc, x) => acc * 60 + Number(x), 0);
}

async function slideState(page: Page) {
  return page.evaluate(() => {
    const s = document.querySelector('[data-testid="pr-slide"]') as HTMLElement | null;
    return {
      slide: Number(document.querySelector('[data-testid="present"]')?.getAttribute('data-slide')),
      step: s?.dataset.step ?? '',
      train: s?.dataset.train ?? '',
      layer: s?.dataset.layer ?? '',
      head: s?.dataset.head ?? '',
      temperature: s?.dataset.temperature ?? '',
      title: document.querySelector('[data-testid="pr-title"]')?.textContent ?? '',
      count: document.querySelector('[data-testid="pr-count"]')?.textContent ?? '',
      notes: document.querySelector('[data-testid="pr-notes"]') !== null,
    };
  });
}

/** The values of a presentation matrix, row-major, from the cells' data-value. */
function cells(page: Page, testId: string): Promise<number[]> {
  return page.$$eval(`[data-testid="${testId}"] td[data-value]`, (els) =>
    els.map((e) => Number((e as HTMLElement).dataset.value)),
  );
}

/** Largest |a − b| (−∞ = −∞ counts as equal); Infinity when the lengths differ. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}

/** One head's [T, S] plane of an [H, T, S] tensor. */
function plane(trace: Trace, name: string, head: number): Float32Array {
  const [, T, S] = trace[name].shape;
  return trace[name].data.slice(head * T * S, (head + 1) * T * S) as Float32Array;
}

type Model = Awaited<ReturnType<typeof loadShippedModel>>;

/** Compare what the slide shows with the model run here in Node on the slide's prompt. */
async function checkNumbers(page: Page, slide: LectureSlide, n: number, model: Model, prompt: string): Promise<void> {
  const ids = model.tokenizer.tokenize(prompt).map((t) => t.id);
  const ref = forward(model.config, model.params, ids, { capture: 'all' }).trace;
  const T = ids.length;
  const V = model.config.vocab_size;
  const pos = slide.token ?? T - 1;
  const tol = 2e-4; // the page may run on WebGPU (SwiftShader), Node on the CPU reference engine
  switch (slide.step) {
    case 'tokens': {
      const shown = await page.$$eval('[data-testid="pr-tokens"] li', (els) =>
        els.map((e) => Number(e.getAttribute('data-token-id'))),
      );
      check(shown.join() === ids.join(), `slide ${n}: token ids ${shown.join(' ')} = the tokenizer's in Node`);
      break;
    }
    case 'embed': {
      const d = maxDiff(await cells(page, 'blocks.0.hook_resid_pre'), ref['blocks.0.hook_resid_pre'].data);
      check(d < tol, `slide ${n}: residual stream x = W_E[t] + W_pos[i] matches Node (max |Δ| ${d.toExponential(1)})`);
      break;
    }
    case 'scores':
    case 'pattern': {
      const name = `blocks.${slide.layer}.attn.${slide.step === 'scores' ? 'hook_attn_scores' : 'hook_pattern'}`;
      const d = maxDiff(await cells(page, name), plane(ref, name, slide.head));
      check(d < tol, `slide ${n}: ${name}[${slide.head}] matches Node, every cell (max |Δ| ${d.toExponential(1)})`);
      break;
    }
    case 'z': {
      const name = `blocks.${slide.layer}.attn.hook_z`;
      const shown = await cells(page, `${name}-head`);
      const H = model.config.n_head;
      const dh = model.config.n_embd / H;
      const want = new Float32Array(T * dh);
      for (let t = 0; t < T; t++)
        want.set(ref[name].data.subarray((t * H + slide.head) * dh, (t * H + slide.head + 1) * dh), t * dh);
      const d = maxDiff(shown, want);
      check(d < tol, `slide ${n}: z of head ${slide.head} matches Node (max |Δ| ${d.toExponential(1)})`);
      break;
    }
    case 'mlp_post': {
      const name = `blocks.${slide.layer}.mlp.hook_post`;
      const d = maxDiff(await cells(page, name), ref[name].data);
      check(d < tol, `slide ${n}: GELU activations match Node (max |Δ| ${d.toExponential(1)})`);
      break;
    }
    case 'logits': {
      const shown = await page.$$eval('[data-testid="pr-logits"] li', (els) =>
        els.map((e) => [Number(e.getAttribute('data-token-id')), Number(e.getAttribute('data-value'))]),
      );
      const row = ref.hook_logits.data.subarray(pos * V, (pos + 1) * V);
      const d = Math.max(...shown.map(([id, v]) => Math.abs(row[id] - v)));
      const top = row.indexOf(Math.max(...row));
      check(
        shown[0][0] === top && d < 1e-3,
        `slide ${n}: logits after position ${pos}: top "${model.tokenizer.idToToken(top)}" ${row[top].toFixed(3)}, all shown match Node (max |Δ| ${d.toExponential(1)})`,
      );
      break;
    }
    case 'softmax':
    case 'sample': {
      const row = ref.hook_logits.data.subarray(pos * V, (pos + 1) * V);
      const settings =
        slide.step === 'softmax'
          ? { temperature: slide.temperature, topK: null, topP: null, seed: slide.seed }
          : { temperature: slide.temperature, topK: slide.topK, topP: slide.topP, seed: slide.seed };
      const want = samplePrediction(row, settings, slide.step === 'softmax' ? pos + 1 : T);
      const bars = slide.step === 'softmax' ? 'pr-probs' : 'pr-sample-probs';
      const shown = await page.$$eval(`[data-testid="${bars}"] li`, (els) =>
        els.map((e) => [Number(e.getAttribute('data-token-id')), Number(e.getAttribute('data-value'))]),
      );
      const d = Math.max(...shown.map(([id, p]) => Math.abs(want.probs[id] - p)));
      const best = shown[0];
      check(
        d < 1e-4,
        `slide ${n}: τ = ${slide.temperature}: p("${model.tokenizer.idToToken(best[0])}") = ${best[1].toFixed(3)}, every bar matches Node (max |Δ| ${d.toExponential(1)})`,
      );
      if (slide.step === 'sample') {
        const sampled = Number(await page.getAttribute('[data-testid="pr-sampled"]', 'data-token-id'));
        check(
          sampled === want.token,
          `slide ${n}: the sampled token is "${model.tokenizer.idToToken(sampled)}", as in Node with seed ${slide.seed}`,
        );
      }
      break;
    }
    default:
      break;
  }
}

/** Markup that would run if it were ever inserted as HTML. */
const hostile0 = '<img src=x onerror="window.__pwned=1">';

async function main(): Promise<void> {
  const t0 = performance.now();
  const app = await serveApp(process.env.E2E_DIST ?? join(root, 'dist'));
  const base = app.base;
  await mkdir(shots, { recursive: true });
  for (const f of await readdir(shots)) if (f.startsWith('present-')) await rm(join(shots, f));
  const docShots = process.env.E2E_DOC_IMAGES === '1';
  if (docShots) await mkdir(docImages, { recursive: true });

  const parsed = parseLecture(await readFile(join(root, 'lectures', 'forward-pass.json'), 'utf8'));
  if (!parsed.ok) throw new Error(`the shipped lecture does not parse:\n${parsed.errors.join('\n')}`);
  const lecture = parsed.lecture;
  const model = await loadShippedModel(lecture.model);

  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);
    const dialogs = countDialogs(page);

    if (docShots) {
      console.log('== the explorer, for the README');
      await page.goto(
        `${base}?model=toy-world&prompt=${encodeURIComponent('cat sat on the')}&step=pattern&layer=0&head=0&token=3`,
      );
      await page.waitForSelector('[data-testid="app"][data-ready="true"]', { timeout: 60_000 });
      await page.setViewportSize({ width: 1400, height: 1000 });
      // Run once more, so the timing shown is a warm pass, not the first one (pipelines compiled, buffers pooled).
      await page.click('[data-testid="run"]');
      await page.waitForSelector('[data-testid="app"][data-ready="true"]');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(docImages, 'explorer.png') });
      await page.setViewportSize(VIEWPORT);
    }

    console.log('== open the shipped lecture from the explorer’s "Presentation mode" link');
    await page.goto(`${base}?model=toy-world`);
    await page.waitForSelector('[data-testid="app"][data-ready="true"]', { timeout: 60_000 });
    const tOpen = performance.now();
    await page.click('[data-testid="present-link"]');
    await waitSlide(page, 1);
    check(
      new URL(page.url()).searchParams.get('lecture') === 'forward-pass',
      `the link opens ${page.url().slice(base.length)}`,
    );
    const opened = ((performance.now() - tOpen) / 1000).toFixed(1);
    let s = await slideState(page);
    check(
      s.title === slideTitle(lecture.slides[0]) && s.count === `1 / ${lecture.slides.length}`,
      `slide 1 of ${lecture.slides.length}: "${s.title}" (open → first slide drawn in ${opened} s)`,
    );
    check(!s.notes, 'the speaker notes are hidden in the audience view');
    const fontPx = await page.$eval('[data-testid="pr-title"]', (e) => Number.parseFloat(getComputedStyle(e).fontSize));
    const bodyPx = await page.$eval('[data-testid="pr-text"]', (e) => Number.parseFloat(getComputedStyle(e).fontSize));
    check(
      fontPx >= 48 && bodyPx >= 26,
      `large type at ${VIEWPORT.width}×${VIEWPORT.height}: title ${fontPx}px, sentence ${bodyPx}px`,
    );
    const colors = await page.$eval('[data-testid="pr-text"]', (e) => [
      getComputedStyle(e).color,
      getComputedStyle(document.querySelector('[data-testid="present"]') as Element).backgroundColor,
    ]);
    const [fg, bg] = colors.map(luminance);
    const contrast = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    check(contrast >= 15, `high contrast: text on background ${contrast.toFixed(1)}:1`);
    await checkNumbers(page, lecture.slides[0], 1, model, lecture.slides[0].prompt ?? '');

    console.log('== → / Space / PageDown through every slide');
    const keys = ['ArrowRight', 'Space', 'PageDown'];
    const slideTimes: number[] = [];
    for (let i = 0; i < lecture.slides.length; i++) {
      const want = lecture.slides[i];
      if (i > 0) {
        const t = performance.now();
        await page.keyboard.press(keys[i % keys.length]);
        await waitSlide(page, i + 1, want.train === 'run' ? 120_000 : 60_000);
        slideTimes.push(performance.now() - t);
      }
      s = await slideState(page);
      const what = want.step ?? `train:${want.train}`;
      const sameStep = want.step ? s.step === want.step : s.train === want.train;
      const sameSel = want.step
        ? s.layer === String(want.layer) && s.head === String(want.head) && s.temperature === String(want.temperature)
        : true;
      check(
        sameStep && sameSel && s.title === slideTitle(want) && s.count === `${i + 1} / ${lecture.slides.length}`,
        `slide ${i + 1}: ${what}${want.step && STEP_INFO[want.step].perLayer ? ` layer ${s.layer} head ${s.head}` : ''} — "${s.title}"`,
      );
      if (want.step) await checkNumbers(page, want, i + 1, model, want.prompt ?? '');
      const name = `present-${String(i + 1).padStart(2, '0')}-${what.replace(':', '-')}.png`;
      await page.screenshot({ path: join(shots, name) });
      if (want.train === 'loss') {
        const trainer = createToyWorldTrainer();
        trainer.forward();
        const refLoss = trainer.loss().loss;
        const shown = Number(await page.getAttribute('[data-testid="pr-loss"]', 'data-value'));
        check(
          Math.abs(shown - refLoss) < 1e-5,
          `slide ${i + 1}: the first step's loss ${shown.toFixed(6)} = the Trainer's in Node ${refLoss.toFixed(6)} (ln 10 = 2.302585)`,
        );
      }
      if (want.train === 'gradient') {
        const g = await cells(page, 'pr-grad-g');
        const sum = g.reduce((a, b) => a + b, 0);
        check(
          Math.abs(sum) < 1e-6 && g.length === model.config.vocab_size,
          `slide ${i + 1}: (softmax − one-hot)/N sums to 0 over the vocabulary`,
        );
      }
      if (want.train === 'backward') {
        const flow = await page.$$eval('[data-testid="pr-flow"] tr', (els) =>
          els.map((e) => `${e.getAttribute('data-name')} ${Number(e.getAttribute('data-value')).toFixed(4)}`),
        );
        check(flow.length >= 4, `slide ${i + 1}: the gradient flows down: ${flow.join(' | ')}`);
      }
      if (want.train === 'update') {
        const before = Number(await page.getAttribute('[data-testid="pr-update-loss"]', 'data-before'));
        const after = Number(await page.getAttribute('[data-testid="pr-update-loss"]', 'data-after'));
        check(
          after < before,
          `slide ${i + 1}: one update lowers the batch's loss ${before.toFixed(4)} → ${after.toFixed(4)}`,
        );
      }
      if (want.train === 'run') {
        const loss = Number(await page.getAttribute('[data-testid="pr-run-loss"]', 'data-value'));
        const cont = (await page.textContent('[data-testid="pr-run-continuation"]')) ?? '';
        const shipped = continueGreedy(model.params, 'cat sat');
        check(
          loss < 0.05 && cont.includes(shipped),
          `slide ${i + 1}: after ${want.steps} steps the loss is ${loss.toFixed(4)} and ${cont.trim()} (the shipped model: "${shipped}")`,
        );
      }
    }
    slideTimes.sort((a, b) => a - b);
    console.log(
      `     key press → slide ready: median ${slideTimes[slideTimes.length >> 1].toFixed(0)} ms, max ${slideTimes[slideTimes.length - 1].toFixed(0)} ms (the max is the 300-step run)`,
    );
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(150);
    check((await slideState(page)).slide === lecture.slides.length, '→ on the last slide stays there');

    console.log('== speaker notes, blank screen, full screen');
    await page.keyboard.press('Home');
    await waitSlide(page, 1);
    const patternAt = lecture.slides.findIndex((x) => x.step === 'pattern') + 1;
    for (let i = 1; i < patternAt; i++) await page.keyboard.press('ArrowRight');
    await waitSlide(page, patternAt);
    await page.keyboard.press('n');
    await page.waitForSelector('[data-testid="pr-notes"]');
    const noteText = (await page.textContent('[data-testid="pr-notes-text"]')) ?? '';
    const firstPara = lecture.slides[patternAt - 1].note.split('\n\n')[0];
    check(noteText.includes(firstPara), `N shows the notes of slide ${patternAt}: "${firstPara.slice(0, 60)}…"`);
    await page.screenshot({ path: join(shots, 'present-notes.png') });
    if (docShots) await page.screenshot({ path: join(docImages, 'presentation-notes.png') });
    await page.keyboard.press('N');
    await page.waitForSelector('[data-testid="pr-notes"]', { state: 'detached' });
    check(true, 'N again hides them');
    if (docShots) await page.screenshot({ path: join(docImages, 'presentation.png') });
    await page.keyboard.press('b');
    await page.waitForSelector('[data-testid="pr-blank"]');
    await page.keyboard.press('b');
    await page.waitForSelector('[data-testid="pr-blank"]', { state: 'detached' });
    check(true, 'B blanks the screen and B brings it back (a clicker’s blank button)');
    await page.keyboard.press('f');
    await page.waitForFunction(
      () => document.fullscreenElement !== null || document.querySelector('[data-testid="pr-notice"]') !== null,
    );
    const full = await page.evaluate(() => document.fullscreenElement !== null);
    check(
      true,
      `F: ${full ? 'the page went full screen (Fullscreen API)' : 'full screen was refused; the page says to press F11'}`,
    );
    await page.screenshot({ path: join(shots, 'present-fullscreen.png') });
    if (full) {
      await page.keyboard.press('f');
      await page.waitForFunction(() => document.fullscreenElement === null);
    }

    console.log('== the address reopens the same slide; back with ← PageUp Home End');
    await page.keyboard.press('ArrowRight');
    await waitSlide(page, patternAt + 1);
    await page.waitForFunction((n) => new URL(location.href).searchParams.get('slide') === String(n), patternAt + 1);
    const url = page.url();
    const here = await slideState(page);
    const page2 = await context.newPage();
    collectPageErrors(page2, pageErrors);
    await page2.goto(url);
    await waitSlide(page2, patternAt + 1);
    const there = await slideState(page2);
    check(
      there.title === here.title && there.step === here.step && there.head === here.head,
      `${url.slice(base.length)} reopens slide ${there.slide}: "${there.title}"`,
    );
    const zName = `blocks.${lecture.slides[patternAt].layer}.attn.hook_z-head`;
    const z1 = await cells(page, zName);
    const z2 = await cells(page2, zName);
    check(z1.length > 0 && maxDiff(z1, z2) === 0, 'with the same numbers');
    await page2.close();
    await page.keyboard.press('ArrowLeft');
    await waitSlide(page, patternAt);
    await page.keyboard.press('PageUp');
    await waitSlide(page, patternAt - 1);
    await page.keyboard.press('Shift+Space');
    await waitSlide(page, patternAt - 2);
    await page.keyboard.press('End');
    await waitSlide(page, lecture.slides.length, 120_000);
    await page.keyboard.press('Home');
    await waitSlide(page, 1);
    check(true, '← PageUp Shift+Space End Home all move');

    console.log('== the presenter view in a second window, following the audience window both ways');
    for (let i = 1; i < patternAt; i++) await page.keyboard.press('ArrowRight');
    await waitSlide(page, patternAt);
    const popup = context.waitForEvent('page');
    await page.click('[data-testid="pr-presenter"]');
    const presenter = await popup;
    collectPageErrors(presenter, pageErrors);
    await presenter.setViewportSize(LAPTOP);
    await waitPresenter(presenter, patternAt);
    const pUrl = new URL(presenter.url());
    check(
      pUrl.searchParams.get('presenter') === '1' &&
        pUrl.searchParams.get('lecture') === 'forward-pass' &&
        pUrl.searchParams.get('slide') === String(patternAt),
      `the "presenter view" button opens a window at ${presenter.url().slice(base.length)}`,
    );
    let pv = await presenterState(presenter);
    const patternSlide = lecture.slides[patternAt - 1];
    const nextTitle = slideTitle(lecture.slides[patternAt]);
    check(
      pv.notes.includes(firstPara) && pv.title === slideTitle(patternSlide),
      `it shows the notes of slide ${patternAt} ("${slideTitle(patternSlide)}"): "${firstPara.slice(0, 50)}…"`,
    );
    check(pv.next === nextTitle, `and the next slide's title: "${pv.next}"`);
    check(
      pv.count.replace(/\s+/g, '') === `slide${patternAt}/${lecture.slides.length}` &&
        pv.mini === slideTitle(patternSlide),
      `the slide number "${pv.count}" and the current slide, small ("${pv.mini}")`,
    );
    check(
      /^\d+:\d\d$/.test(pv.timer) && clockSecs(pv.timer) >= 1,
      `a clock of the time since the lecture opened in the audience window: ${pv.timer}`,
    );
    const notesPx = await presenter.$eval('[data-testid="pp-notes-text"]', (e) =>
      Number.parseFloat(getComputedStyle(e).fontSize),
    );
    const countPx = await presenter.$eval('[data-testid="pp-count"] strong', (e) =>
      Number.parseFloat(getComputedStyle(e).fontSize),
    );
    const timerPx = await presenter.$eval('[data-testid="pp-timer"]', (e) =>
      Number.parseFloat(getComputedStyle(e).fontSize),
    );
    check(
      notesPx >= 24 && countPx >= 36 && timerPx >= 36,
      `large type at ${LAPTOP.width}×${LAPTOP.height}: notes ${notesPx}px, slide number ${countPx}px, clock ${timerPx}px`,
    );
    check(!(await slideState(page)).notes, 'the audience window still shows no notes');
    await page.waitForSelector('[data-testid="present"][data-presenter="open"]');
    check(
      (await presenterState(presenter)).audience === 'open',
      'each window knows the other is there (the presenter view says "Audience window: following")',
    );
    await presenter.screenshot({ path: join(shots, 'present-presenter.png') });
    if (docShots) await presenter.screenshot({ path: join(docImages, 'presenter-view.png') });

    await presenter.keyboard.press('ArrowRight');
    await waitSlide(page, patternAt + 1);
    await waitPresenter(presenter, patternAt + 1);
    await page.waitForFunction((n) => new URL(location.href).searchParams.get('slide') === String(n), patternAt + 1);
    const aUrl = new URL(page.url());
    check(
      aUrl.searchParams.get('presenter') === null && aUrl.searchParams.get('lecture') === 'forward-pass',
      `→ in the presenter view moves the audience window to slide ${patternAt + 1} (its address: ${page.url().slice(base.length)})`,
    );
    pv = await presenterState(presenter);
    check(
      pv.next === slideTitle(lecture.slides[patternAt + 1]) &&
        pv.notes.includes(lecture.slides[patternAt].note.split('\n\n')[0]),
      `the presenter view now shows slide ${patternAt + 1}'s notes, next "${pv.next}"`,
    );
    await page.keyboard.press('ArrowLeft');
    await waitPresenter(presenter, patternAt);
    await waitSlide(page, patternAt);
    check(true, `← in the audience window moves the presenter view back to slide ${patternAt}`);
    await presenter.click('[data-testid="pp-next"]');
    await waitSlide(page, patternAt + 1);
    await presenter.keyboard.press('PageUp');
    await waitSlide(page, patternAt);
    await waitPresenter(presenter, patternAt);
    check(true, 'the presenter view’s "next →" button and PageUp drive the audience window too');

    await presenter.keyboard.press('b');
    await page.waitForSelector('[data-testid="pr-blank"]');
    await presenter.waitForSelector('[data-testid="pp-blank"]');
    await presenter.screenshot({ path: join(shots, 'present-presenter-blank.png') });
    await presenter.keyboard.press('b');
    await page.waitForSelector('[data-testid="pr-blank"]', { state: 'detached' });
    await presenter.waitForSelector('[data-testid="pp-blank"]', { state: 'detached' });
    check(true, 'B in the presenter view blacks out the audience screen (and says so), B again brings it back');

    await presenter.click('[data-testid="pp-timer-reset"]');
    pv = await presenterState(presenter);
    check(clockSecs(pv.timer) <= 1, `"reset" sets the clock to ${pv.timer}`);
    await page.keyboard.press('n');
    await page.waitForSelector('[data-testid="pr-notes"]');
    const audienceClock = (await page.textContent('.pr-clock')) ?? '';
    check(clockSecs(audienceClock) <= 2, `and the audience window's notes clock with it (${audienceClock})`);
    await page.keyboard.press('n');
    await page.waitForSelector('[data-testid="pr-notes"]', { state: 'detached' });

    console.log('== forged messages on the lecture’s BroadcastChannel are ignored, markup in them never rendered');
    const key = lectureChannelKey('forward-pass');
    const channelName = presentChannelName(key);
    const wellFormed = makeSyncMessage(key, 'presenter', { kind: 'slide', slide: patternAt + 2, at: 0 });
    await page.evaluate(
      ({ channelName, good, html }) => {
        const ch = new BroadcastChannel(channelName);
        const now = Date.now();
        const forged: unknown[] = [
          { ...good, at: now, slide: 9999 },
          { ...good, at: now, slide: 0 },
          { ...good, at: now, slide: String(good.slide) },
          { ...good, at: now, slide: good.slide + 0.5 },
          { ...good, at: now, kind: 'goto' },
          { ...good, at: now, lecture: 'another-lecture' },
          { ...good, at: now, type: 'something-else' },
          { ...good, at: now, v: 2 },
          { ...good, at: now, from: 'admin' },
          { ...good, at: now + 3_600_000 },
          { ...good, at: now, extra: true },
          { ...good, at: now, slide: html },
          { ...good, at: now, title: html },
          { ...good, at: now, note: html },
          { ...good, kind: html },
          { type: good.type, v: good.v, lecture: good.lecture, from: 'presenter', kind: 'blank', on: html },
          { type: good.type, v: good.v, lecture: good.lecture, from: 'presenter', kind: 'timer', startedAt: html },
          { kind: 'blank', on: true },
          'slide 9',
          html,
          null,
          [good],
        ];
        for (const m of forged) ch.postMessage(m);
        ch.close();
      },
      { channelName, good: wellFormed, html: hostile0 },
    );
    await page.waitForTimeout(600);
    const after = await slideState(page);
    pv = await presenterState(presenter);
    const imgs0 =
      (await page.$$eval('[data-testid="present"] img', (els) => els.length)) +
      (await presenter.$$eval('[data-testid="presenter"] img', (els) => els.length));
    const pwned0 =
      (await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)) ??
      (await presenter.evaluate(() => (window as unknown as { __pwned?: number }).__pwned));
    const bodyText = (await presenter.textContent('[data-testid="presenter"]')) ?? '';
    check(
      after.slide === patternAt && pv.slide === patternAt && !pv.blank && !(await page.$('[data-testid="pr-blank"]')),
      `22 forged messages (slide 9999, 0, "${patternAt + 2}", a fraction, an unknown kind, another lecture, wrong type or version, unknown sender, a time an hour ahead, extra fields, not objects) move neither window`,
    );
    check(
      imgs0 === 0 && pwned0 === undefined && !bodyText.includes('<img') && !(await page.content()).includes('onerror'),
      'those carrying <img onerror> in a field are dropped: no element made, no script run, no text shown',
    );
    await page.evaluate(
      ({ channelName, good }) => {
        const ch = new BroadcastChannel(channelName);
        ch.postMessage({ ...good, at: Date.now() });
        ch.close();
      },
      { channelName, good: wellFormed },
    );
    await waitSlide(page, patternAt + 2);
    await waitPresenter(presenter, patternAt + 2);
    check(true, `the same channel with a well-formed message moves both windows to slide ${patternAt + 2}`);
    await presenter.keyboard.press('ArrowLeft');
    await presenter.keyboard.press('ArrowLeft');
    await waitSlide(page, patternAt);
    await waitPresenter(presenter, patternAt);

    console.log('== closing either window leaves the other working; P; a blocked pop-up');
    await Promise.all([presenter.waitForEvent('close'), presenter.close({ runBeforeUnload: true })]);
    await page.keyboard.press('ArrowRight');
    await waitSlide(page, patternAt + 1);
    await page.keyboard.press('ArrowLeft');
    await waitSlide(page, patternAt);
    const said = await page.getAttribute('[data-testid="present"]', 'data-presenter');
    check(said === 'closed', `with the presenter view closed, the audience window still navigates (it heard: ${said})`);
    const popup2 = context.waitForEvent('page');
    await page.keyboard.press('p');
    const presenter2 = await popup2;
    collectPageErrors(presenter2, pageErrors);
    await waitPresenter(presenter2, patternAt);
    await presenter2.keyboard.press('End');
    await waitSlide(page, lecture.slides.length, 120_000);
    await waitPresenter(presenter2, lecture.slides.length, 120_000);
    await presenter2.setViewportSize(LAPTOP);
    await presenter2.screenshot({ path: join(shots, 'present-presenter-last.png') });
    pv = await presenterState(presenter2);
    check(
      pv.next === 'End of the lecture',
      `P reopens it at the audience's slide; End there goes to the last slide in both (next: "${pv.next}")`,
    );
    await presenter2.keyboard.press('Home');
    await waitSlide(page, 1);
    await presenter2.close();
    await page.goto('about:blank');

    const page3 = await context.newPage();
    collectPageErrors(page3, pageErrors);
    await page3.addInitScript(() => {
      // What a browser that blocks pop-ups returns.
      window.open = () => null;
    });
    await page3.goto(`${base}?lecture=forward-pass&slide=${patternAt}`);
    await waitSlide(page3, patternAt);
    await page3.keyboard.press('p');
    await page3.waitForSelector('[data-testid="pr-popup-blocked"]');
    const blockedText = (await page3.textContent('[data-testid="pr-popup-blocked"]')) ?? '';
    check(
      /blocked/.test(blockedText),
      `a blocked pop-up is said in the page: "${blockedText.replace(/\s+/g, ' ').trim()}"`,
    );
    await page3.screenshot({ path: join(shots, 'present-popup-blocked.png') });
    const popup3 = context.waitForEvent('page');
    await page3.click('[data-testid="pr-presenter-link"]');
    const presenter3 = await popup3;
    collectPageErrors(presenter3, pageErrors);
    await presenter3.setViewportSize(LAPTOP);
    await waitPresenter(presenter3, patternAt);
    await presenter3.keyboard.press('ArrowRight');
    await waitSlide(page3, patternAt + 1);
    check(true, 'its link opens the presenter view, which drives the audience window');
    await Promise.all([page3.waitForEvent('close'), page3.close({ runBeforeUnload: true })]);
    await presenter3.waitForSelector('[data-testid="pp-audience-closed"]');
    await presenter3.keyboard.press('ArrowRight');
    await waitPresenter(presenter3, patternAt + 2);
    check(true, 'closing the audience window leaves the presenter view working, and it says the slides were closed');
    await presenter3.screenshot({ path: join(shots, 'present-presenter-audience-closed.png') });
    const popup4 = context.waitForEvent('page');
    await presenter3.click('[data-testid="pp-open-audience"]');
    const audience4 = await popup4;
    collectPageErrors(audience4, pageErrors);
    await waitSlide(audience4, patternAt + 2);
    await presenter3.waitForSelector('[data-testid="presenter"][data-audience="open"]');
    check(
      new URL(audience4.url()).searchParams.get('presenter') === null,
      `its "Open the slides" link reopens the audience window at slide ${patternAt + 2}, following again`,
    );
    await presenter3.close();
    await audience4.close();

    console.log('== a lecture shared as inline JSON, and one from a relative URL');
    const mine = {
      title: 'Attention in two slides',
      model: 'toy-world',
      prompt: 'cat sat on the mat',
      slides: [
        { step: 'pattern', layer: 0, head: 0, note: 'Look at the last row.' },
        { step: 'softmax', temperature: 0.7, note: 'Lower temperature.' },
      ],
    };
    await page.goto(`${base}?lecture=${encodeURIComponent(JSON.stringify(mine))}&slide=2`);
    await waitSlide(page, 2);
    s = await slideState(page);
    check(
      s.step === 'softmax' && s.temperature === '0.7' && s.count === '2 / 2',
      `inline lecture opens at slide 2: ${s.title}, τ ${s.temperature}`,
    );
    await checkNumbers(page, parseOk(JSON.stringify(mine))[1], 2, model, mine.prompt);
    await page.route('**/lectures/mine.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(mine) }),
    );
    await page.goto(`${base}?lecture=lectures/mine.json`);
    await waitSlide(page, 1);
    check((await slideState(page)).step === 'pattern', 'a lecture file at a relative URL opens');

    console.log('== broken lectures say what is wrong, naming slide and field');
    const broken = async (label: string, param: string, expect: RegExp[]) => {
      await page.goto(`${base}?lecture=${encodeURIComponent(param)}`);
      await page.waitForSelector('[data-testid="present"][data-state="error"]', { timeout: 60_000 });
      const text = (await page.textContent('[data-testid="pr-errors"]')) ?? '';
      const missing = expect.filter((r) => !r.test(text));
      check(missing.length === 0, `${label}: ${text.replace(/\s+/g, ' ').slice(0, 220)}`);
      return text;
    };
    await broken('not JSON', '{"title": "x", "model": "toy-world", "slides": [', [/not valid JSON/]);
    await page.screenshot({ path: join(shots, 'present-error-json.png') });
    await broken(
      'unknown step, NaN temperature, bad field',
      '{"title": "Bad", "model": "toy-world", "slides": [{"step": "tokens"}, {"step": "atention"}, {"step": "softmax", "temperature": NaN}, {"step": "qkv", "lyer": 2}]}',
      [
        /Slide 2: unknown step "atention"/,
        /Slide 3 \("Softmax with temperature"\): "temperature" must be a number, got NaN/,
        /Slide 4 .*unknown field "lyer" \(did you mean "layer"\?\)/,
      ],
    );
    await page.screenshot({ path: join(shots, 'present-error-fields.png') });
    await broken(
      'layer and head out of range, a word the model does not know',
      JSON.stringify({
        title: 'Too deep',
        model: 'toy-world',
        slides: [
          { step: 'pattern', layer: 5, head: 3 },
          { step: 'tokens', prompt: 'the cat flew' },
        ],
      }),
      [
        /Slide 1 .*layer 5 is out of range: toy-world has only layer 0/,
        /head 3 is out of range/,
        /Slide 2 .*cannot be tokenized/,
      ],
    );
    await page.screenshot({ path: join(shots, 'present-error-model.png') });
    await broken('an unknown model', JSON.stringify({ title: 'x', model: 'gpt-9', slides: [{ step: 'tokens' }] }), [
      /model "gpt-9" is not one this app has/,
    ]);
    await broken('a URL with another scheme', 'javascript:alert(1)', [/not allowed/]);
    const hostile = hostile0;
    await page.goto(
      `${base}?lecture=${encodeURIComponent(JSON.stringify({ title: hostile, model: 'toy-world', slides: [{ step: 'tokens', title: hostile, note: hostile, prompt: 'cat sat' }] }))}`,
    );
    await waitSlide(page, 1);
    await page.keyboard.press('n');
    await page.waitForSelector('[data-testid="pr-notes"]');
    const shownTitle = (await page.textContent('[data-testid="pr-title"]')) ?? '';
    const pwned = await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
    const imgs = await page.$$eval('[data-testid="present"] img', (els) => els.length);
    check(
      shownTitle === hostile && pwned === undefined && imgs === 0,
      'markup in a lecture (title, note) is shown as text and never runs',
    );
    await page.screenshot({ path: join(shots, 'present-hostile.png') });
    const hostilePopup = context.waitForEvent('page');
    await page.keyboard.press('p');
    const hostilePresenter = await hostilePopup;
    collectPageErrors(hostilePresenter, pageErrors);
    await waitPresenter(hostilePresenter, 1);
    const hp = await presenterState(hostilePresenter);
    const hImgs = await hostilePresenter.$$eval('[data-testid="presenter"] img', (els) => els.length);
    const hPwned = await hostilePresenter.evaluate(() => (window as unknown as { __pwned?: number }).__pwned);
    check(
      hp.notes === hostile && hp.title === hostile && hp.mini === hostile && hImgs === 0 && hPwned === undefined,
      'and in the presenter view too (notes, title, the small slide)',
    );
    await hostilePresenter.close();

    check(dialogs.count === 0, 'no dialog was opened');
    checkNoPageErrors(pageErrors);
  } finally {
    await browser?.close();
    await app.close();
  }
  finish(t0, 'present e2e', `screenshots in ${shots}`);
}

/** WCAG relative luminance of a CSS rgb() colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((x) => {
    const v = Number(x) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function parseOk(text: string): LectureSlide[] {
  const r = parseLecture(text);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.lecture.slides;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
