// melodyfilter: run the command line (lib/cli/main.ts) and map its errors to exit codes. Nothing else.
import { reportError, runCli } from '../lib/cli/main.js';

const argv = process.argv.slice(2);
try {
  // `await`: a rejection must reach the catch, not escape as a stack trace.
  process.exitCode = await runCli(argv);
  // Done, and nothing left to write: exit now rather than wait for Node to wind down its event loop
  // and collect garbage, ~8 ms of CPU a process (a batch of short files runs one process each).
  // Every output is finished when runCli returns; only a pending write would be lost.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit();
} catch (err) {
  process.exitCode = reportError(err, argv);
}
