// Sheet music measured: each tune of examples/tunes.txt (written metre, key, pickup and rhythm)
// performed at a random tempo of 60-160 quarter notes a minute drifting by up to ±10% over the tune,
// transposed -6…+6, with expressive timing jitter of ±20-40 ms, by FluidR3 or a held-out voice of our
// synthesizer with room and noise (10-30 dB SNR); transcribed by the real transcriber (shipped
// model); the notes read as a score (lib/score) and compared with the written tune.
//   node dist/scripts/score-eval.js [--seed N] [--per-tune N] [--from-notes]
// --from-notes skips the audio: the performed notes themselves are read, which measures the score
// reading alone.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../lib/config.js';
import { MODEL_RATE } from '../lib/music.js';
import { loadEngine, transcribe, type Engine } from '../lib/pipeline/transcriber.js';
import type { Note } from '../lib/notes.js';
import { parseTunes, type Tune } from '../lib/match/notation.js';
import { readScore, type Score } from '../lib/score/score.js';
import { parseKey } from '../lib/score/key.js';
import { DIVISIONS_PER_QUARTER, barDivisions } from '../lib/score/notate.js';
import { intIn, makeRng, uniform, type Rng } from '../lib/synth/random.js';
import { renderTake, toS16le } from '../lib/synth/take.js';

const { values: args } = parseArgs({ options: {
  seed: { type: 'string', default: '2121' },
  'per-tune': { type: 'string', default: '2' },
  'from-notes': { type: 'boolean', default: false },
} });
const SEED = Number(args.seed), PER_TUNE = Number(args['per-tune']);
/** A transcribed note is the performed one when it has its pitch and starts this close to it. */
const ONSET_MATCH_SECONDS = 0.07;
/** Tempo right: within 4% of the performance's mean tempo. */
const TEMPO_TOLERANCE = 0.04;

interface Performance {
  notes: { pitch: number; start: number; end: number; velocity: number; written: number }[];
  transpose: number;
  /** Quarter notes a minute over the whole tune (the drifting tempo's mean). */
  bpm: number;
}

function perform(rng: Rng, tune: Tune): Performance {
  const transpose = intIn(rng, -6, 6), bpm0 = uniform(rng, 60, 160), drift = uniform(rng, -0.1, 0.1);
  const jitter = uniform(rng, 0.02, 0.04);
  const last = tune.written[tune.written.length - 1];
  const total = last.beat + last.beats;
  // Tempo changes linearly from bpm0 to bpm0·(1+drift) over the tune: time is the integral of 1/tempo.
  const k = drift / total, spq = 60 / bpm0;
  const time = (q: number) => (Math.abs(k) < 1e-9 ? q * spq : (Math.log(1 + k * q) / k) * spq);
  const notes = tune.written.map((w, i) => {
    const start = 0.5 + time(w.beat) + uniform(rng, -jitter, jitter);
    const end = 0.5 + time(w.beat + w.beats * 0.9);
    return { pitch: w.pitch + transpose, start, end: Math.max(start + 0.06, end),
      velocity: intIn(rng, 55, 100), written: i };
  });
  return { notes, transpose, bpm: (total / time(total)) * 60 };
}

