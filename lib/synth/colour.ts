// New instruments and microphones from the ones we have (issue 19's augmentation): a random EQ curve
// (a microphone, a room's boom, a bright or dull instrument), compression (a phone, a streaming
// app's limiter) and a pitch shift by resampling (another string length: every partial moves
// together, the timbre keeps its shape but sits on other keys). Pure DSP over Float32Arrays.
import { resampleBuffer } from '../pipeline/resample.js';
import type { ScoreNote } from './melody.js';
import { type Rng, uniform, logUniform, pick } from './random.js';

const LOWEST_KEY = 21, HIGHEST_KEY = 108;

/** One RBJ-cookbook biquad, run in place (direct form I). */
function biquad(x: Float32Array, b0: number, b1: number, b2: number, a0: number, a1: number, a2: number): void {
  b0 /= a0; b1 /= a0; b2 /= a0; a1 /= a0; a2 /= a0;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = v; y2 = y1; y1 = y;
    x[i] = y;
  }
}

type Band = 'low' | 'high' | 'peak';

/** A shelf or peaking band of `gainDb` at `hz` (Q `q` for a peak; shelves use slope 1). */
export function eqBand(x: Float32Array, rate: number, kind: Band, hz: number, gainDb: number, q = 0.707): void {
  const A = Math.pow(10, gainDb / 40), w = (2 * Math.PI * hz) / rate, c = Math.cos(w), s = Math.sin(w);
  if (kind === 'peak') {
    const alpha = s / (2 * q);
    biquad(x, 1 + alpha * A, -2 * c, 1 - alpha * A, 1 + alpha / A, -2 * c, 1 - alpha / A);
    return;
  }
  const alpha = (s / 2) * Math.SQRT2, k = 2 * Math.sqrt(A) * alpha;
  if (kind === 'low') {
    biquad(x, A * (A + 1 - (A - 1) * c + k), 2 * A * (A - 1 - (A + 1) * c), A * (A + 1 - (A - 1) * c - k),
      A + 1 + (A - 1) * c + k, -2 * (A - 1 + (A + 1) * c), A + 1 + (A - 1) * c - k);
  } else {
    biquad(x, A * (A + 1 + (A - 1) * c + k), -2 * A * (A - 1 + (A + 1) * c), A * (A + 1 + (A - 1) * c - k),
      A + 1 - (A - 1) * c + k, 2 * (A - 1 - (A + 1) * c), A + 1 - (A - 1) * c - k);
  }
}

/** A random microphone and instrument curve: two shelves and two peaks, each within ±9 dB. */
export function randomEq(rng: Rng, x: Float32Array, rate: number): void {
  eqBand(x, rate, 'low', logUniform(rng, 80, 400), uniform(rng, -9, 9));
  eqBand(x, rate, 'high', logUniform(rng, 1500, 6000), uniform(rng, -9, 6));
  for (let i = 0; i < 2; i++) {
    eqBand(x, rate, 'peak', logUniform(rng, 120, 5000), uniform(rng, -8, 8), logUniform(rng, 0.5, 4));
  }
}

/** Feed-forward compression with a peak envelope (attack ~5 ms, release 50–300 ms): above
 *  `thresholdDb` below the signal's peak, the level grows 1/`ratio` as fast; made up to the old peak. */
export function compress(x: Float32Array, rate: number, thresholdDb: number, ratio: number, releaseS: number): void {
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]));
  if (peak === 0) return;
  const threshold = peak * Math.pow(10, thresholdDb / 20);
  const att = Math.exp(-1 / (0.005 * rate)), rel = Math.exp(-1 / (releaseS * rate));
  let env = 0, outPeak = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    env = a > env ? att * env + (1 - att) * a : rel * env + (1 - rel) * a;
    const gain = env > threshold ? Math.pow(env / threshold, 1 / ratio - 1) : 1;
    x[i] *= gain;
    outPeak = Math.max(outPeak, Math.abs(x[i]));
  }
  const makeup = peak / outPeak;
  for (let i = 0; i < x.length; i++) x[i] *= makeup;
}

/** A random microphone curve, and half the time compression. */
export function colourAudio(rng: Rng, x: Float32Array, rate: number): void {
  randomEq(rng, x, rate);
  if (rng() < 0.5) compress(x, rate, uniform(rng, -30, -8), uniform(rng, 2, 8), uniform(rng, 0.05, 0.3));
}

/** The audio and score `semitones` higher (lower if negative): resampled as if recorded at
 *  rate·2^(s/12), so pitches rise by exactly that many keys and times shrink by the same ratio. */
export function shiftPitch(
  audio: Float32Array, notes: readonly ScoreNote[], rate: number, semitones: number,
): { audio: Float32Array; notes: ScoreNote[] } {
  const ratio = Math.pow(2, semitones / 12);
  const shifted = resampleBuffer(audio, Math.round(rate * ratio), rate);
  const exact = Math.round(rate * ratio) / rate; // the ratio the integer rate gives: under 0.1 cent off
  return {
    audio: shifted,
    notes: notes.map((n) => ({ ...n, pitch: n.pitch + semitones, start: n.start / exact, end: n.end / exact })),
  };
}

/** A shift of ±1 or ±2 keys that keeps every note on the piano, or 0 where none does. */
export function drawShift(rng: Rng, notes: readonly ScoreNote[]): number {
  let lo = HIGHEST_KEY, hi = LOWEST_KEY;
  for (const n of notes) { lo = Math.min(lo, n.pitch); hi = Math.max(hi, n.pitch); }
  const fits = [-2, -1, 1, 2].filter((s) => lo + s >= LOWEST_KEY && hi + s <= HIGHEST_KEY);
  return fits.length ? pick(rng, fits) : 0;
}
