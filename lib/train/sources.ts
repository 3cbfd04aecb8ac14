// The speech clips a data generator keeps in memory for babble (its FluidR3 renders: scenes.ts).
import { MODEL_RATE } from '../music.js';
import { espeakAvailable, speechClips } from '../synth/speech.js';
import type { Rng } from '../synth/random.js';

/** Voices for training babble; evaluation uses others (see eval.ts). */
export const TRAIN_VOICES = ['en', 'en-us', 'de', 'fr', 'es', 'it', 'nl', 'pl'];

export function makeSpeech(rng: Rng, count: number, voices: readonly string[] = TRAIN_VOICES): Float32Array[] {
  return espeakAvailable() ? speechClips(rng, count, voices, MODEL_RATE) : [];
}
