import type { Token } from '@glassbox/tokenizers';
import { TokenStrip } from '@glassbox/views';
import type { Attributes } from '../attributes';
import { messageOf, Problems, quote } from '../attributes';
import { COMMON_ATTRIBUTES, commonAttrs } from '../common';
import { Frame } from '../Frame';
import { useModel } from '../useRun';

export const TOKENIZER_ATTRIBUTES = [...COMMON_ATTRIBUTES];

/** A small vocabulary is listed in full, so students see every word the model knows. */
const LIST_VOCAB_UP_TO = 64;

/** `<glassbox-tokenizer prompt="cat sat on the mat">`: the text cut into tokens, with their ids. */
export function TokenizerWidget({ attrs }: { attrs: Attributes }) {
  const problems = new Problems();
  const { model: name, prompt } = commonAttrs(attrs, problems);
  const valid = problems.list.length === 0;
  const loaded = useModel(valid ? name : null);
  const model = valid ? loaded.value : null;
  if (valid && loaded.error) problems.add(loaded.error);

  let tokens: Token[] | null = null;
  if (model) {
    try {
      tokens = model.tokenizer.tokenize(prompt);
    } catch (e) {
      problems.add(`The prompt ${quote(prompt)} cannot be tokenized: ${messageOf(e)}`);
    }
  }
  const vocab =
    model && model.tokenizer.vocabSize <= LIST_VOCAB_UP_TO
      ? Array.from({ length: model.tokenizer.vocabSize }, (_, id) => `${id} ${model.tokenizer.idToToken(id)}`)
      : null;
  return (
    <Frame
      widget="tokenizer"
      title="Tokenization: text → tokens → ids"
      errors={problems.list}
      status={loaded.status}
      model={model?.label}
    >
      {model && tokens && (
        <>
          <TokenStrip text={prompt} tokens={tokens} label={`Tokens of ${model.label}`} testId="tokens" />
          <p className="gbw-note" data-testid="token-ids">
            {tokens.length} token{tokens.length === 1 ? '' : 's'} from {prompt.length} characters; the model reads the
            ids [{tokens.map((t) => t.id).join(', ')}] ({model.tokenizer.kind} tokenizer, {model.tokenizer.vocabSize}{' '}
            tokens in its vocabulary).
          </p>
          {vocab && (
            <p className="gbw-note">
              The whole vocabulary: <span className="gbw-vocab">{vocab.join(' · ')}</span>
            </p>
          )}
        </>
      )}
    </Frame>
  );
}
