import type { FetchLike } from './hub';
import { HF_ENDPOINT } from './hub';

/**
 * A Hugging Face hub in memory, answering the two endpoints hub.ts uses, so tests (unit and browser) exercise the
 * real download, progress, caching and refusal code without the network. Bodies stream in `chunkSize` pieces so
 * progress is reported more than once.
 */

export interface FakeRepo {
  /** The commit "main" points at (40 hex digits); a fixed one by default. */
  sha?: string;
  files: Record<string, Uint8Array | string>;
  /** The hub's `gated` field ('auto' / 'manual' for repositories that ask users to accept conditions). */
  gated?: false | 'auto' | 'manual';
}

export interface FakeHub {
  fetch: FetchLike;
  /** Every URL asked for, in order (paths only, without the endpoint). */
  requests: string[];
  /** When true, every request fails the way fetch fails without a connection. */
  offline: boolean;
  /** Answer a URL as the hub would: status, headers and body (for Playwright's route.fulfill). */
  answer(url: string): { status: number; headers: Record<string, string>; body: Uint8Array };
}

export const FAKE_SHA = 'c0ffee0000000000000000000000000000000001';

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, x-repo-commit' };

export function createFakeHub(
  repos: Record<string, FakeRepo>,
  options: { endpoint?: string; chunkSize?: number } = {},
): FakeHub {
  const endpoint = options.endpoint ?? HF_ENDPOINT;
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const encoder = new TextEncoder();
  const bytesOf = (b: Uint8Array | string) => (typeof b === 'string' ? encoder.encode(b) : b);
  const json = (status: number, value: unknown) => ({
    status,
    headers: { ...CORS, 'content-type': 'application/json' },
    body: encoder.encode(JSON.stringify(value)),
  });

  const answer = (url: string) => {
    const u = new URL(url);
    const path = u.pathname;
    const info = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(path);
    if (info) {
      const [repoName, rev] = [info[1], decodeURIComponent(info[2])];
      const repo = repos[repoName];
      const sha = repo?.sha ?? FAKE_SHA;
      if (!repo || (rev !== 'main' && rev !== sha)) return json(404, { error: 'Repository not found' });
      return json(200, {
        id: repoName,
        sha,
        gated: repo.gated ?? false,
        siblings: Object.entries(repo.files).map(([rfilename, b]) => ({ rfilename, size: bytesOf(b).length })),
      });
    }
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/([^/]+)$/.exec(path);
    if (resolve) {
      const repo = repos[resolve[1]];
      const file = repo?.files[decodeURIComponent(resolve[3])];
      if (!repo || file === undefined || resolve[2] !== (repo.sha ?? FAKE_SHA)) {
        return json(404, { error: 'Entry not found' });
      }
      const body = bytesOf(file);
      return {
        status: 200,
        headers: { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
        body,
      };
    }
    return json(404, { error: 'Not found' });
  };

  const hub: FakeHub = {
    requests: [],
    offline: false,
    answer,
    async fetch(url, init) {
      if (!url.startsWith(endpoint)) throw new TypeError(`the fake hub only answers ${endpoint}, not ${url}`);
      if (init?.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
      if (hub.offline) throw new TypeError('Failed to fetch');
      hub.requests.push(url.slice(endpoint.length));
      const a = answer(url);
      let offset = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (init?.signal?.aborted) {
            controller.error(new DOMException('The operation was aborted.', 'AbortError'));
            return;
          }
          if (offset >= a.body.length) {
            controller.close();
            return;
          }
          controller.enqueue(a.body.slice(offset, offset + chunkSize));
          offset += chunkSize;
        },
      });
      return new Response(stream, { status: a.status, headers: a.headers });
    },
  };
  return hub;
}
