/**
 * The training widget's attributes and the optimizer schedule they become. Pure (no DOM, no React): unit-tested in
 * Node, so every value an attribute can carry is checked to give either a trainer or an inline message, never an
 * exception from the trainer.
 */
import type { LrSchedule, Trainer } from '@glassbox/compute';
import { createToyWorldTrainer, TOY_WORLD_CONFIG, TOY_WORLD_RECIPE, toyWorldTokenizer } from '@glassbox/models';
import { SEED_MAX, TOY_PROMPT } from '@glassbox/store';
import type { Attributes } from './attributes';
import { messageOf, Problems, parseFlag, parseIndex, parseNumber, parsePrompt, quote } from './attributes';

export const MAX_WIDGET_STEPS = 5000;
/** Characters; the toy world reads at most TOY_WORLD_CONFIG.n_positions words anyway. */
export const MAX_TRAINING_PROMPT = 200;

export interface TrainingAttrs {
  steps: number;
  lr: number;
  seed: number;
  prompt: string;
  autoplay: boolean;
}

/**
 * The shipped recipe's schedule for a run of `steps` steps at peak learning rate `lr`: linear warmup, then cosine
 * decay over the rest of the run down to lr / 10.
 *
 * The recipe warms up for 10 steps. A shorter run (steps="5" is in the documented range 1 … 5000, and a short run
 * is a fair thing to show students: "after 5 steps the model still talks nonsense") cannot, and the trainer rejects
 * a schedule whose decay ends before its warmup does. Rejecting such runs would blame the author for a constant
 * they never wrote, so the schedule adapts instead: warmup takes at most half of the run. Every run of 20 steps or
 * more (the shipped 300 included) keeps the recipe's 10 warmup steps, bit for bit; steps="1" trains one step at
 * the full learning rate (warmup 0, the cosine starts at lr).
 */
export function trainingSchedule(steps: number, lr: number): LrSchedule {
  const warmupSteps = Math.min(TOY_WORLD_RECIPE.schedule.warmupSteps ?? 0, Math.floor(steps / 2));
  return { ...TOY_WORLD_RECIPE.schedule, lr, warmupSteps, decaySteps: steps, minLr: lr / 10 };
}

/** The shipped recipe with this widget's seed, length and learning rate. */
export function newTrainingTrainer(a: Pick<TrainingAttrs, 'seed' | 'steps' | 'lr'>): Trainer {
  return createToyWorldTrainer({
    ...TOY_WORLD_RECIPE,
    seed: a.seed,
    steps: a.steps,
    schedule: trainingSchedule(a.steps, a.lr),
  });
}

/**
 * Every training attribute, checked up front: each problem is one sentence naming the attribute and what is allowed.
 * The values returned alongside problems are fallbacks and must not be trained with.
 */
export function trainingAttrs(attrs: Attributes): { value: TrainingAttrs; problems: string[] } {
  const problems = new Problems();
  const recipeSteps = TOY_WORLD_RECIPE.steps;
  const stepsRange = `a whole number from 1 to ${MAX_WIDGET_STEPS}`;
  const parsedSteps = parseIndex('steps', attrs.steps, recipeSteps);
  let steps = recipeSteps;
  if (!parsedSteps.ok) problems.add(`steps=${quote(attrs.steps ?? '')} must be ${stepsRange}.`);
  else if (parsedSteps.value < 1 || parsedSteps.value > MAX_WIDGET_STEPS) {
    problems.add(`steps=${parsedSteps.value} is out of range: steps must be ${stepsRange}.`);
  } else steps = parsedSteps.value;
  const recipeLr = TOY_WORLD_RECIPE.schedule.lr;
  const lrRange = `a number > 0 (the recipe uses ${recipeLr})`;
  // parseNumber says "is not a number." for text, NaN and ±Infinity; the range is said in either case.
  const parsedLr = parseNumber('lr', attrs.lr, recipeLr, (n) =>
    n > 0 ? null : `the learning rate must be ${lrRange}.`,
  );
  const lr = problems.take(
    parsedLr.ok || !parsedLr.error.endsWith(' is not a number.')
      ? parsedLr
      : { ok: false, error: `${parsedLr.error.slice(0, -1)}: the learning rate must be ${lrRange}.` },
    recipeLr,
  );
  // The initial weights' seed: the same range as the next-token widget's (the generator reads 32 bits).
  const seed = problems.take(
    parseNumber('seed', attrs.seed, TOY_WORLD_RECIPE.seed, (n) =>
      Number.isInteger(n) && n >= 0 && n <= SEED_MAX ? null : `the seed must be a whole number from 0 to ${SEED_MAX}.`,
    ),
    TOY_WORLD_RECIPE.seed,
  );
  const parsed = parsePrompt(attrs.prompt, TOY_PROMPT, MAX_TRAINING_PROMPT);
  const prompt = problems.take(parsed, TOY_PROMPT);
  if (parsed.ok) {
    try {
      const words = toyWorldTokenizer.tokenize(prompt).length;
      // Room for at least one word of continuation: a prompt that fills the context would continue with nothing.
      const most = TOY_WORLD_CONFIG.n_positions - 1;
      if (words === 0) problems.add('prompt has no words: write some words of the toy world, e.g. prompt="cat sat".');
      else if (words > most) {
        problems.add(`prompt=${quote(prompt)} is ${words} words long; the toy world continues at most ${most} words.`);
      }
    } catch (e) {
      problems.add(`prompt=${quote(prompt)}: ${messageOf(e)}`);
    }
  }
  return { value: { steps, lr, seed, prompt, autoplay: parseFlag(attrs.autoplay) }, problems: problems.list };
}
