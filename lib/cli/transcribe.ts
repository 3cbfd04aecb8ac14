// Running the CLI's transcribe command: inputs → pipeline → writer → stdout or files.
import {
  createReadStream, createWriteStream, fstatSync, linkSync, renameSync, rmSync, statSync, unlinkSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { argPath, shownPath } from '../argv-bytes.js';
import type cliProgress from 'cli-progress';
import { InputError, UsageError, errnoWords, type Config } from '../config.js';
import { noteStages, type Engine } from '../pipeline/transcriber.js';
import { FormatMismatchError, newDecodeReport, type DecodedChunk } from '../pipeline/pcm.js';
import { highestKeyBelow, midiName } from '../music.js';
import { WRITERS } from '../writers/registry.js';
import type { Invocation } from './args.js';
import { stdoutSink, writeTo } from './output.js';
import { makeDirectory } from './dirs.js';

/** The CLI's flag for each input format field the decoder checks against a WAV header. */
const FORMAT_FLAGS = { sampleRate: '--rate', channels: '--channels', encoding: '--encoding' } as const;

export function warn(message: string): void {
  process.stderr.write(`melodyfilter: warning: ${terminalSafe(message)}\n`);
}

/** A message as one line that cannot drive the terminal: control characters from file or model
 *  names (a newline, an escape sequence) are written as escapes, \n and \u001b. */
export function terminalSafe(message: string): string {
  return message.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** A file name as the shell would need it in the suggested command line. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Ends an input early (on SIGINT/SIGTERM) as if it had reached EOF, so every stage flushes. */
export class StopSignal {
  stopped = false;
  /** The signal that stopped the run: an interrupted batch exits with 128 + its number, as the shell reports it. */
  signal: NodeJS.Signals | null = null;
  /** Outputs being written under a temporary name: if the process has to exit without finishing,
   *  removePartFiles() takes them away, since they are halves no later run would commit. */
  readonly partFiles = new Set<string>();
  private readonly onStop = new Set<() => void>();
  stop(signal: NodeJS.Signals): void {
    if (this.stopped) return;
    this.stopped = true;
    this.signal = signal;
    for (const f of this.onStop) f();
  }
  removePartFiles(): void {
    for (const file of this.partFiles) rmSync(file, { force: true });
    this.partFiles.clear();
  }
  /**
   * Wrap a source: yields its chunks until stop() is called, then destroys it. Destroying is what
   * ends a read waiting on a pipe that stays open (and lets the process exit: an open stdin would
   * keep it alive). No Promise.race against a stop promise: each race adds a reaction to that promise
   * that lives until it settles, one per chunk, which grows without bound on a live stream.
   * `onCut` is called when the stop, not the source's own end, ended it.
   */
  wrap(src: Readable, onCut: () => void = () => {}): AsyncIterable<Uint8Array> {
    const self = this;
    return (async function* () {
      const destroy = () => src.destroy();
      if (self.stopped) { onCut(); destroy(); return; }
      self.onStop.add(destroy);
      try {
        for await (const chunk of src) {
          if (self.stopped) { onCut(); break; }
          yield chunk as Uint8Array;
        }
      } catch (err) {
        if (!self.stopped) throw err; // a read cut short by stop() is the end of input, not an error
        onCut();
      } finally {
        self.onStop.delete(destroy);
      }
    })();
  }
}

/** Read size for a regular file. Every read is one batch through every stage, and a batch's fixed
 *  costs (the classifier's weights brought back into cache, a hop through each stage) are paid per
 *  read: 256 KB (1.5 s of 44.1 kHz stereo) pays them a quarter as often as 64 KB. A file's bytes are
 *  all there already, so the larger read delays nothing; a pipe, FIFO or terminal is read as its
 *  producer writes (at most a pipe's 64 KB at a time), so live input keeps its latency. */
const FILE_READ_BYTES = 1 << 18;
/** Read size for a named input that is not a regular file (a FIFO, a device): the stream default's
 *  64 KB, one pipe's capacity. */
const PIPE_READ_BYTES = 1 << 16;

/** After SIGINT with stdin a pipe, how long to wait for the producer's EOF before stopping anyway. */
const PIPE_SIGINT_GRACE_MS = 1000;

/** The transcription's signal policy (README, "Exit status and odd input"): the first SIGINT or
 *  SIGTERM ends the input as if it had ended, a second changes nothing, a third exits at once. */
export function stopOnSignals(inv: Pick<Invocation, 'files'>, stop: StopSignal): void {
  // When stdin is a pipe (or a redirected file, whose EOF comes soon too), Ctrl-C reaches the
  // producer as well and its EOF ends the run with every note written; a lone SIGINT still stops us
  // after a grace period. SIGTERM stops at once.
  const fromPipe = !process.stdin.isTTY && !inv.files.some((f) => f !== '-');
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1 && signal === 'SIGINT' && fromPipe) {
      setTimeout(() => stop.stop('SIGINT'), PIPE_SIGINT_GRACE_MS).unref();
      return;
    }
    // A second signal stops at once during a SIGINT's grace period, and is otherwise ignored: the run is
    // stopping, its output moments away, and GNU timeout sends its SIGTERM twice (to the command,
    // then to its process group).
    if (signals <= 2) {
      stop.stop(signal);
      return;
    }
    // A third: the user has given up waiting. Take away our half-written outputs and die of the
    // signal itself; process.exit() would wait for a read blocked on a silent FIFO.
    process.stderr.write(`melodyfilter: ${signal} while stopping (the third signal); exiting without finishing\n`);
    stop.removePartFiles();
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** A signal stopped a run before every input was transcribed; `notDone` lists those that were not. */
export class InterruptedError extends Error {
  constructor(readonly signal: NodeJS.Signals, readonly notDone: string[]) {
    super(`not transcribed (interrupted): ${notDone.map(shellWord).join(' ')}`);
  }
}

/** The warning for input whose rate cannot hold the keys asked for (`lowMidi`-`highMidi`), or null.
 *  Only a warning: below the top keys a melody is still heard (rates too low for anything are refused
 *  by MIN_INPUT_RATE). */
export function lowRateWarning(sampleRate: number, lowMidi: number, highMidi: number): string | null {
  const top = highestKeyBelow(sampleRate / 2);
  if (top >= highMidi) return null;
  const from = Math.max(top + 1, lowMidi);
  const lost = from === highMidi ? midiName(highMidi) : `${midiName(from)}-${midiName(highMidi)}`;
  return `is at ${sampleRate} Hz, which holds nothing above ${sampleRate / 2} Hz: ` +
    `keys above ${midiName(top)} (${lost}) cannot be heard`;
}

/** Passes the decoder's chunks on, calling `onRate` with the input's rate before the first. */
function onInputRate(
  decode: (src: AsyncIterable<Uint8Array | string>) => AsyncIterable<DecodedChunk>, onRate: (hz: number) => void,
) {
  return async function* (src: AsyncIterable<Uint8Array | string>): AsyncGenerator<DecodedChunk> {
    let told = false;
    for await (const chunk of decode(src)) {
      if (!told) { told = true; onRate(chunk.inputRate); }
      yield chunk;
    }
  };
}

/** A decoder error in the words of the flags the user typed. */
function inFlagWords(err: unknown): unknown {
  if (!(err instanceof FormatMismatchError)) return err;
  const unit = err.field === 'sampleRate' ? ' Hz' : err.field === 'channels' ? ' channels' : '';
  return new UsageError(`${FORMAT_FLAGS[err.field]} ${err.given} contradicts the WAV header's ${err.header}${unit}`);
}

/** Transcribe one input into `sink`. `file` undefined or '-' is stdin. Resolves to true if a stop
 *  ended the input before its end: the notes are those heard until then. */
export async function transcribeInput(
  inv: Invocation, engine: Engine, file: string | undefined, sink: Writable, stop: StopSignal, tagFile: boolean,
): Promise<boolean> {
  const { cfg } = inv;
  const isStdin = file === undefined || file === '-';
  let input: Readable;
  let size = 0;
  if (isStdin) {
    // Node reads a directory on stdin (`< folder`) as an empty stream: 0 notes and exit 0.
    const st = statOrNull(0);
    if (st?.isDirectory()) throw new InputError('stdin is a directory, not audio');
    // A file on stdin (`< take.raw`) is read in the larger reads a named file gets; Node's own stdin
    // reads files 64 KB at a time.
    input = st?.isFile() ? createReadStream('', { fd: 0, autoClose: false, highWaterMark: FILE_READ_BYTES })
      : process.stdin;
  } else {
    const st = checkReadable(file);
    size = st.size;
    input = createReadStream(argPath(file), { highWaterMark: st.isFile() ? FILE_READ_BYTES : PIPE_READ_BYTES });
  }
  const report = newDecodeReport();
  const [decode, toModelRate, win, feats, cls, notes] = noteStages(cfg, engine, report, inv.explicit);
  let bar: cliProgress.SingleBar | null = null;
  const toStdout = sink === stdoutSink();
  // Drawn only when the notes go to files: a terminal showing them, or a pipe into a reader that
  // writes the same terminal (head, jq, less), would get the bar mixed into its lines.
  const notesToFiles = !toStdout || stdoutIsFile();
  const wantBar = inv.progress ?? (!isStdin && size > 0 && process.stderr.isTTY === true && notesToFiles);
  if (wantBar && size > 0) {
    const name = terminalSafe(path.basename(file!));
    const format = `${name} |{bar}| {percentage}% | {duration_formatted} elapsed, ETA {eta_formatted}`;
    // Forced (--progress) onto a file or pipe, the bar is lines now and then: cli-progress draws
    // nothing on a non-terminal unless told to.
    const forced = inv.progress === true && process.stderr.isTTY !== true;
    const options = {
      format, stream: process.stderr, clearOnComplete: !forced, noTTYOutput: forced, notTTYSchedule: 1000,
    };
    const { default: cliProgress } = await import('cli-progress'); // only when shown: it slows every start-up
    bar = new cliProgress.SingleBar(options, cliProgress.Presets.shades_classic);
    bar.start(size, 0);
    let read = 0;
    input.on('data', (c: Buffer) => { read += c.length; bar!.update(read); });
  }
  const label = isStdin ? 'stdin' : file;
  let cutShort = false;
  const where = isStdin ? 'input' : label;
  // Said as soon as the rate is known (a live stream may run for hours), unless a bar is being drawn:
  // then the input is a file, and the warning waits for the bar to go.
  let rateWarning: string | null = null;
  const heard = onInputRate(decode, (hz) => {
    rateWarning = lowRateWarning(hz, cfg.lowMidi, cfg.highMidi);
    if (rateWarning && !bar) { warn(`${where} ${rateWarning}`); rateWarning = null; }
  });
  try {
    // pipeline's typings stop at a handful of stages; the stages themselves are typed above.
    await (pipeline as (...streams: unknown[]) => Promise<void>)(
      stop.wrap(input, () => { cutShort = true; }), heard, toModelRate, win, feats, cls, notes,
      WRITERS[cfg.output].make({
        cfg, options: inv.options, file: tagFile ? file : undefined,
        title: isStdin ? undefined : path.basename(file, path.extname(file)),
      }),
      toStdout ? writeTo(sink) : sink,
    );
  } catch (err) {
    if (err instanceof InputError && !isStdin) {
      const named = err.message.replace('ffmpeg -i FILE', `ffmpeg -i ${shellWord(file)}`)
        .replace('sox FILE', `sox ${shellWord(file)}`);
      throw new InputError(`${label}: ${named}`);
    }
    // The input's own errors in words ("cannot read x: permission denied"), not errno text.
    const e = err as NodeJS.ErrnoException;
    if (!isStdin && (e.path === file || e.path === undefined) && (e.syscall === 'open' || e.syscall === 'read')) {
      throw new InputError(`cannot read ${file}: ${errnoWords(e)}`);
    }
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
  if (rateWarning) warn(`${where} ${rateWarning}`);
  const expected = report.expectedDataBytes;
  if (report.wav && expected !== null && report.dataBytesRead < expected && !stop.stopped) {
    warn(`${where}: WAV data ended after ${report.dataBytesRead} of ${expected} bytes (truncated file?); ` +
      'transcribed what was there');
  }
  const ignored = report.extraDataBytes + report.strayBytes;
  if (ignored) {
    // The data size stays authoritative (what a WAV reader does); the count says how much it left out.
    const what = [
      report.extraDataBytes ? 'a second data chunk' : '',
      report.strayBytes ? 'bytes that are not chunks (is the data size in its header too small?)' : '',
    ].filter((s) => s).join(' and ');
    const declared = expected === null ? 'the WAV data' : `the ${expected} bytes of WAV data`;
    warn(`${where}: ignored ${ignored} byte(s) after ${declared} its header declares: ${what}`);
  }
  if (report.trailingBytes) {
    warn(`${where} ended with ${report.trailingBytes} byte(s), less than one sample frame; ignored them`);
  }
  if (report.nonFiniteSamples) {
    warn(`${where} had ${report.nonFiniteSamples} NaN or infinite sample(s); read them as silence`);
  }
  return cutShort;
}

/** Output file for `file` in `outDir`: the input's name, its extension replaced. Bytes where that
 *  name is not UTF-8 (lib/argv-bytes.ts), so a Latin-1 take's notes keep its name, not U+FFFD. */
export function outputPath(outDir: string, file: string, output: Config['output']): string | Buffer {
  const extension = WRITERS[output].extension;
  if (file === '-') return path.join(outDir, `stdin${extension}`);
  const bytes = argPath(file);
  if (typeof bytes === 'string') return path.join(outDir, path.basename(file).replace(/\.[^.]*$/, '') + extension);
  let base = bytes.subarray(bytes.lastIndexOf(0x2f) + 1); // after the last '/'
  const dot = base.lastIndexOf(0x2e); // and without its last '.' on, as the string form
  if (dot >= 0) base = base.subarray(0, dot);
  // The directory as path.join writes it for a string name: join a one-character name, drop it.
  const dir = path.join(outDir, '_').slice(0, -1);
  return Buffer.concat([Buffer.from(dir), base, Buffer.from(extension)]);
}

/** An output path's bytes as a key: two names are one file exactly when their bytes agree. */
const pathKey = (p: string | Buffer) => Buffer.from(p).toString('hex');


/**
 * Transcribe every input. With several inputs, one that cannot be read is reported and skipped, as
 * cat and sox do, and the run fails (exit 1) at the end; a single input's error fails at once.
 * Stopped by a signal, it starts no further input and throws an InterruptedError naming those not
 * transcribed, so that neither a script nor its user takes a batch cut short for a whole one.
 */
export async function transcribeAll(inv: Invocation, engine: Engine, stop: StopSignal): Promise<void> {
  const files = inv.files.length ? inv.files : ['-']; // stdin at most once: invocationOf checked
  refuseInputAsOutput(inv, files);
  // gzip's rule: binary data is not for a terminal, where it garbles the screen and helps no one.
  if (!inv.outDir && WRITERS[inv.cfg.output].binary && process.stdout.isTTY && !inv.force) {
    throw new UsageError(`--output ${inv.cfg.output} writes binary data; not writing it to a terminal ` +
      `(redirect it, as in > take.mid, or use -f to force)`);
  }
  if (inv.outDir) {
    const targets = new Map<string, { target: string | Buffer; file: string }>();
    for (const file of files) {
      const target = outputPath(inv.outDir, file, inv.cfg.output);
      const other = targets.get(pathKey(target));
      if (other) {
        throw new UsageError(`${shownPath(other.file)} and ${shownPath(file)} would both be written to ` +
          shownPath(target));
      }
      targets.set(pathKey(target), { target, file });
    }
    const outputs = [...targets.values()].map((x) => x.target);
    // A directory in an output's place is never replaced, -y or not: found now, not after the work.
    const dirInTheWay = outputs.find((target) => statQuietly(target)?.isDirectory());
    if (dirInTheWay) throw new InputError(`${shownPath(dirInTheWay)} is a directory; not writing the notes over it`);
    // As cp -n and ffmpeg without -y: an earlier good output is never replaced unasked.
    const existing = inv.overwrite ? [] : outputs.filter((target) => statQuietly(target) !== null);
    if (existing.length) {
      const more = existing.length > 1 ? ` (and ${existing.length - 1} more)` : '';
      throw new InputError(`${shownPath(existing[0])}${more} exists; not overwriting it (-y/--overwrite replaces it)`);
    }
    await makeDirectory(inv.outDir).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`cannot create output directory ${inv.outDir}: ${errnoWords(err)}`);
    });
  }
  let failed: Error | null = null;
  const notDone: string[] = [];
  for (const [i, file] of files.entries()) {
    // Stopped before the first input: it still runs (reading nothing), so stdout gets a whole
    // document, such as an empty MIDI file; with --out-dir no file is made for an input never read.
    if (stop.stopped && (i > 0 || inv.outDir)) {
      notDone.push(...files.slice(i));
      break;
    }
    try {
      if (inv.outDir) {
        if (file !== '-') checkReadable(file);
        const target = outputPath(inv.outDir, file, inv.cfg.output);
        // Written under a temporary name and renamed once complete: a run that fails leaves the
        // previous good output, not a half-written or deleted one.
        // A name of its own, not the target's plus a suffix: a 250-byte input name stays within NAME_MAX.
        const temp = path.join(inv.outDir, `.melodyfilter-${process.pid}-${i}.part`);
        const out = createWriteStream(temp, { flags: 'wx' });
        await new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve());
          out.once('error', (e) => reject(new InputError(`cannot write ${shownPath(target)}: ${errnoWords(e)}`)));
        });
        stop.partFiles.add(temp);
        let cutShort: boolean;
        try {
          cutShort = await transcribeInput(inv, engine, file, out, stop, false);
        } catch (err) {
          out.destroy();
          rmSync(temp, { force: true });
          throw err;
        } finally {
          stop.partFiles.delete(temp);
        }
        if (cutShort && hasOwnEnd(file)) {
          // The notes of part of a file: under the final name they would pass for the whole, and with
          // -y replace a whole earlier one. The file is still there to be transcribed again.
          rmSync(temp, { force: true });
          notDone.push(file);
        } else {
          commitOutput(temp, target, inv.overwrite);
        }
      } else {
        await transcribeInput(inv, engine, file, stdoutSink(), stop, files.length > 1);
      }
    } catch (err) {
      if (files.length === 1 || !(err instanceof InputError)) throw err;
      process.stderr.write(`melodyfilter: ${terminalSafe(err.message)}\n`);
      failed = err;
    }
  }
  if (notDone.length) throw new InterruptedError(stop.signal ?? 'SIGTERM', notDone);
  if (failed) throw new InputError(`some inputs could not be transcribed (see above)`);
}

