// Issue 19's new instruments: freepats renders, pitch shifts that move the labels with the audio, a
// microphone EQ and compression that do what their parameters say.
import t from 'tap';
import { compress, drawShift, eqBand, shiftPitch } from '../lib/synth/colour.js';
import { renderFreepats, timidityAvailable } from '../lib/synth/timidity.js';
import { makeKindRenders } from '../lib/train/scenes.js';
import { makeRng } from '../lib/synth/random.js';
import { midiToHz } from '../lib/music.js';
import type { ScoreNote } from '../lib/synth/melody.js';

const RATE = 16000;
const sine = (hz: number, seconds: number) =>
  Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => Math.sin((2 * Math.PI * hz * i) / RATE));
const rms = (x: Float32Array, from = 0, to = x.length) => {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return Math.sqrt(e / (to - from));
};
/** Frequency from upward zero crossings over the middle of `x` (a single partial). */
function frequency(x: Float32Array): number {
  const from = Math.floor(x.length * 0.2), to = Math.floor(x.length * 0.8);
  let first = -1, last = -1, count = 0;
  for (let i = from + 1; i < to; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const at = i - 1 + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0) first = at; else count++;
      last = at;
    }
  }
  return (count * RATE) / (last - first);
}
const note = (pitch: number, start: number, end: number): ScoreNote => ({ pitch, start, end, velocity: 80 });

t.test('a pitch shift moves the audio and the labels by the same keys', async (t) => {
  for (const s of [-2, -1, 1, 2]) {
    const { audio, notes } = shiftPitch(sine(midiToHz(60), 2), [note(60, 0.5, 1.5)], RATE, s);
    const hz = frequency(audio);
    t.ok(Math.abs(1200 * Math.log2(hz / midiToHz(60 + s))) < 2, `shift ${s}: ${hz.toFixed(2)} Hz, key ${60 + s}`);
    t.equal(notes[0].pitch, 60 + s);
    const ratio = Math.pow(2, s / 12);
    t.ok(Math.abs(notes[0].start - 0.5 / ratio) < 1e-3 && Math.abs(notes[0].end - 1.5 / ratio) < 1e-3, 'times scale');
    t.ok(Math.abs(audio.length / RATE - 2 / ratio) < 0.01, `length ${audio.length} samples`);
  }
});

t.test('a shift keeps every note on the piano', async (t) => {
  const rng = makeRng(3);
  for (let i = 0; i < 50; i++) {
    const s = drawShift(rng, [note(22, 0, 1), note(107, 1, 2)]);
    t.ok(s === -1 || s === 1, `A#0 and B7: ±1 only (${s})`);
  }
  t.equal(drawShift(rng, [note(21, 0, 1), note(108, 1, 2)]), 0, 'A0 and C8: no shift');
});

t.test('an EQ band changes its own frequency by its gain and leaves far ones alone', async (t) => {
  for (const gain of [-9, 6]) {
    const at = sine(1000, 1), far = sine(100, 1);
    eqBand(at, RATE, 'peak', 1000, gain, 2);
    eqBand(far, RATE, 'peak', 1000, gain, 2);
    const db = (x: Float32Array) => 20 * Math.log10(rms(x, RATE / 2) / Math.SQRT1_2);
    t.ok(Math.abs(db(at) - gain) < 0.2, `peak at 1 kHz: ${db(at).toFixed(2)} dB for ${gain}`);
    t.ok(Math.abs(db(far)) < 0.3, `100 Hz: ${db(far).toFixed(2)} dB`);
  }
  const low = sine(50, 1), high = sine(50, 1);
  eqBand(low, RATE, 'low', 300, 8);
  eqBand(high, RATE, 'high', 3000, 8);
  t.ok(rms(low, RATE / 2) > 2 * rms(high, RATE / 2), 'a low shelf lifts 50 Hz; a high shelf does not');
});

t.test('compression narrows loud against soft and keeps the peak', async (t) => {
  const x = new Float32Array(RATE * 2);
  const loud = sine(440, 1), soft = sine(440, 1);
  x.set(loud); x.set(soft.map((v) => v * 0.05), RATE);
  const before = rms(x, 0, RATE) / rms(x, RATE);
  compress(x, RATE, -20, 4, 0.1);
  const after = rms(x, 0, RATE) / rms(x, RATE);
  t.ok(after < before / 3, `loud/soft ${before.toFixed(1)} → ${after.toFixed(1)}`);
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  t.ok(Math.abs(peak - 1) < 1e-6, 'made up to the old peak');
});

t.test('freepats renders sound at the key asked for', { skip: !timidityAvailable() && 'timidity or freepats missing' },
  async (t) => {
    for (const pitch of [57, 69]) {
      const audio = renderFreepats([note(pitch, 0.5, 1.5)], 0, RATE);
      // Sounding from the note's own onset: timidity drops leading silence unless told not to.
      t.ok(rms(audio, 0, 0.45 * RATE) < 1e-4, `silent before the onset (${rms(audio, 0, 0.45 * RATE)})`);
      t.ok(rms(audio, 0.55 * RATE, 1.4 * RATE) > 1e-3, 'it plays from the onset');
      // Autocorrelation peak over one to four periods' range: the fundamental of a sampled piano.
      const seg = audio.subarray(0.7 * RATE, 0.7 * RATE + 4096);
      let best = -Infinity, lag = 0;
      const period = RATE / midiToHz(pitch);
      for (let l = Math.floor(period * 0.8); l <= Math.ceil(period * 1.25); l++) {
        let c = 0;
        for (let i = 0; i + l < seg.length; i++) c += seg[i] * seg[i + l];
        if (c > best) { best = c; lag = l; }
      }
      t.ok(Math.abs(lag - period) <= 1.5, `key ${pitch}: period ${lag} samples, expected ${period.toFixed(1)}`);
    }
  });

t.test('renders: shares and shifts only where asked', { skip: !timidityAvailable() && 'timidity or freepats missing' },
  async (t) => {
    const plain = makeKindRenders(makeRng(9), 4, 4);
    t.ok(plain.every((r) => r.source?.startsWith('fluid:') && !/[+-]\d$/.test(r.source)), 'FluidR3 only, unshifted');
    const mixed = makeKindRenders(makeRng(9), 12, 4, undefined, { freepatsShare: 0.5, colour: 1 });
    const freepats = mixed.filter((r) => r.source?.startsWith('freepats:')).length;
    t.ok(freepats > 0 && freepats < 12, `${freepats} of 12 by freepats`);
    t.ok(mixed.some((r) => /[+-][12]$/.test(r.source ?? '')), 'some shifted');
    for (const r of mixed) t.ok(r.notes.every((n) => n.pitch >= 21 && n.pitch <= 108), `${r.source}: on the piano`);
  });
