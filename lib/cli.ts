// Running the CLI's transcribe command: inputs → pipeline → writer → stdout or files.
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { InputError, UsageError, type Config } from './config.js';
import { noteStages, type Engine } from './transcriber.js';
import { FormatMismatchError, newDecodeReport } from './pcm.js';
import { WRITERS } from './writers/registry.js';
import type { Invocation } from './args.js';

/** The CLI's flag for each input format field the decoder checks against a WAV header. */
const FORMAT_FLAGS = { sampleRate: '--rate', channels: '--channels', encoding: '--encoding' } as const;

export function warn(message: string): void {
  process.stderr.write(`melodyfilter: warning: ${message}\n`);
}

/** Ends an input early (on SIGINT/SIGTERM) as if it had reached EOF, so every stage flushes. */
export class StopSignal {
  stopped = false;
  private readonly onStop = new Set<() => void>();
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of this.onStop) f();
  }
  /**
   * Wrap a source: yields its chunks until stop() is called, then destroys it. Destroying is what
   * ends a read waiting on a pipe that stays open (and lets the process exit: an open stdin would
   * keep it alive). No Promise.race against a stop promise: each race adds a reaction to that promise
   * that lives until it settles, one per chunk, which grows without bound on a live stream.
   */
  wrap(src: Readable): AsyncIterable<Uint8Array> {
    const self = this;
    return (async function* () {
      const destroy = () => src.destroy();
      if (self.stopped) { destroy(); return; }
      self.onStop.add(destroy);
      try {
        for await (const chunk of src) {
          if (self.stopped) break;
          yield chunk as Uint8Array;
        }
      } catch (err) {
        if (!self.stopped) throw err; // a read cut short by stop() is the end of input, not an error
      } finally {
        self.onStop.delete(destroy);
      }
    })();
  }
}

/** A decoder error in the words of the flags the user typed. */
function inFlagWords(err: unknown): unknown {
  if (!(err instanceof FormatMismatchError)) return err;
  const unit = err.field === 'sampleRate' ? ' Hz' : err.field === 'channels' ? ' channels' : '';
  return new UsageError(`${FORMAT_FLAGS[err.field]} ${err.given} contradicts the WAV header's ${err.header}${unit}`);
}

/** Transcribe one input into `sink`. `file` undefined or '-' is stdin. */
export async function transcribeInput(
  inv: Invocation, engine: Engine, file: string | undefined, sink: Writable, stop: StopSignal, tagFile: boolean,
): Promise<void> {
  const { cfg } = inv;
  const isStdin = file === undefined || file === '-';
  let input: Readable;
  let size = 0;
  if (isStdin) {
    input = process.stdin;
  } else {
    size = checkReadable(file);
    input = createReadStream(file, { highWaterMark: 1 << 16 });
  }
  const report = newDecodeReport();
  const [decode, toModelRate, win, feats, cls, notes] = noteStages(cfg, engine, report, inv.explicit);
  let bar: cliProgress.SingleBar | null = null;
  // Automatic only when the notes go somewhere else: a bar redrawn between notes on one terminal garbles both.
  const notesOnTerminal = sink === process.stdout && process.stdout.isTTY;
  const wantBar = inv.progress ?? (!isStdin && size > 0 && process.stderr.isTTY === true && !notesOnTerminal);
  if (wantBar && size > 0) {
    const format = `${path.basename(file!)} |{bar}| {percentage}% {value}/{total} bytes`;
    const options = { format, stream: process.stderr, clearOnComplete: true };
    bar = new cliProgress.SingleBar(options, cliProgress.Presets.shades_classic);
    bar.start(size, 0);
    let read = 0;
    input.on('data', (c: Buffer) => { read += c.length; bar!.update(read); });
  }
  const label = isStdin ? 'stdin' : file;
  try {
    // pipeline's typings stop at a handful of stages; the stages themselves are typed above.
    await (pipeline as (...streams: unknown[]) => Promise<void>)(
      stop.wrap(input), decode, toModelRate, win, feats, cls, notes,
      WRITERS[cfg.output].make({ cfg, csvHeader: inv.csvHeader, file: tagFile ? file : undefined }),
      sink,
      { end: sink !== process.stdout },
    );
  } catch (err) {
    if (err instanceof InputError && !isStdin) throw new InputError(`${label}: ${err.message}`);
    throw inFlagWords(err);
  } finally {
    bar?.stop();
  }
  if (cfg.verbose && report.format) {
    const f = report.format;
    const to = engine.card.modelRate;
    const from = `${report.wav ? 'WAV' : 'raw'} ${f.encoding} ${f.channels} ch ${f.sampleRate} Hz`;
    process.stderr.write(`melodyfilter: ${label}: ${from} → ${to} Hz mono\n`);
  }
  const where = isStdin ? 'input' : label;
  const expected = report.expectedDataBytes;
  if (report.wav && expected !== null && report.dataBytesRead < expected && !stop.stopped) {
    warn(`${where}: WAV data ended after ${report.dataBytesRead} of ${expected} bytes (truncated file?); ` +
      'transcribed what was there');
  }
  if (report.trailingBytes) {
    warn(`${where} ended with ${report.trailingBytes} byte(s), less than one sample frame; ignored them`);
  }
  if (report.nonFiniteSamples) {
    warn(`${where} had ${report.nonFiniteSamples} NaN or infinite sample(s); read them as silence`);
  }
}

