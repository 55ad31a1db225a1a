import { formatRate, formatSeconds } from './format';

export interface ProgressState {
  /** Steps completed, counted over the whole run (a resumed run starts past 0). */
  step: number;
  total: number;
  loss: number;
  tokensPerSecond: number;
  lr: number;
  /** Seconds this process has been training, for the time-left estimate. */
  elapsed: number;
  /** Steps this process has completed, for the time-left estimate. */
  doneHere: number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export function progressLine(p: ProgressState, bar: boolean): string {
  const parts = [`step ${p.step}/${p.total}`];
  if (bar) {
    const filled = Math.round((BAR_WIDTH * p.step) / Math.max(1, p.total));
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
  }
  parts.push(`loss ${p.loss.toFixed(4)}`, `${formatRate(p.tokensPerSecond)} tokens/s`, `lr ${p.lr.toExponential(2)}`);
  const left = p.doneHere > 0 ? ((p.total - p.step) * p.elapsed) / p.doneHere : Number.NaN;
  parts.push(
    `${formatSeconds(p.elapsed)}${Number.isFinite(left) && p.step < p.total ? `, ~${formatSeconds(left)} left` : ''}`,
  );
  return parts.join('  ');
}

/**
 * Training progress on stderr (stdout stays free for whatever a script wants to pipe). On a terminal one line is
 * redrawn in place, at most every 100 ms; anywhere else (a log file, a test reading the pipe) it prints about twenty
 * plain lines over the run, since carriage returns would turn a log into one unreadable line.
 */
export class ProgressReporter {
  private lastDraw = 0;
  private drawn = false;
  private readonly every: number;

  constructor(
    private readonly out: NodeJS.WriteStream,
    total: number,
  ) {
    this.every = Math.max(1, Math.round(total / 20));
  }

  update(p: ProgressState): void {
    if (this.out.isTTY) {
      const now = performance.now();
      if (now - this.lastDraw < REDRAW_MS && p.step < p.total) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[K${progressLine(p, true)}`);
      this.drawn = true;
    } else if (p.step % this.every === 0 || p.step === p.total || p.doneHere === 1) {
      this.out.write(`${progressLine(p, false)}\n`);
    }
  }

  /** Ends the redrawn line so the next message starts on its own line. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
