// melodyfilter: run the command line (lib/cli/main.ts) and map its errors to exit codes. Nothing else.
import { reportError, runCli } from '../lib/cli/main.js';

const argv = process.argv.slice(2);
try {
  // `await`: a rejection must reach the catch, not escape as a stack trace.
  process.exitCode = await runCli(argv);
} catch (err) {
  process.exitCode = reportError(err, argv);
}
