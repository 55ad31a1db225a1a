import type { OptionTable, OptionValues } from './options';

/** One `glassbox <name>` subcommand: its flags, its --help text and what it does. */
export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full `glassbox <name> --help` text. */
  help: string;
  options: OptionTable;
  /** Resolves to the exit code. Failures the user can fix are thrown as CliError (one line, no stack trace). */
  run(values: OptionValues): Promise<number>;
}

/** The --model flag every model-reading command shares, with the same words in every --help. */
export const MODEL_OPTION_HELP = `  --model M          a shipped model name (a directory of packages/models) or a path to a model directory
                     (model.safetensors + config.json + tokenizer.json); default: the shipped default model`;