/** Each score note (index into its events) → the written note it plays, by pitch and onset. */
function align(score: Score, perf: Performance): Map<number, number> {
  const out = new Map<number, number>(), used = new Set<number>();
  score.events.forEach((e, i) => {
    if (e.pitch === null || e.onsetSeconds === undefined) return;
    let best = -1, bestD = ONSET_MATCH_SECONDS;
    perf.notes.forEach((p, k) => {
      const d = Math.abs(p.start - e.onsetSeconds!);
      if (p.pitch === e.pitch && !used.has(k) && d <= bestD) { best = k; bestD = d; }
    });
    if (best >= 0) { out.set(i, best); used.add(best); }
  });
  return out;
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');

async function main() {
  const rng = makeRng(SEED);
  const tunes = parseTunes(readFileSync(new URL('../../examples/tunes.txt', import.meta.url), 'utf8'));
  const engine: Engine | null = args['from-notes'] ? null : await loadEngine(resolveConfig({}));
  let takes = 0, keyRight = 0, meterRight = 0, tempoRight = 0, tempoOctave = 0;
  let aligned = 0, valuesRight = 0, valuesRelative = 0, written = 0;
  let downTrue = 0, downPred = 0, downBoth = 0;
  const misses: string[] = [];
  for (const tune of tunes) {
    const wantKey = parseKey(tune.key!)!;
    for (let k = 0; k < PER_TUNE; k++) {
      const perf = perform(rng, tune);
      let heard: { pitch: number; start: number; end: number }[];
      if (engine) {
        const { audio } = renderTake(rng, perf.notes);
        heard = ((await transcribe(toS16le(audio), { engine, sampleRate: MODEL_RATE, channels: 1,
          encoding: 's16le' })) as Note[])
          .map((n) => ({ pitch: n.pitch, start: n.start, end: n.end }));
      } else heard = perf.notes.map(({ pitch, start, end }) => ({ pitch, start, end }));
      const score = readScore(heard, { title: tune.name });
      takes++;
      written += tune.written.length;
      // Key: tonic and mode, in the transposed key.
      if (score.key.mode === wantKey.mode && score.key.tonic === (((wantKey.tonic + perf.transpose) % 12) + 12) % 12)
        keyRight++;
      const meterOk = score.meter.beats === tune.meter!.beats && score.meter.beatType === tune.meter!.beatType;
      if (meterOk) meterRight++;
      const ratio = score.tempo / perf.bpm;
      const tempoOk = Math.abs(ratio - 1) <= TEMPO_TOLERANCE;
      if (tempoOk) tempoRight++;
      else if (Math.abs(ratio / 2 - 1) <= TEMPO_TOLERANCE || Math.abs(ratio * 2 - 1) <= TEMPO_TOLERANCE) tempoOctave++;
      // The first bar line, in quarter notes from the first note: ours and the written one.
      const wantBarQ = (tune.meter!.beats * 4) / tune.meter!.beatType;
      const phaseOk = meterOk && tempoOk
        && Math.abs(score.pickup / DIVISIONS_PER_QUARTER - (tune.pickup % wantBarQ)) < 1e-6;
      if (!meterOk || !tempoOk || !phaseOk) {
        misses.push(`${tune.name}: metre ${score.meter.beats}/${score.meter.beatType} ` +
          `(${tune.meter!.beats}/${tune.meter!.beatType}), ` +
          `tempo ×${ratio.toFixed(2)}, pickup ${score.pickup / DIVISIONS_PER_QUARTER} (${tune.pickup})`);
      }
      // Note values and bar lines, on the notes heard right.
      const pairs = align(score, perf);
      const bar = barDivisions(score.meter), wantBar = (tune.meter!.beats * 4) / tune.meter!.beatType;
      for (const [i, w] of pairs) {
        const e = score.events[i], note = tune.written[perf.notes[w].written];
        aligned++;
        const value = e.duration / DIVISIONS_PER_QUARTER;
        if (Math.abs(value - note.beats) < 1e-6) valuesRight++;
        if (Math.abs(value * (perf.bpm / score.tempo) - note.beats) < 0.13 * note.beats) valuesRelative++;
        const isDown = ((((note.beat - tune.pickup) % wantBar) + wantBar) % wantBar) < 1e-6;
        const saysDown = (((e.start - score.pickup) % bar) + bar) % bar === 0;
        if (isDown) downTrue++;
        if (saysDown) downPred++;
        if (isDown && saysDown) downBoth++;
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const precision = downPred ? downBoth / downPred : 0, recall = downTrue ? downBoth / downTrue : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  const source = engine ? 'transcribed audio (shipped model)' : 'the performed notes (no audio)';
  console.log(`score-eval: ${takes} takes of ${tunes.length} tunes, seed ${SEED}, from ${source}`);
  console.log('| measure | result | target |');
  console.log('|---|---|---|');
  console.log(`| key right (tonic and mode) | ${pct(keyRight, takes)} | 95% |`);
  console.log(`| metre right | ${pct(meterRight, takes)} | 90% |`);
  console.log(`| tempo within 4% | ${pct(tempoRight, takes)} (at double or half: ${pct(tempoOctave, takes)}) | 95% |`);
  console.log(`| note values exactly as written | ${pct(valuesRight, aligned)} of ${aligned} notes heard right ` +
    `(${pct(aligned, written)} of ${written} written) | 90% |`);
  console.log(`| note values right relative to the tempo read | ${pct(valuesRelative, aligned)} | — |`);
  console.log(`| downbeats (F1 of notes on a bar line) | ${(100 * f1).toFixed(1)}% ` +
    `(precision ${(100 * precision).toFixed(1)}%, recall ${(100 * recall).toFixed(1)}%) | 90% |`);
  if (process.env.SCORE_EVAL_MISSES) console.error(misses.join('\n'));
}

await main();
