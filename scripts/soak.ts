// Soak: an hour of synthesized melody streamed into bin/melodyfilter through a pipe, as fast as it
// reads, watching its memory and whether note times drift. Prints a markdown table.
//
// The melody repeats every PERIOD_SECONDS, a whole number of hops at the model rate, so every
// repetition meets the analysis windows at the same phase: a note of a given slot must start at the
// same offset from its slot in the last minute as in the first. Any difference is drift (samples
// lost or invented somewhere between the pipe and the note times), whatever the model hears.
//
//   npm run soak -- [--minutes N] [--tone-model | --model DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { DEFAULTS, UsageError } from '../lib/config.js';
import { MODEL_RATE, midiName, midiToHz } from '../lib/music.js';
import { memoryKiB } from './proc.js';
import { NEW_MODEL_WINDOW } from '../lib/model/card.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/scripts/ → repository root
const BIN = path.join(ROOT, 'bin/melodyfilter');

/** The CLI's default input format (sox's and CD audio's), so the CLI runs with default flags. */
const RATE_HZ = 44100;
const CHANNELS = 2;
const FRAME_BYTES = CHANNELS * 2; // s16le
/** C4 E4 G4 C5 A4 F4 D4 B4: no key twice in a row (also across the repeat), all within C3–C6. */
const PATTERN_MIDI = [60, 64, 67, 72, 69, 65, 62, 71];
/** One note per slot: the tone sounds for TONE_SECONDS, then silence, so every onset is clean. */
const SLOT_SECONDS = 0.25;
const TONE_SECONDS = 0.2;
/** 2 s: 88200 samples at 44.1 kHz, 32000 at the model rate, 125 hops. */
const PERIOD_SECONDS = PATTERN_MIDI.length * SLOT_SECONDS;
/** Piano-ish envelope: a 5 ms attack, a slow decay, a 10 ms release; a fifth-strength second
 *  partial; peak level -6 dBFS. */
const ATTACK_SECONDS = 0.005, RELEASE_SECONDS = 0.01, DECAY_DB_PER_SECOND = 6;
const SECOND_PARTIAL = 0.05, PEAK_LEVEL = 0.5;
/** How often /proc/<pid>/status is read. VmHWM is the kernel's own peak, so polling misses nothing of it. */
const POLL_MS = 1000;
/** When the early RSS reading is taken: buffers and JIT have settled by then. */
const CHECKPOINT_MINUTES = 1;
/** Progress on stderr, and an RSS reading in the table, every this many minutes of audio. */
const LOG_EVERY_MINUTES = 10;
/** RSS growth over the second half of the input that counts as a leak. Not from the checkpoint: V8
 *  grows its heap for the first half hour or so of an hour's run (measured: +16 MiB by 30 min, then
 *  +1 MiB in the next 30), and that is not a leak. */
const MAX_LATE_GROWTH_MIB = 4;
/** A detected onset must fall while its tone sounds. */
const GRID_TOLERANCE_SECONDS = TONE_SECONDS;
/** Drift allowed between the first and the last minute's mean onset offset: half a hop. */
const MAX_DRIFT_SECONDS = NEW_MODEL_WINDOW.hopSamples / MODEL_RATE / 2;

const HELP = `Usage: npm run soak -- [options]

  --minutes N      minutes of audio to stream (default 60)
  --tone-model     use the hand-set tone model (test/fixtures/tone-model.ts), which hears the sines
                   whatever training has reached: notes to check the grid with
  --model DIR      model directory passed to melodyfilter -m (default: the shipped model)
`;

