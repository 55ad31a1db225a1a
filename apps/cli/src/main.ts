// Entry point of the `glassbox` command (bin/glassbox.js loads it through tsx; `npm run generate` runs it directly).
import { cli } from './cli';

// `glassbox generate | head` closes the pipe while tokens are still coming; that is the reader being done, not a
// failure, so end quietly instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await cli(process.argv.slice(2));
// exitCode rather than process.exit(): pending stdout writes to a pipe are flushed before the process ends.
process.exitCode = code;