/** Output file for `file` in `outDir`. */
export function outputPath(outDir: string, file: string, output: Config['output']): string {
  const base = file === '-' ? 'stdin' : path.basename(file).replace(/\.[^.]*$/, '');
  return path.join(outDir, base + WRITERS[output].extension);
}

/** `mkdir -p` that fails instead of spinning: Node's recursive mkdir loops forever where mkdir gives
 *  ENOENT under a parent that exists (any path under /proc), retrying the parent, then the child. */
async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' && statSync(dir).isDirectory()) return;
    if (e.code === 'EEXIST') {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
    }
    const parent = path.dirname(dir);
    if (e.code !== 'ENOENT' || parent === dir) throw e;
    await makeDirectory(parent);
  }
  try {
    await mkdir(dir); // once: a parent that exists and still gives ENOENT cannot hold directories
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return;
    throw err;
  }
}

/** An errno as words: "not a directory", not "ENOTDIR: not a directory, mkdir 'x/y'". */
function reason(e: NodeJS.ErrnoException): string {
  return /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
}

/**
 * Transcribe every input. With several inputs, one that cannot be read is reported and skipped, as
 * cat and sox do, and the run fails (exit 1) at the end; a single input's error fails at once.
 */
export async function transcribeAll(inv: Invocation, engine: Engine, stop: StopSignal): Promise<void> {
  const files = inv.files.length ? inv.files : ['-'];
  if (files.filter((f) => f === '-').length > 1) throw new InputError("stdin ('-') can be read only once");
  if (inv.outDir) {
    const targets = new Map<string, string>();
    for (const file of files) {
      const target = outputPath(inv.outDir, file, inv.cfg.output);
      if (targets.has(target)) {
        throw new UsageError(`${targets.get(target)} and ${file} would both be written to ${target}`);
      }
      targets.set(target, file);
    }
    await makeDirectory(inv.outDir).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`cannot create output directory ${inv.outDir}: ${reason(err)}`);
    });
  }
  let failed: Error | null = null;
  for (const [i, file] of files.entries()) {
    // Stopped before the first input: it still runs (reading nothing), so stdout gets a whole
    // document, such as an empty MIDI file; with --out-dir no file is made for an input never read.
    if (stop.stopped && (i > 0 || inv.outDir)) break;
    try {
      if (inv.outDir) {
        if (file !== '-') checkReadable(file);
        const target = outputPath(inv.outDir, file, inv.cfg.output);
        const out = createWriteStream(target);
        await new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve());
          out.once('error', (e) => reject(new InputError(`cannot write ${target}: ${reason(e)}`)));
        });
        try {
          await transcribeInput(inv, engine, file, out, stop, false);
        } catch (err) {
          out.destroy();
          rmSync(target, { force: true }); // no half-written output left behind
          throw err;
        }
      } else {
        await transcribeInput(inv, engine, file, process.stdout, stop, files.length > 1);
      }
    } catch (err) {
      if (files.length === 1 || !(err instanceof InputError)) throw err;
      process.stderr.write(`melodyfilter: ${err.message}\n`);
      failed = err;
    }
  }
  if (failed) throw new InputError(`some inputs could not be transcribed (see above)`);
}

/** An input file's size in bytes, or an InputError saying why it cannot be read. */
function checkReadable(file: string): number {
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError(`${file} is a directory, not an audio file`);
    return st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : reason(e)}`);
  }
}
