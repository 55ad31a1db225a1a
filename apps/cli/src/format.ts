/** Small formatting helpers shared by the commands' human-readable output. */

/** 124439808 → "124,439,808": parameter counts are read against published figures, digit by digit. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Binary units, as `ls -h` prints them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rates vary from 0.5 to 50,000 per second; three significant figures read well across that range. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '∞';
  return perSecond >= 100 ? formatCount(Math.round(perSecond)) : perSecond.toPrecision(3);
}

export function plural(n: number, word: string, wordPlural = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : wordPlural}`;
}

/** 1-based line and column (in characters, a surrogate pair counting once) of a UTF-16 offset in a text. */
export function lineColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: [...text.slice(lineStart, index)].length + 1 };
}
