// The sampled-instrument renders and speech clips a data generator keeps in memory.
import { MODEL_RATE } from '../features.js';
import { espeakAvailable, speechClips } from '../synth/speech.js';
import { fluidAvailable, renderFluid, KEYBOARD_PROGRAMS } from '../synth/fluid.js';
import { randomMelody } from '../synth/melody.js';
import { type Rng, pick } from '../synth/random.js';
import type { Render } from '../synth/scene.js';

/** Voices for training babble; evaluation uses others (see eval.ts). */
export const TRAIN_VOICES = ['en', 'en-us', 'de', 'fr', 'es', 'it', 'nl', 'pl'];

export function makeRenders(
  rng: Rng, count: number, seconds: number, programs: readonly number[] = KEYBOARD_PROGRAMS,
): Render[] {
  if (!count || !fluidAvailable()) return [];
  const renders: Render[] = [];
  for (let i = 0; i < count; i++) {
    // Most weight on the acoustic pianos (programs 0–3).
    const pianos = programs.filter((p) => p <= 3);
    const program = rng() < 0.7 ? pick(rng, pianos.length ? pianos : programs) : pick(rng, programs);
    const notes = randomMelody(rng, { seconds });
    const audio = renderFluid(notes, program, MODEL_RATE, { reverb: rng() < 0.3, chorus: rng() < 0.2 });
    renders.push({ audio, notes, program });
  }
  return renders;
}

export function makeSpeech(rng: Rng, count: number, voices: readonly string[] = TRAIN_VOICES): Float32Array[] {
  return espeakAvailable() ? speechClips(rng, count, voices, MODEL_RATE) : [];
}
