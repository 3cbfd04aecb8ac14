// Random monophonic melodies: the score side of training and evaluation data.
import { type Rng, uniform, logUniform, intIn, pick } from './random.js';

/** Scale steps a tune-like line moves by, smaller ones likelier. */
const STEPS = [-2, -1, -1, 1, 1, 2, 2, -3, 3, 4, -4, 5, -5, 7, -7];

export interface ScoreNote {
  pitch: number; // MIDI
  start: number; // seconds
  end: number; // seconds (key release)
  velocity: number; // 1–127
}

export interface MelodyOptions {
  seconds: number;
  /** Pitch limits (inclusive). */
  lowMidi?: number;
  highMidi?: number;
  /** Note length limits, seconds. */
  minNoteSeconds?: number;
  maxNoteSeconds?: number;
  /** Probability that a note repeats the previous pitch. */
  repeatProbability?: number;
  /** Probability of a rest before a note. */
  restProbability?: number;
  style?: 'walk' | 'scale' | 'arpeggio' | 'tune' | 'leaps';
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];

export function randomMelody(rng: Rng, opts: MelodyOptions): ScoreNote[] {
  const low = opts.lowMidi ?? 21, high = opts.highMidi ?? 108;
  const minLen = opts.minNoteSeconds ?? 0.05, maxLen = opts.maxNoteSeconds ?? 2;
  const repeatP = opts.repeatProbability ?? 0.12;
  const restP = opts.restProbability ?? 0.15;
  const style = opts.style ?? pick(rng, ['walk', 'walk', 'scale', 'arpeggio', 'tune', 'leaps'] as const);
  const scale = pick(rng, [MAJOR, MINOR]);
  const tonic = intIn(rng, 0, 11);
  const inScale = (p: number) => scale.includes(((p - tonic) % 12 + 12) % 12);
  // A melody's pace: most notes near a base length, some halved or doubled.
  const base = logUniform(rng, Math.max(minLen, 0.08), Math.min(maxLen, 0.8));
  const legato = uniform(rng, 0.5, 1.0); // sounding share of each inter-onset interval
  const clamp = (p: number) => Math.min(high, Math.max(low, p));
  let pitch = clamp(intIn(rng, Math.max(low, 36), Math.min(high, 96)));
  if (rng() < 0.15) pitch = intIn(rng, low, high);
  let velocity = intIn(rng, 40, 110);
  let dir = rng() < 0.5 ? 1 : -1;
  const notes: ScoreNote[] = [];
  let t = uniform(rng, 0, 0.3);
  let arpeggioStep = 0;
  while (t < opts.seconds) {
    if (notes.length && rng() < restP) t += logUniform(rng, 0.05, 1.0);
    const ioi = Math.min(maxLen, Math.max(minLen, base * pick(rng, [0.5, 1, 1, 1, 1.5, 2]) * uniform(rng, 0.85, 1.15)));
    if (notes.length && rng() >= repeatP) {
      let next = pitch;
      switch (style) {
        case 'scale': {
          do next += dir; while (!inScale(next) && next > low && next < high);
          if (rng() < 0.1) dir = -dir;
          break;
        }
        case 'arpeggio': {
          const steps = [4, 3, 5]; next += dir * steps[arpeggioStep++ % 3];
          if (rng() < 0.15) dir = -dir;
          break;
        }
        case 'tune': {
          do next = pitch + pick(rng, STEPS); while (!inScale(next) && rng() < 0.9);
          break;
        }
        case 'leaps': next = pitch + intIn(rng, -12, 12); break;
        default: next = pitch + Math.round(uniform(rng, -1, 1) * pick(rng, [1, 2, 3, 5, 7]));
      }
      if (next === pitch && style !== 'walk') next += dir;
      if (next < low || next > high) { dir = -dir; next = clamp(pitch + dir * intIn(rng, 1, 4)); }
      pitch = next;
    }
    velocity = Math.min(127, Math.max(20, velocity + intIn(rng, -15, 15)));
    if (rng() < 0.05) velocity = intIn(rng, 20, 127);
    const length = Math.max(minLen, Math.min(maxLen, ioi * legato));
    notes.push({ pitch, start: t, end: t + length, velocity });
    t += ioi;
    // Occasional legato overlap: the next key goes down up to 30 ms before this one is released.
    const prev = notes[notes.length - 1];
    if (rng() < 0.15) prev.end = Math.min(prev.start + maxLen, t + uniform(rng, 0, 0.03));
  }
  while (notes.length && notes[notes.length - 1].start > opts.seconds - minLen) notes.pop();
  return notes;
}
