// A piano-like additive synthesizer, randomised per instrument so the network learns "piano" rather
// than one piano: stretched (inharmonic) partials, register-dependent two-stage decay, hammer-position
// comb and velocity-dependent brightness, beating unisons, hammer noise, damper release, random EQ.
import { midiToHz } from '../music.js';
import type { ScoreNote } from './melody.js';
import { type Rng, uniform, logUniform, gaussian } from './random.js';

export interface PianoVoice {
  inharmonicity: number; // scales the B coefficient
  decayScale: number; // scales T60
  spectralSlope: number; // partial n has amplitude n^-slope before the other shaping
  hammerPosition: number; // strike point as a fraction of string length: comb-filters the partials
  brightness: number; // how much velocity opens the spectrum
  unisonCents: number; // detune spread of the strings of one key
  hammerNoiseDb: number; // noise burst level relative to the note
  releaseSeconds: number; // damper time constant
  twoStageMix: number; // share of the fast (prompt) decay
  eq: { centreHz: number; widthOct: number; gainDb: number }[];
  fundamentalBassDb: number; // bass strings' weak fundamentals
  attackSeconds: number;
}

export function randomVoice(rng: Rng): PianoVoice {
  const eq = [];
  for (let i = 0, n = 1 + Math.floor(rng() * 3); i < n; i++) {
    eq.push({ centreHz: logUniform(rng, 80, 6000), widthOct: uniform(rng, 0.5, 2.5), gainDb: uniform(rng, -9, 9) });
  }
  return {
    inharmonicity: logUniform(rng, 0.3, 3),
    decayScale: logUniform(rng, 0.4, 2),
    spectralSlope: uniform(rng, 0.5, 1.8),
    hammerPosition: uniform(rng, 1 / 9, 1 / 7),
    brightness: uniform(rng, 0.5, 2),
    unisonCents: uniform(rng, 0, 3),
    hammerNoiseDb: uniform(rng, -40, -12),
    releaseSeconds: uniform(rng, 0.03, 0.15),
    twoStageMix: uniform(rng, 0.2, 0.8),
    eq,
    fundamentalBassDb: uniform(rng, -18, 0),
    attackSeconds: uniform(rng, 0.001, 0.006),
  };
}

/** Instruments outside the training ranges (stiffer strings, duller or brighter tone, wider unisons,
 *  other decays): for evaluation only, a stand-in for pianos the model never heard. */
export function heldOutVoice(rng: Rng): PianoVoice {
  const v = randomVoice(rng);
  v.inharmonicity = logUniform(rng, 2.5, 5);
  v.spectralSlope = rng() < 0.5 ? uniform(rng, 0.3, 0.5) : uniform(rng, 1.8, 2.3);
  v.hammerPosition = rng() < 0.5 ? uniform(rng, 1 / 11, 1 / 9) : uniform(rng, 1 / 7, 1 / 6);
  v.unisonCents = uniform(rng, 3, 5);
  v.decayScale = rng() < 0.5 ? uniform(rng, 0.25, 0.4) : uniform(rng, 2, 3);
  return v;
}

function eqGain(voice: PianoVoice, hz: number): number {
  let db = 0;
  for (const b of voice.eq) {
    const d = Math.log2(hz / b.centreHz) / b.widthOct;
    db += b.gainDb * Math.exp(-d * d);
  }
  return Math.pow(10, db / 20);
}

/** Seconds for a note's sound to fall 60 dB while the key is held: long in the bass, short on top. */
function t60(pitch: number, voice: PianoVoice): number {
  return 14 * Math.pow(2, -(pitch - 21) / 19) * voice.decayScale;
}

/**
 * Render `notes` into `out` (added, mono) at `sampleRate`. `detuneCents` shifts the whole instrument.
 */