interface Options {
  minutes: number;
  toneModel: boolean;
  modelDir: string | null;
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, strict: true,
      options: {
        minutes: { type: 'string' }, 'tone-model': { type: 'boolean' }, model: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  const v = parsed.values;
  if (v.help) { process.stdout.write(HELP); process.exit(0); }
  const minutes = v.minutes === undefined ? 60 : Number(v.minutes);
  if (!Number.isFinite(minutes) || minutes * 60 < PERIOD_SECONDS) {
    throw new UsageError(`--minutes must be at least ${+(PERIOD_SECONDS / 60).toFixed(3)} ` +
      `(one ${PERIOD_SECONDS} s repetition of the melody), got ${v.minutes}`);
  }
  if (v['tone-model'] && v.model) throw new UsageError('--tone-model and --model both choose the model; give one');
  return { minutes, toneModel: Boolean(v['tone-model']), modelDir: v.model ? path.resolve(v.model) : null };
}

function log(message: string): void {
  process.stderr.write(`soak: ${message}\n`);
}

/** One period of the melody, s16le stereo: written again and again, so nothing but it is stored. */
function renderPeriod(): Buffer {
  const slotSamples = Math.round(SLOT_SECONDS * RATE_HZ), toneSamples = Math.round(TONE_SECONDS * RATE_HZ);
  const attack = ATTACK_SECONDS * RATE_HZ, release = RELEASE_SECONDS * RATE_HZ;
  const decayPerSample = Math.pow(10, -DECAY_DB_PER_SECOND / 20 / RATE_HZ);
  const pcm = Buffer.alloc(slotSamples * PATTERN_MIDI.length * FRAME_BYTES);
  PATTERN_MIDI.forEach((midi, slot) => {
    const w = (2 * Math.PI * midiToHz(midi)) / RATE_HZ;
    let decay = 1;
    for (let i = 0; i < toneSamples; i++, decay *= decayPerSample) {
      const envelope = Math.min(1, i / attack, (toneSamples - i) / release) * decay;
      const x = PEAK_LEVEL * envelope * ((1 - SECOND_PARTIAL) * Math.sin(w * i) + SECOND_PARTIAL * Math.sin(2 * w * i));
      const p = (slot * slotSamples + i) * FRAME_BYTES;
      const s = Math.round(x * 32767);
      pcm.writeInt16LE(s, p);
      pcm.writeInt16LE(s, p + 2);
    }
  });
  return pcm;
}

interface SoakNote { pitch: number; start: number }

interface SoakRun {
  wallMs: number;
  code: number | null;
  stderr: string;
  notes: SoakNote[];
  rssAtCheckpointKiB: number | null;
  rssHalfwayKiB: number | null;
  rssAtEndKiB: number | null;
  peakKiB: number | null;
  /** RSS every LOG_EVERY_MINUTES of audio written: [minutes, KiB]. */
  trace: [number, number][];
}

/** Resolves once `stdin` takes writes again, or is gone. */
function drained(stdin: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stdin.destroyed) { resolve(); return; }
    const go = () => { stdin.off('drain', go); stdin.off('close', go); resolve(); };
    stdin.on('drain', go); stdin.on('close', go);
  });
}

async function stream(args: string[], periods: number, checkpointPeriods: number): Promise<SoakRun> {
  const period = renderPeriod();
  const startMs = performance.now();
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const run: SoakRun = { wallMs: 0, code: null, stderr: '', notes: [], rssAtCheckpointKiB: null, rssHalfwayKiB: null,
    rssAtEndKiB: null, peakKiB: null, trace: [] };
  let written = 0; // periods
  const sample = () => {
    const m = memoryKiB(child.pid!);
    if (m) run.peakKiB = Math.max(run.peakKiB ?? 0, m.peak);
    return m?.rss ?? null;
  };
  const timer = setInterval(sample, POLL_MS);
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines)
      if (line) { const n = JSON.parse(line) as SoakNote; run.notes.push({ pitch: n.pitch, start: n.start }); }
  });
  child.stderr.on('data', (d) => { run.stderr += d; });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdin.on('error', () => {}); // it died: the exit code and stderr say why
  const logEvery = Math.round((LOG_EVERY_MINUTES * 60) / PERIOD_SECONDS);
  while (written < periods && !child.stdin.destroyed) {
    if (!child.stdin.write(period)) await drained(child.stdin);
    written++;
    if (written === checkpointPeriods) run.rssAtCheckpointKiB = sample();
    if (written === Math.floor(periods / 2)) run.rssHalfwayKiB = sample();
    if (written % logEvery === 0) {
      const minutes = (written * PERIOD_SECONDS) / 60;
      const rss = sample();
      if (rss !== null) run.trace.push([minutes, rss]);
      log(`${minutes} min of audio written, RSS ${rss === null ? 'n/a' : `${(rss / 1024).toFixed(1)} MiB`}`);
    }
  }
  run.rssAtEndKiB = sample();
  child.stdin.end();
  run.code = await closed;
  clearInterval(timer);
  run.wallMs = performance.now() - startMs;
  return run;
}

