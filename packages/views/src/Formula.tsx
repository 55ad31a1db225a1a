import katex from 'katex';
import { useMemo } from 'react';

export interface FormulaProps {
  /** KaTeX source. Formulas are the app's own constants, never user text. */
  tex: string;
  display?: boolean;
}

/** A formula typeset by KaTeX (HTML for the eye, MathML for screen readers). */
export function Formula({ tex, display = true }: FormulaProps) {
  const html = useMemo(
    () => katex.renderToString(tex, { displayMode: display, throwOnError: false, output: 'htmlAndMathml' }),
    [tex, display],
  );
  // KaTeX escapes its input and, with `trust` off (the default), emits no links or raw HTML.
  // biome-ignore lint/security/noDangerouslySetInnerHtml: KaTeX output of a constant formula
  return <span className="gb-formula" dangerouslySetInnerHTML={{ __html: html }} />;
}
