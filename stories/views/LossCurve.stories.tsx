import { LossCurve } from '@glassbox/views';
import type { Meta, StoryObj } from '@storybook/react-vite';
import { modelArg, NotCaptured } from '../controls';
import { MODELS, storyModel } from '../traces';

interface Args {
  model: string;
  log: boolean;
  width: number;
  height: number;
}

const meta: Meta<Args> = {
  title: 'Views/LossCurve',
  argTypes: {
    model: { ...modelArg, options: MODELS.filter((m) => m.lossCurve).map((m) => m.name) },
    log: { control: 'boolean', description: 'Log scale on the loss axis' },
    width: { control: { type: 'range', min: 240, max: 900, step: 20 } },
    height: { control: { type: 'range', min: 160, max: 480, step: 20 } },
  },
  args: { model: 'toy-world', log: true, width: 560, height: 260 },
};
export default meta;

/** The training loss of the model's recipe, every step (and validation loss where the recipe measured it). */
export const Recipe: StoryObj<Args> = {
  render: (args) => {
    const m = storyModel(args.model);
    if (!m.lossCurve) return <NotCaptured what="A loss curve" model={m.name} />;
    return (
      <LossCurve
        title={m.lossCurve.title}
        train={m.lossCurve.train}
        val={m.lossCurve.val}
        log={args.log}
        width={args.width}
        height={args.height}
        testId="story-loss"
      />
    );
  },
};

/**
 * 150 good steps of the toy world recipe, then learning rate 1000: the loss jumps a hundred-million-fold until the
 * run fails with training-diverged. The lab undoes those steps; they are drawn grey and dotted.
 */
export const Diverged: StoryObj<Args> = {
  argTypes: { model: { ...modelArg, options: MODELS.filter((m) => m.diverged).map((m) => m.name) } },
  render: (args) => {
    const m = storyModel(args.model);
    const d = m.diverged;
    if (!d) return <NotCaptured what="A diverged run" model={m.name} />;
    return (
      <div>
        <LossCurve
          title={`Learning rate ${d.lr} after step ${d.train.length}: diverged at step ${d.failedStep}`}
          train={d.train}
          undone={d.undone}
          log={args.log}
          width={args.width}
          height={args.height}
          testId="story-loss"
        />
        <p>{d.reason}</p>
      </div>
    );
  },
};
