import type {
  AcquireOptions,
  GPTConfig,
  GPTParams,
  GpuAdapterDescription,
  Trainer,
  TrainerOptions,
} from '@glassbox/compute';
import { cloneParams, GlassboxError, GpuContext, WebGpuEngine, WebGpuModelTrainer } from '@glassbox/compute';

/**
 * The training lab's WebGPU side, inside the worker: one device for the page's worker, one engine per model (its
 * weights on the GPU), and a trainer per stretch of runs. Dedicated workers have `navigator.gpu` in Chromium, so the
 * worker trains on the GPU directly; the CPU Trainer stays the home of the stepped phases and of what the page draws
 * (predictions, validation, checkpoints), which read a CPU copy of the GPU's weights.
 */

/** Where the worker gets WebGPU from: `navigator.gpu` in a browser, Dawn's binding in Node tests. */
export type GpuSource = () => AcquireOptions['gpu'] | Promise<AcquireOptions['gpu']>;

export const browserGpuSource: GpuSource = () =>
  (globalThis as { navigator?: { gpu?: AcquireOptions['gpu'] } }).navigator?.gpu;

/** Failures that mean "train on the CPU instead": the device went away, or this model does not fit it. */
export function isGpuTrouble(e: unknown): e is GlassboxError {
  return (
    e instanceof GlassboxError && (e.code === 'device-lost' || e.code === 'device-limit' || e.code === 'unsupported')
  );
}

export class TrainingGpu {
  private context: GpuContext | null = null;
  private adapter: GpuAdapterDescription | null = null;
  private acquiring: Promise<void> | null = null;
  /** Why there is no WebGPU in this worker at all. */
  private unavailable: string | null = null;
  /** The device's loss message once it is gone (for the rest of the page's life). */
  private lostMessage: string | null = null;
  /** Why the current model cannot run on this device. */
  private modelProblem: string | null = null;
  private engine: WebGpuEngine | null = null;
  private current: WebGpuModelTrainer | null = null;
  /** The CPU trainer's generation `current` was made from (see TrainingWorkerCore). */
  private currentGeneration = -1;

  constructor(
    private readonly source: GpuSource,
    private readonly onLost: (why: string) => void,
  ) {}

  /** Get a device, once per worker. Never throws: no WebGPU is an answer, kept as the reason. */
  acquire(): Promise<void> {
    this.acquiring ??= (async () => {
      try {
        const gpu = await this.source();
        const context = await GpuContext.create({ gpu });
        this.context = context;
        this.adapter = context.adapter;
        context.device.lost.then((info: { reason?: string; message?: string }) => {
          const why = [info.reason, info.message].filter(Boolean).join(': ') || 'unknown reason';
          this.markLost(clean(why));
        });
      } catch (e) {
        this.unavailable = clean(e instanceof Error ? e.message : String(e));
      }
    })();
    return this.acquiring;
  }

  /** The current weights are on the GPU and a run can train there. */
  get usable(): boolean {
    return this.engine !== null && this.lostMessage === null && this.modelProblem === null;
  }

  /** A WebGPU device works here (it may still be unable to run this model). */
  get available(): boolean {
    return this.context !== null && this.lostMessage === null;
  }

  get lost(): boolean {
    return this.lostMessage !== null;
  }

  /** The browser's reason the device was lost ("destroyed: Device was destroyed"), once it is. */
  get lostReason(): string | null {
    return this.lostMessage;
  }

  /**
   * An error from a GPU operation, as 'device-lost' when that is what it was. Chromium rejects a readback in flight
   * ("Buffer was unmapped before mapping was resolved") before it resolves `device.lost`, and compute waits only one
   * tick for it; so wait for the loss a moment longer here before calling the error something else.
   */
  async explain(e: unknown): Promise<unknown> {
    const context = this.context;
    if (e instanceof GlassboxError || !context) return e;
    if (!this.lost) await Promise.race([context.device.lost, new Promise((r) => setTimeout(r, 1000))]);
    return this.lost ? new GlassboxError('device-lost', `the WebGPU device was lost (${this.lostMessage})`) : e;
  }

