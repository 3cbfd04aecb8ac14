// `melodyfilter eval`: held-out melodies (other seeds, synthesizer voices outside the training ranges,
// other babble voices) through the real streaming pipeline, scored per condition.
import { type Config } from '../config.js';
import { MODEL_RATE } from '../music.js';
import { transcribe, type Engine } from '../pipeline/transcriber.js';
import type { Note } from '../notes.js';
import { randomMelody, type ScoreNote, type MelodyOptions } from '../synth/melody.js';
import { heldOutVoice, renderPiano } from '../synth/piano.js';
import { fluidAvailable, renderFluid } from '../synth/fluid.js';
import { FREEPATS_PROGRAMS, renderFreepats, timidityAvailable } from '../synth/timidity.js';
import { espeakAvailable, speechClips, EVAL_VOICES } from '../synth/speech.js';
import { makeRng, type Rng, intIn, pick, uniform } from '../synth/random.js';
import { resampleBuffer } from '../pipeline/resample.js';
import { applyConditions } from '../synth/scene.js';
import { addMelody, emptyCounts, repeatedFound, scores, type Counts, type Scores } from './metrics.js';

/** Input formats a user might pipe in: each melody goes through decode and resampling at one of them. */
const INPUT_RATES = [16000, 22050, 32000, 44100, 48000];
/** Training seeds are small integers; decoder settings are chosen on VALIDATION_SEED, never on this. */
export const EVAL_SEED = 1_000_003;
export const VALIDATION_SEED = 2_000_003;

export interface Condition {
  name: string;
  melodies: number;
  melody: Partial<MelodyOptions> & { notes?: number; registerOctaves?: number };
  snrDb: number | null | 'range';
  /** Share of melodies rendered by FluidR3 (the rest by held-out synthesizer voices). */
  fluidShare: number;
}

export function conditions(scale: number): Condition[] {
  const m = (k: number) => Math.max(2, Math.round(k * scale));
  // The write-up's task, then every key at 80 ms – 1.5 s notes in several noise levels, then repeats.
  const allKeys = { registerOctaves: 2, minNoteSeconds: 0.08, maxNoteSeconds: 1.5 };
  const writeUp = { notes: 8, lowMidi: 60, highMidi: 83, minNoteSeconds: 0.3, maxNoteSeconds: 0.6, restProbability: 0 };
  const repeats = { repeatProbability: 0.5, lowMidi: 48, highMidi: 84, minNoteSeconds: 0.1, maxNoteSeconds: 0.6 };
  return [
    { name: '8-note C4–B5, 0.3–0.6 s, 10 dB', melodies: m(100), melody: writeUp, snrDb: 10, fluidShare: 0.5 },
    { name: 'all keys, 80 ms–1.5 s, clean', melodies: m(40), melody: allKeys, snrDb: null, fluidShare: 0.5 },
    { name: 'all keys, 80 ms–1.5 s, 5–30 dB', melodies: m(60), melody: allKeys, snrDb: 'range', fluidShare: 0.5 },
    { name: 'all keys, 80 ms–1.5 s, 10 dB', melodies: m(40), melody: allKeys, snrDb: 10, fluidShare: 0.5 },
    { name: 'all keys, 80 ms–1.5 s, 0 dB', melodies: m(40), melody: allKeys, snrDb: 0, fluidShare: 0.5 },
    { name: 'repeated notes (50%), 10 dB', melodies: m(40), melody: repeats, snrDb: 10, fluidShare: 0.5 },
  ];
}

export interface ConditionResult {
  name: string;
  scores: Scores;
  counts: Counts;
  repeated: { repeated: number; found: number };
}

export interface Breakdown {
  name: string;
  scores: Scores;
  counts: Counts;
}

export interface EvalReport {
  conditions: ConditionResult[];
  breakdowns: Breakdown[];
  seconds: number;
}

interface Melody {
  notes: ScoreNote[];
  seconds: number;
}

function makeMelody(rng: Rng, c: Condition): Melody {
  const o = { ...c.melody };
  if (o.registerOctaves) { // a random two-octave register anywhere on the keyboard: every key gets its turn
    const low = intIn(rng, 21, 108 - 12 * o.registerOctaves);
    o.lowMidi = low; o.highMidi = low + 12 * o.registerOctaves;
  }
  const seconds = o.notes ? o.notes * (o.maxNoteSeconds ?? 0.6) * 2 + 1 : uniform(rng, 6, 10);
  let notes = randomMelody(rng, { ...o, seconds });
  if (o.notes) notes = notes.slice(0, o.notes);
  const end = notes.reduce((t, n) => Math.max(t, n.end), 0);
  return { notes, seconds: end + 0.6 };
}

