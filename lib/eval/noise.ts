// Eval's noise condition (issue 19): noise with no note in it must give no note. Noise alone, as a
// microphone in a room gives it (44.1 kHz stereo s16le, each channel its own noise), at five levels
// from −60 to −10 dBFS; and melodies after a lead-in of noise alone and around a 10 s pause of it.
// Every note reported from noise alone is a phantom. Its own seed, so the melody conditions' draws
// (and the table above it) stay as they were.
import type { Note } from '../notes.js';
import { MODEL_RATE, midiName } from '../music.js';
import { transcribe, type Engine } from '../pipeline/transcriber.js';
import { noiseBed, makeNoise, mixAtSnr, type NoiseBedOptions, type NoiseKind } from '../synth/noise.js';
import { randomMelody, type ScoreNote } from '../synth/melody.js';
import { heldOutVoice, renderPiano } from '../synth/piano.js';
import { fluidAvailable, renderFluid } from '../synth/fluid.js';
import { makeRng, pick, uniform, type Rng } from '../synth/random.js';
import { espeakAvailable, speechClips, EVAL_VOICES } from '../synth/speech.js';
import { encodeS16le } from './evaluate.js';

export const NOISE_LEVELS_DBFS = [-60, -47.5, -35, -22.5, -10];
/** The noises of the condition: 'stepped' is pink noise whose level climbs 10 dB every 4 s and falls
 *  back (a fan switched on and off), its RMS over the whole file at the listed level. */
export const EVAL_NOISES = ['white', 'pink', 'brown', 'hum', 'babble', 'stepped'] as const;
export type EvalNoise = (typeof EVAL_NOISES)[number];
const RATE = 44100;
const LEAD_SECONDS = 3, PAUSE_SECONDS = 10, PART_SECONDS = 4;

/** What a phantom note was (start in s of its file), for the error analysis. */
export interface Phantom { name: string; start: number; confidence: number }
export interface NoiseAloneResult {
  noise: EvalNoise; levelDbfs: number; seconds: number; notes: number; phantoms: Phantom[];
}
export interface NoisePauseResult {
  noise: EvalNoise; melodies: number; before: number; inPause: number;
  /** The notes counted in `before` and `inPause`, with the last true note before each (or none). */
  phantoms: (Phantom & { after: string | null; afterEnd: number | null })[];
}
const phantomOf = (x: Note): Phantom => ({ name: x.name, start: x.start, confidence: x.confidence });
export interface NoiseReport { alone: NoiseAloneResult[]; pauses: NoisePauseResult[] }

function bedOptions(noise: EvalNoise, levelDbfs: number): NoiseBedOptions {
  if (noise !== 'stepped') return { kind: noise, levelDbfs };
  return { kind: 'pink', levelDbfs, stepped: { stepDb: 10, stepSeconds: 4, steps: 3 } };
}

export async function noiseAlone(
  engine: Engine, rng: Rng, seconds: number, speech: readonly Float32Array[],
): Promise<NoiseAloneResult[]> {
  const out: NoiseAloneResult[] = [];
  for (const noise of EVAL_NOISES) {
    for (const levelDbfs of NOISE_LEVELS_DBFS) {
      const n = Math.round(seconds * RATE);
      // Mains hum is one field in both channels; the rest are independent per microphone channel.
      const left = new Float32Array(n);
      noiseBed(bedOptions(noise, levelDbfs), left, RATE, rng, speech);
      const right = noise === 'hum' ? left : new Float32Array(n);
      if (right !== left) noiseBed(bedOptions(noise, levelDbfs), right, RATE, rng, speech);
      const pcm = encodeS16le([left, right]);
      const notes = await transcribe(pcm, { engine, sampleRate: RATE, channels: 2, encoding: 's16le' });
      const phantoms = notes.map(phantomOf);
      out.push({ noise, levelDbfs, seconds, notes: notes.length, phantoms });
    }
  }
  return out;
}

/** Melodies with a lead-in of noise alone and a pause of noise alone between two parts, the noise at
 *  an SNR of 0–20 dB to the music; counts the notes before the first played note and inside the pause
 *  (from 0.3 s after the last note before it is released to 50 ms before the next is struck). */
