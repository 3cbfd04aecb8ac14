// Scene kinds aimed at the errors the evaluation finds (issue 10): noise alone before the first note
// and in long pauses (phantom notes: the running peak starts at, or decays down to, the noise), soft
// notes right after loud ones, repeats after 10–50 ms gaps, the extreme registers, short notes; and
// (issue 19) noise alone, with no note at all, at every level from −70 to −5 dBFS.
// Each kind is a timeline of music segments and noise-only gaps, played by our synthesizer or cut
// from a FluidR3 render, then through the same room, noise and gain as every other example.
import { MODEL_RATE } from '../music.js';
import { FRONT_ENDS } from '../pipeline/frontends.js';
import { randomMelody, type MelodyOptions, type ScoreNote } from '../synth/melody.js';
import { randomVoice, renderPiano } from '../synth/piano.js';
import { renderFluid, fluidAvailable, KEYBOARD_PROGRAMS } from '../synth/fluid.js';
import { renderFreepats, timidityAvailable, FREEPATS_PROGRAMS } from '../synth/timidity.js';
import { colourAudio, drawShift, shiftPitch } from '../synth/colour.js';
import { type Rng, uniform, logUniform, intIn, pick, chance } from '../synth/random.js';
import { applyConditions, type Render, type SceneOptions } from '../synth/scene.js';
import { noiseBed, randomNoiseBed } from '../synth/noise.js';
import { frameLabels, sceneFeatures, type Example, type ExampleCard } from './dataset.js';

// New kinds go at the end: a shard stores each example's kind as an index into this list.
export const SCENE_KINDS = [
  'plain', 'lead-in', 'pause', 'soft-after-loud', 'repeats', 'extreme', 'short', 'noise',
] as const;
export type SceneKind = (typeof SCENE_KINDS)[number];

/** Issue 10's mix of the kinds with music in them (melody-lstm's stages 1 and 2). */
const MELODIC_MIX: Readonly<Record<Exclude<SceneKind, 'noise'>, number>> = {
  plain: 0.4, 'lead-in': 0.15, pause: 0.1, 'soft-after-loud': 0.08, repeats: 0.1, extreme: 0.1, short: 0.07,
};

/** Issue 10's mix with `share` of noise-only scenes; the other kinds keep their proportions. Share 0
 *  draws exactly what issue 10's data workers drew. */
export function withNoiseShare(share: number): Record<SceneKind, number> {
  const melodic = Object.entries(MELODIC_MIX).map(([kind, w]) => [kind, w * (1 - share)]);
  return { ...(Object.fromEntries(melodic) as typeof MELODIC_MIX), noise: share };
}

/** How often each kind is drawn. Plain scenes stay the largest share: the targeted kinds fix
 *  errors, they must not teach the model that every melody starts after a pause. */
export const SCENE_MIX: Readonly<Record<SceneKind, number>> = withNoiseShare(0.15);

export function drawKind(rng: Rng, mix: Readonly<Record<SceneKind, number>> = SCENE_MIX): SceneKind {
  const total = SCENE_KINDS.reduce((s, k) => s + mix[k], 0);
  let x = rng() * total;
  for (const k of SCENE_KINDS) { x -= mix[k]; if (x < 0) return k; }
  return 'plain';
}

/** The melody generator's settings for a kind. */
function melodyOptions(rng: Rng, kind: SceneKind): Partial<MelodyOptions> {
  switch (kind) {
    // A0–D2 or G6–C8: the registers where recall is lowest.
    case 'extreme': return rng() < 0.5 ? { lowMidi: 21, highMidi: 38 } : { lowMidi: 91, highMidi: 108 };
    case 'short': return { minNoteSeconds: 0.04, maxNoteSeconds: 0.2 };
    case 'repeats': return { repeatProbability: 0.5 };
    default: return {};
  }
}

/** Edits a kind makes to a generated melody (in place). */
export function shapeNotes(rng: Rng, kind: SceneKind, notes: ScoreNote[]): ScoreNote[] {
  if (kind === 'soft-after-loud') {
    // A loud note, then a soft one: the soft one used to come late, with a ghost re-strike.
    for (let i = 0; i + 1 < notes.length; i++) {
      if (rng() < 0.5) { notes[i].velocity = intIn(rng, 95, 127); notes[i + 1].velocity = intIn(rng, 20, 50); i++; }
    }
  }
  if (kind === 'repeats') {
    // The same key released only 10–50 ms before it is struck again: usually merged today.
    for (let i = 1; i < notes.length; i++) {
      if (notes[i].pitch !== notes[i - 1].pitch || rng() < 0.3) continue;
      const end = notes[i].start - uniform(rng, 0.01, 0.05);
      if (end > notes[i - 1].start + 0.03) notes[i - 1].end = end;
    }
  }
  return notes;
}

/** Sampled renders of shaped melodies (FluidR3, or freepats by TiMidity++), tagged with their kind
 *  so a scene can use one of its own. */
export interface KindRender extends Render { kind: SceneKind }

