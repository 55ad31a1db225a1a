// Writes packages/models/austen/MODEL_CARD.md from packages/models/austen/training-log.json (train-english.ts calls
// this at the end of a run; it can also be run on its own after editing the text below).
//   npx tsx packages/models/scripts/write-austen-card.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countParams } from '@glassbox/compute';
import type { AustenRecipe } from '../src/austen';
import { AUSTEN_CONFIG } from '../src/austen';

export interface AustenTrainingLog {
  corpus: string;
  trainTokens: number;
  valTokens: number;
  trainChars: number;
  valChars: number;
  charsPerToken: number;
  recipe: AustenRecipe;
  parameters: number;
  steps: number;
  tokensSeen: number;
  trainWallMs: number;
  tokensPerSecond: number;
  machine: string;
  stoppedEarly?: boolean;
  unigramValLoss: number;
  finalValLoss: number;
  finalValLossFirst64Windows: number;
  finalTrainLoss: number;
  finalTrainLossLast100Steps: number;
  samples: { prompt: string; greedy: string; t08: string }[];
  history: { step: number[]; loss: number[]; val: { step: number; loss: number; tokens: number }[] };
}

const dir = fileURLToPath(new URL('../austen/', import.meta.url));

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, '⏎');
const quote = (s: string): string => `\`${cell(s).replace(/`/g, "'")}\``;

