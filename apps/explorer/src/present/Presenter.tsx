import type { Lecture, LectureSlide } from '@glassbox/store';
import { formatElapsed, STEP_INFO, slideTitle } from '@glassbox/store';
import type { MouseEvent, ReactNode } from 'react';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';

/** The other window, as far as this one has heard: not yet, there, or closed (it said goodbye). */
export type PeerState = 'none' | 'open' | 'closed';

/** The size the audience slide is laid out at before it is scaled down into the presenter view (a 16:9 screen). */
const STAGE_W = 1600;
const STAGE_H = 900;

/**
 * The presenter view (`?lecture=…&presenter=1`, opened from the audience window with P): for the lecturer's laptop
 * while the projector shows the slides. The current slide's notes in large type, the slide number, a clock that can
 * be reset, the current slide small (the real slide, computed in this window) and the next slide's title. Keys are
 * the audience window's; B blanks the audience screen, R resets the clock.
 */
export function PresenterView({
  lecture,
  index,
  startedAt,
  blank,
  audience,
  audienceHref,
  fullscreen,
  notice,
  current,
  onGo,
  onResetTimer,
  onToggleBlank,
  onToggleFullscreen,
}: {
  lecture: Lecture;
  index: number;
  startedAt: number;
  /** Whether the audience screen is blank. */
  blank: boolean;
  audience: PeerState;
  /** The audience window's address (this lecture at this slide), to reopen it. */
  audienceHref: string;
  fullscreen: boolean;
  notice: ReactNode;
  /** The current slide, as the audience sees it; shown scaled down. */
  current: ReactNode;
  onGo: (i: number) => void;
  onResetTimer: () => void;
  onToggleBlank: () => void;
  onToggleFullscreen: () => void;
}) {
  const slide = lecture.slides[index];
  const next: LectureSlide | undefined = lecture.slides[index + 1];
  const count = lecture.slides.length;
  const now = useNow();
  const onButton = (f: () => void) => (e: MouseEvent<HTMLButtonElement>) => {
    f();
    e.currentTarget.blur(); // so Space goes on to the next slide instead of pressing the button again
  };
  return (
    <div className="pp-root" data-testid="presenter" data-state="ready" data-slide={index + 1} data-audience={audience}>
      <header className="pp-top">
        <div className="pp-title">
          <span className="pp-label">Presenter view</span>
          <span className="pp-lecture" data-testid="pp-lecture-title">
            {lecture.title}
          </span>
        </div>
        <div className="pp-count" data-testid="pp-count">
          <span className="pp-label">slide</span>
          <strong>{index + 1}</strong>
          <span className="pp-of">/ {count}</span>
        </div>
        <div className="pp-timer">
          <span className="pp-label">elapsed</span>
          <strong data-testid="pp-timer" role="timer" aria-label="Time since the lecture started">
            {formatElapsed(now - startedAt)}
          </strong>
          <button type="button" onClick={onButton(onResetTimer)} data-testid="pp-timer-reset">
            reset (R)
          </button>
        </div>
        <div className="pp-nav">
          <button
            type="button"
            onClick={onButton(() => onGo(index - 1))}
            disabled={index === 0}
            aria-label="Previous slide"
            data-testid="pp-prev"
          >
            ← back
          </button>
          <button
            type="button"
            onClick={onButton(() => onGo(index + 1))}
            disabled={index === count - 1}
            aria-label="Next slide"
            data-testid="pp-next"
          >
            next →
          </button>
        </div>
      </header>
      {notice}
      {blank && (
        <p className="pp-banner" role="status" data-testid="pp-blank">
          The audience screen is black. Press B (or Esc) to show the slide again.
        </p>
      )}
      {audience === 'closed' && !blank && (
        <p className="pp-banner" role="alert" data-testid="pp-audience-closed">
          The slides window was closed.{' '}
          <a href={audienceHref} target="_blank" rel="noopener" data-testid="pp-open-audience">
            Open the slides again
          </a>{' '}
          (at slide {index + 1}), then drag the window to the projector and press F.
        </p>
      )}
      <section className="pp-notes" aria-label={`Speaker notes for slide ${index + 1}`}>
        <h1 className="pp-slide-title" data-testid="pp-slide-title">
          {slideTitle(slide)}
        </h1>
        <div className="pp-notes-text" data-testid="pp-notes-text">
          {slide.note ? (
            slide.note.split(/\n\s*\n/).map((p, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs
              <p key={i}>{p}</p>
            ))
          ) : (
            <p className="pp-muted">No notes for this slide.</p>
          )}
        </div>
      </section>
      <aside className="pp-side" aria-label="Current and next slide">
        <h2 className="pp-label">now on the screen</h2>
        <MiniSlide>{current}</MiniSlide>
        <h2 className="pp-label">next</h2>
        <div className="pp-next" data-testid="pp-next-slide">
          {next ? (
            <>
              <strong data-testid="pp-next-title">{slideTitle(next)}</strong>
              <span className="pp-next-what">
                slide {index + 2} · {describe(next)}
              </span>
            </>
          ) : (
            <strong data-testid="pp-next-title">End of the lecture</strong>
          )}
        </div>
      </aside>
      <footer className="pp-bottom">
        <span className="pp-audience" data-testid="pp-audience">
          {audience === 'open' && 'Slides window: following.'}
          {audience === 'closed' && 'Slides window: closed.'}
          {audience === 'none' && (
            <>
              No slides window has answered yet.{' '}
              <a href={audienceHref} target="_blank" rel="noopener" data-testid="pp-open-audience">
                Open the slides
              </a>
            </>
          )}
        </span>
        <span className="pp-keys">→ next · ← back · B black screen · R reset clock · F full screen</span>
        <button type="button" onClick={onButton(onToggleBlank)} aria-pressed={blank} data-testid="pp-blank-toggle">
          black screen (B)
        </button>
        <button type="button" onClick={onButton(onToggleFullscreen)}>
          {fullscreen ? 'exit full screen (F)' : 'full screen (F)'}
        </button>
      </footer>
    </div>
  );
}

/** What a slide shows, in a few words: "attention pattern · layer 0 · head 0", "training: loss". */
function describe(slide: LectureSlide): string {
  if (slide.train) return `training: ${slide.train}`;
  if (!slide.step) return '';
  const info = STEP_INFO[slide.step];
  const parts: string[] = [slide.step];
  if (info.perLayer) parts.push(`layer ${slide.layer}`);
  if (['qkv', 'scores', 'pattern', 'z'].includes(slide.step)) parts.push(`head ${slide.head}`);
  if (slide.step === 'softmax' || slide.step === 'sample') parts.push(`τ = ${slide.temperature}`);
  return parts.join(' · ');
}

/** The time now, updated every half second (so the clock never skips a second). */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(id);
  }, []);
  return now;
}

/** The audience slide laid out at 1600×900 and scaled to the width of its box. */
function MiniSlide({ children }: { children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const [scale, setScale] = useState(0.3);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setScale(Math.max(0.05, el.clientWidth / STAGE_W));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div
      className="pp-mini"
      ref={box}
      style={{ height: STAGE_H * scale }}
      aria-hidden="true"
      inert
      data-testid="pp-mini"
    >
      <div className="pp-mini-stage" style={{ width: STAGE_W, height: STAGE_H, transform: `scale(${scale})` }}>
        {children}
      </div>
    </div>
  );
}
