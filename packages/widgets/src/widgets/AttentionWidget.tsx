import { AttentionPattern, visibleToken } from '@glassbox/views';
import { useEffect, useState } from 'react';
import type { Attributes } from '../attributes';
import { checkIndex, Problems, parseChoice, parseIndex } from '../attributes';
import { COMMON_ATTRIBUTES, commonAttrs } from '../common';
import { Frame } from '../Frame';
import { usePromptRun } from '../useRun';

export const ATTENTION_ATTRIBUTES = [...COMMON_ATTRIBUTES, 'layer', 'head', 'kind'];

/** `<glassbox-attention prompt="cat sat on" layer="0" head="0" kind="pattern|scores">`: one layer's heads. */
export function AttentionWidget({ attrs }: { attrs: Attributes }) {
  const problems = new Problems();
  const { model, engine, prompt } = commonAttrs(attrs, problems);
  const layer = problems.take(parseIndex('layer', attrs.layer, 0), 0);
  const headAttr = problems.take(parseIndex('head', attrs.head, 0), 0);
  const kind = problems.take(parseChoice('kind', attrs.kind, ['pattern', 'scores'] as const, 'pattern'), 'pattern');
  const valid = problems.list.length === 0;
  // Every layer's pattern and scores are captured, so layer and head changes need no new pass.
  const run = usePromptRun(model, engine, prompt, 'attention', valid);
  const [head, setHead] = useState(headAttr);
  useEffect(() => setHead(headAttr), [headAttr]);

  const r = valid ? run.value : null;
  if (r) {
    problems.add(checkIndex('layer', layer, r.model.config.n_layer));
    problems.add(checkIndex('head', headAttr, r.model.config.n_head));
  }
  if (valid && run.error) problems.add(run.error);
  const ok = problems.list.length === 0 && r !== null;
  const hook = `blocks.${layer}.attn.${kind === 'pattern' ? 'hook_pattern' : 'hook_attn_scores'}`;
  return (
    <Frame
      widget="attention"
      title={`Attention ${kind === 'pattern' ? 'pattern' : 'scores'}: layer ${layer}, head ${head}`}
      errors={problems.list}
      status={run.status}
      model={r?.model.label}
      engine={r?.engine.kind}
      engineReason={r?.engine.reason}
    >
      {ok && (
        <>
          <p className="gbw-note">
            Prompt: <span className="gbw-prompt">{prompt}</span>. Each row is a token (the query); each column an
            earlier token it may look at (the key). {kind === 'pattern' ? 'Rows sum to 1.' : 'Future keys are −∞.'}
          </p>
          <AttentionPattern
            pattern={r.trace[hook]}
            head={Math.min(head, r.model.config.n_head - 1)}
            onSelectHead={setHead}
            tokens={r.tokens.map((t) => visibleToken(t.text))}
            layer={layer}
            kind={kind}
            testId="attention"
          />
        </>
      )}
    </Frame>
  );
}