/** An input with an end of its own, a regular file (named, or on stdin), rather than a pipe, terminal or
 *  device (a live recording, /dev/urandom), whose only end is the one a signal gives it. */
function hasOwnEnd(file: string): boolean {
  return (file === '-' ? statOrNull(0) : statQuietly(file))?.isFile() ?? false;
}

/**
 * Give a finished output its name. Without -y the name must still be free: the check at the start
 * does not see a file another run makes meanwhile (`melodyfilter -d out a/take.wav & melodyfilter
 * -d out b/take.wav`), so the commit itself refuses to replace one: link() fails where the name
 * exists, rename() would not. Where a file appeared, the notes stay in the temporary file and the
 * message names it; nothing is lost and nothing replaced.
 */
export function commitOutput(temp: string, target: string | Buffer, overwrite: boolean): void {
  if (overwrite) {
    renameSync(temp, target);
    return;
  }
  try {
    linkSync(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new InputError(`${shownPath(target)} appeared while this run wrote it (another run?); not overwriting it ` +
        `(-y/--overwrite replaces it); this transcription is in ${temp}`);
    }
    // File systems without hard links: the best a rename can do is look first.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    if (statQuietly(target) !== null) {
      throw new InputError(`${shownPath(target)} appeared while this run wrote it; not overwriting it; ` +
        `this transcription is in ${temp}`);
    }
    renameSync(temp, target);
    return;
  }
  unlinkSync(temp);
}

