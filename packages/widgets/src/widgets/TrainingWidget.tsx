import type { Trainer } from '@glassbox/compute';
import { GlassboxError } from '@glassbox/compute';
import { continueGreedy, TOY_WORLD_TEXT } from '@glassbox/models';
import type { LossPoint } from '@glassbox/views';
import { LossCurve } from '@glassbox/views';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Attributes } from '../attributes';
import { messageOf } from '../attributes';
import { Frame } from '../Frame';
import { newTrainingTrainer, trainingAttrs } from '../training';

export { MAX_WIDGET_STEPS } from '../training';
export const TRAINING_ATTRIBUTES = ['steps', 'lr', 'seed', 'prompt', 'autoplay'];

/** Frames a whole run is spread over (about two seconds), so the curve visibly falls however fast the CPU is. */
const FRAMES_PER_RUN = 120;

type RunStatus = 'idle' | 'running' | 'paused' | 'done' | 'diverged';

interface View {
  status: RunStatus;
  step: number;
  loss: number | null;
  history: LossPoint[];
  continuation: string;
  note: string | null;
}

/**
 * `<glassbox-training steps="300" lr="0.02" seed="0" prompt="cat sat" autoplay>`: the toy world trained from random
 * weights, here on the page's main thread in small chunks (the model has 356 parameters; a step takes well under a
 * millisecond). The loss curve falls and the greedy continuation of the prompt turns into "on the mat END".
 */
export function TrainingWidget({ attrs }: { attrs: Attributes }) {
  // Every attribute is checked here, before anything reaches the trainer (training.ts).
  const parsed = trainingAttrs(attrs);
  const { steps, lr, seed, prompt, autoplay } = parsed.value;
  // A trainer that still cannot be built (a bug, not an attribute: every attribute was checked) is shown inline too.
  const [setupError, setSetupError] = useState<string | null>(null);
  const errors = setupError === null ? parsed.problems : [...parsed.problems, setupError];
  const valid = parsed.problems.length === 0;

  const trainer = useRef<Trainer | null>(null);
  const abort = useRef<AbortController | null>(null);
  const [view, setView] = useState<View>({
    status: 'idle',
    step: 0,
    loss: null,
    history: [],
    continuation: '',
    note: null,
  });

  const snapshot = useCallback(
    (t: Trainer, status: RunStatus, note: string | null = null): View => ({
      status,
      step: t.completedSteps,
      loss: t.history.length > 0 ? t.history[t.history.length - 1].loss : null,
      history: t.history.map((s) => ({ step: s.step, loss: s.loss })),
      continuation: continueGreedy(t.params, prompt),
      note,
    }),
    [prompt],
  );

  const start = useCallback(async () => {
    const t = trainer.current;
    if (!t || abort.current) return;
    const ac = new AbortController();
    abort.current = ac;
    const perFrame = Math.max(1, Math.ceil(steps / FRAMES_PER_RUN));
    try {
      while (t.completedSteps < steps && !ac.signal.aborted) {
        for (let i = 0; i < perFrame && t.completedSteps < steps; i++) t.runStep();
        setView(snapshot(t, 'running'));
        await new Promise((resolve) => setTimeout(resolve, 16));
      }
      if (trainer.current === t) setView(snapshot(t, ac.signal.aborted ? 'paused' : 'done'));
    } catch (e) {
      // A diverged step is undone by the trainer: the weights are those of the last good step.
      const diverged = e instanceof GlassboxError && e.code === 'training-diverged';
      if (trainer.current === t) {
        try {
          setView(
            snapshot(t, diverged ? 'diverged' : 'paused', `${diverged ? 'Training diverged: ' : ''}${messageOf(e)}`),
          );
        } catch (again) {
          // Not even the last good weights can be shown: say so inline rather than reject into the page.
          setSetupError(`Training stopped: ${messageOf(again)}`);
        }
      }
    } finally {
      if (abort.current === ac) abort.current = null;
    }
  }, [steps, snapshot]);

  /** A new trainer at step 0 (or null, with the reason shown inline, if it cannot be built). */
  const fresh = useCallback((): Trainer | null => {
    try {
      const t = newTrainingTrainer({ seed, steps, lr });
      trainer.current = t;
      setView(snapshot(t, 'idle'));
      return t;
    } catch (e) {
      trainer.current = null;
      setSetupError(`The trainer could not start: ${messageOf(e)}`);
      return null;
    }
  }, [seed, steps, lr, snapshot]);

  // A new run whenever an attribute changes (and the first time).
  useEffect(() => {
    setSetupError(null);
    if (!valid) return;
    const t = fresh();
    if (t && autoplay) void start();
    return () => {
      abort.current?.abort();
      abort.current = null;
      trainer.current = null;
    };
  }, [valid, autoplay, fresh, start]);

  const running = view.status === 'running';
  return (
    <Frame
      widget="training"
      title="Training the toy world: watch the loss fall"
      errors={errors}
      status={errors.length === 0 ? 'ready' : 'error'}
      model="toy world, trained here from random weights"
      engine="cpu"
      engineReason="Training runs on this page's CPU."
    >
      {errors.length === 0 && (
        <div data-testid="training" data-status={view.status} data-step={view.step} data-loss={view.loss ?? ''}>
          <p className="gbw-note">
            The text: <span className="gbw-prompt">{TOY_WORLD_TEXT}</span>. Each step predicts every next word, measures
            the cross-entropy loss, and moves all 356 weights a little downhill (AdamW, learning rate {lr}).
          </p>
          <div className="gbw-controls">
            <button
              type="button"
              onClick={() => (running ? abort.current?.abort() : void start())}
              disabled={view.status === 'done' || view.status === 'diverged'}
              data-testid="train"
            >
              {running ? 'Pause' : view.step > 0 ? 'Continue' : `Train ${steps} steps`}
            </button>
            <button
              type="button"
              onClick={() => {
                abort.current?.abort();
                abort.current = null;
                fresh();
              }}
              data-testid="reset"
            >
              Reset
            </button>
            <span className="gbw-note" data-testid="progress">
              Step {view.step} of {steps}
              {view.loss !== null ? `, loss ${view.loss.toFixed(4)}` : ''}
            </span>
          </div>
          <LossCurve
            title="Training loss (cross-entropy)"
            train={view.history}
            width={520}
            height={220}
            testId="loss"
          />
          <p className="gbw-note" data-testid="continuation">
            The model continues <span className="gbw-prompt">{prompt}</span> with{' '}
            <span className="gbw-continuation">{view.continuation || '…'}</span>
          </p>
          {view.note && (
            <p className="gbw-error" role="status">
              {view.note}
            </p>
          )}
        </div>
      )}
    </Frame>
  );
}
