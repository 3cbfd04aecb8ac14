// melodyfilter: parse flags, run the pipeline, map errors to exit codes. Nothing else.
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { parseArgv, type Invocation } from '../lib/cli/args.js';
import { helpText } from '../lib/cli/help.js';
import { parseSubcommand, subcommandHelp, subcommandNamed } from '../lib/cli/commands.js';
import { InputError, UsageError, errnoWords } from '../lib/config.js';
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { InterruptedError, StopSignal, stopOnSignals, terminalSafe, transcribeAll } from '../lib/cli/transcribe.js';

const EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

function version(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

function isEpipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

async function main(argv: string[]): Promise<number> {
  let verbose = argv.includes('-v') || argv.includes('--verbose');
  // `| head` closes stdout: stop quietly, like any Unix filter.
  process.stdout.on('error', (err) => { if (isEpipe(err)) process.exit(EXIT_OK); });
  try {
    const entry = subcommandNamed(argv[0]);
    if (entry) {
      const sub = await entry.load();
      const parsed = parseSubcommand(sub, argv.slice(1));
      if (parsed.values.help) { process.stdout.write(subcommandHelp(sub)); return EXIT_OK; }
      // `return await`: a bare returned promise would reject outside this try, as a stack trace.
      return await sub.run(parsed);
    }
    const inv: Invocation = parseArgv(argv);
    verbose = inv.cfg.verbose;
    if (inv.command === 'help') { process.stdout.write(await helpText()); return EXIT_OK; }
    if (inv.command === 'version') { process.stdout.write(`melodyfilter ${version()}\n`); return EXIT_OK; }
    const stop = new StopSignal();
    stopOnSignals(inv, stop);
    const engine = await loadEngine(inv.cfg);
    if (verbose) {
      const model = `${engine.card.name} (${inv.cfg.modelDir})`;
      const line = `melodyfilter: backend ${engine.backend}, kernel ${inv.cfg.kernel}, model ${model}`;
      process.stderr.write(terminalSafe(line) + '\n');
    }
    await transcribeAll(inv, engine, stop);
    return EXIT_OK;
  } catch (err) {
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
    if (verbose && (err as Error).stack) process.stderr.write((err as Error).stack + '\n');
    if (err instanceof UsageError) process.stderr.write("Try 'melodyfilter --help' for more information.\n");
    // As a shell reports a command killed by the signal; unlike a failure, running it again finishes it.
    if (err instanceof InterruptedError) return 128 + osConstants.signals[err.signal];
    return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv.slice(2));
