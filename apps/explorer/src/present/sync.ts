import type { PresentRole, PresentSyncBody, PresentSyncMessage } from '@glassbox/store';
import { lectureChannelKey, makeSyncMessage, parseSyncMessage, presentChannelName } from '@glassbox/store';
import { useCallback, useEffect, useRef } from 'react';

/** Whether this browser can keep two windows in step (BroadcastChannel: every current browser). */
export const SYNC_SUPPORTED = typeof BroadcastChannel !== 'undefined';

/**
 * The audience and presenter windows of one lecture talk over a BroadcastChannel named after the `lecture`
 * parameter (same origin only). Every incoming message goes through parseSyncMessage, which drops anything not of
 * exactly the expected shape. Every window of the lecture follows every other (a second audience window too).
 * `onMessage` may change between renders.
 * Returns `post`, a no-op until the channel is open (when `slides` > 0).
 */
export function usePresentSync(
  lectureParam: string,
  role: PresentRole,
  slides: number,
  onMessage: (m: PresentSyncMessage) => void,
): (body: PresentSyncBody) => void {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  const channel = useRef<{ ch: BroadcastChannel; key: string } | null>(null);

  useEffect(() => {
    if (!SYNC_SUPPORTED || slides <= 0) return;
    const key = lectureChannelKey(lectureParam);
    const ch = new BroadcastChannel(presentChannelName(key));
    channel.current = { ch, key };
    ch.onmessage = (e: MessageEvent) => {
      const m = parseSyncMessage(e.data, { lecture: key, slides, now: Date.now() });
      if (m) handler.current(m);
    };
    const post = (body: PresentSyncBody) => ch.postMessage(makeSyncMessage(key, role, body));
    post({ kind: 'hello' });
    const bye = () => post({ kind: 'bye' });
    // Back from the browser's back-forward cache: say hello again, the others heard goodbye.
    const back = (e: PageTransitionEvent) => {
      if (e.persisted) post({ kind: 'hello' });
    };
    window.addEventListener('pagehide', bye);
    window.addEventListener('pageshow', back);
    return () => {
      window.removeEventListener('pagehide', bye);
      window.removeEventListener('pageshow', back);
      channel.current = null;
      ch.close();
    };
  }, [lectureParam, role, slides]);

  return useCallback(
    (body: PresentSyncBody) => {
      const c = channel.current;
      if (c) c.ch.postMessage(makeSyncMessage(c.key, role, body));
    },
    [role],
  );
}
