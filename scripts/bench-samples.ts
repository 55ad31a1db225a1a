/**
 * What one benchmark sample runs, for each engine and ONNX Runtime: shared by the Node half (scripts/bench.ts) and
 * the browser page (scripts/bench-web/page.ts), so both halves time exactly the same calls.
 */
import type { Engine, KVCache, ModelTrainer, OnnxDecoder, OnnxSession } from '@glassbox/compute';
import { type Sample, timed } from './bench-measure';

/** One forward pass over `prompt`, logits read back (and every hook, with capture 'all'). */
export const forwardSample =
  (engine: Engine, prompt: number[], capture?: 'all'): Sample =>
  () =>
    timed(() => engine.run(prompt, { capture }));

/** Per-token ms of decoding `tokens` tokens one at a time with the KV cache, after a 1-token prefill (untimed). */
export const decodeSample =
  (engine: Engine, prompt: number[], tokens: number): Sample =>
  async () => {
    const cache: KVCache & { dispose?: () => void } = engine.createCache();
    await engine.run(prompt.slice(0, 1), { cache });
    const ms = await timed(async () => {
      for (let i = 1; i <= tokens; i++) await engine.run([prompt[i]], { cache });
    });
    cache.dispose?.();
    return ms / tokens;
  };

/** ORT's forward pass over the plain export: logits read back, as the engines' are. */
export const ortForwardSample =
  (session: OnnxSession, prompt: number[]): Sample =>
  () =>
    timed(() => session.run(prompt, { outputs: [] }));

/** ORT decoding the same way on the kvCache export; the untimed prefill empties the decoder's cache. */
export const ortDecodeSample =
  (decoder: OnnxDecoder, prompt: number[], tokens: number): Sample =>
  async () => {
    await decoder.prefill(prompt.slice(0, 1));
    const ms = await timed(async () => {
      for (let i = 1; i <= tokens; i++) await decoder.step(prompt[i]);
    });
    return ms / tokens;
  };

/** One training step (forward, loss, backward, update). */
export const trainSample =
  (trainer: ModelTrainer): Sample =>
  () =>
    timed(() => trainer.runStep());