/** Render each melody: FluidR3 (or, with `pianos` freepats, TiMidity++ for every melody) in one run per
 *  program, melodies laid end to end; else a held-out synthesizer voice. Returns audio at MODEL_RATE. */
function renderMelodies(
  rng: Rng, melodies: Melody[], fluidShare: number, pianos: PianoSet = 'standard',
): { audio: Float32Array; source: string }[] {
  const freepats = pianos === 'freepats';
  if (freepats && !timidityAvailable()) throw new Error('the freepats set needs timidity and freepats installed');
  const useFluid = fluidAvailable();
  const sources = melodies.map(() => {
    if (freepats) return pick(rng, FREEPATS_PROGRAMS);
    return useFluid && rng() < fluidShare ? pick(rng, [0, 0, 1, 2, 3, 4, 5]) : -1;
  });
  const out: { audio: Float32Array; source: string }[] = new Array(melodies.length);
  const GAP_SECONDS = 2; // keeps each melody's release tail out of the next
  for (const program of new Set(sources.filter((p) => p >= 0))) {
    const idx = sources.map((p, i) => (p === program ? i : -1)).filter((i) => i >= 0);
    const score: ScoreNote[] = [];
    const offsets: number[] = [];
    let t = 0;
    for (const i of idx) {
      offsets.push(t);
      for (const n of melodies[i].notes) score.push({ ...n, start: n.start + t, end: n.end + t });
      t += melodies[i].seconds + GAP_SECONDS;
    }
    const long = freepats
      ? renderFreepats(score, program, MODEL_RATE)
      : renderFluid(score, program, MODEL_RATE, { reverb: rng() < 0.3 });
    idx.forEach((i, k) => {
      const from = Math.round(offsets[k] * MODEL_RATE);
      const audio = new Float32Array(Math.ceil(melodies[i].seconds * MODEL_RATE));
      audio.set(long.subarray(from, from + audio.length));
      out[i] = { audio, source: freepats ? 'freepats' : 'fluid' };
    });
  }
  melodies.forEach((m, i) => {
    if (sources[i] >= 0) return;
    const audio = new Float32Array(Math.ceil(m.seconds * MODEL_RATE));
    renderPiano(m.notes, heldOutVoice(rng), MODEL_RATE, audio, rng, uniform(rng, -30, 30));
    out[i] = { audio, source: 'synth' };
  });
  return out;
}

/** Encode mono audio at MODEL_RATE as s16le at `rate` with `channels`, as a user's pipe would carry it. */
function asInput(audio: Float32Array, rate: number, channels: number): Buffer {
  const x = resampleBuffer(audio, MODEL_RATE, rate);
  return encodeS16le(Array.from({ length: channels }, () => x));
}

/** Interleaved s16le of one array per channel (clipped to full scale), as sox or ffmpeg would pipe it. */
export function encodeS16le(channels: readonly Float32Array[]): Buffer {
  const n = channels[0].length, c = channels.length;
  const buf = Buffer.alloc(n * c * 2);
  for (let i = 0, p = 0; i < n; i++) {
    for (let k = 0; k < c; k++, p += 2) {
      buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, channels[k][i])) * 32767), p);
    }
  }
  return buf;
}

const SOURCE_NAMES: Record<string, string> = {
  fluid: 'FluidR3 GM', synth: 'synth, held-out voices', freepats: 'freepats (never trained on)',
};

const REGISTERS: [string, number, number][] = [
  ['register A0–B2', 21, 47], ['register C3–B5', 48, 83], ['register C6–C8', 84, 108],
];

/** One transcribed melody, for error analysis (scripts/error-analysis.ts). */
export interface MelodyResult {
  condition: string;
  source: string;
  ref: readonly ScoreNote[];
  est: readonly Note[];
}

export interface EvalOptions {
  scale: number;
  seed?: number;
  log?: (s: string) => void;
  decoder?: Partial<Config>;
  onMelody?: (m: MelodyResult) => void;
  /** Only the first N conditions (each condition's melodies are drawn after the ones before it, so a
   *  prefix scores the same melodies as the whole set). */
  firstConditions?: number;
  /** Who plays the melodies: FluidR3 and held-out synthesizer voices (the eval set), or every melody
   *  on freepats (TiMidity++), pianos the shipped models never trained on: a probe of unseen pianos,
   *  meaningless for a model trained with `--freepats-share`. */
  pianos?: PianoSet;
}

export const PIANO_SETS = ['standard', 'freepats'] as const;
export type PianoSet = (typeof PIANO_SETS)[number];

export async function evaluate(engine: Engine, opts: EvalOptions): Promise<EvalReport> {
  return (await evaluateDecoders(engine, { ...opts, decoders: [opts.decoder ?? {}] }))[0];
}

