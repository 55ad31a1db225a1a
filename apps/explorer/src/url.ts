import { serializeUrlState } from '@glassbox/store';
import { stores } from './stores';

/**
 * Open the view the address describes, then keep the address in step with the view (replaceState, so stepping does
 * not flood the history). Returns a function that stops syncing.
 */
export async function startUrlSync(): Promise<() => void> {
  await stores.openUrl(window.location.search);
  let pending = 0;
  const write = () => {
    pending = 0;
    if (stores.session.getState().status === 'loading') return;
    const search = serializeUrlState(stores.urlState());
    if (search !== window.location.search) {
      window.history.replaceState(null, '', `${window.location.pathname}${search}${window.location.hash}`);
    }
  };
  const schedule = () => {
    if (!pending) pending = window.setTimeout(write, 100);
  };
  const unsubs = [stores.session, stores.stepper, stores.selection, stores.sampling].map((s) =>
    (s.subscribe as (l: () => void) => () => void)(schedule),
  );
  write();
  return () => {
    for (const u of unsubs) u();
    window.clearTimeout(pending);
  };
}
