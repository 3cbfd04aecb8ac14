// Renders examples/melody.wav, the README's demo: the opening of Beethoven's "Ode to Joy" (repeated
// notes included) on FluidR3's grand piano, 16-bit mono WAV at 22.05 kHz.
import { writeFileSync } from 'node:fs';
import { renderFluid } from '../lib/synth/fluid.js';
import type { ScoreNote } from '../lib/synth/melody.js';
import { wavHeader } from '../lib/pipeline/wav-header.js';

const TUNE = ['E4', 'E4', 'F4', 'G4', 'G4', 'F4', 'E4', 'D4', 'C4', 'C4', 'D4', 'E4', 'E4', 'D4', 'D4'];
const BEATS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.5, 0.5, 2];
const SECONDS_PER_BEAT = 0.4;
const MIDI: Record<string, number> = { C4: 60, D4: 62, E4: 64, F4: 65, G4: 67 };

export const EXAMPLE_NOTES: ScoreNote[] = [];
let t = 0.25;
TUNE.forEach((name, i) => {
  const len = BEATS[i] * SECONDS_PER_BEAT;
  EXAMPLE_NOTES.push({ pitch: MIDI[name], start: t, end: t + len * 0.9, velocity: 80 });
  t += len;
});

const rate = 22050;
const audio = renderFluid(EXAMPLE_NOTES, 0, rate, { reverb: true });
const pcm = new Int16Array(audio.length);
for (let i = 0; i < audio.length; i++) pcm[i] = Math.round(Math.max(-1, Math.min(1, audio[i])) * 32767);
const header = wavHeader({ rate, channels: 1, bits: 16, dataBytes: pcm.byteLength });
writeFileSync(new URL('../../examples/melody.wav', import.meta.url),
  Buffer.concat([header, new Uint8Array(pcm.buffer)]));
console.log(`examples/melody.wav: ${(audio.length / rate).toFixed(2)} s, ${EXAMPLE_NOTES.length} notes`);
