// Background noises and room effects for training and evaluation: what a phone or laptop microphone
// hears besides the piano.
import { type Rng, uniform, logUniform, intIn, pick } from './random.js';

export type NoiseKind = 'white' | 'pink' | 'brown' | 'hum' | 'buzz' | 'clicks' | 'babble';
export const NOISE_KINDS: readonly NoiseKind[] = ['white', 'pink', 'brown', 'hum', 'buzz', 'clicks', 'babble'];

/** Kinds a user names, checked; a kind named twice is drawn twice as often (randomNoiseBed). */
export function noiseKindList(names: readonly string[]): NoiseKind[] {
  if (!names.length) throw new Error('no noise kind named');
  for (const k of names) {
    if (!(NOISE_KINDS as readonly string[]).includes(k)) {
      throw new Error(`unknown noise kind '${k}' (${NOISE_KINDS.join(', ')})`);
    }
  }
  return names as NoiseKind[];
}

/** Fill `out` with noise of `kind` (unit-ish RMS, normalised later by the mixer). `speech` supplies
 *  clips for babble; without them babble falls back to pink noise shaped like a voice's envelope. */
export function makeNoise(
  kind: NoiseKind, out: Float32Array, sampleRate: number, rng: Rng, speech: readonly Float32Array[] = [],
): void {
  const n = out.length;
  switch (kind) {
    case 'white':
      for (let i = 0; i < n; i++) out[i] = rng() * 2 - 1;
      break;
    case 'pink': { // Paul Kellet's economy filter
      let b0 = 0, b1 = 0, b2 = 0;
      for (let i = 0; i < n; i++) {
        const w = rng() * 2 - 1;
        b0 = 0.99765 * b0 + w * 0.099046; b1 = 0.963 * b1 + w * 0.2965164; b2 = 0.57 * b2 + w * 1.0526913;
        out[i] = b0 + b1 + b2 + w * 0.1848;
      }
      break;
    }
    case 'brown': {
      let y = 0;
      for (let i = 0; i < n; i++) { y = 0.995 * y + (rng() * 2 - 1) * 0.1; out[i] = y; }
      break;
    }
    case 'hum':
    case 'buzz': { // mains at 50 or 60 Hz: hum is a few harmonics, buzz reaches into the kilohertz
      const mains = pick(rng, [50, 60]) * (1 + uniform(rng, -0.01, 0.01));
      const harmonics = kind === 'hum' ? 4 : Math.floor(Math.min(40, sampleRate / 2 / mains - 1));
      const amps: number[] = [], phases: number[] = [];
      for (let h = 1; h <= harmonics; h++) {
        amps.push((kind === 'hum' ? rng() : 1 / h) * (rng() < 0.7 ? 1 : 0.2));
        phases.push(rng() * 2 * Math.PI);
      }
      for (let i = 0; i < n; i++) {
        let v = 0;
        const t = (2 * Math.PI * mains * i) / sampleRate;
        for (let h = 0; h < harmonics; h++) v += amps[h] * Math.sin((h + 1) * t + phases[h]);
        out[i] = v;
      }
      break;
    }
    case 'clicks': {
      out.fill(0);
      const rate = logUniform(rng, 0.5, 20); // clicks per second
      for (let t = logUniform(rng, 0.01, 1 / rate); t < n / sampleRate; t += -Math.log(Math.max(rng(), 1e-9)) / rate) {
        const i0 = Math.floor(t * sampleRate), len = intIn(rng, 5, 200), a = uniform(rng, -1, 1);
        for (let k = 0; k < len && i0 + k < n; k++) out[i0 + k] += a * Math.exp((-6 * k) / len) * (rng() * 2 - 1);
      }
      break;
    }
    case 'babble': {
      out.fill(0);
      if (!speech.length) { makeNoise('pink', out, sampleRate, rng); break; }
      const voices = intIn(rng, 1, 5);
      for (let v = 0; v < voices; v++) {
        let i = -intIn(rng, 0, sampleRate);
        while (i < n) {
          const clip = pick(rng, speech);
          const gain = uniform(rng, 0.3, 1);
          for (let k = 0; k < clip.length && i + k < n; k++) if (i + k >= 0) out[i + k] += gain * clip[k];
          i += clip.length + intIn(rng, 0, sampleRate / 2);
        }
      }
      break;
    }
  }
}

export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Add `noise` to `signal` so that signal/noise is `snrDb` (signal RMS over its non-silent part). */
export function mixAtSnr(signal: Float32Array, noise: Float32Array, snrDb: number): void {
  const sig = activeRms(signal);
  const nr = rms(noise);
  if (sig === 0 || nr === 0) return;
  const g = sig / nr / Math.pow(10, snrDb / 20);
  for (let i = 0; i < signal.length; i++) signal[i] += g * noise[i];
}

/** RMS over 20 ms blocks louder than 40 dB below the loudest: the level of the music, not of its rests. */
export function activeRms(x: Float32Array, sampleRate = 16000): number {
  const block = Math.max(1, Math.round(sampleRate * 0.02));
  const levels: number[] = [];
  for (let i = 0; i + block <= x.length; i += block) levels.push(rms(x, i, i + block));
  const max = Math.max(0, ...levels);
  let s = 0, k = 0;
  for (const l of levels) if (l > max * 0.01) { s += l * l; k++; }
  return k ? Math.sqrt(s / k) : 0;
}

