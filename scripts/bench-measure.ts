/**
 * How every benchmark figure is taken, in Node (scripts/bench.ts) and in the browser page (scripts/bench-web): the
 * median of n timed repetitions after warm-up. A repetition shorter than MIN_MS is repeated until it is not and
 * divided, so sub-millisecond figures are not timer noise. No DOM and no Node APIs: both sides import it.
 *
 * Warm-up is by count and by time, the same for every engine: V8 first runs JavaScript and wasm (ONNX Runtime's, and
 * our GEMM) on its baseline compilers and optimizes functions only after they have run a while. On Austen the first
 * second of ORT decode steps ran at 2.0 ms/token and later ones at 0.25, so one warm-up call is not enough.
 */

/** A figure: a median over n repetitions, or the reason it was not measured. */
export type Figure = { ms: number; n: number } | { skipped: string };

/** Runs the thing once and returns the milliseconds of the part that counts (setup may be left untimed). */
export type Sample = () => Promise<number>;

export const MIN_MS = 20;

export interface MeasureOptions {
  reps: number;
  /** Untimed runs of each sample first… */
  warmup: number;
  /** …and more, until this many milliseconds have passed (default 0). */
  warmupMs?: number;
}

export async function measure(sample: Sample, opts: MeasureOptions): Promise<Figure> {
  return (await measureAlternating([sample], opts))[0];
}

/**
 * Several samples measured in turn within each repetition, so that all of them see the same load from whatever else
 * the machine is running: their ratio (the cost of capture, one engine against another) is steadier than that of
 * two medians taken minutes apart. The order rotates from one repetition to the next.
 */
export async function measureAlternating(
  samples: Sample[],
  { reps, warmup, warmupMs = 0 }: MeasureOptions,
): Promise<Figure[]> {
  const t0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - t0 < warmupMs; i++) for (const sample of samples) await sample();
  const runs: number[][] = samples.map(() => []);
  for (let r = 0; r < reps; r++) {
    // Each repetition starts with the next sample, so none of them is always the one that runs right after another
    // engine's work (a GPU queue still draining, a collection it left behind).
    for (let j = 0; j < samples.length; j++) {
      const k = (j + r) % samples.length;
      let ms = 0;
      let count = 0;
      const wall = performance.now();
      do {
        ms += await samples[k]();
        count++;
      } while (performance.now() - wall < MIN_MS);
      runs[k].push(ms / count);
    }
  }
  return runs.map((rs) => ({ ms: median(rs), n: reps }));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export const skipped = (why: string): Figure => ({ skipped: why });
export const msOf = (f: Figure): number => ('ms' in f ? f.ms : Number.NaN);