export interface RenderOptions {
  /** Share of renders by freepats instead of FluidR3 (0: FluidR3 only, as before issue 19). */
  freepatsShare?: number;
  /** Probability that a render is pitch-shifted ±1–2 keys by resampling: another instrument. */
  colour?: number;
}

export function makeKindRenders(
  rng: Rng, count: number, seconds: number, programs: readonly number[] = KEYBOARD_PROGRAMS,
  opts: RenderOptions = {},
): KindRender[] {
  const freepatsShare = timidityAvailable() ? opts.freepatsShare ?? 0 : 0, withFluid = fluidAvailable();
  if (!count || (!withFluid && freepatsShare === 0)) return [];
  const shaped: SceneKind[] = ['plain', 'soft-after-loud', 'repeats', 'extreme', 'short'];
  const renders: KindRender[] = [];
  for (let i = 0; i < count; i++) {
    const kind = shaped[i % shaped.length];
    // Draws only where a share asks for them: with both at 0 the stream is the one before issue 19.
    const byFreepats = !withFluid || freepatsShare >= 1 || chance(rng, freepatsShare);
    const keyboards = byFreepats ? FREEPATS_PROGRAMS : programs;
    const pianosHere = keyboards.filter((p) => p <= 3);
    const program = rng() < 0.7 && pianosHere.length ? pick(rng, pianosHere) : pick(rng, keyboards);
    let notes = shapeNotes(rng, kind, randomMelody(rng, { seconds, ...melodyOptions(rng, kind) }));
    let audio = byFreepats
      ? renderFreepats(notes, program, MODEL_RATE)
      : renderFluid(notes, program, MODEL_RATE, { reverb: rng() < 0.3, chorus: rng() < 0.2 });
    let source = `${byFreepats ? 'freepats' : 'fluid'}:${program}`;
    const shift = chance(rng, opts.colour ?? 0) ? drawShift(rng, notes) : 0;
    if (shift !== 0) {
      ({ audio, notes } = shiftPitch(audio, notes, MODEL_RATE, shift));
      source += `${shift > 0 ? '+' : ''}${shift}`;
    }
    renders.push({ audio, notes, program, kind, source });
  }
  return renders;
}

/** A span of the scene where music plays. `clean`: it starts at a note and fades out at its end,
 *  with nothing sounding on from before (so the silence around it is silence). */
interface Segment { from: number; to: number; clean: boolean }

/** The scene's timeline (seconds) and the frame where the model's view begins. */
function timeline(
  rng: Rng, kind: SceneKind, viewSeconds: number, warmupSeconds: number,
): { segments: Segment[]; seconds: number; viewStart: number } {
  if (kind === 'lead-in') {
    // The stream itself starts with noise alone: the model sees it from the first window, with the
    // running peak set by the noise, as a live user's `sox -d` gives it.
    // Mostly short enough that the first notes fall inside the 2 s view; up to 3 s of noise alone.
    const lead = rng() < 0.7 ? uniform(rng, 0.3, 1.8) : uniform(rng, 1.8, 3);
    const seconds = Math.max(viewSeconds, lead + 1);
    return { segments: [{ from: lead, to: seconds, clean: true }], seconds, viewStart: 0 };
  }
  if (kind === 'pause') {
    // Music, then 1–10 s of noise alone (long enough for the running peak to fall to the noise),
    // then music again; the view ends shortly after the music comes back.
    const a = uniform(rng, 0.5, 2.5), gap = logUniform(rng, 1, 10);
    const end = a + gap + uniform(rng, 0.2, 1.5);
    const viewStart = Math.max(0, end - viewSeconds);
    const seconds = viewStart + viewSeconds;
    const segments = [{ from: 0, to: a, clean: true }, { from: a + gap, to: seconds, clean: true }];
    return { segments, seconds, viewStart };
  }
  const seconds = warmupSeconds + viewSeconds;
  return { segments: [{ from: 0, to: seconds, clean: false }], seconds, viewStart: warmupSeconds };
}

/** Copy a stretch of `r` into `audio` at `seg`; returns its notes in scene time. */
function placeRender(rng: Rng, r: Render, seg: Segment, audio: Float32Array): ScoreNote[] {
  const len = seg.to - seg.from;
  const rSeconds = r.audio.length / MODEL_RATE;
  let t0: number;
  if (seg.clean) {
    const starts = r.notes.filter((n) => n.start > 0.2 && n.start + len < rSeconds);
    t0 = starts.length ? pick(rng, starts).start - 0.005 : 0;
  } else {
    t0 = rng() * Math.max(0, rSeconds - len);
  }
  const src = Math.floor(t0 * MODEL_RATE), dst = Math.floor(seg.from * MODEL_RATE);
  const n = Math.min(Math.floor(len * MODEL_RATE), audio.length - dst, r.audio.length - src);
  for (let i = 0; i < n; i++) audio[dst + i] = r.audio[src + i];
  if (seg.clean) {
    // 50 ms fade-out: the segment stops like a damped key, not a click.
    const fade = Math.min(n, Math.round(0.05 * MODEL_RATE));
    for (let i = 0; i < fade; i++) audio[dst + n - fade + i] *= 1 - (i + 1) / fade;
  }
  const inside = r.notes.filter((x) => x.end > t0 && x.start < t0 + len && (!seg.clean || x.start >= t0));
  const at = (t: number) => t - t0 + seg.from;
  return inside.map((x) => ({ ...x, start: at(x.start), end: Math.min(at(x.end), seg.to) }));
}