  /** "google swiftshader": the adapter, as the explorer names it. */
  get adapterName(): string {
    const a = this.adapter;
    return a ? [a.vendor, a.architecture].filter(Boolean).join(' ') : '';
  }

  /** Why runs do not train on WebGPU (when `usable` is false). */
  get whyNot(): string {
    if (this.unavailable !== null) return this.unavailable;
    if (this.lostMessage !== null) {
      return `the WebGPU device was lost (${this.lostMessage}); reload the page to try WebGPU again`;
    }
    if (this.modelProblem !== null) return `WebGPU cannot run this model: ${this.modelProblem}`;
    return 'WebGPU is not set up yet';
  }

  /** Put a new model's weights on the GPU (a new run), or note why it cannot run there. */
  async setModel(config: GPTConfig, params: GPTParams): Promise<void> {
    this.dropTrainer();
    this.engine?.dispose();
    this.engine = null;
    this.modelProblem = null;
    await this.acquire();
    const context = this.context;
    if (!context || this.lostMessage !== null) return;
    try {
      this.engine = await WebGpuEngine.create(config, cloneParams(config, params), { context, ownsContext: false });
    } catch (e) {
      if (!isGpuTrouble(e)) throw e;
      if (e.code === 'device-lost') this.markLost(lostWhy(e));
      else this.modelProblem = clean(e.message);
    }
  }

  /**
   * The trainer for the next run: the current one when it still holds the CPU trainer's state, else a new one
   * restored from the CPU trainer's checkpoint (weights, optimizer moments and step, so the batches and the learning
   * rate go on from there and the loss does not bump).
   */
  async trainerFor(cpu: Trainer, options: TrainerOptions, generation: number): Promise<WebGpuModelTrainer> {
    const engine = this.engine;
    if (!engine || !this.usable) throw new GlassboxError('unsupported', this.whyNot);
    const t = this.current;
    if (t && this.currentGeneration === generation && t.completedSteps === cpu.completedSteps) return t;
    this.dropTrainer();
    const trainer = new WebGpuModelTrainer(engine, options);
    try {
      await trainer.restore(await cpu.checkpoint());
    } catch (e) {
      if (!this.lost) trainer.dispose();
      throw e;
    }
    this.current = trainer;
    this.currentGeneration = generation;
    return trainer;
  }

  /** Forget the GPU trainer (its optimizer buffers); the engine keeps the weights it last had. */
  dropTrainer(): void {
    const t = this.current;
    this.current = null;
    if (t && !this.lost) t.dispose();
  }

  /**
   * Stop using WebGPU for this model (a limit it hit) or for good (a lost device); the trainer is expected to have
   * been handed to fallbackTrainerToCpu, which disposes it.
   */
  abandon(e: GlassboxError): void {
    this.current = null;
    if (e.code === 'device-lost') this.markLost(lostWhy(e));
    else this.modelProblem = clean(e.message);
    if (!this.lost) this.engine?.dispose();
    this.engine = null;
  }

  /** Destroy the device, as a driver reset would. True when there was one. */
  loseDevice(): boolean {
    if (!this.context || this.lost) return false;
    this.context.device.destroy();
    return true;
  }

  private markLost(why: string): void {
    if (this.lostMessage !== null) return;
    this.lostMessage = why;
    this.onLost(why);
  }
}

/** "destroyed: Device was destroyed" out of compute's "the WebGPU device was lost (…); create a new engine …". */
function lostWhy(e: GlassboxError): string {
  return clean(e.message.replace(/^the WebGPU device was lost \((.*)\)[^)]*$/, '$1'));
}

function clean(s: string): string {
  return s.replace(/; create a new engine or use the CPU$/, '').replace(/[.\s]+$/, '');
}
