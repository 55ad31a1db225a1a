import { forward } from '@glassbox/compute';
import { describe, expect, it } from 'vitest';
import { createExplorerStores } from './explorer';
import { defaultCatalog, UNTRAINED_ID, UNTRAINED_MODEL } from './modelSource';
import { serializeUrlState } from './urlState';

async function opened(search = '') {
  const stores = createExplorerStores({ catalog: [UNTRAINED_MODEL] });
  await stores.openUrl(search);
  return stores;
}

describe('explorer stores', () => {
  it('open the default model and prompt and capture every hook of a real forward pass', async () => {
    const { session } = await opened();
    const s = session.getState();
    expect(s.status).toBe('ready');
    expect(s.model?.id).toBe(UNTRAINED_ID);
    expect(s.engineKind).toBe('cpu');
    expect(s.prompt).toBe(UNTRAINED_MODEL.examplePrompt);
    expect(s.tokens.length).toBe(s.prompt.length);
    const model = s.model!;
    const ref = forward(
      model.config,
      model.params,
      s.tokens.map((t) => t.id),
      { capture: ['blocks.1.attn.hook_pattern'] },
    );
    expect(s.trace?.['blocks.1.attn.hook_pattern'].data).toEqual(ref.trace['blocks.1.attn.hook_pattern'].data);
  });

  it('open on the shipped default model, trained, with its example prompt, on the CPU outside a browser', async () => {
    const stores = createExplorerStores({ catalog: defaultCatalog() });
    await stores.openUrl('');
    const s = stores.session.getState();
    expect(s.model?.trained).toBe(true);
    expect(s.model?.id).toBe(defaultCatalog()[0].id);
    expect(s.prompt).toBe(defaultCatalog()[0].examplePrompt);
    expect(s.engineKind).toBe('cpu');
    expect(s.engineReason).toMatch(/CPU reference engine: WebGPU is not available/);
    expect(s.trace?.hook_logits.shape).toEqual([s.tokens.length, s.model?.config.vocab_size]);
  });

  it('step forward through the layers and back, keeping the layer selection in step', async () => {
    const { stepper, selection } = await opened();
    const st = stepper.getState();
    expect(st.index()).toBe(0);
    while (!(stepper.getState().kind === 'ln1' && selection.getState().layer === 1)) stepper.getState().next();
    stepper.getState().prev();
    expect(stepper.getState().kind).toBe('resid_post');
    expect(selection.getState().layer).toBe(0);
    stepper.getState().goTo(999);
    expect(stepper.getState().kind).toBe('sample');
  });

  it('reopen the same view from its URL, and survive a hostile one with notices', async () => {
    const a = await opened('?prompt=Hello%20there&step=pattern&layer=1&head=2&token=3&temperature=0.5&seed=9');
    const url = serializeUrlState(a.urlState());
    const b = await opened(url);
    expect(b.urlState()).toEqual(a.urlState());
    expect(b.urlState()).toMatchObject({ step: 'pattern', layer: 1, head: 2, token: 3, temperature: 0.5 });

    const c = await opened('?model=nope&layer=50&head=x&prompt=%3Cimg%20src%3Dx%3E');
    expect(c.session.getState().status).toBe('ready');
    expect(c.session.getState().prompt).toBe('<img src=x>');
    expect(c.session.getState().notices.length).toBe(3);
  });

  it('append a token and run again, one position longer', async () => {
    const { session } = await opened('?prompt=ab');
    await session.getState().appendToken(session.getState().tokens[0].id);
    expect(session.getState().prompt).toBe('aba');
    expect(session.getState().trace?.hook_logits.shape[0]).toBe(3);
  });

  it('zeroing a head through an intervention hook changes the prediction', async () => {
    const { session } = await opened();
    await session.getState().setIntervention({ kind: 'head', layer: 0, head: 1 });
    const r = session.getState().interventionResult!;
    const base = session.getState().trace!.hook_logits;
    const V = base.shape[1];
    const baseRow = base.data.subarray(r.position * V, (r.position + 1) * V);
    expect(r.logits.length).toBe(V);
    expect(Array.from(r.logits)).not.toEqual(Array.from(baseRow));
  });

  it('refuse invalid sampling values with a message and keep the last valid one', async () => {
    const { sampling } = await opened();
    expect(sampling.getState().set('temperature', -2)).toBe(false);
    expect(sampling.getState().temperature).toBe(1);
    expect(sampling.getState().errors.temperature).toMatch(/Temperature/);
    expect(sampling.getState().set('temperature', 0.3)).toBe(true);
    expect(sampling.getState().errors.temperature).toBeUndefined();
  });

  it('report a prompt the model cannot see whole as an error, not a crash', async () => {
    const { session } = await opened();
    session.getState().setPrompt('x'.repeat(200));
    await session.getState().run();
    expect(session.getState().status).toBe('error');
    expect(session.getState().error).toMatch(/at most 128/);
  });
});