/** An input file's stat, or an InputError saying why it cannot be read. */
function checkReadable(file: string): Stats {
  try {
    const st = statSync(argPath(file));
    if (st.isDirectory()) throw new InputError(`${shownPath(file)} is a directory, not an audio file`);
    return st;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${shownPath(file)}: ${e.code === 'ENOENT' ? 'no such file' : errnoWords(e)}`);
  }
}

function statOrNull(fd: number): Stats | null {
  try { return fstatSync(fd); } catch { return null; }
}

/** Notes to a file (`> notes.jsonl`, /dev/null) rather than a terminal or a pipe. A program reading a
 *  pipe (head, jq, less) may be writing the very terminal a progress bar would draw on. */
function stdoutIsFile(): boolean {
  const st = statOrNull(1);
  return st !== null && !process.stdout.isTTY && (st.isFile() || st.isCharacterDevice());
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/**
 * Never open an output that is an input: `-d .` for take.jsonl would truncate the input before
 * reading it, and `>> take.wav` would read its own output, as cat refuses to. Checked for every
 * input before any output is opened.
 */
function refuseInputAsOutput(inv: Invocation, files: string[]): void {
  const inputs: [string, Stats][] = [];
  for (const file of files) {
    const st = file === '-' ? statOrNull(0) : statQuietly(file);
    if (st?.isFile()) inputs.push([file === '-' ? 'stdin' : file, st]);
  }
  if (inv.outDir) {
    for (const file of files) {
      const target = outputPath(inv.outDir, file, inv.cfg.output);
      const st = statQuietly(target);
      const same = st && inputs.find(([, s]) => sameFile(s, st));
      if (same) {
        throw new InputError(`${shownPath(target)} is the input ${shownPath(same[0])}; writing it would destroy it ` +
          '(choose another --out-dir)');
      }
    }
    return;
  }
  const out = statOrNull(1);
  const same = out?.isFile() && inputs.find(([, s]) => sameFile(s, out));
  if (same) throw new InputError(`${same[0]}: input file is output file`);
}

function statQuietly(file: string | Buffer): Stats | null {
  try { return statSync(typeof file === 'string' ? argPath(file) : file); } catch { return null; }
}