interface GridResult {
  expected: number;
  heard: number;
  rightPitch: number;
  offGrid: number;
  /** Offset of onsets from their slot's start, seconds. */
  offsetMin: number;
  offsetMedian: number;
  offsetMax: number;
  /** Per slot of the pattern, the largest difference between repetitions of its onset offset. */
  spreadSeconds: number;
  /** Mean onset offset in the last minute minus in the first (the first period left out: the
   *  features' level follower starts from silence). */
  driftSeconds: number;
}

function checkGrid(notes: SoakNote[], seconds: number): GridResult {
  const periodSlots = PATTERN_MIDI.length;
  const minuteSlots = Math.min(60, seconds / 2) / SLOT_SECONDS;
  const totalSlots = Math.round(seconds / SLOT_SECONDS);
  const bySlot: number[][] = PATTERN_MIDI.map(() => []);
  let rightPitch = 0, offGrid = 0;
  const firstMinute: number[] = [], lastMinute: number[] = [], offsets: number[] = [];
  for (const n of notes) {
    const slot = Math.floor(n.start / SLOT_SECONDS + 1e-9);
    const offset = n.start - slot * SLOT_SECONDS;
    if (offset > GRID_TOLERANCE_SECONDS) { offGrid++; continue; }
    offsets.push(offset);
    if (n.pitch === PATTERN_MIDI[slot % periodSlots]) rightPitch++;
    if (slot >= periodSlots) bySlot[slot % periodSlots].push(offset);
    if (slot >= periodSlots && slot < periodSlots + minuteSlots) firstMinute.push(offset);
    if (slot >= totalSlots - minuteSlots) lastMinute.push(offset);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...offsets].sort((a, b) => a - b);
  return {
    expected: totalSlots, heard: notes.length, rightPitch, offGrid,
    offsetMin: sorted[0] ?? NaN, offsetMedian: sorted[sorted.length >> 1] ?? NaN,
    offsetMax: sorted[sorted.length - 1] ?? NaN,
    spreadSeconds: Math.max(0, ...bySlot.filter((xs) => xs.length).map((xs) => Math.max(...xs) - Math.min(...xs))),
    driftSeconds: firstMinute.length && lastMinute.length ? mean(lastMinute) - mean(firstMinute) : NaN,
  };
}