export function renderPiano(
  notes: readonly ScoreNote[], voice: PianoVoice, sampleRate: number, out: Float32Array, rng: Rng, detuneCents = 0,
): void {
  const nyquist = sampleRate / 2;
  for (const note of notes) {
    const f0 = midiToHz(note.pitch) * Math.pow(2, detuneCents / 1200);
    const B = 2.5e-4 * Math.pow(2, (Math.max(note.pitch, 40) - 60) / 10) * voice.inharmonicity;
    const vel = note.velocity / 127;
    const amp = Math.pow(vel, 1.6) * 0.3;
    const startSample = Math.round(note.start * sampleRate);
    const noteEnd = Math.round(note.end * sampleRate);
    // Dampers stop at about the top 1.5 octaves: those strings ring on after release.
    const release = note.pitch > 88 ? Math.max(voice.releaseSeconds, 0.25) : voice.releaseSeconds;
    const stopSample = Math.min(out.length, noteEnd + Math.round(release * 7 * sampleRate));
    if (startSample >= out.length) continue;
    const T = t60(note.pitch, voice);
    const slowRate = 6.91 / T; // ln(1000)/T60 per second
    const attackSamples = Math.max(1, Math.round(voice.attackSeconds * sampleRate));
    const releaseRate = 1 / (release * sampleRate);
    for (let n = 1; n <= 80; n++) {
      const fn = n * f0 * Math.sqrt(1 + B * n * n);
      if (fn >= nyquist * 0.95) break;
      let a = Math.pow(n, -voice.spectralSlope) * Math.abs(Math.sin(Math.PI * n * voice.hammerPosition)) + 0.02 / n;
      a *= Math.exp(-(n - 1) * 0.25 * (1 - vel) * voice.brightness); // soft hammers are duller
      a *= eqGain(voice, fn);
      if (n === 1 && note.pitch < 45) a *= Math.pow(10, voice.fundamentalBassDb / 20);
      a *= amp * (1 + 0.1 * gaussian(rng));
      if (a < 1e-5) continue;
      const rate = slowRate * (1 + 0.12 * (n - 1)) / sampleRate; // higher partials die sooner
      const fastRate = rate * uniform(rng, 3, 6);
      const mix = voice.twoStageMix;
      const beatHz = fn * (Math.pow(2, (voice.unisonCents * uniform(rng, 0.3, 1)) / 1200) - 1);
      const beatDepth = note.pitch > 30 ? uniform(rng, 0, 0.5) : 0;
      // Recursive oscillators: one complex rotation per sample instead of Math.sin.
      const w = (2 * Math.PI * fn) / sampleRate, wb = (2 * Math.PI * beatHz) / sampleRate;
      let c = Math.cos(rng() * 2 * Math.PI), s = Math.sin(Math.acos(c)) * (rng() < 0.5 ? -1 : 1);
      const cw = Math.cos(w), sw = Math.sin(w);
      let bc = 1, bs = 0;
      const cwb = Math.cos(wb), swb = Math.sin(wb);
      let slow = 1 - mix, fast = mix;
      const slowMul = Math.exp(-rate), fastMul = Math.exp(-fastRate);
      let rel = 1;
      const relMul = Math.exp(-releaseRate);
      for (let i = startSample, k = 0; i < stopSample; i++, k++) {
        const env = (slow + fast) * rel * (k < attackSamples ? k / attackSamples : 1);
        out[i] += a * env * (1 + beatDepth * (bc - 1)) * s;
        const c2 = c * cw - s * sw; s = s * cw + c * sw; c = c2;
        const b2 = bc * cwb - bs * swb; bs = bs * cwb + bc * swb; bc = b2;
        slow *= slowMul; fast *= fastMul;
        if (i >= noteEnd) rel *= relMul;
      }
    }
    // Hammer noise: a short low-passed burst, brighter for higher keys and harder blows.
    const noiseAmp = amp * Math.pow(10, voice.hammerNoiseDb / 20) * (0.5 + vel);
    const noiseLen = Math.round(uniform(rng, 0.005, 0.03) * sampleRate);
    const lp = Math.min(0.95, (2 * Math.PI * Math.min(f0 * 4, nyquist * 0.8)) / sampleRate);
    let y = 0;
    for (let k = 0; k < noiseLen && startSample + k < out.length; k++) {
      y += lp * ((rng() * 2 - 1) - y);
      out[startSample + k] += noiseAmp * y * Math.exp((-5 * k) / noiseLen);
    }
  }
}
