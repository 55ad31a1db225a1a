import katex from 'katex';
import { useMemo } from 'react';

/**
 * A formula as MathML only. The views' Formula emits KaTeX's HTML too, which needs katex.css and its @font-face fonts;
 * fonts declared inside a shadow root are ignored by browsers, so a widget would have to add them to the host page.
 * MathML is drawn by the browser itself (Chromium 109+, Firefox, Safari), and no style reaches the page.
 */
export function MathFormula({ tex }: { tex: string }) {
  const html = useMemo(
    () => katex.renderToString(tex, { displayMode: true, throwOnError: false, output: 'mathml' }),
    [tex],
  );
  // KaTeX escapes its input and, with `trust` off (the default), emits no links or raw HTML; the formulas are the
  // project's own constants (STEP_INFO), never attribute text.
  // biome-ignore lint/security/noDangerouslySetInnerHtml: KaTeX output of a constant formula
  return <span className="gbw-formula" dangerouslySetInnerHTML={{ __html: html }} />;
}