function report(run: SoakRun, grid: GridResult, model: string): { text: string; pass: boolean } {
  const seconds = grid.expected * SLOT_SECONDS;
  const mib = (kib: number | null) => (kib === null ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);
  const ms = (s: number) => (Number.isFinite(s) ? `${(Math.abs(s) < 5e-5 ? 0 : s * 1000).toFixed(1)} ms` : 'n/a');
  const growth = (from: number | null, to: number | null) => (from === null || to === null ? null : to - from);
  const growthKiB = growth(run.rssAtCheckpointKiB, run.rssAtEndKiB),
    lateGrowthKiB = growth(run.rssHalfwayKiB, run.rssAtEndKiB);
  const signed = (kib: number | null) => (kib === null ? 'n/a' : `${kib >= 0 ? '+' : ''}${mib(kib)}`);
  const checks = {
    exit: run.code === 0,
    memory: lateGrowthKiB !== null && lateGrowthKiB / 1024 <= MAX_LATE_GROWTH_MIB,
    grid: grid.heard > 0 && grid.offGrid === 0,
    drift: Number.isFinite(grid.driftSeconds) && Math.abs(grid.driftSeconds) <= MAX_DRIFT_SECONDS,
  };
  const ok = (b: boolean) => (b ? 'ok' : '**FAIL**');
  const rows = [
    ['Audio', `${+(seconds / 60).toFixed(2)} min, ${RATE_HZ} Hz stereo s16le through a pipe; ` +
      `${grid.expected} notes (${PATTERN_MIDI.map(midiName).join(' ')}, repeated)`, ''],
    ['Model', model, ''],
    ['Wall time', `${(run.wallMs / 1000).toFixed(1)} s (${(seconds * 1000 / run.wallMs).toFixed(1)}× real time)`, ''],
    ['Exit', `${run.code}${run.code === 0 ? '' : `: ${run.stderr.trim().split('\n').pop()}`}`, ok(checks.exit)],
    [`RSS after ${CHECKPOINT_MINUTES} min of audio → at end of input`,
      `${mib(run.rssAtCheckpointKiB)} → ${mib(run.rssAtEndKiB)} (${signed(growthKiB)})`, ''],
    ['RSS growth over the second half',
      `${mib(run.rssHalfwayKiB)} → ${mib(run.rssAtEndKiB)} (${signed(lateGrowthKiB)})`,
      `${ok(checks.memory)} (≤ +${MAX_LATE_GROWTH_MIB} MiB)`],
    ['Peak RSS (VmHWM)', mib(run.peakKiB), ''],
    ...(run.trace.length ? [[`RSS every ${LOG_EVERY_MINUTES} min of audio`,
      run.trace.map(([m, kib]) => `${m} min: ${mib(kib)}`).join(', '), '']] : []),
    ['Notes heard', `${grid.heard} of ${grid.expected}; ${grid.rightPitch} on the right key`, ''],
    ['Onsets on the grid', `${grid.heard - grid.offGrid} of ${grid.heard} start while their tone sounds; ` +
      `offset from the slot ${ms(grid.offsetMin)} … ${ms(grid.offsetMedian)} … ${ms(grid.offsetMax)} ` +
      '(min … median … max)',
      ok(checks.grid)],
    ['Drift', `last minute − first minute, mean onset offset: ${ms(grid.driftSeconds)}; ` +
      `largest spread of one slot across repetitions ${ms(grid.spreadSeconds)}`,
      `${ok(checks.drift)} (within ${ms(MAX_DRIFT_SECONDS)})`],
  ];
  const table = ['| Measure | Result | Check |', '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const pass = Object.values(checks).every(Boolean);
  const date = new Date().toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const command = `npm run soak --${process.argv.slice(2).map((a) => ` ${a}`).join('')}`;
  const head = `## Soak, ${date}: ${pass ? 'pass' : 'FAIL'}\n\n${os.cpus().length} cores, ` +
    `load average ${os.loadavg()[0].toFixed(2)}; Node ${process.version}; \`${command}\`\n`;
  return { text: `${head}\n${table}\n`, pass };
}

async function main(): Promise<void> {
  const opt = parseOptions(process.argv.slice(2));
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'melodyfilter-soak-'));
  try {
    let modelDir = opt.modelDir;
    if (opt.toneModel) {
      modelDir = path.join(tmpDir, 'tone-model');
      const { writeToneModel } = await import('../test/fixtures/tone-model.js');
      await writeToneModel(modelDir);
    }
    const args = ['-v', ...(modelDir ? ['-m', modelDir] : [])];
    const periods = Math.round((opt.minutes * 60) / PERIOD_SECONDS);
    const checkpointPeriods = Math.min(Math.round((CHECKPOINT_MINUTES * 60) / PERIOD_SECONDS),
      Math.floor(periods / 2));
    log(`streaming ${+(periods * PERIOD_SECONDS / 60).toFixed(2)} min of melody ` +
      `into bin/melodyfilter ${args.join(' ')}…`);
    const run = await stream(args, periods, checkpointPeriods);
    if (run.code !== 0) {
      const error = /^melodyfilter: (?!backend |warning: ).*$/m.exec(run.stderr)?.[0]
        ?? run.stderr.trim().split('\n').pop();
      throw new Error(`bin/melodyfilter exited with ${run.code}: ${error}`);
    }
    const grid = checkGrid(run.notes, periods * PERIOD_SECONDS);
    const model = /^melodyfilter: backend .*, model (.+) \(/m.exec(run.stderr)?.[1] ?? (modelDir ?? 'shipped');
    const { text, pass } = report(run, grid, model);
    process.stdout.write(text);
    if (!pass) process.exitCode = 1;
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  process.stderr.write(`soak: ${(err as Error).message}\n`);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
