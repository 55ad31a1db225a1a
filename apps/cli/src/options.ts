import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/** The option table of one command, in node:util parseArgs terms. */
export type OptionTable = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
>;

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses one command's flags. parseArgs' own errors are long and mention its internals ("place it at the end of the
 * command after '--'"), so they are reworded into one line that points at the command's --help.
 */
export function parseOptions(command: string, options: OptionTable, argv: readonly string[]): OptionValues {
  const table = { ...options, help: { type: 'boolean' as const, short: 'h' } };
  try {
    const { values } = parseArgs({
      args: joinNegativeNumbers(table, argv),
      options: table,
      strict: true,
      allowPositionals: false,
    });
    return values as OptionValues;
  } catch (err) {
    const e = err as { code?: string; message: string };
    const seeHelp = `(see glassbox ${command} --help)`;
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
        const flag = /'([^']+)'/.exec(e.message)?.[1] ?? 'option';
        throw new UsageError(`unknown option ${flag} ${seeHelp}`);
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
        const arg = /'([^']*)'/.exec(e.message)?.[1] ?? '';
        throw new UsageError(`unexpected argument "${arg}"; every value follows a flag ${seeHelp}`);
      }
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const flag = /'(--[\w-]+)/.exec(e.message)?.[1] ?? 'an option';
        const problem = /argument missing|ambiguous/.test(e.message) ? 'needs a value' : 'takes no value';
        throw new UsageError(`${flag} ${problem} ${seeHelp}`);
      }
      default:
        throw new UsageError(`${e.message.split('\n')[0]} ${seeHelp}`);
    }
  }
}

/**
 * parseArgs refuses `--temperature -1` as ambiguous (the value looks like a flag). A negative number can never be a
 * flag here, so it is glued on as `--temperature=-1` and reaches the range check that explains what is allowed.
 */
function joinNegativeNumbers(options: OptionTable, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredString(values: OptionValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/**
 * A number flag. Only text that is not a number at all is refused here; range checks belong to the engine
 * (temperature, top-p, …) so the CLI and the app report the same limits in the same words.
 */
export function numberOption(values: OptionValues, name: string): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const s = raw.trim();
  const v = Number(s);
  if (s === '' || (Number.isNaN(v) && s !== 'NaN')) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return v;
}

/** An integer flag with a lower bound (counts, sizes, steps), checked here because nothing downstream names the flag. */
export function intOption(values: OptionValues, name: string, min: number): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const s = raw.trim();
  const v = Number(s);
  if (s === '' || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return v;
}

/** A seed: any integer (the RNG reduces it to 32 bits), negative ones included. */
export function seedOption(values: OptionValues, name = 'seed'): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const v = Number(raw.trim());
  if (raw.trim() === '' || !Number.isSafeInteger(v)) throw new UsageError(`--${name} must be an integer, got "${raw}"`);
  return v;
}
