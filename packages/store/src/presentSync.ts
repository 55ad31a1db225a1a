/**
 * The messages that keep presentation mode's two windows in step: the audience window (the slides, on the projector)
 * and the presenter window (notes, timer, next slide, on the lecturer's laptop). They travel over a BroadcastChannel
 * named after the lecture, so only same-origin pages with the same `lecture` parameter hear them.
 *
 * A message is untrusted input: any script of the origin, or another tab, may post anything on the channel. Every
 * message is checked here against an exact shape (type, version, kind, the lecture's key, numbers in range, no other
 * fields) and dropped otherwise. Messages carry numbers and booleans only, never text to show.
 */

export const PRESENT_SYNC_TYPE = 'glassbox-present';
export const PRESENT_SYNC_VERSION = 1;

/** Which window sent a message. */
export type PresentRole = 'audience' | 'presenter';

export interface PresentSyncHeader {
  type: typeof PRESENT_SYNC_TYPE;
  v: typeof PRESENT_SYNC_VERSION;
  /** lectureChannelKey of the sender's `lecture` parameter; must equal the receiver's. */
  lecture: string;
  from: PresentRole;
}

export type PresentSyncBody =
  /** A window has just opened the lecture: the others answer with their state (slide, timer, blank). */
  | { kind: 'hello' }
  /** Show slide `slide` (1-based). `at` orders changes made in two windows at once: the later one wins. */
  | { kind: 'slide'; slide: number; at: number }
  /** The lecture's clock started (or was reset) at `startedAt` (ms since the epoch). */
  | { kind: 'timer'; startedAt: number }
  /** The audience screen is blank (B) or not. */
  | { kind: 'blank'; on: boolean }
  /** The sender's window is closing. */
  | { kind: 'bye' };

export type PresentSyncMessage = PresentSyncHeader & PresentSyncBody;

/** What the receiver knows, to check a message against. */
export interface PresentSyncExpect {
  /** The receiver's own lectureChannelKey. */
  lecture: string;
  /** How many slides the receiver's lecture has. */
  slides: number;
  /** The receiver's clock (Date.now()). */
  now: number;
}

/** How far into the future a timestamp may be (the windows share one machine's clock). */
export const MAX_CLOCK_SKEW_MS = 5_000;
/** A timer older than this is refused (no lecture lasts a day). */
export const MAX_TIMER_AGE_MS = 24 * 3600_000;

const FIELDS: Readonly<Record<PresentSyncBody['kind'], readonly string[]>> = {
  hello: [],
  slide: ['slide', 'at'],
  timer: ['startedAt'],
  blank: ['on'],
  bye: [],
};
const BASE_FIELDS = ['type', 'v', 'lecture', 'from', 'kind'];

/**
 * A short, stable key for a `lecture` parameter (which may be a whole lecture as inline JSON): FNV-1a 32-bit of the
 * string, in hex, with its length. Two different lectures on one origin get different channels.
 */
export function lectureChannelKey(param: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < param.length; i++) {
    h ^= param.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}-${param.length.toString(36)}`;
}

/** The BroadcastChannel name for a lecture key. */
export function presentChannelName(key: string): string {
  return `glassbox-present:${key}`;
}

/** A message ready to post. */
export function makeSyncMessage<B extends PresentSyncBody>(
  lecture: string,
  from: PresentRole,
  body: B,
): PresentSyncHeader & B {
  return { type: PRESENT_SYNC_TYPE, v: PRESENT_SYNC_VERSION, lecture, from, ...body };
}

/**
 * The message, when `data` has exactly the shape of one for this lecture; null for anything else (wrong or missing
 * fields, extra fields, another lecture, a slide out of range, a timestamp from the future). The result is a fresh
 * object holding only the checked fields.
 */
export function parseSyncMessage(data: unknown, expect: PresentSyncExpect): PresentSyncMessage | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const proto = Object.getPrototypeOf(data);
  if (proto !== Object.prototype && proto !== null) return null;
  const m = data as Record<string, unknown>;
  if (m.type !== PRESENT_SYNC_TYPE || m.v !== PRESENT_SYNC_VERSION) return null;
  if (typeof m.lecture !== 'string' || m.lecture !== expect.lecture) return null;
  if (m.from !== 'audience' && m.from !== 'presenter') return null;
  const kind = m.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(FIELDS, kind)) return null;
  const k = kind as PresentSyncBody['kind'];
  const allowed = new Set([...BASE_FIELDS, ...FIELDS[k]]);
  const keys = Object.keys(m);
  if (keys.length !== allowed.size || keys.some((key) => !allowed.has(key))) return null;
  const from: PresentRole = m.from;
  const lecture = expect.lecture;
  switch (k) {
    case 'hello':
    case 'bye':
      return makeSyncMessage(lecture, from, { kind: k });
    case 'slide': {
      const { slide, at } = m;
      if (typeof slide !== 'number' || !Number.isInteger(slide) || slide < 1 || slide > expect.slides) return null;
      if (!isTime(at) || at > expect.now + MAX_CLOCK_SKEW_MS) return null;
      return makeSyncMessage(lecture, from, { kind: 'slide', slide, at });
    }
    case 'timer': {
      const { startedAt } = m;
      if (!isTime(startedAt) || startedAt > expect.now + MAX_CLOCK_SKEW_MS) return null;
      if (startedAt < expect.now - MAX_TIMER_AGE_MS) return null;
      return makeSyncMessage(lecture, from, { kind: 'timer', startedAt });
    }
    case 'blank': {
      if (typeof m.on !== 'boolean') return null;
      return makeSyncMessage(lecture, from, { kind: 'blank', on: m.on });
    }
  }
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Elapsed time as m:ss, or h:mm:ss from an hour on. */
export function formatElapsed(ms: number): string {
  const secs = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = String(secs % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
