import type {
  Lecture,
  LectureSlide,
  LoadedModel,
  PresentRole,
  PresentSyncMessage,
  StepKind,
  TrainPhase,
} from '@glassbox/store';
import {
  checkLectureForModel,
  HUB_ID_PREFIX,
  hubRefFromModelId,
  lectureChannelKey,
  STEP_INFO,
  serializeUrlState,
  slideIndexFromParam,
  slideTitle,
  slideUrlState,
  TRAIN_PHASE_INFO,
} from '@glassbox/store';
import { Formula } from '@glassbox/views';
import type { MouseEvent, ReactNode } from 'react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { sampling, selection, session, stepper } from '../stores';
import { ExplorerSlideBody } from './ExplorerSlide';
import { hasPhase, lectureTrainer, showTrainPhase } from './lectureTrainer';
import { DEFAULT_LECTURE, loadLecture } from './loadLecture';
import type { PeerState } from './Presenter';
import { PresenterView } from './Presenter';
import { SYNC_SUPPORTED, usePresentSync } from './sync';
import { TRAIN_FORMULA, TrainSlideBody } from './TrainSlide';
import './present.css';

type Phase =
  | { kind: 'loading'; what: string; title?: string }
  | { kind: 'error'; title: string; errors: string[]; from: string }
  | { kind: 'ready'; lecture: Lecture; model: LoadedModel };

const HEAD_STEPS: readonly StepKind[] = ['qkv', 'scores', 'pattern', 'z'];

/**
 * Presentation mode (`?lecture=…`): a lecture's slides, one idea per screen, in large type and high contrast, for a
 * lecture hall. Each slide drives the explorer's real stores (model, prompt, step, layer, head, token, sampling) or
 * the lecture's own trainer, so every number shown is computed by the model. Keys are those a presentation clicker
 * sends: → ← Space PageDown PageUp Home End; N toggles the speaker notes (hidden by default), F full screen, B blank.
 *
 * P opens the presenter view (the same address with `presenter=1`) in a second window for the lecturer's laptop. The
 * windows follow each other over a BroadcastChannel named after the lecture (./sync.ts): the slide, the clock and
 * the black screen, whichever window the keys are pressed in.
 */
