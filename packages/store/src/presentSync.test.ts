import { describe, expect, it } from 'vitest';
import {
  formatElapsed,
  lectureChannelKey,
  MAX_CLOCK_SKEW_MS,
  makeSyncMessage,
  PRESENT_SYNC_TYPE,
  PRESENT_SYNC_VERSION,
  parseSyncMessage,
  presentChannelName,
} from './presentSync';

const KEY = lectureChannelKey('forward-pass');
const NOW = 1_700_000_000_000;
const expectFor = { lecture: KEY, slides: 29, now: NOW };
const base = { type: PRESENT_SYNC_TYPE, v: PRESENT_SYNC_VERSION, lecture: KEY, from: 'presenter' };

describe('lectureChannelKey / presentChannelName', () => {
  it('is stable, short, and differs between lectures', () => {
    expect(lectureChannelKey('forward-pass')).toBe(KEY);
    expect(lectureChannelKey('forward-pass')).not.toBe(lectureChannelKey('forward-pasS'));
    expect(lectureChannelKey('')).not.toBe(lectureChannelKey('a'));
    const inline = JSON.stringify({ title: 'x'.repeat(50_000), slides: [] });
    expect(lectureChannelKey(inline).length).toBeLessThan(20);
    expect(presentChannelName(KEY)).toBe(`glassbox-present:${KEY}`);
  });
});

describe('parseSyncMessage', () => {
  it('accepts every well-formed kind, as a fresh object', () => {
    for (const body of [
      { kind: 'hello' },
      { kind: 'bye' },
      { kind: 'slide', slide: 1, at: NOW },
      { kind: 'slide', slide: 29, at: 0 },
      { kind: 'timer', startedAt: NOW - 60_000 },
      { kind: 'blank', on: true },
      { kind: 'blank', on: false },
    ] as const) {
      const msg = { ...base, ...body };
      const got = parseSyncMessage(msg, expectFor);
      expect(got).toEqual(msg);
      expect(got).not.toBe(msg);
    }
    const made = makeSyncMessage(KEY, 'audience', { kind: 'slide', slide: 3, at: NOW });
    expect(parseSyncMessage(made, expectFor)).toEqual(made);
    // What a BroadcastChannel delivers is a structured clone: a plain object.
    expect(parseSyncMessage(structuredClone(made), expectFor)).toEqual(made);
  });

  it('refuses anything that is not a plain object', () => {
    for (const data of [null, undefined, 3, 'slide', true, [], [base], new Date(), new Map(Object.entries(base))]) {
      expect(parseSyncMessage(data, expectFor)).toBeNull();
    }
    class Fake {
      type = PRESENT_SYNC_TYPE;
      v = PRESENT_SYNC_VERSION;
      lecture = KEY;
      from = 'presenter';
      kind = 'hello';
    }
    expect(parseSyncMessage(new Fake(), expectFor)).toBeNull();
  });

  it('refuses a wrong type, version, lecture, sender or kind', () => {
    const ok = { ...base, kind: 'slide', slide: 2, at: NOW };
    expect(parseSyncMessage(ok, expectFor)).not.toBeNull();
    for (const bad of [
      { ...ok, type: 'glassbox' },
      { ...ok, v: 2 },
      { ...ok, v: '1' },
      { ...ok, lecture: lectureChannelKey('other') },
      { ...ok, lecture: 42 },
      { ...ok, from: 'someone' },
      { ...ok, from: undefined },
      { ...ok, kind: 'goto' },
      { ...ok, kind: 'toString' },
      { ...ok, kind: '__proto__' },
    ]) {
      expect(parseSyncMessage(bad, expectFor)).toBeNull();
    }
  });

  it('refuses missing and extra fields', () => {
    expect(parseSyncMessage({ ...base, kind: 'slide', slide: 2 }, expectFor)).toBeNull();
    expect(parseSyncMessage({ ...base, kind: 'slide', at: NOW }, expectFor)).toBeNull();
    expect(parseSyncMessage({ ...base, kind: 'hello', slide: 2 }, expectFor)).toBeNull();
    expect(parseSyncMessage({ ...base, kind: 'slide', slide: 2, at: NOW, title: 'x' }, expectFor)).toBeNull();
    expect(parseSyncMessage({ ...base, kind: 'blank' }, expectFor)).toBeNull();
    const { from: _, ...noFrom } = base;
    expect(parseSyncMessage({ ...noFrom, kind: 'hello' }, expectFor)).toBeNull();
  });

  it('refuses slides out of range or not whole numbers', () => {
    for (const slide of [0, -1, 30, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null, true, [3]]) {
      expect(parseSyncMessage({ ...base, kind: 'slide', slide, at: NOW }, expectFor)).toBeNull();
    }
  });

  it('refuses timestamps from the future, negative, or not numbers', () => {
    const slide = (at: unknown) => parseSyncMessage({ ...base, kind: 'slide', slide: 2, at }, expectFor);
    expect(slide(NOW + MAX_CLOCK_SKEW_MS)).not.toBeNull();
    for (const at of [NOW + MAX_CLOCK_SKEW_MS + 1, -1, Number.NaN, Number.POSITIVE_INFINITY, '0', null]) {
      expect(slide(at)).toBeNull();
    }
    const timer = (startedAt: unknown) => parseSyncMessage({ ...base, kind: 'timer', startedAt }, expectFor);
    expect(timer(NOW)).not.toBeNull();
    for (const t of [NOW + 10 * MAX_CLOCK_SKEW_MS, NOW - 2 * 24 * 3600_000, Number.NaN, 'now']) {
      expect(timer(t)).toBeNull();
    }
    expect(parseSyncMessage({ ...base, kind: 'blank', on: 1 }, expectFor)).toBeNull();
  });

  it('refuses markup wherever a field expects something else', () => {
    const html = '<img src=x onerror="window.__pwned=1">';
    for (const bad of [
      { ...base, kind: 'slide', slide: html, at: NOW },
      { ...base, kind: html },
      { ...base, lecture: html, kind: 'hello' },
      { ...base, from: html, kind: 'hello' },
      { ...base, kind: 'slide', slide: 2, at: NOW, note: html },
    ]) {
      expect(parseSyncMessage(bad, expectFor)).toBeNull();
    }
  });
});

describe('formatElapsed', () => {
  it('writes m:ss, then h:mm:ss', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(-5000)).toBe('0:00');
    expect(formatElapsed(65_999)).toBe('1:05');
    expect(formatElapsed(59 * 60_000 + 59_000)).toBe('59:59');
    expect(formatElapsed(3600_000 + 5 * 60_000 + 7_000)).toBe('1:05:07');
  });
});
