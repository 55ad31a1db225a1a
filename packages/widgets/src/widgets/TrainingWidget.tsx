import type { Trainer } from '@glassbox/compute';
import { GlassboxError } from '@glassbox/compute';
import {
  continueGreedy,
  createToyWorldTrainer,
  TOY_WORLD_RECIPE,
  TOY_WORLD_TEXT,
  toyWorldTokenizer,
} from '@glassbox/models';
import { TOY_PROMPT } from '@glassbox/store';
import type { LossPoint } from '@glassbox/views';
import { LossCurve } from '@glassbox/views';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Attributes } from '../attributes';
import { messageOf, Problems, parseFlag, parseIndex, parseNumber, parsePrompt, quote } from '../attributes';
import { Frame } from '../Frame';

export const TRAINING_ATTRIBUTES = ['steps', 'lr', 'seed', 'prompt', 'autoplay'];

export const MAX_WIDGET_STEPS = 5000;
/** Frames a whole run is spread over (about two seconds), so the curve visibly falls however fast the CPU is. */
const FRAMES_PER_RUN = 120;

/** The shipped recipe with this widget's seed, length and learning rate (cosine decay over the whole run). */
function newTrainer(seed: number, steps: number, lr: number): Trainer {
  return createToyWorldTrainer({
    ...TOY_WORLD_RECIPE,
    seed,
    steps,
    schedule: { ...TOY_WORLD_RECIPE.schedule, lr, decaySteps: steps, minLr: lr / 10 },
  });
}

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
  const problems = new Problems();
  const steps = problems.take(parseIndex('steps', attrs.steps, TOY_WORLD_RECIPE.steps), TOY_WORLD_RECIPE.steps);
  if (steps < 1 || steps > MAX_WIDGET_STEPS) problems.add(`steps=${steps} must be from 1 to ${MAX_WIDGET_STEPS}.`);
  const lr = problems.take(
    parseNumber('lr', attrs.lr, TOY_WORLD_RECIPE.schedule.lr, (n) => (n > 0 ? null : 'the learning rate must be > 0.')),
    TOY_WORLD_RECIPE.schedule.lr,
  );
  const seed = problems.take(parseIndex('seed', attrs.seed, TOY_WORLD_RECIPE.seed), 0);
  const prompt = problems.take(parsePrompt(attrs.prompt, TOY_PROMPT, 200), TOY_PROMPT);
  try {
    toyWorldTokenizer.tokenize(prompt);
  } catch (e) {
    problems.add(`prompt=${quote(prompt)}: ${messageOf(e)}`);
  }
  const autoplay = parseFlag(attrs.autoplay);
  const valid = problems.list.length === 0;

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
        setView(
          snapshot(t, diverged ? 'diverged' : 'paused', `${diverged ? 'Training diverged: ' : ''}${messageOf(e)}`),
        );
      }
    } finally {
      if (abort.current === ac) abort.current = null;
    }
  }, [steps, snapshot]);

  // A new run whenever an attribute changes (and the first time).
  useEffect(() => {
    if (!valid) return;
    const t = newTrainer(seed, steps, lr);
    trainer.current = t;
    setView(snapshot(t, 'idle'));
    if (autoplay) void start();
    return () => {
      abort.current?.abort();
      abort.current = null;
      trainer.current = null;
    };
  }, [valid, seed, steps, lr, autoplay, snapshot, start]);

  const running = view.status === 'running';
  return (
    <Frame
      widget="training"
      title="Training the toy world: watch the loss fall"
      errors={problems.list}
      status={valid ? 'ready' : 'error'}
      model="toy world, trained here from random weights"
      engine="cpu"
      engineReason="Training runs on this page's CPU."
    >
      {valid && (
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
                const t = newTrainer(seed, steps, lr);
                trainer.current = t;
                setView(snapshot(t, 'idle'));
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