export function writeAustenCard(log: AustenTrainingLog = readLog()): string {
  const c = AUSTEN_CONFIG;
  const n = countParams(c);
  const r = log.recipe;
  const ln2 = Math.log(2);
  const bpc = (loss: number) => ((loss * log.valTokens) / log.valChars / ln2).toFixed(3);
  const minutes = (log.trainWallMs / 60000).toFixed(1);
  const epochs = (log.tokensSeen / log.trainTokens).toFixed(2);
  const o = r.optimizer.kind === 'adamw' ? r.optimizer : undefined;
  const curve = log.history.val.map(
    (v) => `| ${v.step} | ${v.tokens.toLocaleString('en-US')} | ${v.loss.toFixed(3)} |`,
  );
  const rows: [string, string][] = [
    ['architecture', 'GPT-2 (pre-LayerNorm, causal self-attention, GELU-tanh MLP, tied unembedding)'],
    [
      'config',
      `n_layer ${c.n_layer}, n_head ${c.n_head}, n_embd ${c.n_embd}, n_positions ${c.n_positions}, vocab_size ${c.vocab_size}`,
    ],
    [
      'parameters',
      `**${n.total.toLocaleString('en-US')}**: token embedding ${n.embedding.toLocaleString('en-US')} (also the unembedding), ` +
        `positions ${n.position.toLocaleString('en-US')}, ${c.n_layer} blocks × ${n.perBlock.total.toLocaleString('en-US')} ` +
        `(LayerNorms ${n.perBlock.ln}, attention ${n.perBlock.attn.toLocaleString('en-US')}, MLP ${n.perBlock.mlp.toLocaleString('en-US')}), final LayerNorm ${n.ln_final}`,
    ],
    [
      'corpus',
      "Jane Austen's six novels (Sense and Sensibility, Pride and Prejudice, Mansfield Park, Emma, Northanger Abbey, " +
        "Persuasion), public domain, from Debian's `r-cran-janeaustenr` (Project Gutenberg text). Hard-wrapped lines joined " +
        'into paragraphs (separated by a blank line), runs of spaces collapsed; `<|endoftext|>` between novels.',
    ],
    [
      'split',
      `per novel, the paragraphs after the first 95% of its characters are validation: train ${log.trainChars.toLocaleString('en-US')} ` +
        `characters = ${log.trainTokens.toLocaleString('en-US')} tokens, validation ${log.valChars.toLocaleString('en-US')} characters = ` +
        `${log.valTokens.toLocaleString('en-US')} tokens`,
    ],
    [
      'tokenizer',
      `the project's byte-level BPE (\`trainBpe\`) learned on the training split: 256 bytes + ${c.vocab_size - 257} merges + ` +
        `\`<|endoftext|>\` (id ${c.vocab_size - 1}); ${log.charsPerToken} characters per token. 2048 rather than 4096: ` +
        'the text needs 15% more tokens (1.08 M vs 0.94 M) but each costs less (the unembedding and its softmax are V·d ' +
        'per token), and every embedding row is seen twice as often',
    ],
    [
      'recipe',
      `\`AUSTEN_RECIPE\` in \`packages/models/src/austen.ts\`: seed ${r.seed}, ${r.steps} steps of ${r.batchSize} random ` +
        `windows × ${r.blockSize} tokens (${(r.batchSize * r.blockSize).toLocaleString('en-US')} tokens per step), AdamW ` +
        `(β ${o?.beta1}/${o?.beta2}, ε ${o?.eps}, weight decay ${o?.weightDecay} on matrices), lr ${r.schedule.lr} with ` +
        `${r.schedule.warmupSteps} warmup steps and cosine decay to ${r.schedule.minLr}, gradient clipping at norm ${r.clipNorm}, ` +
        `${r.workers} data-parallel worker threads` +
        (log.stoppedEarly
          ? `. **Stopped by its deadline after ${log.steps} of ${r.steps} steps**, before the cosine reached its floor`
          : ''),
    ],
    ['tokens seen', `${log.tokensSeen.toLocaleString('en-US')} (${epochs} passes over the training split)`],
    [
      'wall time',
      `${minutes} min of training (${log.tokensPerSecond.toLocaleString('en-US')} tokens/s on average; 470–2,000 as other ` +
        `work on the machine came and went) on ${log.machine}; BPE training, tokenising and evaluation add about a minute`,
    ],
    [
      '**validation loss**',
      `**${log.finalValLoss.toFixed(3)}** nats/token (${bpc(log.finalValLoss)} bits/character), all ${Math.floor((log.valTokens - 1) / r.blockSize)} ` +
        `non-overlapping ${r.blockSize}-token windows of the validation split`,
    ],
    [
      '**unigram baseline**',
      `**${log.unigramValLoss.toFixed(3)}** nats/token (${bpc(log.unigramValLoss)} bits/character): the validation tokens under ` +
        'p(v) = (count_v + 1) / (N + V), training-split token frequencies with add-one smoothing',
    ],
    [
      'training loss',
      `${log.finalTrainLoss.toFixed(3)} (same windows, first ${Math.min(log.trainTokens, 400 * r.blockSize).toLocaleString('en-US')} ` +
        `training tokens, final weights); ${log.finalTrainLossLast100Steps.toFixed(3)} mean over the last 100 steps' batches`,
    ],
    [
      'reproduce',
      '`bash packages/models/scripts/prepare-austen.sh && npx tsx packages/models/scripts/train-english.ts --fresh` ' +
        '(resumable: run it again without `--fresh` after a stop; a stop and resume gives the same weights). ' +
        'Deterministic for a fixed worker count on the same JavaScript engine and GEMM path (WebAssembly SIMD here): a ' +
        'different worker count, or a different float32 GEMM, changes the weights through summation order only',
    ],
  ];
  const md = [
    '# Austen',
    '',
    "Glassbox's default model: a small GPT-2 trained from scratch, by the project's own trainer, on Jane Austen's six " +
      'novels. Small enough to look at every number (4 layers, 4 heads of 32 dimensions, 128 positions), trained ' +
      'enough that its predictions and attention patterns mean something.',
    '',
    '|   |   |',
    '| - | - |',
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
    '',
    '## Loss during training',
    '',
    `Validation loss on the first 64 validation windows (8,192 tokens) every 250 steps; the per-step training loss is ` +
      'in `training-log.json` (`history`).',
    '',
    '| step | tokens seen | validation loss |',
    '| ---- | ----------- | --------------- |',
    ...curve,
    `| ${log.steps} (final) | ${log.tokensSeen.toLocaleString('en-US')} | ${log.finalValLossFirst64Windows.toFixed(3)} |`,
    '',
    '## Samples',
    '',
    'Greedy (always the most probable token) and temperature 0.8 (seed 0, no top-k/top-p), 48 new tokens each, ' +
      '`⏎` marking a newline. Produced by `continueText` in `packages/models/src/austen.ts`.',
    '',
    '| prompt | greedy | temperature 0.8 |',
    '| ------ | ------ | --------------- |',
    ...log.samples.map((s) => `| ${quote(s.prompt)} | ${cell(s.greedy)} | ${cell(s.t08)} |`),
    '',
    '## Limitations',
    '',
    "- About a million parameters and a few passes over 4 MB of text: the model knows Austen's vocabulary, names, " +
      'punctuation and short-range grammar, not plot or long-range sense. Greedy decoding falls into loops, as greedy ' +
      'decoding of small models does.',
    '- It has only ever seen Austen: modern words are spelled out of short pieces and predicted poorly.',
    '- The validation split is the end of each novel, so its names and events are partly unseen in training.',
    '',
  ].join('\n');
  writeFileSync(`${dir}MODEL_CARD.md`, md);
  return md;
}

function readLog(): AustenTrainingLog {
  return JSON.parse(readFileSync(`${dir}training-log.json`, 'utf8')) as AustenTrainingLog;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeAustenCard();
  console.log(`wrote ${dir}MODEL_CARD.md`);
}