/** One report per decoder setting, from one rendering of the melodies: the decoder grid
 *  (scripts/tune-decoder.ts) would otherwise render every melody again for each setting. */
export async function evaluateDecoders(
  engine: Engine, opts: Omit<EvalOptions, 'decoder'> & { decoders: Partial<Config>[] },
): Promise<EvalReport[]> {
  const started = Date.now();
  const rng = makeRng(opts.seed ?? EVAL_SEED);
  const speech = espeakAvailable() ? speechClips(rng, 30, EVAL_VOICES, MODEL_RATE) : [];
  const runs = opts.decoders.map((decoder) => ({
    decoder, results: [] as ConditionResult[], by: new Map<string, Counts>(),
  }));
  for (const c of conditions(opts.scale).slice(0, opts.firstConditions)) {
    const melodies = Array.from({ length: c.melodies }, () => makeMelody(rng, c));
    const rendered = renderMelodies(rng, melodies, c.fluidShare, opts.pianos);
    const perRun = runs.map(() => ({ counts: emptyCounts(), rep: { repeated: 0, found: 0 } }));
    for (let i = 0; i < melodies.length; i++) {
      const snr = c.snrDb === 'range' ? uniform(rng, 5, 30) : c.snrDb;
      const room = { snrDb: snr, reverbProbability: 0.2 };
      const scene = applyConditions(rng, rendered[i].audio, melodies[i].notes, rendered[i].source, room, speech);
      const rate = pick(rng, INPUT_RATES), channels = rng() < 0.5 ? 1 : 2;
      const input = asInput(scene.audio, rate, channels);
      const ref = melodies[i].notes;
      for (let k = 0; k < runs.length; k++) {
        const { decoder, by } = runs[k];
        const { counts, rep } = perRun[k];
        const bucket = (name: string) => {
          if (!by.has(name)) by.set(name, emptyCounts());
          return by.get(name)!;
        };
        const format = { sampleRate: rate, channels, encoding: 's16le' } as const;
        const est = (await transcribe(input, { ...decoder, engine, ...format })) as Note[];
        if (k === 0) opts.onMelody?.({ condition: c.name, source: rendered[i].source, ref, est });
        addMelody(counts, ref, est);
        const source = SOURCE_NAMES[rendered[i].source] ?? rendered[i].source;
        addMelody(bucket(`source ${source}`), ref, est);
        for (const [name, lo, hi] of REGISTERS) {
          const inside = (n: { pitch: number }) => n.pitch >= lo && n.pitch <= hi;
          addMelody(bucket(name), ref.filter(inside), est.filter(inside));
        }
        const r = repeatedFound(ref, est);
        rep.repeated += r.repeated; rep.found += r.found;
      }
    }
    runs.forEach((run, k) => {
      const { counts, rep } = perRun[k];
      run.results.push({ name: c.name, scores: scores(counts), counts, repeated: rep });
    });
    const { counts } = perRun[0];
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    opts.log?.(`${c.name}: F1 ${scores(counts).f1.toFixed(3)} (${counts.melodies} melodies, ${seconds} s)`);
  }
  return runs.map(({ results, by }) => ({
    conditions: results, seconds: (Date.now() - started) / 1000,
    breakdowns: [...by.entries()].sort().map(([name, counts]) => ({ name, counts, scores: scores(counts) })),
  }));
}

const pct = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

export function formatReport(r: EvalReport): string {
  const lines = [
    row(['condition', 'melodies', 'notes', 'precision', 'recall', 'F1', 'F1 (offsets)', 'melodies exact',
      'onset error ms', 'repeats found']),
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of r.conditions) {
    const s = c.scores;
    const rep = c.repeated.repeated ? `${pct(c.repeated.found / c.repeated.repeated)} (${c.repeated.repeated})` : '–';
    lines.push(row([c.name, c.counts.melodies, c.counts.ref, pct(s.precision), pct(s.recall), pct(s.f1),
      pct(s.f1WithOffsets), pct(s.exactShare), s.meanOnsetErrorMs.toFixed(1), rep]));
  }
  lines.push('', row(['all conditions, by', 'notes', 'precision', 'recall', 'F1', 'F1 (offsets)', 'onset error ms']),
    '|---|---|---|---|---|---|---|');
  for (const b of r.breakdowns) {
    const s = b.scores;
    lines.push(row([b.name, b.counts.ref, pct(s.precision), pct(s.recall), pct(s.f1), pct(s.f1WithOffsets),
      s.meanOnsetErrorMs.toFixed(1)]));
  }
  return lines.join('\n') + '\n';
}
