import { session, useStore } from '../stores';

/** Errors and notices (ignored link values, loader warnings), shown as text. */
export function Notices() {
  const notices = useStore(session, (s) => s.notices);
  const error = useStore(session, (s) => s.error);
  return (
    <div className="notices" aria-live="polite">
      {error && (
        <p className="error" role="alert" data-testid="error">
          {error}
        </p>
      )}
      {notices.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: notices are a list that only shrinks by dismissal
        <p key={i} className="notice" data-testid="notice">
          {n}{' '}
          <button type="button" onClick={() => session.getState().dismissNotice(i)} aria-label="Dismiss notice">
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
