// Training and evaluation examples: a scene (score → audio through a piano and a room, plus noise)
// turned into the features the model sees and the labels it should give.
import { CLASS_MIDI_OFFSET, SILENCE, type ModelCard } from '../model/card.js';
import { FRONT_ENDS } from '../pipeline/frontends.js';
import { Windower } from '../pipeline/window.js';
import type { ScoreNote } from '../synth/melody.js';

/** What examples are cut and computed by: the model card's framing and front end. */
export type ExampleCard = Pick<ModelCard, 'frontEnd' | 'windowSamples' | 'hopSamples' | 'modelRate'>;

/** Features of every frame of `audio` (at the model's rate) through the same windowing as the filter. */
export function sceneFeatures(audio: Float32Array, card: ExampleCard): { features: Float32Array; frames: number } {
  const frames = Math.ceil(audio.length / card.hopSamples);
  const { size, make } = FRONT_ENDS[card.frontEnd];
  const features = new Float32Array(frames * size);
  const fx = make(card.windowSamples);
  const w = new Windower(card);
  const emit = (win: { index: number; samples: Float32Array }) => fx.compute(win.samples, features, win.index * size);
  w.push(audio, emit);
  w.flush(emit);
  return { features, frames };
}

/** Frame labels: the class of the note held at each frame's time (the newest, where two overlap),
 *  and an onset target of 1 at a note's first frame and 0.5 at its second. */
export function frameLabels(
  notes: readonly ScoreNote[], frames: number, card: Pick<ModelCard, 'hopSamples' | 'modelRate'>,
): { classes: Uint8Array; onsets: Float32Array } {
  const classes = new Uint8Array(frames).fill(SILENCE);
  const onsets = new Float32Array(frames);
  const newest = new Float64Array(frames).fill(-Infinity);
  const hopSeconds = card.hopSamples / card.modelRate;
  for (const n of notes) {
    const k0 = Math.max(0, Math.ceil(n.start / hopSeconds - 1e-9));
    const k1 = Math.min(frames, Math.ceil(n.end / hopSeconds - 1e-9));
    for (let k = k0; k < k1; k++) {
      if (n.start >= newest[k]) { newest[k] = n.start; classes[k] = n.pitch - CLASS_MIDI_OFFSET; }
    }
    if (n.start >= 0 && k0 < frames && k1 > k0) {
      onsets[k0] = 1;
      if (k0 + 1 < k1) onsets[k0 + 1] = Math.max(onsets[k0 + 1], 0.5);
    }
  }
  return { classes, onsets };
}

export interface Example {
  features: Float32Array; // frames × the front end's feature size
  classes: Uint8Array;
  onsets: Float32Array;
}