export function Present() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading', what: 'Loading the lecture…' });
  const [index, setIndex] = useState(0);
  const [notes, setNotes] = useState(false);
  const [blank, setBlank] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [startedAt, setStartedAt] = useState(() => Date.now());
  const [fullscreen, setFullscreen] = useState(false);
  const [{ role, lectureParam }] = useState(() => {
    const params = new URLSearchParams(window.location.search);
    return {
      role: (params.has('presenter') ? 'presenter' : 'audience') as PresentRole,
      lectureParam: params.get('lecture') ?? '',
    };
  });
  /** The other window (presenter or audience), as far as this one has heard. */
  const [peer, setPeer] = useState<PeerState>('none');
  /** The presenter view's address when the browser blocked the window: the page offers it as a link. */
  const [blocked, setBlocked] = useState<string | null>(null);
  /** When the shown slide was last chosen, here or in another window: of two changes at once, the later wins. */
  const lastAt = useRef(0);
  const indexRef = useRef(index);
  indexRef.current = index;

  useEffect(() => {
    const onChange = () => setFullscreen(document.fullscreenElement !== null);
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);

  useEffect(() => {
    let cancelled = false;
    void openLecture((p) => {
      if (!cancelled) setPhase(p);
    }).then((i) => {
      if (!cancelled && i !== null) setIndex(i);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const count = phase.kind === 'ready' ? phase.lecture.slides.length : 0;

  const post = usePresentSync(lectureParam, role, count, (m: PresentSyncMessage) => {
    if (m.from !== role) setPeer(m.kind === 'bye' ? 'closed' : 'open');
    switch (m.kind) {
      case 'hello':
        // A window has just opened this lecture: tell it where we are.
        post({ kind: 'slide', slide: indexRef.current + 1, at: lastAt.current });
        post({ kind: 'timer', startedAt });
        post({ kind: 'blank', on: blank });
        break;
      case 'slide':
        if (m.at >= lastAt.current) {
          lastAt.current = m.at;
          setIndex(m.slide - 1);
        }
        break;
      case 'timer':
        setStartedAt(m.startedAt);
        break;
      case 'blank':
        setBlank(m.on);
        break;
      case 'bye':
        break;
    }
  });

  /** Show slide i (0-based, clamped), chosen in this window: the other windows follow. */
  const go = useCallback(
    (i: number) => {
      const j = Math.max(0, Math.min(count - 1, i));
      if (j === indexRef.current) return;
      lastAt.current = Math.max(Date.now(), lastAt.current + 1);
      setIndex(j);
      post({ kind: 'slide', slide: j + 1, at: lastAt.current });
    },
    [count, post],
  );
  const setBlankSynced = useCallback(
    (on: boolean) => {
      setBlank(on);
      post({ kind: 'blank', on });
    },
    [post],
  );
  const resetTimer = useCallback(() => {
    const t = Date.now();
    setStartedAt(t);
    post({ kind: 'timer', startedAt: t });
  }, [post]);

  /** This lecture at the current slide, as the presenter view (`presenter=1`) or the audience's slides. */
  const addressFor = useCallback(
    (as: PresentRole) => {
      const params = new URLSearchParams(window.location.search);
      params.set('slide', String(index + 1));
      if (as === 'presenter') params.set('presenter', '1');
      else params.delete('presenter');
      return `${window.location.pathname}?${params}`;
    },
    [index],
  );

  const openPresenter = useCallback(() => {
    if (!SYNC_SUPPORTED) {
      setNotice(
        'This browser cannot keep two windows in step (it has no BroadcastChannel): use the notes panel (N) instead.',
      );
      return;
    }
    const href = addressFor('presenter');
    let w: Window | null = null;
    try {
      w = window.open(href, `glassbox-presenter-${lectureChannelKey(lectureParam)}`, 'popup,width=1280,height=800');
    } catch {
      w = null;
    }
    if (w) {
      setBlocked(null);
      w.focus();
    } else {
      setBlocked(href);
    }
  }, [addressFor, lectureParam]);

  // The address names the slide, so a reload or a copied link reopens it.
  useEffect(() => {
    if (phase.kind !== 'ready') return;
    const params = new URLSearchParams(window.location.search);
    if (params.get('slide') === String(index + 1)) return;
    params.set('slide', String(index + 1));
    window.history.replaceState(null, '', `${window.location.pathname}?${params}${window.location.hash}`);
  }, [phase, index]);

  useEffect(() => {
    if (phase.kind === 'ready')
      document.title = `${role === 'presenter' ? 'Presenter view: ' : ''}${phase.lecture.title} — Glassbox`;
  }, [phase, role]);

  const toggleFullscreen = useCallback(async () => {
    const d = document as Document & { webkitFullscreenElement?: Element; webkitExitFullscreen?: () => void };
    if (document.fullscreenElement || d.webkitFullscreenElement) {
      if (document.exitFullscreen) await document.exitFullscreen().catch(() => {});
      else d.webkitExitFullscreen?.();
      return;
    }
    const el = document.documentElement as HTMLElement & { webkitRequestFullscreen?: () => void };
    try {
      if (el.requestFullscreen) await el.requestFullscreen();
      else if (el.webkitRequestFullscreen) el.webkitRequestFullscreen();
      else throw new Error('no Fullscreen API');
      setNotice(null);
    } catch {
      setNotice(
        'This page may not go full screen here (an embedded page, or the browser refused). The slides already fill the window: use the browser’s own full screen (F11, or Ctrl+Cmd+F on a Mac).',
      );
    }
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target as HTMLElement | null;
      if (t?.closest('input, textarea, select, [contenteditable]')) return;
      switch (e.key) {
        case 'ArrowRight':
        case 'ArrowDown':
        case 'PageDown':
          go(index + 1);
          break;
        case ' ':
          go(e.shiftKey ? index - 1 : index + 1);
          break;
        case 'ArrowLeft':
        case 'ArrowUp':
        case 'PageUp':
        case 'Backspace':
          go(index - 1);
          break;
        case 'Home':
          go(0);
          break;
        case 'End':
          go(count - 1);
          break;
        case 'n':
        case 'N':
          if (role === 'presenter') return; // the notes are the presenter view
          setNotes((v) => !v);
          break;
        case 'p':
        case 'P':
          if (role === 'presenter') return;
          openPresenter();
          break;
        case 'r':
        case 'R':
          if (role !== 'presenter') return;
          resetTimer();
          break;
        case 'f':
        case 'F':
          void toggleFullscreen();
          break;
        case 'b':
        case 'B':
        case '.':
          setBlankSynced(!blank);
          break;
        case 'Escape':
          if (!blank) return;
          setBlankSynced(false);
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go, index, count, blank, toggleFullscreen, role, openPresenter, resetTimer, setBlankSynced]);

  if (phase.kind === 'loading') {
    return (
      <div className="pr-root pr-message" data-testid="present" data-state="loading">
        {phase.title && <h1>{phase.title}</h1>}
        <p className="pr-wait">{phase.what}</p>
      </div>
    );
  }
  if (phase.kind === 'error') {
    return (
      <div className="pr-root pr-message" data-testid="present" data-state="error">
        <h1>{phase.title}</h1>
        <p>From {phase.from}:</p>
        <ul className="pr-errors" role="alert" data-testid="pr-errors">
          {phase.errors.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: messages have no identity beyond their place
            <li key={i}>{e}</li>
          ))}
        </ul>
        <p>
          How to write a lecture: <code>docs/teacher-guide.md</code> in the Glassbox repository. The shipped lecture:{' '}
          <a href={`?lecture=${DEFAULT_LECTURE}`}>{DEFAULT_LECTURE}</a>. <a href="./">Open the explorer</a>.
        </p>
      </div>
    );
  }

  const { lecture, model } = phase;
  const slide = lecture.slides[index];
  const onButton = (f: () => void) => (e: MouseEvent<HTMLButtonElement>) => {
    f();
    e.currentTarget.blur(); // so Space goes on to the next slide instead of pressing the button again
  };
  const slideEl = slide.train ? (
    <TrainSlide key={index} slide={slide} phase={slide.train} />
  ) : (
    <ExplorerSlide key={index} slide={slide} kind={slide.step as StepKind} model={model} />
  );
  const noticeEl = notice && (
    <p className="pr-notice" role="status" data-testid="pr-notice">
      {notice}{' '}
      <button type="button" onClick={onButton(() => setNotice(null))} aria-label="Dismiss">
        ×
      </button>
    </p>
  );
  if (role === 'presenter') {
    return (
      <PresenterView
        lecture={lecture}
        index={index}
        startedAt={startedAt}
        blank={blank}
        audience={peer}
        audienceHref={addressFor('audience')}
        fullscreen={fullscreen}
        notice={noticeEl}
        current={slideEl}
        onGo={go}
        onResetTimer={resetTimer}
        onToggleBlank={() => setBlankSynced(!blank)}
        onToggleFullscreen={() => void toggleFullscreen()}
      />
    );
  }
  return (
    <div
      className={`pr-root${notes ? ' pr-with-notes' : ''}`}
      data-testid="present"
      data-state="ready"
      data-slide={index + 1}
      data-presenter={peer}
    >
      <header className="pr-top">
        <span className="pr-lecture-title">{lecture.title}</span>
        <span className="pr-top-actions">
          <a href={explorerHref(lecture, slide, model)} data-testid="pr-open-explorer">
            open in the {slide.train ? 'training lab' : 'explorer'}
          </a>
          <button type="button" onClick={onButton(openPresenter)} data-testid="pr-presenter">
            {peer === 'open' ? 'presenter view (P) ✓' : 'presenter view (P)'}
          </button>
          <button
            type="button"
            onClick={onButton(() => setNotes((v) => !v))}
            aria-pressed={notes}
            data-testid="pr-notes-toggle"
          >
            notes (N)
          </button>
          <button type="button" onClick={onButton(() => void toggleFullscreen())} data-testid="pr-fullscreen">
            {fullscreen ? 'exit full screen (F)' : 'full screen (F)'}
          </button>
        </span>
      </header>
      {noticeEl}
      {blocked && (
        <p className="pr-notice" role="alert" data-testid="pr-popup-blocked">
          The browser blocked the presenter window (a pop-up).{' '}
          <a
            href={blocked}
            target={`glassbox-presenter-${lectureChannelKey(lectureParam)}`}
            onClick={() => setBlocked(null)}
            data-testid="pr-presenter-link"
          >
            Open the presenter view
          </a>{' '}
          with a click instead, or allow pop-ups for this site and press P again.{' '}
          <button type="button" onClick={onButton(() => setBlocked(null))} aria-label="Dismiss">
            ×
          </button>
        </p>
      )}
      <p className="sr-only" aria-live="polite">
        Slide {index + 1} of {lecture.slides.length}: {slideTitle(slide)}
      </p>
      {slideEl}
      {notes && <Notes lecture={lecture} index={index} model={model} startedAt={startedAt} />}
      <footer className="pr-bottom">
        <div
          className="pr-progress"
          role="progressbar"
          aria-label="Lecture progress"
          aria-valuemin={1}
          aria-valuemax={lecture.slides.length}
          aria-valuenow={index + 1}
          aria-valuetext={`slide ${index + 1} of ${lecture.slides.length}`}
        >
          <span style={{ width: `${(100 * (index + 1)) / lecture.slides.length}%` }} />
        </div>
        <span className="pr-count" data-testid="pr-count">
          {index + 1} / {lecture.slides.length}
        </span>
        <span className="pr-keys">→ next · ← back · N notes · P presenter view · F full screen · B blank</span>
      </footer>
      {blank && (
        <div className="pr-blank" data-testid="pr-blank" aria-hidden="true" onClick={() => setBlankSynced(false)} />
      )}
    </div>
  );
}

/** Load the lecture named by the address, then its model; resolves the slide to open (null on failure). */
async function openLecture(setPhase: (p: Phase) => void): Promise<number | null> {
  const params = new URLSearchParams(window.location.search);
  const { result, from } = await loadLecture(params.get('lecture') ?? '', window.location.href);
  if (!result.ok) {
    setPhase({ kind: 'error', title: 'This lecture could not be opened', errors: result.errors, from });
    return null;
  }
  const lecture = result.lecture;
  setPhase({ kind: 'loading', title: lecture.title, what: `Loading the model ${lecture.model}…` });
  const s = session.getState();
  const hub = lecture.model.startsWith(HUB_ID_PREFIX) ? hubRefFromModelId(lecture.model) : null;
  const entry = s.catalog.find((m) => m.id === lecture.model);
  if (!hub && !entry) {
    setPhase({
      kind: 'error',
      title: 'This lecture could not be opened',
      errors: [
        `The lecture's model "${lecture.model}" is not one this app has: ${s.catalog.map((m) => m.id).join(', ')}, or a Hugging Face GPT-2 as "hf:owner/name".`,
      ],
      from,
    });
    return null;
  }
  const loaded = await s.loadModel(
    hub ? { kind: 'huggingface', repo: `${hub.repo}@${hub.revision}` } : { kind: 'catalog', id: lecture.model },
  );
  const model = session.getState().model;
  if (!loaded || !model) {
    setPhase({
      kind: 'error',
      title: 'This lecture could not be opened',
      errors: [session.getState().error ?? `The model ${lecture.model} could not be loaded.`],
      from,
    });
    return null;
  }
  const errors = checkLectureForModel(lecture, {
    id: lecture.model,
    n_layer: model.config.n_layer,
    n_head: model.config.n_head,
    n_positions: model.config.n_positions,
    examplePrompt: model.examplePrompt,
    countTokens: (p) => model.tokenizer.tokenize(p).length,
  });
  if (errors.length > 0) {
    setPhase({ kind: 'error', title: `This lecture does not fit the model ${lecture.model}`, errors, from });
    return null;
  }
  const index = slideIndexFromParam(params.get('slide'), lecture.slides.length);
  setPhase({ kind: 'ready', lecture, model });
  return index;
}

function explorerHref(lecture: Lecture, slide: LectureSlide, model: LoadedModel): string {
  if (slide.train) return `${window.location.pathname}#lab`;
  return `${window.location.pathname}${serializeUrlState(slideUrlState(lecture, slide, model.examplePrompt))}`;
}

/** The latest slide applied: a slower earlier one must not overwrite its selection when its pass finishes. */
let applying = 0;

/** Put the explorer's stores in the slide's state; the forward pass runs only when the prompt changed. */
async function applyExplorerSlide(slide: LectureSlide, model: LoadedModel): Promise<void> {
  const mine = ++applying;
  sampling.setState({
    temperature: slide.temperature,
    seed: slide.seed,
    topK: slide.topK,
    topP: slide.topP,
    errors: {},
  });
  selection.setState({ layer: slide.layer, head: slide.head, token: slide.token });
  stepper.setState({ kind: slide.step ?? 'tokens' });
  const s = session.getState();
  const prompt = slide.prompt ?? model.examplePrompt;
  if (s.prompt !== prompt || !s.trace || s.status === 'error') {
    s.setPrompt(prompt);
    await s.run();
    if (mine !== applying) return;
    // run() keeps a selected token only when it is not the last one; the slide's choice stands.
    const T = session.getState().tokens.length;
    selection.setState({ token: slide.token !== null && slide.token < T - 1 ? slide.token : null });
  }
}

function ExplorerSlide({ slide, kind, model }: { slide: LectureSlide; kind: StepKind; model: LoadedModel }) {
  const status = useStore(session, (s) => s.status);
  const prompt = useStore(session, (s) => s.prompt);
  const trace = useStore(session, (s) => s.trace);
  const error = useStore(session, (s) => s.error);
  const current = useStore(stepper, (s) => s.kind);
  const layer = useStore(selection, (s) => s.layer);
  const head = useStore(selection, (s) => s.head);
  const temperature = useStore(sampling, (s) => s.temperature);
  useEffect(() => {
    void applyExplorerSlide(slide, model);
  }, [slide, model]);
  const info = STEP_INFO[kind];
  const ready =
    status === 'ready' &&
    trace !== null &&
    prompt === (slide.prompt ?? model.examplePrompt) &&
    current === kind &&
    layer === slide.layer &&
    head === slide.head &&
    temperature === slide.temperature;
  const where = [info.perLayer ? `layer ${layer}` : null, HEAD_STEPS.includes(kind) ? `head ${head}` : null].filter(
    Boolean,
  );
  return (
    <SlideFrame
      title={slideTitle(slide)}
      text={slide.text ?? info.explanation}
      formula={info.formula}
      where={where.join(' · ')}
      ready={ready}
      attrs={{ 'data-step': kind, 'data-layer': layer, 'data-head': head, 'data-temperature': temperature }}
    >
      {error && status !== 'running' ? (
        <p className="pr-error-line" role="alert">
          {error}
        </p>
      ) : (
        ready && <ExplorerSlideBody kind={kind} />
      )}
    </SlideFrame>
  );
}

function TrainSlide({ slide, phase }: { slide: LectureSlide; phase: TrainPhase }) {
  const store = lectureTrainer();
  const state = useStore(store, (s) => s);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    showTrainPhase(phase, slide.steps).catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [phase, slide]);
  const steps = slide.steps ?? 300;
  const ready = phase === 'run' ? state.step >= steps && state.status !== 'running' : hasPhase(state, phase);
  return (
    <SlideFrame
      title={slideTitle(slide)}
      text={slide.text ?? TRAIN_PHASE_INFO[phase].explanation}
      formula={TRAIN_FORMULA[phase]}
      where={phase === 'run' ? 'training lab' : `training step ${Math.max(1, (state.stepped.forward?.step ?? 0) + 1)}`}
      ready={ready}
      attrs={{ 'data-train': phase }}
    >
      {error ? (
        <p className="pr-error-line" role="alert">
          {error}
        </p>
      ) : (
        <TrainSlideBody phase={phase} token={slide.token} steps={steps} />
      )}
    </SlideFrame>
  );
}

function SlideFrame({
  title,
  text,
  formula,
  where,
  ready,
  attrs,
  children,
}: {
  title: string;
  text: string;
  formula: string;
  where: string;
  ready: boolean;
  attrs: Record<string, string | number>;
  children: ReactNode;
}) {
  return (
    <main className="pr-slide" data-testid="pr-slide" data-ready={ready} {...attrs}>
      <div className="pr-head">
        <h1 data-testid="pr-title">{title}</h1>
        {where && <p className="pr-where">{where}</p>}
      </div>
      <p className="pr-text" data-testid="pr-text">
        {text}
      </p>
      <div className="pr-formula">
        <Formula tex={formula} />
      </div>
      <div className="pr-body">{children}</div>
    </main>
  );
}

function Notes({
  lecture,
  index,
  model,
  startedAt,
}: {
  lecture: Lecture;
  index: number;
  model: LoadedModel;
  /** When the lecture opened: the clock shows the time since. */
  startedAt: number;
}) {
  const slide = lecture.slides[index];
  const next = lecture.slides[index + 1];
  const engine = useStore(session, (s) => s.engineReason);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, []);
  const secs = Math.max(0, Math.floor((now - startedAt) / 1000));
  return (
    <aside className="pr-notes" aria-label="Speaker notes" data-testid="pr-notes">
      <h2>
        Notes · slide {index + 1} of {lecture.slides.length}
        <span className="pr-clock">
          {Math.floor(secs / 60)}:{String(secs % 60).padStart(2, '0')}
        </span>
      </h2>
      <div className="pr-notes-text" data-testid="pr-notes-text">
        {slide.note ? (
          slide.note.split(/\n\s*\n/).map((p, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs
            <p key={i}>{p}</p>
          ))
        ) : (
          <p className="pr-muted">No notes for this slide.</p>
        )}
      </div>
      <p className="pr-next-slide">{next ? `Next: ${slideTitle(next)}` : 'Last slide.'}</p>
      <p className="pr-muted">
        {model.label}. {engine}
      </p>
    </aside>
  );
}
