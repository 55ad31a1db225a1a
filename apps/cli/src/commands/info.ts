import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { countParams, dHead, dMlp } from '@glassbox/compute';
import type { Command } from '../command';
import { MODEL_OPTION_HELP } from '../command';
import { EXIT_OK } from '../errors';
import { formatBytes, formatCount } from '../format';
import { loadModel } from '../modelDir';
import type { OptionValues } from '../options';
import { stringOption } from '../options';

export const infoCommand: Command = {
  name: 'info',
  summary: 'show a model: config, parameter counts per component, tokenizer, files',
  help: `Usage: glassbox info [--model M] [--json]

Shows a model's configuration, its parameters counted per component (the tied unembedding counted once, as in
GPT-2's 124,439,808), its tokenizer and the sizes of its files.

Options:
${MODEL_OPTION_HELP}
  --json             print the same facts as one JSON object (for scripts)
  -h, --help         show this help`,
  options: {
    model: { type: 'string' },
    json: { type: 'boolean' },
  },
  run: runInfo,
};

async function runInfo(values: OptionValues): Promise<number> {
  const model = await loadModel(stringOption(values, 'model'));
  const { config, files, tokenizer, metadata, warnings } = model;
  const counts = countParams(config);
  const paths = [files.weights, files.config, files.tokenizer, ...(files.card ? [files.card] : [])];
  const sizes = await Promise.all(paths.map(async (p) => ({ file: basename(p), bytes: (await stat(p)).size })));
  const dtypes = model.weightsDtypes.join('+');

  if (values.json === true) {
    const info = {
      model: model.spec,
      dir: files.dir,
      config,
      params: counts,
      weightsDtype: dtypes,
      tokenizer: { kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
      files: sizes,
      metadata,
      warnings,
    };
    process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    return EXIT_OK;
  }

  const d = config.n_embd;
  const rows: [string, number, string][] = [
    ['token embedding W_E', counts.embedding, `[${config.vocab_size}, ${d}], tied with the unembedding`],
    ['position embedding W_pos', counts.position, `[${config.n_positions}, ${d}]`],
    [`${config.n_layer} × block`, counts.blocks, `${formatCount(counts.perBlock.total)} each:`],
    ['  layer norms (ln1, ln2)', counts.perBlock.ln, '2 × (gain + bias) of [d]'],
    ['  attention', counts.perBlock.attn, 'W_Q W_K W_V W_O [d, d] + biases'],
    ['  MLP', counts.perBlock.mlp, `W_in [d, ${dMlp(config)}], W_out [${dMlp(config)}, d] + biases`],
    ['final layer norm', counts.ln_final, 'gain + bias of [d]'],
    ['total', counts.total, ''],
  ];
  const nameWidth = Math.max(...rows.map((r) => r[0].length));
  const countWidth = Math.max(...rows.map((r) => formatCount(r[1]).length));
  const lines = [
    `model       ${model.spec}${model.spec === files.dir ? '' : ` (${files.dir})`}`,
    `config      n_layer ${config.n_layer}, n_head ${config.n_head}, n_embd ${d} (d_head ${dHead(config)}, ` +
      `d_mlp ${dMlp(config)}), n_positions ${config.n_positions}, vocab_size ${config.vocab_size}, ` +
      `layer_norm_epsilon ${config.layer_norm_epsilon}`,
    `tokenizer   ${tokenizer.kind}, ${formatCount(tokenizer.vocabSize)} tokens` +
      (tokenizer.vocabSize < config.vocab_size
        ? ` (the model has ${formatCount(config.vocab_size - tokenizer.vocabSize)} more embedding rows than tokens)`
        : ''),
    'parameters',
    ...rows.map(
      ([name, n, note]) =>
        `  ${name.padEnd(nameWidth)}  ${formatCount(n).padStart(countWidth)}${note ? `  ${note}` : ''}`,
    ),
    `files       ${sizes.map((s) => `${s.file} ${formatBytes(s.bytes)}`).join(', ')} (weights stored as ${dtypes})`,
  ];
  const meta = Object.entries(metadata).filter(([k]) => k !== 'format');
  if (meta.length > 0) {
    lines.push('metadata', ...meta.map(([k, v]) => `  ${k}: ${v}`));
  }
  for (const w of warnings) lines.push(`warning: ${w}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
