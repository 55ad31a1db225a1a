import { GlassboxError } from '@glassbox/compute';
import { TokenizerError } from '@glassbox/tokenizers';

/**
 * Exit codes, as shells and scripts expect them: 2 for a command line that does not parse (like getopt tools), 1 for
 * everything that went wrong after that, 130 (128 + SIGINT) when the user pressed Ctrl-C.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A failure the user can act on: printed as one line, never with a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** A command line that does not parse: unknown command or flag, a missing or malformed value. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** Node's fs errors carry a code and a path; these are the ones a user causes by pointing at the wrong place. */
function describeFsError(err: NodeJS.ErrnoException): string | undefined {
  const path = err.path ?? '';
  switch (err.code) {
    case 'ENOENT':
      return `${path}: no such file or directory`;
    case 'EISDIR':
      return `${path}: is a directory, expected a file`;
    case 'ENOTDIR':
      return `${path}: not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied`;
    case 'ENOSPC':
      return `${path}: no space left on the device`;
    default:
      return undefined;
  }
}

/**
 * The one line a failure prints (without the "glassbox:" prefix) and the exit code. Engine and tokenizer errors
 * already name the problem in words meant for users, so their message is shown as is; anything else is a bug in
 * Glassbox, and says so (the stack is one environment variable away, for whoever fixes it).
 */
export function describeError(err: unknown): { message: string; exitCode: number; internal: boolean } {
  if (err instanceof CliError) return { message: oneLine(err.message), exitCode: err.exitCode, internal: false };
  if (err instanceof GlassboxError || err instanceof TokenizerError) {
    return { message: oneLine(err.message), exitCode: EXIT_FAILURE, internal: false };
  }
  if (err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string') {
    const fsMessage = describeFsError(err as NodeJS.ErrnoException);
    if (fsMessage) return { message: fsMessage, exitCode: EXIT_FAILURE, internal: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    message: `internal error: ${oneLine(message)} (set GLASSBOX_DEBUG=1 for the stack trace)`,
    exitCode: EXIT_FAILURE,
    internal: true,
  };
}

/** Messages go to a terminal line: collapse any line breaks a library put in. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
