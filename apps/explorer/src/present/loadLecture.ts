import type { LectureResult } from '@glassbox/store';
import { lectureSource, MAX_LECTURE_CHARS, parseLecture } from '@glassbox/store';

/** The lectures shipped in apps/explorer/lectures/, by file name without .json (`?lecture=forward-pass`). */
const SHIPPED = import.meta.glob('../../lectures/*.json', { query: '?raw', import: 'default' }) as Record<
  string,
  () => Promise<string>
>;

export const SHIPPED_LECTURES: readonly string[] = Object.keys(SHIPPED)
  .map((k) => /([^/]+)\.json$/.exec(k)?.[1] ?? k)
  .sort();

export const DEFAULT_LECTURE = 'forward-pass';

/** What the presentation knows about where the lecture came from (shown on the error screen). */
export interface LoadedLecture {
  result: LectureResult;
  /** "the shipped lecture forward-pass", "the link", "https://…/l.json". */
  from: string;
}

/** Read the `lecture` URL parameter: inline JSON, a shipped lecture's name, or a URL of a lecture file. */
export async function loadLecture(param: string, pageUrl: string): Promise<LoadedLecture> {
  const source = lectureSource(param, pageUrl);
  switch (source.kind) {
    case 'invalid':
      return { result: { ok: false, errors: [source.error] }, from: 'the link' };
    case 'inline':
      return { result: parseLecture(source.text), from: 'the link' };
    case 'builtin': {
      const read = Object.entries(SHIPPED).find(([k]) => k.endsWith(`/${source.name}.json`))?.[1];
      if (!read) {
        return {
          result: {
            ok: false,
            errors: [
              `There is no shipped lecture called "${source.name}"; the shipped lectures are ${SHIPPED_LECTURES.join(', ')}.`,
            ],
          },
          from: 'the link',
        };
      }
      return { result: parseLecture(await read()), from: `the shipped lecture ${source.name}` };
    }
    case 'url': {
      try {
        // No cookies or credentials go with it: a lecture is a public file.
        const res = await fetch(source.href, { credentials: 'omit', redirect: 'follow' });
        if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
        const text = await res.text();
        if (text.length > MAX_LECTURE_CHARS) {
          return {
            result: { ok: false, errors: [`The lecture file is longer than ${MAX_LECTURE_CHARS} characters.`] },
            from: source.href,
          };
        }
        return { result: parseLecture(text), from: source.href };
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        return {
          result: {
            ok: false,
            errors: [
              `Could not read the lecture file ${source.href}: ${why}. (A file on another site must be served with CORS, e.g. a GitHub gist's "raw" link.)`,
            ],
          },
          from: source.href,
        };
      }
    }
  }
}
