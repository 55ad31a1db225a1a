import type { Trace } from '@glassbox/compute';
import { KvCache } from '@glassbox/views';
import { selection, session, stepper, useStore } from '../stores';
import { useTokenLabels } from './common';

const rows = (a: number, b: number) => (a === b ? `row ${a}` : `rows ${a}–${b}`);

/** One line on how the trace on screen was computed: the whole prompt, or one token decoded with the KV cache. */
export function LastPassLine({ showLink = false }: { showLink?: boolean }) {
  const pass = useStore(session, (s) => s.lastPass);
  const cached = useStore(session, (s) => s.kvCache?.length ?? null);
  if (!pass) return null;
  const ms = `${pass.ms.toFixed(1)} ms`;
  return (
    <p className="hint last-pass" data-testid="last-pass" data-kind={pass.kind} data-cached={cached ?? ''}>
      {pass.kind === 'decode' ? (
        <>
          Last run: <strong>decoded 1 new token with the KV cache</strong> (its query attended over {pass.attended}{' '}
          cached keys and values) in {ms}, instead of re-running all {pass.attended} positions. Every step shows{' '}
          {rows(0, (pass.decodedFrom ?? 1) - 1)} from the prompt’s full pass and{' '}
          {rows(pass.decodedFrom ?? 0, pass.attended - 1)} from decoding one token at a time.
        </>
      ) : (
        <>
          Last run: the whole prompt, {pass.positions} positions in one pass, in {ms}
          {pass.note ? ` (a full pass because ${pass.note})` : ''}.
        </>
      )}{' '}
      {cached !== null ? (
        <>The KV cache holds {cached} positions.</>
      ) : (
        <>The KV cache was dropped (new engine); the next append runs a full pass.</>
      )}
      {showLink && (
        <>
          {' '}
          <button type="button" className="link-button" onClick={() => stepper.getState().setKind('qkv')}>
            See the KV cache
          </button>
        </>
      )}
    </p>
  );
}

/** The KV cache of the selected layer and head, as the last pass left it: [S × dh] keys and values, newest row outlined. */
export function KvCachePanel({ layer, trace }: { layer: number; trace: Trace }) {
  const head = useStore(selection, (s) => s.head);
  const cached = useStore(session, (s) => s.kvCache?.length ?? null);
  const labels = useTokenLabels();
  const keys = trace[`blocks.${layer}.attn.hook_k_cache`];
  const values = trace[`blocks.${layer}.attn.hook_v_cache`];
  if (!keys || !values) return null;
  const S = keys.shape[0];
  return (
    <div className="kv-cache-panel">
      <p className="hint" data-testid="kv-cache-explain">
        What is cached: each layer’s key and value vectors, per head, for every position so far; a new token computes
        only its own q, k, v and attends over these rows, so “append and run again” costs one position, not the whole
        prompt.
      </p>
      <KvCache
        keys={keys}
        values={values}
        layer={layer}
        head={head}
        rowLabels={labels}
        cached={cached ?? S}
        newestRow={S - 1}
        testId="kv-cache"
      />
      <LastPassLine />
    </div>
  );
}
