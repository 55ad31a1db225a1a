import { GlassboxError, learningRate, validateSchedule } from '@glassbox/compute';
import { TOY_WORLD_RECIPE } from '@glassbox/models';
import { describe, expect, it } from 'vitest';
import { MAX_WIDGET_STEPS, newTrainingTrainer, trainingAttrs, trainingSchedule } from './training';

const attrs = (a: Record<string, string>) => ({
  steps: null,
  lr: null,
  seed: null,
  prompt: null,
  autoplay: null,
  ...a,
});

describe('the training widget', () => {
  it('the shipped 300-step run keeps the recipe schedule exactly', () => {
    expect(trainingSchedule(300, TOY_WORLD_RECIPE.schedule.lr)).toEqual(TOY_WORLD_RECIPE.schedule);
  });

  it('every step count from 1 to the maximum gives a schedule the trainer accepts', () => {
    for (let steps = 1; steps <= MAX_WIDGET_STEPS; steps++) {
      const s = trainingSchedule(steps, 0.02);
      expect(() => validateSchedule(s)).not.toThrow();
      if (steps >= 20) expect(s.warmupSteps).toBe(TOY_WORLD_RECIPE.schedule.warmupSteps);
      else expect(s.warmupSteps).toBe(Math.floor(steps / 2));
    }
  });

  it('short runs (steps 1 … 11) build, train to the end and reach the peak learning rate', () => {
    for (let steps = 1; steps <= 11; steps++) {
      const t = newTrainingTrainer({ seed: 0, steps, lr: 0.02 });
      const lrs = Array.from({ length: steps }, (_, i) => learningRate(i, trainingSchedule(steps, 0.02)));
      expect(Math.max(...lrs)).toBeCloseTo(0.02, 12);
      for (let i = 0; i < steps; i++) t.runStep();
      expect(t.completedSteps).toBe(steps);
    }
  });

  it('steps="5" (the reported page error) is valid and trains', () => {
    const { value, problems } = trainingAttrs(attrs({ steps: '5' }));
    expect(problems).toEqual([]);
    expect(value.steps).toBe(5);
    expect(() => newTrainingTrainer(value)).not.toThrow();
  });

  it('bad attributes are inline messages naming the attribute and its range, never exceptions', () => {
    const cases: [string, string, RegExp][] = [
      ['steps', '0', /steps=0 is out of range: .*1 to 5000/],
      ['steps', '5001', /steps=5001 is out of range: .*1 to 5000/],
      ['steps', '999999999', /steps=999999999 is out of range/],
      ['steps', '-1', /steps="-1" must be a whole number from 1 to 5000/],
      ['steps', '1.5', /steps="1.5" must be a whole number from 1 to 5000/],
      ['steps', 'abc', /steps="abc" must be a whole number from 1 to 5000/],
      ['steps', '', /steps="" must be a whole number/],
      ['steps', '1e3', /steps="1e3" must be a whole number/],
      ['lr', '0', /lr="0": the learning rate must be a number > 0/],
      ['lr', '-1', /lr="-1": the learning rate must be a number > 0/],
      ['lr', '1e-400', /lr="1e-400": the learning rate must be a number > 0/],
      ['lr', 'NaN', /lr="NaN" is not a number: the learning rate must be a number > 0/],
      ['lr', 'Infinity', /lr="Infinity" is not a number/],
      ['lr', '1e400', /lr="1e400" is not a number/],
      ['lr', '', /lr="" is not a number/],
      ['seed', '-1', /seed="-1": the seed must be a whole number from 0 to 4294967295/],
      ['seed', '2.5', /seed="2.5": the seed must be a whole number from 0 to 4294967295/],
      ['seed', '4294967296', /seed="4294967296": the seed must be a whole number from 0 to 4294967295/],
      ['seed', 'x', /seed="x" is not a number/],
      ['prompt', '', /prompt is empty/],
      ['prompt', 'cat flew', /prompt="cat flew": .*flew/],
      ['prompt', '<img src=x onerror=alert(1)>', /prompt="<img src=x onerror=alert\(1\)>"/],
      ['prompt', Array(16).fill('cat').join(' '), /prompt=.* is 16 words long; the toy world continues at most 15/],
      ['prompt', 'cat '.repeat(60), /prompt is 240 characters long; at most 200/],
    ];
    for (const [name, value, expected] of cases) {
      const { problems } = trainingAttrs(attrs({ [name]: value }));
      expect(problems, `${name}="${value}"`).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    }
  });

  it('every learning rate that passes builds a trainer; a huge one diverges as a GlassboxError, not a crash', () => {
    for (const lr of ['1e-300', '5e-324', '0.02', '1', '10000', '1e300']) {
      const { value, problems } = trainingAttrs(attrs({ lr, steps: '3' }));
      expect(problems, lr).toEqual([]);
      const t = newTrainingTrainer(value);
      try {
        for (let i = 0; i < value.steps; i++) t.runStep();
      } catch (e) {
        expect(e instanceof GlassboxError && e.code === 'training-diverged', `${lr}: ${e}`).toBe(true);
      }
    }
  });
});
