// The command line's one entry: which command runs (the subcommand named first, else transcription),
// its flags and its --help; and how an error is reported and which exit status it means.
import { constants as osConstants } from 'node:os';
import { InputError, UsageError, errnoWords } from '../config.js';
import { DEFAULT_COMMAND, parseSubcommand, subcommandHelp, subcommandNamed } from './commands.js';
import { InterruptedError, terminalSafe } from './transcribe.js';

export const EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

function isEpipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** Run the command `argv` names; resolves to its exit status, or throws what reportError reports. */
export async function runCli(argv: string[]): Promise<number> {
  // `| head` closes stdout: stop quietly, like any Unix filter.
  process.stdout.on('error', (err) => { if (isEpipe(err)) process.exit(EXIT_OK); });
  const named = subcommandNamed(argv[0]);
  const cmd = await (named ?? DEFAULT_COMMAND).load();
  const parsed = parseSubcommand(cmd, named ? argv.slice(1) : argv);
  if (parsed.values.help) {
    process.stdout.write(cmd.help ? await cmd.help(parsed) : subcommandHelp(cmd));
    return EXIT_OK;
  }
  return cmd.run(parsed);
}

/** Say what went wrong on stderr, in one line (a stack trace too with -v), and return the exit status. */
export function reportError(err: unknown, argv: string[]): number {
  if (isEpipe(err)) return EXIT_OK;
  // Our own errors are one line already (a newline in them is a file name's: escape it); others'
  // first line is the message.
  const text = (err as Error).message ?? String(err);
  const ours = err instanceof UsageError || err instanceof InputError || err instanceof InterruptedError;
  let message = terminalSafe(ours ? text : text.split('\n')[0]);
  // "EFBIG: file too large, write" → "cannot write the output: file too large".
  const errno = err as NodeJS.ErrnoException;
  if (errno.syscall === 'write' && errno.code) {
    message = `cannot write the output: ${terminalSafe(errnoWords(errno))}`;
  }
  process.stderr.write(`melodyfilter: ${message}\n`);
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  if (verbose && (err as Error).stack) process.stderr.write((err as Error).stack + '\n');
  // A subcommand's usage error points at that subcommand's own help.
  const help = subcommandNamed(argv[0]) ? `melodyfilter ${argv[0]} --help` : 'melodyfilter --help';
  if (err instanceof UsageError) process.stderr.write(`Try '${help}' for more information.\n`);
  // As a shell reports a command killed by the signal; unlike a failure, running it again finishes it.
  if (err instanceof InterruptedError) return 128 + osConstants.signals[err.signal];
  return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
