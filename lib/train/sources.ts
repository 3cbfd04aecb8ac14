// The speech clips a data generator keeps in memory for babble (its FluidR3 renders: scenes.ts).
import { MODEL_RATE } from '../music.js';
import { espeakAvailable, speechClips, TRAIN_VOICES } from '../synth/speech.js';
import type { Rng } from '../synth/random.js';

export function makeSpeech(rng: Rng, count: number, voices: readonly string[] = TRAIN_VOICES): Float32Array[] {
  return espeakAvailable() ? speechClips(rng, count, voices, MODEL_RATE) : [];
}