export async function noisePauses(
  engine: Engine, rng: Rng, perNoise: number, speech: readonly Float32Array[],
): Promise<NoisePauseResult[]> {
  const out: NoisePauseResult[] = [];
  const shift = (ns: ScoreNote[], at: number) =>
    ns.map((x) => ({ ...x, start: x.start + at, end: Math.min(x.end, PART_SECONDS) + at }));
  for (const noise of EVAL_NOISES) {
    let before = 0, inPause = 0;
    const phantoms: NoisePauseResult['phantoms'] = [];
    for (let m = 0; m < perNoise; m++) {
      const bStart = LEAD_SECONDS + PART_SECONDS + PAUSE_SECONDS;
      const a = shift(randomMelody(rng, { seconds: PART_SECONDS, lowMidi: 36, highMidi: 96 }), LEAD_SECONDS);
      const b = shift(randomMelody(rng, { seconds: PART_SECONDS, lowMidi: 36, highMidi: 96 }), bStart);
      const notes = [...a, ...b];
      const n = Math.ceil((bStart + PART_SECONDS + 1) * MODEL_RATE);
      let audio = new Float32Array(n);
      if (fluidAvailable() && rng() < 0.5) audio = renderFluid(notes, pick(rng, [0, 1, 2, 3]), MODEL_RATE).slice(0, n);
      else renderPiano(notes, heldOutVoice(rng), MODEL_RATE, audio, rng, uniform(rng, -20, 20));
      if (audio.length < n) { const full = new Float32Array(n); full.set(audio); audio = full; }
      const bed = new Float32Array(n);
      if (noise === 'stepped') noiseBed(bedOptions(noise, -20), bed, MODEL_RATE, rng, speech);
      else makeNoise(noise as NoiseKind, bed, MODEL_RATE, rng, speech);
      mixAtSnr(audio, bed, uniform(rng, 0, 20));
      let peak = 0;
      for (const v of audio) peak = Math.max(peak, Math.abs(v));
      const g = peak > 0 ? Math.pow(10, uniform(rng, -30, -3) / 20) / peak : 1;
      for (let i = 0; i < n; i++) audio[i] *= g;
      const est = (await transcribe(encodeS16le([audio]), {
        engine, sampleRate: MODEL_RATE, channels: 1, encoding: 's16le',
      })) as Note[];
      const firstA = Math.min(...a.map((x) => x.start));
      const lastA = Math.max(...a.map((x) => x.end));
      const firstB = Math.min(...b.map((x) => x.start));
      const lead = est.filter((x) => x.start < firstA - 0.05);
      const pause = est.filter((x) => x.start > lastA + 0.3 && x.start < firstB - 0.05);
      before += lead.length;
      inPause += pause.length;
      for (const x of [...lead, ...pause]) {
        const last = notes.filter((r) => r.start < x.start).sort((p, q) => q.start - p.start)[0];
        phantoms.push({ ...phantomOf(x), after: last ? midiName(last.pitch) : null, afterEnd: last?.end ?? null });
      }
    }
    out.push({ noise, melodies: perNoise, before, inPause, phantoms });
  }
  return out;
}

export async function noiseCondition(engine: Engine, opts: { seed: number; scale: number }): Promise<NoiseReport> {
  const rng = makeRng(opts.seed + 77);
  // Babble: speech of voices training never hears, at the rate each part of the check runs at.
  const clips = (rate: number) => (espeakAvailable() ? speechClips(rng, 30, EVAL_VOICES, rate) : []);
  // 60 s a noise and level from the quick set up; the smoke set hears 6 s.
  const seconds = Math.min(60, Math.max(6, Math.round(120 * opts.scale)));
  const alone = await noiseAlone(engine, rng, seconds, clips(RATE));
  const pauses = await noisePauses(engine, rng, Math.max(1, Math.round(8 * opts.scale)), clips(MODEL_RATE));
  return { alone, pauses };
}

export function formatNoiseReport(r: NoiseReport): string {
  const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
  const seconds = r.alone[0]?.seconds ?? 0;
  const lines = [
    row([`noise alone, ${seconds} s each: notes at`, ...NOISE_LEVELS_DBFS.map((l) => `${l} dBFS`)]),
    `|---|${NOISE_LEVELS_DBFS.map(() => '---|').join('')}`,
  ];
  for (const noise of EVAL_NOISES) {
    const at = (l: number) => r.alone.find((x) => x.noise === noise && x.levelDbfs === l)?.notes ?? '–';
    lines.push(row([noise, ...NOISE_LEVELS_DBFS.map(at)]));
  }
  const total = r.alone.reduce((s, x) => s + x.notes, 0);
  lines.push('', `Notes from noise alone: ${total} in ${r.alone.length} files of ${seconds} s.`, '',
    row([`lead-in ${LEAD_SECONDS} s and pause ${PAUSE_SECONDS} s of noise, 0–20 dB SNR`, 'melodies',
      'notes before the first', 'notes in the pause']),
    '|---|---|---|---|');
  for (const p of r.pauses) lines.push(row([p.noise, p.melodies, p.before, p.inPause]));
  return lines.join('\n') + '\n';
}