/** Schroeder reverberator (4 combs, 2 all-passes) with random room size: cheap, dense enough to smear
 *  onsets and sustain like a room does. `wet` 0–1. */
export function reverb(x: Float32Array, sampleRate: number, rng: Rng, rt60Seconds: number, wet: number): void {
  const combs = [0.0297, 0.0371, 0.0411, 0.0437].map((s) => Math.round(s * uniform(rng, 0.8, 1.3) * sampleRate));
  const y = new Float32Array(x.length);
  for (const d of combs) {
    const g = Math.pow(10, (-3 * d) / (rt60Seconds * sampleRate));
    const buf = new Float32Array(d);
    let p = 0, lp = 0;
    for (let i = 0; i < x.length; i++) {
      const out = buf[p];
      lp = 0.7 * out + 0.3 * lp; // damping: highs die faster, as in rooms
      buf[p] = x[i] + g * lp;
      y[i] += out * 0.25;
      p = p + 1 === d ? 0 : p + 1;
    }
  }
  for (const d of [Math.round(0.005 * sampleRate), Math.round(0.0017 * sampleRate)]) {
    const buf = new Float32Array(d);
    let p = 0;
    for (let i = 0; i < y.length; i++) {
      const b = buf[p];
      const v = y[i] + 0.5 * b;
      buf[p] = v;
      y[i] = b - 0.5 * v;
      p = p + 1 === d ? 0 : p + 1;
    }
  }
  for (let i = 0; i < x.length; i++) x[i] = (1 - wet) * x[i] + wet * y[i];
}

/** What a microphone hears with no piano playing: one or two noises, sometimes coloured (a fan's
 *  low-pass, a hiss's high-pass), sometimes stepping up and down mid-stream (a fan switched on, a
 *  room tone starting), at an RMS level in dBFS. Training's noise-only scenes and eval's noise
 *  condition are made here; neither has a note in it, so any note reported from it is a phantom. */
export interface NoiseBedOptions {
  kind: NoiseKind;
  /** RMS of the whole bed, dB relative to full scale. */
  levelDbfs: number;
  /** Level steps of `stepDb` every `stepSeconds`: up, then down again, around the mean level. */
  stepped?: { stepDb: number; stepSeconds: number; steps: number };
  /** One-pole filter corner in Hz: positive a low-pass, negative a high-pass at |corner|. */
  cornerHz?: number;
  /** A second noise under the first, this many dB below it. */
  under?: { kind: NoiseKind; belowDb: number };
}

export function noiseBed(
  o: NoiseBedOptions, out: Float32Array, sampleRate: number, rng: Rng, speech: readonly Float32Array[] = [],
): void {
  makeNoise(o.kind, out, sampleRate, rng, speech);
  normalise(out);
  if (o.under) {
    const second = new Float32Array(out.length);
    makeNoise(o.under.kind, second, sampleRate, rng, speech);
    normalise(second);
    const g = Math.pow(10, -o.under.belowDb / 20);
    for (let i = 0; i < out.length; i++) out[i] += g * second[i];
  }
  if (o.cornerHz) onePole(out, sampleRate, o.cornerHz);
  if (o.stepped) {
    // 0, 1, …, steps-1, steps-2, …: the level climbs, then falls back, and repeats.
    const { stepDb, stepSeconds, steps } = o.stepped;
    const block = Math.max(1, Math.round(stepSeconds * sampleRate));
    const period = Math.max(1, 2 * steps - 2);
    for (let i = 0; i < out.length; i++) {
      const k = Math.floor(i / block) % period;
      const step = k < steps ? k : period - k;
      out[i] *= Math.pow(10, (step * stepDb) / 20);
    }
  }
  normalise(out);
  const g = Math.pow(10, o.levelDbfs / 20);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-1, Math.min(1, out[i] * g));
}

/** A random bed for training: −70…−5 dBFS, a third of them stepped; its kind (and the kind under it)
 *  drawn from `kinds` (every kind by default), where a kind listed twice is drawn twice as often. */
export function randomNoiseBed(rng: Rng, kinds: readonly NoiseKind[] = NOISE_KINDS): NoiseBedOptions {
  const o: NoiseBedOptions = { kind: pick(rng, kinds), levelDbfs: uniform(rng, -70, -5) };
  if (rng() < 0.35) {
    o.stepped = { stepDb: uniform(rng, 3, 15), stepSeconds: uniform(rng, 0.3, 4), steps: intIn(rng, 2, 4) };
  }
  if (rng() < 0.3) o.cornerHz = rng() < 0.6 ? logUniform(rng, 80, 4000) : -logUniform(rng, 200, 4000);
  if (rng() < 0.3) o.under = { kind: pick(rng, kinds), belowDb: uniform(rng, 0, 20) };
  return o;
}

function normalise(x: Float32Array): void {
  const r = rms(x);
  if (r > 0) for (let i = 0; i < x.length; i++) x[i] /= r;
}

function onePole(x: Float32Array, sampleRate: number, cornerHz: number): void {
  const a = Math.exp((-2 * Math.PI * Math.abs(cornerHz)) / sampleRate);
  let y = 0;
  for (let i = 0; i < x.length; i++) {
    y = (1 - a) * x[i] + a * y;
    x[i] = cornerHz > 0 ? y : x[i] - y;
  }
}
