/**
 * End-to-end test of the training lab, driven as a class would drive it: build the app (vite build), serve it (vite
 * preview), open the lab in Debian's Chromium through playwright-core and
 *   - see that runs train on WebGPU inside the worker (SwiftShader here), with losses equal to the CPU Trainer's run
 *     here in Node, and that the stepped phases say they run on the CPU,
 *   - step through one training step, phase by phase, comparing the loss with the Trainer run here in Node,
 *   - train the toy world on WebGPU until the greedy continuation of "cat sat" is "on the mat END", finish the
 *     recipe's 300 steps on the CPU (chosen in the page), check the loss fell,
 *   - pause and resume a slow-motion run, and measure that the page stays responsive while the worker trains,
 *   - lose the WebGPU device during a run (?debug=1): training moves to the CPU, says so, and completes the run,
 *   - reload the page and find the trained weights still there (IndexedDB),
 *   - download model.safetensors + config.json + tokenizer.json, check them here in Node, and load them back through
 *     the explorer's local-checkpoint loader,
 *   - set an absurd learning rate (1e6), see the divergence explained and the last good weights restored,
 *   - look at the embedding space, and fine-tune the shipped model on pasted text (a bad word first).
 * Screenshots go to apps/explorer/e2e/screenshots/lab-*.png (ignored by git): look at them.
 *
 *   npx tsx apps/explorer/e2e/lab.ts        (from the repository root; part of npm run test:e2e)
 *   E2E_SKIP_BUILD=1 …                      reuse apps/explorer/dist
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '@glassbox/compute';
import { continueGreedy, createToyWorldTrainer } from '@glassbox/models';
import type { Browser, Download, Page } from 'playwright-core';
import { check, checkNoPageErrors, collectPageErrors, finish, launchChromium } from '../../../scripts/browser/chromium';
import { serveApp, shots } from './harness';

const TARGET = 'on the mat END';

async function labState(page: Page) {
  return page.evaluate(() => {
    const lab = document.querySelector('[data-testid="lab"]') as HTMLElement | null;
    const loss = document.querySelector('[data-testid="lab-loss"]') as HTMLElement | null;
    return {
      status: lab?.dataset.status ?? '',
      step: Number(lab?.dataset.step ?? Number.NaN),
      continuation: document.querySelector('[data-testid="lab-continuation"]')?.textContent ?? '',
      points: Number(loss?.dataset.points ?? 0),
      firstLoss: Number(loss?.dataset.firstLoss ?? Number.NaN),
      lastLoss: Number(loss?.dataset.lastLoss ?? Number.NaN),
      lastVal: Number(loss?.dataset.lastVal ?? Number.NaN),
      saved: Number(document.querySelector('[data-testid="lab-saved"]')?.getAttribute('data-step') || Number.NaN),
    };
  });
}

async function waitStatus(page: Page, status: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid="lab"]')?.getAttribute('data-status') === s,
    status,
    { timeout },
  );
}

/** Run n steps at full speed and wait until the run is over. */
async function runSteps(page: Page, n: number, pace = '0'): Promise<void> {
  await page.fill('[data-testid="lab-steps"]', String(n));
  await page.selectOption('[data-testid="lab-pace"]', pace);
  const before = (await labState(page)).step;
  await page.click('[data-testid="lab-run-button"]');
  await page.waitForFunction(
    (want) => {
      const lab = document.querySelector('[data-testid="lab"]') as HTMLElement | null;
      return lab?.dataset.status === 'ready' && Number(lab.dataset.step) >= want;
    },
    before + n,
    { timeout: 180_000 },
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const app = await serveApp();
  const base = app.base;
  await mkdir(shots, { recursive: true });
  for (const f of await readdir(shots)) if (f.startsWith('lab-')) await rm(join(shots, f));
  const downloads = await mkdtemp(join(tmpdir(), 'glassbox-lab-'));

  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1500, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);

    console.log('== open the training lab');
    await page.goto(`${base}?debug=1#lab`);
    await page.waitForSelector('[data-testid="lab"]', { timeout: 60_000 });
    await waitStatus(page, 'ready');
    let s = await labState(page);
    check(s.step === 0, `a fresh lab starts the toy world at step 0 (step ${s.step})`);
    check(s.continuation.length > 0 && s.continuation !== TARGET, `untrained, "cat sat" continues "${s.continuation}"`);
    const selected = await page.getAttribute('[data-testid="tab-lab"]', 'aria-selected');
    check(selected === 'true', 'the "Training lab" tab is selected (address #lab)');
    await page.screenshot({ path: join(shots, 'lab-00-start.png'), fullPage: true });

    console.log('== runs train on WebGPU in the worker; the stepped phases on the CPU trainer');
    await page.waitForSelector('[data-testid="lab-engine"]');
    const engineLine = (await page.textContent('[data-testid="lab-engine"]')) ?? '';
    console.log(`     ${engineLine}`);
    check(
      (await page.getAttribute('[data-testid="lab-engine"]', 'data-kind')) === 'webgpu' &&
        /Training runs on WebGPU \(.*swiftshader.*\), in a Web Worker\./.test(engineLine),
      'the lab says runs train on WebGPU (SwiftShader), in the worker',
    );
    const stepEngine = (await page.textContent('[data-testid="lab-step-engine"]')) ?? '';
    check(/always runs on the CPU trainer/.test(stepEngine), `and that stepping does not: "${stepEngine}"`);
    const gpuReference = createToyWorldTrainer();
    const gpuRef = Array.from({ length: 10 }, () => gpuReference.runStep().loss);
    const gpuStart = performance.now();
    await runSteps(page, 10);
    const gpuMs = performance.now() - gpuStart;
    s = await labState(page);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.abs(b);
    check(
      close(s.firstLoss, gpuRef[0]) && close(s.lastLoss, gpuRef[9]),
      `10 WebGPU steps give the CPU Trainer's losses (Node): ${s.firstLoss.toFixed(6)} → ${s.lastLoss.toFixed(6)} ` +
        `vs ${gpuRef[0].toFixed(6)} → ${gpuRef[9].toFixed(6)}, in ${(gpuMs / 1000).toFixed(1)} s`,
    );
    check(s.lastLoss < s.firstLoss && s.points === 10, `the loss fell over the 10 steps (${s.points} points)`);
    await page.click('[data-testid="lab-start"]');
    await page.waitForFunction(() => {
      const lab = document.querySelector('[data-testid="lab"]') as HTMLElement | null;
      return lab?.dataset.status === 'ready' && lab.dataset.step === '0';
    });
    check((await labState(page)).points === 0, 'a new run starts again at step 0');

    console.log('== one training step, phase by phase');
    const reference = createToyWorldTrainer();
    reference.forward();
    const refLoss = reference.loss().loss;
    const phases: string[] = [];
    for (let i = 0; i < 8; i++) {
      const next = (await page.getAttribute('[data-testid="lab-next-phase"]', 'data-next')) ?? '';
      if (phases.length > 0 && next === 'forward') break;
      phases.push(next);
      const count = await page.$$eval('.lab-phase, .lab-stage', (els) => els.length);
      await page.click('[data-testid="lab-next-phase"]');
      if (next === 'update') await page.waitForSelector('[data-testid="lab-update"]');
      else await page.waitForFunction((c) => document.querySelectorAll('.lab-phase, .lab-stage').length > c, count);
      const shot = { forward: '01-forward', loss: '02-loss', update: '04-update' }[next];
      if (shot) {
        const id = next === 'update' ? 'lab-phase-update' : `lab-phase-${next}`;
        await page.locator(`[data-testid="${id}"]`).screenshot({ path: join(shots, `lab-${shot}.png`) });
      }
    }
    check(
      phases.join(' ') === 'forward loss backward:head backward:block 0 backward:embeddings update',
      `the phases run in order: ${phases.join(' → ')}`,
    );
    const inputs = await page.$$eval('[data-testid="lab-batch"] td.tok:not(.target)', (els) =>
      els.map((e) => e.textContent),
    );
    const targets = await page.$$eval('[data-testid="lab-batch"] td.target', (els) => els.map((e) => e.textContent));
    check(
      inputs.slice(1).join(' ') === targets.slice(0, -1).join(' ') && inputs[0] === 'cat' && targets[12] === 'END',
      `targets are the inputs shifted by one (${inputs.length} positions)`,
    );
    const shownLoss = Number(await page.getAttribute('[data-testid="lab-loss-value"]', 'data-value'));
    // Not bit for bit: the browser's WebAssembly gemm may use other SIMD instructions than Node's (summation order).
    check(
      Math.abs(shownLoss - refLoss) < 1e-6 * refLoss,
      `the loss shown (${shownLoss}) is the Trainer's, computed here in Node (${refLoss})`,
    );
    const target = await page.$eval('[data-testid="lab-logit-gradient"] .gb-target-row', (g) => ({
      p: Number(g.getAttribute('data-prob')),
      grad: Number(g.getAttribute('data-grad')),
    }));
    check(
      Math.abs(target.grad - (target.p - 1) / 13) < 1e-6,
      `at the target, ∂L/∂logit = (p − 1)/N: ${target.grad.toFixed(6)} = (${target.p.toFixed(4)} − 1)/13`,
    );
    const stages = await page.$$eval('[data-testid^="lab-backward-"][data-stage]', (els) =>
      els.map((e) => e.getAttribute('data-stage')),
    );
    check(stages.join(',') === 'head,block 0,embeddings', `backward stages shown: ${stages.join(', ')}`);
    const gradName = await page.$eval(
      '[data-testid="lab-backward-1-grad-select"]',
      (e) => (e as HTMLSelectElement).value,
    );
    check(gradName === 'grad.blocks.0.hook_resid_pre', `block 0's gradient heatmap shows ${gradName}`);
    await page.locator('[data-testid="lab-phase-backward"]').screenshot({ path: join(shots, 'lab-03-backward.png') });
    const facts = (await page.textContent('[data-testid="lab-update-facts"]')) ?? '';
    check(
      /Learning rate η = 0\.002 at step 0/.test(facts),
      `the update reports its learning rate: "${facts.slice(0, 60)}…"`,
    );
    const updateMaps = await page.$$eval('[data-testid="lab-update"] [data-testid^="lab-update-"]', (els) =>
      els.map((e) => e.getAttribute('data-testid')).filter((t) => !t?.endsWith('readout')),
    );
    check(
      ['before', 'grad', 'update', 'after', 'm', 'v'].every((k) => updateMaps.includes(`lab-update-${k}`)),
      `W_Q before / gradient / update / after / m / v are drawn (${updateMaps.length} maps)`,
    );
    s = await labState(page);
    check(s.step === 1, `after the update the model is at step 1 (${s.step})`);

    console.log('== train the toy world on WebGPU until "cat sat" → "on the mat END", then finish on the CPU');
    let emerged = -1;
    const trainStart = performance.now();
    for (let chunk = 0; chunk < 12; chunk++) {
      await runSteps(page, 25);
      s = await labState(page);
      console.log(`     step ${s.step}: loss ${s.lastLoss.toFixed(4)}, "cat sat" → "${s.continuation}"`);
      if (s.continuation === TARGET) {
        emerged = s.step;
        break;
      }
    }
    const emergedMs = performance.now() - trainStart;
    check(
      emerged > 0,
      `on WebGPU the continuation became "${TARGET}" (at step ${emerged}, ${(emergedMs / 1000).toFixed(1)} s)`,
    );
    await page.selectOption('[data-testid="lab-engine-select"]', 'cpu');
    await page.waitForSelector('[data-testid="lab-engine"][data-kind="cpu"]');
    const cpuLine = (await page.textContent('[data-testid="lab-engine"]')) ?? '';
    check(/on the CPU, in a Web Worker: the CPU engine was asked for/.test(cpuLine), `switched: "${cpuLine}"`);
    if (s.step < 301) await runSteps(page, 301 - s.step); // the rest of the recipe's 300 steps
    const trainMs = performance.now() - trainStart;
    s = await labState(page);
    check(s.continuation === TARGET, `after step ${s.step} it still continues "${s.continuation}"`);
    check(s.points === s.step, `the loss curve has one point per step (${s.points})`);
    check(
      s.lastLoss < s.firstLoss / 20,
      `the loss curve decreased: ${s.firstLoss.toFixed(3)} → ${s.lastLoss.toFixed(4)}`,
    );
    check(s.lastVal < 0.1, `the validation loss (the same text) fell too: ${s.lastVal.toFixed(4)}`);
    const tps = (await page.textContent('[data-testid="lab-tps"]')) ?? '';
    check(/[\d,]+ tokens\/s/.test(tps), `tokens/s shown: ${tps}`);
    const log = await page.$$eval('[data-testid="lab-prediction-log"] li', (els) => els.map((e) => e.textContent));
    check(log.length >= 2, `the prediction log shows the continuation changing (${log.length} entries)`);
    console.log(`     ${log.slice(0, 6).join(' | ')}`);
    await page.screenshot({ path: join(shots, 'lab-05-trained.png'), fullPage: true });
    console.log(`     training in the browser took ${(trainMs / 1000).toFixed(1)} s (including the page's checks)`);

    console.log('== pause and resume; the page stays responsive while the worker trains');
    await page.fill('[data-testid="lab-steps"]', '300');
    await page.selectOption('[data-testid="lab-pace"]', '20');
    await page.click('[data-testid="lab-run-button"]');
    await waitStatus(page, 'running');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="lab-progress"]')?.getAttribute('data-done')) >= 5,
    );
    await page.click('[data-testid="lab-pause"]');
    await waitStatus(page, 'paused');
    const pausedAt = (await labState(page)).step;
    await page.waitForTimeout(500);
    check((await labState(page)).step === pausedAt, `paused at step ${pausedAt}: no steps while paused`);
    await page.screenshot({ path: join(shots, 'lab-06-paused.png') });
    await page.click('[data-testid="lab-resume"]');
    await waitStatus(page, 'running');
    await page.waitForFunction(
      (p) => Number(document.querySelector('[data-testid="lab"]')?.getAttribute('data-step')) > p + 3,
      pausedAt,
    );
    await page.click('[data-testid="lab-cancel"]');
    await waitStatus(page, 'ready');
    check((await labState(page)).step > pausedAt, 'resumed, then stopped');
    await page.selectOption('[data-testid="lab-pace"]', '0');
    await page.fill('[data-testid="lab-steps"]', '50000');
    await page.click('[data-testid="lab-run-button"]');
    await waitStatus(page, 'running');
    // A string, not a function: tsx would wrap named inner functions in a helper the page does not have.
    const gaps = (await page.evaluate(`new Promise((resolve) => {
      const out = [];
      let last = performance.now();
      const t0 = last;
      const frame = (t) => {
        out.push(t - last);
        last = t;
        if (t - t0 < 1500) requestAnimationFrame(frame);
        else resolve(out);
      };
      requestAnimationFrame(frame);
    })`)) as number[];
    const worst = Math.max(...gaps);
    console.log(
      `     while training: ${gaps.length} frames in 1.5 s, longest gap ${worst.toFixed(0)} ms (reported, not gated)`,
    );
    await page.click('[data-testid="lab-pause"]');
    await waitStatus(page, 'paused');
    await page.click('[data-testid="lab-cancel"]');
    await waitStatus(page, 'ready');

    console.log('== the WebGPU device is lost during a run: training moves to the CPU, says so, and goes on');
    await page.selectOption('[data-testid="lab-engine-select"]', 'auto');
    await page.waitForSelector('[data-testid="lab-engine"][data-kind="webgpu"]');
    const lossFrom = (await labState(page)).step;
    await page.fill('[data-testid="lab-steps"]', '40');
    await page.selectOption('[data-testid="lab-pace"]', '20');
    await page.click('[data-testid="lab-run-button"]');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="lab-progress"]')?.getAttribute('data-done')) >= 5,
    );
    await page.evaluate('window.__glassboxLabLoseDevice()');
    await page.waitForSelector('[data-testid="lab-engine"][data-kind="cpu"]');
    await page.waitForFunction(
      (want) => {
        const lab = document.querySelector('[data-testid="lab"]') as HTMLElement | null;
        return lab?.dataset.status === 'ready' && Number(lab.dataset.step) >= want;
      },
      lossFrom + 40,
      { timeout: 60_000 },
    );
    const lostLine = (await page.textContent('[data-testid="lab-engine"]')) ?? '';
    const lostNotice = (await page.$$eval('.lab .notice', (els) => els.map((e) => e.textContent ?? ''))).find((t) =>
      t.includes('WebGPU device was lost'),
    );
    console.log(`     ${lostNotice}`);
    check(
      /Training continues on the CPU from step \d+/.test(lostNotice ?? ''),
      'a notice says the device was lost and where training continued',
    );
    check(/the WebGPU device was lost \(.*\); reload the page/.test(lostLine), `engine: "${lostLine}"`);
    s = await labState(page);
    check(
      s.step === lossFrom + 40 && s.points === s.step,
      `the run completed on the CPU: step ${s.step}, ${s.points} points on the curve`,
    );
    check(s.continuation === TARGET, `still "cat sat" → "${s.continuation}"`);
    await page.screenshot({ path: join(shots, 'lab-06b-device-lost.png'), fullPage: true });
    await page.selectOption('[data-testid="lab-pace"]', '0');
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="lab-saved"]')?.getAttribute('data-step')) === n,
      (await labState(page)).step,
    );
    const beforeReload = await labState(page);

    console.log('== reload: the weights are still there');
    await page.reload();
    await page.waitForSelector('[data-testid="lab"]');
    await waitStatus(page, 'ready');
    await page.waitForSelector('[data-testid="lab-restored"]');
    s = await labState(page);
    check(s.step === beforeReload.step, `after the reload the lab is at step ${s.step} (was ${beforeReload.step})`);
    await page.waitForSelector('[data-testid="lab-engine"]');
    check(
      (await page.getAttribute('[data-testid="lab-engine"]', 'data-kind')) === 'webgpu',
      'a new page (a new worker and device) trains on WebGPU again',
    );
    check(s.continuation === beforeReload.continuation, `and continues "cat sat" with "${s.continuation}"`);
    check(s.points === beforeReload.points, `with its loss curve (${s.points} points)`);
    await page.screenshot({ path: join(shots, 'lab-07-reloaded.png'), fullPage: true });

    console.log('== download the checkpoint, check it in Node, load it back in the explorer');
    const got: Record<string, string> = {};
    const pending = new Promise<Download[]>((resolve) => {
      const seen: Download[] = [];
      const onDownload = (d: Download) => {
        seen.push(d);
        if (seen.length === 3) {
          page.off('download', onDownload);
          resolve(seen);
        }
      };
      page.on('download', onDownload);
    });
    await page.click('[data-testid="lab-download"]');
    for (const d of await pending) {
      const path = join(downloads, d.suggestedFilename());
      await d.saveAs(path);
      got[d.suggestedFilename()] = path;
    }
    check(
      ['model.safetensors', 'config.json', 'tokenizer.json'].every((f) => got[f]),
      `downloaded ${Object.keys(got).join(', ')}`,
    );
    const ckpt = loadCheckpoint(
      new Uint8Array(await readFile(got['model.safetensors'])),
      await readFile(got['config.json'], 'utf8'),
    );
    const nodeContinuation = continueGreedy(ckpt.params, 'cat sat');
    check(
      nodeContinuation === TARGET,
      `the downloaded weights, run here in Node, continue "cat sat" with "${nodeContinuation}"`,
    );
    await page.click('[data-testid="tab-explorer"]');
    await page.waitForSelector('[data-testid="app"][data-ready="true"]', { timeout: 60_000 });
    await page.setInputFiles('#panel-explorer input[type="file"]', [
      got['model.safetensors'],
      got['config.json'],
      got['tokenizer.json'],
    ]);
    await page.waitForFunction(
      () =>
        (document.querySelector('[data-testid="model-select"]') as HTMLSelectElement | null)?.selectedOptions[0]
          ?.textContent === 'model.safetensors',
      undefined,
      { timeout: 30_000 },
    );
    await page.fill('[data-testid="prompt"]', 'cat sat');
    await page.press('[data-testid="prompt"]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="tokens"] .gb-token-chip').length === 2);
    const softmax = await page.$$eval(
      '[data-testid="step-select"] option',
      (os) => (os.find((o) => (o as HTMLOptionElement).dataset.stepId === 'softmax') as HTMLOptionElement)?.value,
    );
    await page.selectOption('[data-testid="step-select"]', softmax);
    await page.waitForSelector('[data-testid="distribution"] [data-token-id]');
    const top = await page.$eval('[data-testid="distribution"] [data-token-id]', (g) => ({
      token: g.querySelector('.gb-bar-label')?.textContent ?? '',
      p: Number(g.getAttribute('data-prob')),
    }));
    check(
      top.token === 'on',
      `the explorer, on the lab's checkpoint, predicts "cat sat" → "${top.token}" (p = ${top.p.toFixed(3)})`,
    );
    await page.screenshot({ path: join(shots, 'lab-08-explorer.png'), fullPage: false });

    console.log('== an absurd learning rate: divergence, explained, last good weights restored');
    await page.click('[data-testid="tab-lab"]');
    const good = await labState(page);
    await page.fill('[data-testid="lab-lr"]', '1e6');
    await page.click('[data-testid="lab-apply"]');
    await page.waitForFunction(() =>
      /to 1000000/.test(document.querySelector('[data-testid="lab-info"]')?.textContent ?? ''),
    );
    await page.fill('[data-testid="lab-steps"]', '100');
    await page.selectOption('[data-testid="lab-pace"]', '0');
    await page.click('[data-testid="lab-run-button"]');
    await page.waitForSelector('[data-testid="lab-divergence"]', { timeout: 60_000 });
    await waitStatus(page, 'ready');
    const message = (await page.textContent('[data-testid="lab-divergence"]')) ?? '';
    console.log(`     "${message}"`);
    check(/diverged at step \d+: the loss is NaN/.test(message), 'the message says where and why it diverged');
    check(
      message.includes(`Restored the last good weights, those after step ${good.step}`),
      'and which weights it restored',
    );
    s = await labState(page);
    check(s.step === good.step, `the lab is back at step ${s.step}`);
    check(s.continuation === TARGET, `with the good weights: "cat sat" → "${s.continuation}"`);
    const undone = await page.$eval(
      '[data-testid="lab-loss"]',
      (f) => f.querySelectorAll('path[stroke="#999999"][stroke-dasharray]').length,
    );
    check(undone === 1, 'the loss curve shows the undone steps, greyed out');
    await page.screenshot({ path: join(shots, 'lab-09-diverged.png'), fullPage: true });
    await page.fill('[data-testid="lab-lr"]', '0.002');
    await page.click('[data-testid="lab-apply"]');
    await page.waitForFunction(() =>
      /to 0\.002/.test(document.querySelector('[data-testid="lab-info"]')?.textContent ?? ''),
    );

    console.log('== embedding space');
    const points = Number(await page.getAttribute('[data-testid="lab-scatter"]', 'data-points'));
    check(points === 10, `the PCA scatter shows the ${points} tokens`);
    const neighbours = await page.$$eval('[data-testid="lab-neighbours"] li', (els) =>
      els.map((e) => e.getAttribute('data-token')),
    );
    check(
      neighbours.length === 5 && !neighbours.includes('cat'),
      `nearest neighbours of "cat": ${neighbours.join(', ')}`,
    );
    await page.fill('[data-testid="lab-arith-a"]', 'happy');
    await page.fill('[data-testid="lab-arith-b"]', 'cat');
    await page.fill('[data-testid="lab-arith-c"]', 'dog');
    const arith = await page.$$eval('[data-testid="lab-arith-result"] li', (els) =>
      els.map((e) => e.getAttribute('data-token')),
    );
    check(
      arith.length === 5 && !arith.some((t) => ['happy', 'cat', 'dog'].includes(t ?? '')),
      `happy − cat + dog → ${arith.join(', ')}`,
    );
    await page.locator('[data-testid="lab-embedding"]').screenshot({ path: join(shots, 'lab-10-embedding.png') });

    console.log('== fine-tune the shipped toy-world model on pasted text');
    // The checks below are written in the toy world's words: pick it by name rather than trust the default.
    await page.click('[data-testid="lab-preset-finetune"]');
    const baseModel = page.locator('[data-testid="lab"] label.lab-field:has(> span:text-is("Model")) select');
    await baseModel.selectOption('toy-world');
    await page.click('[data-testid="lab-preset-toy"]');
    await page.click('[data-testid="lab-preset-finetune"]'); // the fine-tuning defaults for the chosen model
    check((await baseModel.inputValue()) === 'toy-world', 'the fine-tuning base model is toy-world');
    await page.fill('[data-testid="lab-text"]', 'dog is sad END cat is a unicorn END');
    await page.click('[data-testid="lab-start"]');
    await page.waitForSelector('[data-testid="lab-error"]');
    const err = (await page.textContent('[data-testid="lab-error"]')) ?? '';
    check(/unknown word "a"/.test(err), `unknown words get a clear message: "${err.slice(0, 90)}…"`);
    await page.screenshot({ path: join(shots, 'lab-11-finetune-error.png') });
    await page.click('[data-testid="lab-preset-toy"]');
    await page.click('[data-testid="lab-preset-finetune"]');
    await page.click('[data-testid="lab-start"]');
    await page.waitForFunction(() =>
      /last 10% of your text/.test(document.querySelector('[data-testid="lab-validation"]')?.textContent ?? ''),
    );
    await waitStatus(page, 'ready');
    const before = (await labState(page)).continuation;
    await runSteps(page, 80);
    s = await labState(page);
    check(
      before === 'happy END' && s.continuation === 'sad END',
      `fine-tuning changed "… dog is" from "${before}" to "${s.continuation}"`,
    );
    check(Number.isFinite(s.lastVal), `validation on the held-out 10%: ${s.lastVal.toFixed(3)}`);
    await page.screenshot({ path: join(shots, 'lab-12-finetuned.png'), fullPage: true });

    checkNoPageErrors(pageErrors);
  } finally {
    await browser?.close();
    await app.close();
    await rm(downloads, { recursive: true, force: true });
  }
  finish(t0, 'lab e2e', `screenshots in ${shots}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
