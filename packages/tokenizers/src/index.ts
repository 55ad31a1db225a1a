// @glassbox/tokenizers — the public API. Apps and other packages import only from here.
export { BpeTokenizer } from './bpe';
export { bytesToUnicode } from './byteLevel';
export { ByteLevelBpe } from './byteLevelBpe';
export { CharTokenizer } from './char';
export { TokenizerError, type TokenizerErrorCode } from './errors';
export { ENDOFTEXT, Gpt2Tokenizer, loadGpt2Tokenizer } from './gpt2';
export { tokenizerFromJSON } from './json';
export { pretokenize } from './pretokenize';
export { type TrainBpeOptions, trainBpe } from './trainBpe';
export type * from './types';
export { type VocabOptions, WordTokenizer } from './word';
