// A performed melody made audible for the evaluation scripts: FluidR3's pianos or a held-out voice
// of our synthesizer, then the scene's room and noise; and the audio as the s16le bytes the
// transcriber reads.
import { MODEL_RATE } from '../music.js';
import { fluidAvailable, renderFluid } from './fluid.js';
import type { ScoreNote } from './melody.js';
import { heldOutVoice, renderPiano } from './piano.js';
import { pick, uniform, type Rng } from './random.js';
import { applyConditions } from './scene.js';

export function renderTake(rng: Rng, notes: readonly ScoreNote[], opts: { snrDb?: [number, number] } = {}):
  { audio: Float32Array; source: string } {
  const [lo, hi] = opts.snrDb ?? [10, 30];
  const seconds = notes[notes.length - 1].end + 0.8;
  let audio: Float32Array, source: string;
  if (fluidAvailable() && rng() < 0.5) {
    audio = renderFluid(notes, pick(rng, [0, 0, 1, 2]), MODEL_RATE, { reverb: rng() < 0.3 });
    source = 'FluidR3';
  } else {
    audio = new Float32Array(Math.ceil(seconds * MODEL_RATE));
    renderPiano(notes, heldOutVoice(rng), MODEL_RATE, audio, rng, uniform(rng, -20, 20));
    source = 'synth';
  }
  applyConditions(rng, audio, [...notes], source, { snrDb: uniform(rng, lo, hi), reverbProbability: 0.2 }, []);
  return { audio, source };
}

/** Mono float audio as 16-bit little-endian PCM, clipped at full scale. */
export function toS16le(audio: Float32Array): Buffer {
  const buf = Buffer.alloc(audio.length * 2);
  for (let i = 0; i < audio.length; i++) {
    buf.writeInt16LE(Math.round(Math.max(-1, Math.min(1, audio[i])) * 32767), 2 * i);
  }
  return buf;
}
