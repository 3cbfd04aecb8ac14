// Training and evaluation examples: a scene (score → audio through a piano and a room, plus noise)
// turned into the features the model sees and the labels it should give.
import { MODEL_RATE } from '../config.js';
import { featureSizeOf, makeExtractor, type FrontEnd } from '../features.js';
import { CLASS_MIDI_OFFSET, SILENCE } from '../kernel.js';
import { Windower } from '../window.js';
import { randomMelody, type MelodyOptions, type ScoreNote } from '../synth/melody.js';
import { randomVoice, heldOutVoice, renderPiano } from '../synth/piano.js';
import { makeNoise, mixAtSnr, reverb, NOISE_KINDS, type NoiseKind } from '../synth/noise.js';
import { type Rng, uniform, pick } from '../synth/random.js';

export interface Scene {
  audio: Float32Array; // mono at MODEL_RATE
  notes: ScoreNote[];
  source: string; // 'synth' or 'fluid:<program>'
  snrDb: number | null; // null: clean
  noise: NoiseKind | null;
}

/** A long render by a sampled instrument, cut into scenes. */
export interface Render {
  audio: Float32Array;
  notes: ScoreNote[];
  program: number;
}

export interface SceneOptions {
  seconds: number;
  melody?: Partial<MelodyOptions>;
  /** Probability of a FluidR3 render (when `renders` are given) instead of our synthesizer. */
  fluidShare?: number;
  /** Fixed SNR in dB, or null for clean; undefined draws one (20% clean, else −5…30 dB). */
  snrDb?: number | null;
  noiseKinds?: readonly NoiseKind[];
  reverbProbability?: number;
  detuneCents?: number; // maximum |detune| for the synthesizer
  /** Synthesizer voices drawn outside the training ranges (evaluation). */
  heldOutVoices?: boolean;
}

export function makeScene(rng: Rng, opts: SceneOptions, renders: readonly Render[] = [], speech: readonly Float32Array[] = []): Scene {
  const n = Math.ceil(opts.seconds * MODEL_RATE);
  let audio: Float32Array;
  let notes: ScoreNote[];
  let source: string;
  if (renders.length && rng() < (opts.fluidShare ?? 0.5)) {
    const r = pick(rng, renders);
    const offset = Math.floor(rng() * Math.max(1, r.audio.length - n));
    audio = r.audio.slice(offset, offset + n);
    if (audio.length < n) { const a = new Float32Array(n); a.set(audio); audio = a; }
    const t0 = offset / MODEL_RATE;
    notes = r.notes.filter((x) => x.end > t0 && x.start < t0 + opts.seconds).map((x) => ({ ...x, start: x.start - t0, end: x.end - t0 }));
    source = `fluid:${r.program}`;
  } else {
    notes = randomMelody(rng, { seconds: opts.seconds, ...opts.melody });
    audio = new Float32Array(n);
    const detune = opts.detuneCents ?? 30;
    renderPiano(notes, opts.heldOutVoices ? heldOutVoice(rng) : randomVoice(rng), MODEL_RATE, audio, rng, uniform(rng, -detune, detune));
    source = 'synth';
  }
  return applyConditions(rng, audio, notes, source, opts, speech);
}

/** The room and the microphone: reverb, noise at an SNR, gain (quiet to clipping), 16-bit rounding. */
export function applyConditions(rng: Rng, audio: Float32Array, notes: ScoreNote[], source: string, opts: Omit<SceneOptions, 'seconds'>, speech: readonly Float32Array[] = []): Scene {
  const n = audio.length;
  if (rng() < (opts.reverbProbability ?? 0.3)) reverb(audio, MODEL_RATE, rng, uniform(rng, 0.2, 1.5), uniform(rng, 0.1, 0.5));
  let snrDb = opts.snrDb === undefined ? (rng() < 0.2 ? null : uniform(rng, -5, 30)) : opts.snrDb;
  let noise: NoiseKind | null = null;
  if (snrDb !== null) {
    noise = pick(rng, opts.noiseKinds ?? NOISE_KINDS);
    const buf = new Float32Array(n);
    makeNoise(noise, buf, MODEL_RATE, rng, speech);
    if (!notes.length) snrDb = null; else mixAtSnr(audio, buf, snrDb);
    if (!notes.length) for (let i = 0; i < n; i++) audio[i] += 0.01 * buf[i];
  }
  // Gain: from very quiet to clipping; then 16-bit-like quantisation.
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(audio[i]));
  const target = Math.pow(10, uniform(rng, -40, 6) / 20);
  const g = peak > 0 ? target / peak : 1;
  for (let i = 0; i < n; i++) {
    const v = audio[i] * g;
    audio[i] = Math.round((v > 1 ? 1 : v < -1 ? -1 : v) * 32767) / 32767;
  }
  return { audio, notes, source, snrDb, noise };
}

/** Features of every frame of `audio` (at MODEL_RATE) through the same windowing as the filter. */
export function sceneFeatures(audio: Float32Array, windowSamples: number, hopSamples: number, frontEnd: FrontEnd = 'spectrum'): { features: Float32Array; frames: number } {
  const frames = Math.ceil(audio.length / hopSamples);
  const size = featureSizeOf(frontEnd);
  const features = new Float32Array(frames * size);
  const fx = makeExtractor(frontEnd, windowSamples);
  const w = new Windower({ windowSamples, hopSamples });
  const emit = (win: { index: number; samples: Float32Array }) => fx.compute(win.samples, features, win.index * size);
  w.push(audio, emit);
  w.flush(emit);
  return { features, frames };
}

/** Frame labels: the class of the note held at each frame's time (the newest, where two overlap),
 *  and an onset target of 1 at a note's first frame and 0.5 at its second. */
export function frameLabels(notes: readonly ScoreNote[], frames: number, hopSamples: number): { classes: Uint8Array; onsets: Float32Array } {
  const classes = new Uint8Array(frames).fill(SILENCE);
  const onsets = new Float32Array(frames);
  const newest = new Float64Array(frames).fill(-Infinity);
  const hopSeconds = hopSamples / MODEL_RATE;
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

/** One training sequence of `frames` frames, after `warmupFrames` the model does not see (so the
 *  running peak is settled, as it is mid-stream). */
export function makeExample(rng: Rng, frames: number, warmupFrames: number, opts: Omit<SceneOptions, 'seconds'>, renders: readonly Render[], speech: readonly Float32Array[], frontEnd: FrontEnd = 'spectrum', windowSamples = 2048, hopSamples = 256): Example {
  const total = frames + warmupFrames;
  const size = featureSizeOf(frontEnd);
  const scene = makeScene(rng, { ...opts, seconds: (total * hopSamples) / MODEL_RATE }, renders, speech);
  const { features } = sceneFeatures(scene.audio, windowSamples, hopSamples, frontEnd);
  const labels = frameLabels(scene.notes, total, hopSamples);
  return {
    features: features.slice(warmupFrames * size, total * size),
    classes: labels.classes.slice(warmupFrames, total),
    onsets: labels.onsets.slice(warmupFrames, total),
  };
}
