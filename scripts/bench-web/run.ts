/**
 * Runs scripts/bench-web/page.ts in headless Chromium and returns its figures: the browser half of `npm run bench`
 * (scripts/bench.ts calls `runWebBench`), or on its own:
 *
 *   npx tsx scripts/bench-web/run.ts [--quick] [--json]
 *
 * The page is built with Vite (as the explorer is: workspace packages as TypeScript source, ORT's .wasm emitted as an
 * asset, nothing fetched from the network) and served by `vite preview` on a free local port. Chromium gets the
 * flags of scripts/browser/chromium.ts: without a GPU its WebGPU adapter is SwiftShader, the same CPU emulation Dawn
 * uses in Node, and both WebGPU engines in the page share it.
 */
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { freePort, launchChromium } from '../browser/chromium';
import type { BenchGlobal, WebBenchResult, WebBenchSpec } from './types';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../.tsbuild/bench-web-dist', import.meta.url));

export type { EngineRow, WebBenchResult, WebBenchSpec } from './types';

/** What `npm run bench` measures in the browser: the shipped models, then (unless quick) GPT-2 small. */
export function webBenchSpecs(quick: boolean): WebBenchSpec[] {
  const small = { prompt: 64, decodeTokens: 8, reps: 15, warmupMs: 2000, gpuReps: 15, gpuWarmupMs: 2000 };
  const specs: WebBenchSpec[] = [
    { model: 'austen', ...small },
    { model: 'toy-world', ...small },
  ];
  // On SwiftShader a GPT-2-small forward takes tens of seconds: two repetitions (the order rotates) after one
  // warm-up run.
  if (!quick) {
    specs.push({
      model: 'gpt2-small',
      prompt: 64,
      decodeTokens: 4,
      reps: 7,
      warmupMs: 2000,
      gpuReps: 2,
      gpuWarmupMs: 0,
    });
  }
  return specs;
}

export async function runWebBench(
  specs: WebBenchSpec[],
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<WebBenchResult[]> {
  log('browser: building the benchmark page');
  const config = {
    root,
    base: './',
    logLevel: 'warn' as const,
    configFile: false as const,
    // Keep ORT next to its .wasm files (see apps/explorer/vite.config.ts).
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
  };
  await build(config);
  const port = await freePort();
  const server = await preview({ ...config, preview: { port, strictPort: true, host: '127.0.0.1' } });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      const text = m.text();
      // ORT's notice that shape ops stay on the CPU is expected; everything else the page logs is progress.
      if (!text.includes('VerifyEachNodeIsAssignedToAnEp')) log(`  browser: ${text.slice(0, 200)}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => typeof (globalThis as unknown as BenchGlobal).glassboxBench === 'function');
    const results: WebBenchResult[] = [];
    for (const spec of specs) {
      results.push(await page.evaluate((s) => (globalThis as unknown as BenchGlobal).glassboxBench(s), spec));
      if (errors.length) throw new Error(`the benchmark page threw: ${errors.join(' | ')}`);
    }
    return results;
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.argv.includes('--quick');
  const specs = webBenchSpecs(quick);
  const results = await runWebBench(specs);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  process.exit(0);
}
