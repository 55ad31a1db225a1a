import type { OnnxComparison, Tensor } from '@glassbox/compute';
import { compareWithOnnx, countParams } from '@glassbox/compute';
import { useState } from 'react';
import { session, useStore } from '../stores';
import './OnnxCheck.css';

/**
 * The biggest ONNX file this page will build. The check holds the export, ONNX Runtime's copy of it and the session's
 * weights at once (about three times the file), all in the tab: a 124M-parameter GPT-2 (≈ 500 MB of float32) is
 * refused; the toy world (1.4 kB) and the shipped English model (a few MB) are far below.
 */
export const ONNX_BUDGET_BYTES = 200 * 1024 * 1024;

const TOLERANCE = 1e-4;

interface Done {
  /** Model and ids it was run for: the result is marked stale when either changes. */
  key: string;
  result: OnnxComparison;
  /** max |Δ| between the logits this page shows (from its engine) and ONNX Runtime's, when they are the same pass. */
  pageDiff: number | null;
  engine: string;
}

type CheckState =
  | { status: 'idle' }
  | { status: 'busy'; key: string }
  | { status: 'done'; done: Done }
  | { status: 'error'; key: string; message: string };

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
}

function sci(x: number): string {
  return Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(1)) : String(x);
}

function flatMaxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.data.length !== b.data.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

/**
 * "Check against ONNX Runtime": export the current model as a standard GPT-2 ONNX graph, run the current prompt
 * through onnxruntime-web (wasm) and show how far its logits are from the CPU reference engine's, every exposed
 * intermediate's worst difference, and the timings. ONNX Runtime knows nothing of our code, so agreement is an
 * independent check that this forward pass is GPT-2's.
 */
export function OnnxCheck() {
  const model = useStore(session, (s) => s.model);
  const tokens = useStore(session, (s) => s.tokens);
  const trace = useStore(session, (s) => s.trace);
  const engineKind = useStore(session, (s) => s.engineKind);
  const [state, setState] = useState<CheckState>({ status: 'idle' });
  if (!model) return null;

  const ids = tokens.map((t) => t.id);
  const key = `${model.id}|${ids.join(',')}`;
  const params = countParams(model.config).total;
  const estimate = params * 4;
  const tooBig = estimate > ONNX_BUDGET_BYTES;
  const busy = state.status === 'busy';

  const check = async () => {
    setState({ status: 'busy', key });
    // Let the busy state paint: the export and the CPU pass run on this thread.
    await new Promise((r) => setTimeout(r, 30));
    try {
      const result = await compareWithOnnx(model.config, model.params, ids, { hooks: 'all' });
      const logits = session.getState().trace?.hook_logits;
      const pageDiff =
        logits && trace && session.getState().trace === trace ? flatMaxAbsDiff(logits, result.ortLogits) : null;
      setState({
        status: 'done',
        done: { key, result, pageDiff, engine: engineKind === 'webgpu' ? 'WebGPU' : 'CPU' },
      });
    } catch (e) {
      setState({ status: 'error', key, message: e instanceof Error ? e.message : String(e) });
    }
  };

  const done = state.status === 'done' ? state.done : null;
  const r = done?.result;
  const pass = r ? r.maxAbsDiff < TOLERANCE && r.sameArgmax : false;
  return (
    <section className="panel onnx-check" aria-labelledby="onnx-h" data-testid="onnx-panel">
      <h3 id="onnx-h">Check against ONNX Runtime</h3>
      <p className="hint">
        Exports this model as a standard GPT-2 ONNX graph and runs the same prompt through ONNX Runtime
        (onnxruntime-web, wasm). It knows nothing of Glassbox’s code: matching logits show this forward pass is GPT-2’s.
      </p>
      {tooBig ? (
        <p className="onnx-refused" role="alert" data-testid="onnx-refused">
          Not in the browser: this model has {params.toLocaleString()} parameters, so its ONNX file would be about{' '}
          {mb(estimate)}, above this page’s {mb(ONNX_BUDGET_BYTES)} budget (the export, ONNX Runtime’s copy and its
          session would all be held in this tab at once). The same check runs in Node: see docs/onnx.md.
        </p>
      ) : (
        <button
          type="button"
          onClick={() => void check()}
          disabled={busy || ids.length === 0}
          aria-busy={busy}
          data-testid="onnx-check"
        >
          {busy ? 'Checking… (export, load ONNX Runtime, run)' : 'Check against ONNX Runtime'}
        </button>
      )}
      {ids.length === 0 && !tooBig && <p className="hint">Run a prompt first.</p>}
      {state.status === 'error' && (
        <p className="onnx-error" role="alert" data-testid="onnx-error">
          The check failed: {state.message}
        </p>
      )}
      {done && r && (
        <div
          className="onnx-result"
          role="status"
          data-testid="onnx-result"
          data-max-abs-diff={r.maxAbsDiff}
          data-same-argmax={r.sameArgmax}
          data-worst-hook={r.worstHook ?? ''}
          data-stale={done.key !== key}
        >
          <p>
            <strong className={pass ? 'onnx-pass' : 'onnx-fail'}>{pass ? 'Agrees' : 'Differs'}</strong> on{' '}
            {r.ortLogits.shape[0]} token{r.ortLogits.shape[0] === 1 ? '' : 's'}
            {done.key !== key && ' (for an earlier prompt or model: check again)'}.
          </p>
          <dl className="onnx-facts">
            <dt>max |Δ logits|</dt>
            <dd data-testid="onnx-max-diff">
              {sci(r.maxAbsDiff)} (CPU engine vs ONNX Runtime; bar {sci(TOLERANCE)}; relative {sci(r.maxRelDiff)})
            </dd>
            {done.pageDiff !== null && (
              <>
                <dt>page’s logits</dt>
                <dd>
                  {sci(done.pageDiff)} ({done.engine} engine, as shown, vs ONNX Runtime)
                </dd>
              </>
            )}
            <dt>most likely next token</dt>
            <dd data-testid="onnx-argmax">
              {r.sameArgmax ? 'the same at every position' : 'differs at some position'}
            </dd>
            <dt>worst intermediate</dt>
            <dd data-testid="onnx-worst">
              {r.worstHook ? (
                <>
                  <code>{r.worstHook}</code> {sci(r.hookDiffs[r.worstHook])} (of {Object.keys(r.hookDiffs).length}{' '}
                  compared)
                </>
              ) : (
                'none compared'
              )}
            </dd>
            <dt>time</dt>
            <dd data-testid="onnx-times">
              export {ms(r.exportMs)} ({mb(r.onnxBytes)}), session {ms(r.sessionMs)}, ONNX Runtime run {ms(r.ortMs)},
              CPU engine {ms(r.cpuMs)}
            </dd>
          </dl>
        </div>
      )}
    </section>
  );
}
