import type { Command } from './command';
import { benchCommand } from './commands/bench';
import { generateCommand } from './commands/generate';
import { infoCommand } from './commands/info';
import { traceCommand } from './commands/trace';
import { trainCommand } from './commands/train';
import { describeError, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { parseOptions } from './options';

export const COMMANDS: readonly Command[] = [generateCommand, traceCommand, trainCommand, benchCommand, infoCommand];

function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: glassbox <command> [options]

Glassbox runs a real GPT-2-architecture model on the CPU and shows every number inside it.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run glassbox <command> --help for a command's options.`;
}

/**
 * Runs one command line and resolves to the process exit code. Every failure is reported here, as one line on
 * stderr prefixed "glassbox <command>:", so no command has to remember to catch anything.
 */
export async function cli(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    const { message, exitCode, internal } = describeError(err);
    const command = COMMANDS.find((c) => c.name === argv[0]);
    process.stderr.write(`${command ? `glassbox ${command.name}` : 'glassbox'}: ${message}\n`);
    if (internal && process.env.GLASSBOX_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return exitCode;
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${topLevelHelp()}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const about = rest[0] === undefined ? undefined : findCommand(rest[0]);
    process.stdout.write(`${about ? about.help : topLevelHelp()}\n`);
    return EXIT_OK;
  }
  const command = findCommand(name);
  const values = parseOptions(command.name, command.options, rest);
  if (values.help === true) {
    process.stdout.write(`${command.help}\n`);
    return EXIT_OK;
  }
  return command.run(values);
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  const what = name.startsWith('-') ? `unknown option ${name} before the command` : `unknown command "${name}"`;
  throw new UsageError(`${what}; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (see glassbox --help)`);
}