export interface KindExample extends Example { kind: SceneKind }

/**
 * One training sequence of `frames` frames of a scene of `kind`. As makeExample: features through the
 * real windowing and front end, labels from the score; `warmupFrames` of the scene precede the view
 * (plain kinds), except that a lead-in starts the view at the stream's start and a pause puts the
 * long gap before it.
 */
export function makeKindExample(
  rng: Rng, kind: SceneKind, frames: number, warmupFrames: number, opts: Omit<SceneOptions, 'seconds'>,
  renders: readonly KindRender[], speech: readonly Float32Array[], card: ExampleCard,
): KindExample {
  if (kind === 'noise') return noiseExample(rng, frames, warmupFrames, speech, card, opts);
  const hop = card.hopSamples / card.modelRate;
  const tl = timeline(rng, kind, frames * hop, warmupFrames * hop);
  const audio = new Float32Array(Math.ceil(tl.seconds * MODEL_RATE));
  const useFluid = renders.length > 0 && rng() < (opts.fluidShare ?? 0.5);
  const notes: ScoreNote[] = [];
  let source = 'synth';
  if (useFluid) {
    const own = renders.filter((r) => r.kind === kind);
    const r = pick(rng, own.length ? own : renders);
    source = r.source ?? `fluid:${r.program}`;
    for (const seg of tl.segments) notes.push(...placeRender(rng, r, seg, audio));
  } else {
    const mo = melodyOptions(rng, kind);
    for (const seg of tl.segments) {
      const m = shapeNotes(rng, kind, randomMelody(rng, { seconds: seg.to - seg.from, ...mo }));
      for (const x of m) {
        // A clean segment's notes are released by its end, so the gap after it holds only noise.
        const end = seg.clean ? Math.min(x.end + seg.from, seg.to) : x.end + seg.from;
        if (x.start + seg.from < end) notes.push({ ...x, start: x.start + seg.from, end });
      }
    }
    const detune = opts.detuneCents ?? 30;
    renderPiano(notes, randomVoice(rng), MODEL_RATE, audio, rng, uniform(rng, -detune, detune));
  }
  if (chance(rng, opts.colour ?? 0)) colourAudio(rng, audio, MODEL_RATE);
  // Noise is what these two kinds are about: keep it in (the plain mix is 20% clean).
  const noisy = kind === 'lead-in' || kind === 'pause';
  const conditions = noisy ? { ...opts, snrDb: opts.snrDb ?? uniform(rng, -5, 30) } : opts;
  const scene = applyConditions(rng, audio, notes, source, conditions, speech);
  const { size } = FRONT_ENDS[card.frontEnd];
  const total = Math.round(tl.seconds / hop);
  const first = Math.round(tl.viewStart / hop);
  const { features } = sceneFeatures(scene.audio, card);
  const labels = frameLabels(scene.notes, total, card);
  const x = new Float32Array(frames * size);
  x.set(features.subarray(first * size, Math.min(features.length, (first + frames) * size)));
  const classes = new Uint8Array(frames), onsets = new Float32Array(frames);
  classes.set(labels.classes.subarray(first, first + frames));
  onsets.set(labels.onsets.subarray(first, first + frames));
  return { features: x, classes, onsets, kind };
}

/** Noise alone, every frame labelled silence. Half start at the stream's start (the running peak set by
 *  the noise from the first window, as `sox -d` with a fan on), half after the warm-up. With `colour`,
 *  that share through a random microphone curve as the music is: else the network learns that a
 *  coloured sound is music. */
function noiseExample(
  rng: Rng, frames: number, warmupFrames: number, speech: readonly Float32Array[], card: ExampleCard,
  opts: Omit<SceneOptions, 'seconds'>,
): KindExample {
  const { size } = FRONT_ENDS[card.frontEnd];
  const first = rng() < 0.5 ? 0 : warmupFrames;
  const audio = new Float32Array((first + frames) * card.hopSamples);
  noiseBed(randomNoiseBed(rng, opts.noiseKinds), audio, card.modelRate, rng, speech);
  if (chance(rng, opts.colour ?? 0)) colourAudio(rng, audio, card.modelRate);
  for (let i = 0; i < audio.length; i++) audio[i] = Math.round(audio[i] * 32767) / 32767;
  const { features } = sceneFeatures(audio, card);
  const x = features.slice(first * size, (first + frames) * size);
  const classes = frameLabels([], frames, card).classes;
  return { features: x, classes, onsets: new Float32Array(frames), kind: 'noise' };
}
