import type { ReactNode } from 'react';

/** A token with its offsets into the original text (UTF-16 code units), as every tokenizer reports it. */
export interface TokenSpan {
  id: number;
  text: string;
  start: number;
  end: number;
}

export interface TokenStripProps {
  text: string;
  tokens: readonly TokenSpan[];
  /** Accessible name, e.g. "Tokens of the model’s tokenizer". */
  label: string;
  selected?: number | null;
  onSelect?: (index: number) => void;
  testId?: string;
}

/** Spaces and newlines drawn visibly, so " the" and "the" look different. */
export function visibleToken(s: string): string {
  return s.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

export interface TextPiece {
  /** Index of the token whose characters these are, or null for characters no token starts on. */
  token: number | null;
  text: string;
}

/**
 * Cut the text into pieces by token offsets. Byte-level tokens can split one character between two tokens (both
 * report the same span); the character is then shown once, under the first of them.
 */
export function textPieces(text: string, tokens: readonly TokenSpan[]): TextPiece[] {
  const pieces: TextPiece[] = [];
  let pos = 0;
  tokens.forEach((t, i) => {
    const start = Math.max(t.start, pos);
    if (start > pos) pieces.push({ token: null, text: text.slice(pos, start) });
    if (t.end > start) {
      pieces.push({ token: i, text: text.slice(start, t.end) });
      pos = t.end;
    }
  });
  if (pos < text.length) pieces.push({ token: null, text: text.slice(pos) });
  return pieces;
}

/**
 * The text with each token's characters highlighted (alternating tints and a border, so colour is not the only cue),
 * then the token strings and ids. Text is rendered as text (React escapes it), never as HTML.
 */
export function TokenStrip({ text, tokens, label, selected = null, onSelect, testId }: TokenStripProps) {
  const pieces = textPieces(text, tokens);
  const select = (i: number) => onSelect?.(i);
  const chip = (i: number, children: ReactNode, className: string) =>
    onSelect ? (
      <button
        type="button"
        className={className}
        aria-pressed={i === selected}
        onClick={() => select(i)}
        title={`token ${i}: id ${tokens[i].id}`}
      >
        {children}
      </button>
    ) : (
      <span className={className}>{children}</span>
    );

  return (
    <section className="gb-tokenstrip" aria-label={label} data-testid={testId}>
      <p className="gb-token-text" data-testid={testId ? `${testId}-text` : undefined}>
        {pieces.map((p, k) =>
          p.token === null ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional
            <span key={k} className="gb-untokenized">
              {p.text}
            </span>
          ) : (
            <span
              // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional
              key={k}
              className={`gb-token-span gb-tint-${p.token % 2}${p.token === selected ? ' gb-selected' : ''}`}
              data-token={p.token}
            >
              {p.text}
            </span>
          ),
        )}
      </p>
      <ol className="gb-token-list">
        {tokens.map((t, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional
          <li key={i}>
            {chip(
              i,
              <>
                <span className="gb-token-index">{i}</span>
                <span className="gb-token-str">{visibleToken(t.text)}</span>
                <span className="gb-token-id">{t.id}</span>
              </>,
              `gb-token-chip gb-tint-${i % 2}${i === selected ? ' gb-selected' : ''}`,
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
