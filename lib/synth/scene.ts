// Scenes: a score rendered through a piano (our synthesizer or a FluidR3 render) and a room, plus
// noise at an SNR, gain and 16-bit rounding. Training (train/dataset.ts) and evaluation
// (eval/evaluate.ts) both build their audio here.
import { MODEL_RATE } from '../music.js';
import type { MelodyOptions, ScoreNote } from './melody.js';
import { makeNoise, mixAtSnr, reverb, NOISE_KINDS, type NoiseKind } from './noise.js';
import { type Rng, uniform, pick } from './random.js';

export interface Scene {
  audio: Float32Array; // mono at MODEL_RATE
  notes: ScoreNote[];
  source: string; // 'synth' or 'fluid:<program>'
  snrDb: number | null; // null: clean
  noise: NoiseKind | null;
}

/** A long render by a sampled instrument, cut into scenes. */
export interface Render {
  audio: Float32Array;
  notes: ScoreNote[];
  program: number;
  /** Who played it, for the scene's record: 'fluid:0', 'freepats:4', 'fluid:1+2' (shifted 2 keys). */
  source?: string;
}

export interface SceneOptions {
  seconds: number;
  melody?: Partial<MelodyOptions>;
  /** Probability of a FluidR3 render (when `renders` are given) instead of our synthesizer. */
  fluidShare?: number;
  /** Fixed SNR in dB, or null for clean; undefined draws one (20% clean, else −5…30 dB). */
  snrDb?: number | null;
  noiseKinds?: readonly NoiseKind[];
  reverbProbability?: number;
  detuneCents?: number; // maximum |detune| for the synthesizer
  /** Probability of a random microphone curve and compression (synth/colour.ts); 0 in evaluation. */
  colour?: number;
  /** Synthesizer voices drawn outside the training ranges (evaluation). */
  heldOutVoices?: boolean;
}

/** The room and the microphone: reverb, noise at an SNR, gain (quiet to clipping), 16-bit rounding. */
export function applyConditions(
  rng: Rng, audio: Float32Array, notes: ScoreNote[], source: string, opts: Omit<SceneOptions, 'seconds'>,
  speech: readonly Float32Array[] = [],
): Scene {
  const n = audio.length;
  if (rng() < (opts.reverbProbability ?? 0.3)) {
    reverb(audio, MODEL_RATE, rng, uniform(rng, 0.2, 1.5), uniform(rng, 0.1, 0.5));
  }
  let snrDb = opts.snrDb === undefined ? (rng() < 0.2 ? null : uniform(rng, -5, 30)) : opts.snrDb;
  let noise: NoiseKind | null = null;
  if (snrDb !== null) {
    noise = pick(rng, opts.noiseKinds ?? NOISE_KINDS);
    const buf = new Float32Array(n);
    makeNoise(noise, buf, MODEL_RATE, rng, speech);
    if (!notes.length) snrDb = null; else mixAtSnr(audio, buf, snrDb);
    if (!notes.length) for (let i = 0; i < n; i++) audio[i] += 0.01 * buf[i];
  }
  // Gain: from very quiet to clipping; then 16-bit-like quantisation.
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(audio[i]));
  const target = Math.pow(10, uniform(rng, -40, 6) / 20);
  const g = peak > 0 ? target / peak : 1;
  for (let i = 0; i < n; i++) {
    const v = audio[i] * g;
    audio[i] = Math.round((v > 1 ? 1 : v < -1 ? -1 : v) * 32767) / 32767;
  }
  return { audio, notes, source, snrDb, noise };
}
