// Note assembly: per-window class and onset probabilities → notes (and note-on/off events).
//
// A note starts when one key holds the threshold for CONFIRM_FRAMES windows in a row (one window of
// noise cannot start a note), and ends once its key falls below threshold × releaseRatio (hysteresis keeps a
// decaying note from flickering). A same-key onset peak inside a note splits it: a re-struck key. A
// note that fades and comes back within MERGE_FRAMES without an onset is one note, not two. A new
// key's start moves back to the onset that announced it. A key released into silence rings on in the
// window and the room for 100 ms or more after the damper falls: where the front end gives the
// spectrum, a steep fall of the key's own partials just before the note fades, or before another key
// takes over after a gap, marks its true end; where the model has an offset head, its peak does
// (offsetThreshold).
import type { Config } from '../config.js';
import { CLASS_MIDI_OFFSET, NUM_CLASSES, SILENCE, type DecoderSettings } from '../model/card.js';
import { BINS_PER_SEMITONE, LOWEST_MIDI, ONSET_RISE_DB, RANGE_DB, SPECTRUM_BINS } from './features.js';
import type { ScoredBatch } from './classify.js';
import { type Note, type NoteEvent, type NoteOutput } from '../notes.js';
import { midiName } from '../music.js';
import { referenceOffset, type FrontEndName } from './frontends.js';

/** Windows a new key must persist to start a note: 2 × 16 ms, below the 40 ms shortest note. */
const CONFIRM_FRAMES = 2;
/** Windows a fading note may drop out and still continue without a new onset: ~100 ms. */
const MERGE_FRAMES = 6;
/** Windows before a key out of silence is confirmed in which the onset output must have reached
 *  silenceOnset (~128 ms): the onset fires at the strike, the key may need a few windows more. */
const SILENCE_ONSET_FRAMES = 8;
/** How far back a new key's start may be moved to the onset that preceded it: a new key often needs a
 *  few windows to win over the ringing previous one, while the onset output fires at the strike. */
const BACKDATE_FRAMES = 8;
/** Windows after a note's start in which its loudness sets its velocity: ~64 ms of attack. */
const ATTACK_FRAMES = 4;
/** Velocity from the attack's level (the loudest window power in dBFS of the first ATTACK_FRAMES):
 *  MIDI's convention that amplitude goes as velocity squared, 40 dB per decade of velocity (FluidR3's
 *  grand measured 40.7, the project's synthesizer 34.9), anchored at the level a velocity-127 strike
 *  had, fitted over both at the gain training uses: -26 dB (scripts/velocity-calibration.ts, README).
 *  The old linear map of -60…-6 dB onto 1…127 squeezed a struck 114 to 65–89, depending on source. */
const FULL_VELOCITY_DB = -26, DB_PER_VELOCITY_DECADE = 40;
/** A window counts as falling when the key's own partials drop more than this from the window before
 *  (a piano's own decay is a few tenths of a dB per 16 ms window; a damper's fall is several dB). */
const RELEASE_STEP_DB = 1;
/** A steep fall marks the note's end only if the note fades within this many windows of it (~320
 *  ms): a held note that keeps ringing after its attack's fast early decay is not cut back. */
const RELEASE_WINDOW_FRAMES = 20;
/** Windows from the start of the fall to the release itself: the window reaches a quarter of its
 *  length past its time, so the fall shows before the frame time reaches the release. */
const RELEASE_SHIFT_FRAMES = 1;

export type TrackerConfig = DecoderSettings & Pick<Config, 'minNoteMs' | 'lowMidi' | 'highMidi'> & {
  /** The model card's hop and rate: frame k is at k · hopSamples / modelRate seconds. */
  hopSamples: number;
  /** The card's window and front end: frame k's window reaches past its time (frontends.ts referenceOffset). */
  windowSamples: number;
  frontEnd: FrontEndName;
  modelRate: number;
};

interface Sounding {
  pitch: number;
  startFrame: number;
  lastOnFrame: number; // last frame its key held at least threshold × releaseRatio
  peakDb: number;
  probSum: number;
  frames: number;
  announced: boolean;
  prevLevelDb: number; // its key's partials in the last window (NaN: none yet)
  fallFrom: number; // first window of the current run of falling windows, -1 if none
  fallTopDb: number; // the level before that run
  releaseAt: number; // start of the latest steep fall, -1 if none
  offsetAt: number; // window of the latest offset peak, -1 if none
  offsetPeak: number; // its height, while the offset output stays above offsetThreshold
}

export interface TrackerSink {
  note?(n: Note): void;
  event?(e: NoteEvent): void;
}

export class NoteTracker {
  private sounding: Sounding | null = null;
  private candidate = -1; // class index being confirmed
  private candidateFrom = 0;
  private candidateRun = 0;
  private candidatePeak = 0; // the candidate key's highest probability in its run
  private prevOnset = 0;
  private lastOnsetFrame = -Infinity;
  private lastStruckFrame = -Infinity; // last window whose onset output reached silenceOnset
  private lastEndFrame = 0; // where the last note ended: a new one never starts before it
  private pendingStrike = -1; // frame of an onset inside the sounding note, not yet judged
  private heldBeforeStrike = 0;
  private prevOwnRiseDb = 0; // the sounding key's semitone: its rise in the previous frame
  private strikeRiseDb = 0; // largest rise of that semitone from the frame before a pending strike on
  private strikeOnset = 0; // highest onset probability since a pending strike
  private readonly minNoteFrames: number;

  constructor(private readonly cfg: TrackerConfig, private readonly sink: TrackerSink) {
    this.minNoteFrames = (cfg.minNoteMs / 1000) * cfg.modelRate / cfg.hopSamples;
  }

  /** Time of the boundary just before frame k: the label flips between frames k−1 and k. */
  private boundary(frame: number): number {
    return Math.max(0, (2 * frame - 1) * this.cfg.hopSamples / (2 * this.cfg.modelRate));
  }

  /** One frame: class probabilities at `probs[pOff…]`, the onset probability, the window level, and
   *  optionally the front end's per-semitone rise features from A0 up (`rises[rOff…]`, in units of
   *  ONSET_RISE_DB), read only for the sounding key, and the offset probability (NaN: no offset head). */
  push(
    frame: number, probs: Float32Array, pOff: number, onset: number, levelDb: number, rises?: Float32Array, rOff = 0,
    spectrum?: Float32Array, sOff = 0, offset = NaN,
  ): void {
    const thr = this.cfg.threshold;
    // Every key competes, whatever --range says: a range only drops notes. Choosing among the keys
    // inside it turned a C6 into the C5 an octave below, its strongest rival within C4-C5.
    let best = SILENCE, bestP = probs[pOff + SILENCE];
    for (let k = 1; k < NUM_CLASSES; k++) {
      const p = probs[pOff + k];
      if (p > bestP) { best = k; bestP = p; }
    }
    const strong = best !== SILENCE && bestP >= thr;
    if (strong && best === this.candidate) {
      this.candidateRun++;
      this.candidatePeak = Math.max(this.candidatePeak, bestP);
    } else if (strong) {
      this.candidate = best; this.candidateFrom = frame; this.candidateRun = 1; this.candidatePeak = bestP;
    } else { this.candidate = -1; this.candidateRun = 0; }
    const onThr = this.cfg.onsetThreshold;
    const onsetPeak = onset >= onThr && this.prevOnset < onThr;
    this.prevOnset = onset;
    if (this.pendingStrike >= 0) this.strikeOnset = Math.max(this.strikeOnset, onset);
    if (onsetPeak) this.lastOnsetFrame = frame;
    if (onset >= this.cfg.silenceOnset) this.lastStruckFrame = frame;

    const s = this.sounding;
    const ownRiseDb = s && rises ? rises[rOff + s.pitch - LOWEST_MIDI] * ONSET_RISE_DB : Infinity;
    const prevOwnRiseDb = this.prevOwnRiseDb;
    this.prevOwnRiseDb = ownRiseDb;
    if (this.pendingStrike >= 0) this.strikeRiseDb = Math.max(this.strikeRiseDb, ownRiseDb);
    if (s && spectrum && this.cfg.releaseFallDb > 0) this.trackRelease(s, frame, ownLevelDb(spectrum, sOff, s.pitch));
    if (s && this.cfg.offsetThreshold > 0) this.trackOffset(s, frame, offset);
    // A new key is confirmed after CONFIRM_FRAMES windows, or after onsetConfirmFrames when the onset
    // output fired with it (this window or the one before): a player hears the note-on sooner.
    const agreed = frame - this.lastOnsetFrame <= 1 && this.candidateRun >= this.cfg.onsetConfirmFrames;
    const confirmed = this.candidateRun >= CONFIRM_FRAMES || agreed;
    if (!s) {
      // Out of silence, only a struck key, and one the network is sure of: noise alone made notes
      // with no onset behind them, and a voice or a noise step in a pause made weak ones.
      const struck = this.candidateFrom - this.lastStruckFrame <= SILENCE_ONSET_FRAMES;
      const sure = this.candidatePeak >= this.cfg.silenceThreshold;
      if (confirmed && struck && sure) this.begin(this.candidate, this.startOf(this.candidateFrom), levelDb);
      return;
    }
    const own = s.pitch - CLASS_MIDI_OFFSET;
    const held = probs[pOff + own] >= thr * this.cfg.releaseRatio;
    if (confirmed && this.candidate !== own) {
      // Another key took over: it started at the onset before it, and the old note ends there, or
      // where its key was let go before (a gap between the notes, the old key still ringing): at the
      // offset output's peak, or the steep fall of its partials.
      const from = Math.max(this.startOf(this.candidateFrom), s.startFrame + 1);
      const peak = s.offsetAt >= 0 && s.offsetAt < from ? s.offsetAt : Infinity;
      const released = Math.min(peak, this.fallBefore(s, from));
      this.end(Math.min(from, s.lastOnFrame + 1, released));
      this.begin(this.candidate, from, levelDb);
      return;
    }
    if (this.pendingStrike >= 0 && frame - this.pendingStrike >= CONFIRM_FRAMES) {
      // An onset inside a note is a re-strike of the same key only if, CONFIRM_FRAMES later, no other
      // key is on its way up: a new key's strike fires the onset output while the old key still
      // leads. Deciding at the onset itself made 16 ms phantom notes at every change of key.
      const at = this.pendingStrike;
      this.pendingStrike = -1;
      const otherRising = this.candidate !== -1 && this.candidate !== own;
      // A struck string is louder than the one ringing before it: a weak onset needs its key's own
      // semitone to rise too; an onset twice the threshold is believed alone.
      const loudEnough = this.cfg.strikeRiseDb <= 0 || this.strikeRiseDb >= this.cfg.strikeRiseDb
        || this.strikeOnset >= 2 * onThr;
      if (!otherRising && held && (best === own || best === SILENCE) && loudEnough) {
        this.end(this.heldBeforeStrike < at - 1 ? this.heldBeforeStrike + 1 : at);
        this.begin(own, at, levelDb);
        this.sounding!.lastOnFrame = frame;
        return;
      }
    }
    if (onsetPeak && held && frame - s.startFrame >= this.minNoteFrames) {
      this.pendingStrike = frame;
      this.strikeOnset = onset;
      this.strikeRiseDb = Math.max(prevOwnRiseDb, ownRiseDb);
      this.heldBeforeStrike = s.lastOnFrame; // if it had faded, the old note ends where it faded
    }
    if (held) {
      s.lastOnFrame = frame;
      s.probSum += probs[pOff + own]; s.frames++;
      if (frame - s.startFrame < ATTACK_FRAMES && levelDb > s.peakDb) s.peakDb = levelDb;
    } else if (frame - s.lastOnFrame > MERGE_FRAMES) {
      this.fadeOut(s, s.lastOnFrame + 1);
    }
  }

  /** Follows the sounding key's own level for the steep fall of a release (RELEASE_STEP_DB). */
  private trackRelease(s: Sounding, frame: number, levelDb: number): void {
    if (levelDb < s.prevLevelDb - RELEASE_STEP_DB) {
      if (s.fallFrom < 0) { s.fallFrom = frame; s.fallTopDb = s.prevLevelDb; }
      if (s.fallTopDb - levelDb >= this.cfg.releaseFallDb) s.releaseAt = s.fallFrom;
    } else s.fallFrom = -1;
    s.prevLevelDb = levelDb;
  }

  /** Follows the offset output inside the sounding note: the highest window of each run at or above
   *  offsetThreshold, once the note is long enough to end there, is where its key was let go. */
  private trackOffset(s: Sounding, frame: number, offset: number): void {
    if (!(offset >= this.cfg.offsetThreshold)) { s.offsetPeak = 0; return; }
    if (offset > s.offsetPeak && frame - s.startFrame >= this.minNoteFrames) {
      s.offsetPeak = offset;
      s.offsetAt = frame;
    }
  }

  /** A new key confirmed from frame `from` started at the onset just before it, if there was one,
   *  but not before the previous note ended. */
  private startOf(from: number): number {
    const onsetNear = from - this.lastOnsetFrame <= BACKDATE_FRAMES && this.lastOnsetFrame <= from;
    return Math.max(onsetNear ? this.lastOnsetFrame : from, this.lastEndFrame);
  }

  private begin(cls: number, frame: number, levelDb: number): void {
    this.sounding = {
      pitch: cls + CLASS_MIDI_OFFSET, startFrame: frame, lastOnFrame: frame,
      peakDb: levelDb, probSum: 0, frames: 0, announced: false,
      prevLevelDb: NaN, fallFrom: -1, fallTopDb: 0, releaseAt: -1, offsetAt: -1, offsetPeak: 0,
    };
    this.candidate = -1; this.candidateRun = 0;
    const s = this.sounding;
    if (this.sink.event && this.inRange(s.pitch)) {
      s.announced = true;
      const time = this.boundary(frame);
      this.sink.event({ event: 'on', pitch: s.pitch, name: midiName(s.pitch), time, velocity: velocityOf(levelDb) });
    }
  }

  /** The sounding note faded out (no other key took over) at `frame`: at the offset output's peak if
   *  there is one just before; else, if its key fell steeply just before, it was released into silence
   *  and ends where the fall began, not where the ringing died; else fadeHoldFrames before the network
   *  let it go (never shorter than minNoteMs). */
  private fadeOut(s: Sounding, frame: number, endSeconds = Infinity): void {
    const offsetNear = s.offsetAt >= 0 && s.offsetAt < frame && frame - s.offsetAt <= RELEASE_WINDOW_FRAMES;
    const fall = this.fallBefore(s, frame);
    const beforeLetGo = Math.max(s.startFrame + Math.ceil(this.minNoteFrames), frame - this.cfg.fadeHoldFrames);
    const released = offsetNear ? s.offsetAt : fall < Infinity ? fall : Math.min(frame, beforeLetGo);
    this.end(released, Math.min(this.boundary(released), endSeconds));
  }

  /** Where the key's steep fall (trackRelease) puts its release, if that is within RELEASE_WINDOW_FRAMES
   *  before `frame` and leaves the note at least minNoteMs long. */
  private fallBefore(s: Sounding, frame: number): number {
    const released = s.releaseAt + RELEASE_SHIFT_FRAMES;
    const near = s.releaseAt >= 0 && released < frame && frame - s.releaseAt <= RELEASE_WINDOW_FRAMES;
    return near && released - s.startFrame >= this.minNoteFrames ? released : Infinity;
  }

  private end(frame: number, endTime = this.boundary(frame)): void {
    const s = this.sounding!;
    this.sounding = null;
    this.pendingStrike = -1;
    this.lastEndFrame = Math.max(this.lastEndFrame, frame);
    const start = this.boundary(s.startFrame);
    const note: Note = {
      pitch: s.pitch, name: midiName(s.pitch), start, end: Math.max(endTime, start),
      velocity: velocityOf(s.peakDb), confidence: s.frames ? Math.round((s.probSum / s.frames) * 1000) / 1000 : 0,
    };
    if (s.announced) this.sink.event!({ event: 'off', pitch: s.pitch, name: note.name, time: note.end, velocity: 0 });
    const tooShort = frame - s.startFrame < this.minNoteFrames || note.end <= note.start;
    if (!s.announced && (tooShort || !this.inRange(s.pitch))) return;
    this.sink.note?.(note);
  }

  private inRange(pitch: number): boolean {
    return pitch >= this.cfg.lowMidi && pitch <= this.cfg.highMidi;
  }

  /** End of input after frame `lastFrame`, at `endSeconds`: a note still sounding ends there; one
   *  that had already faded (and was waiting to see if it comes back) ends where it faded. The
   *  frames after the last one whose time is inside the input hear the silence that pads the last
   *  window, not the input: a key that drops out only there was still sounding when input ended. */
  flush(lastFrame: number, endSeconds: number): void {
    const s = this.sounding;
    if (!s) return;
    const { modelRate, hopSamples, windowSamples, frontEnd } = this.cfg;
    const ahead = windowSamples - referenceOffset(windowSamples, frontEnd); // samples a window hears past its time
    const lastInputFrame = Math.floor((endSeconds * modelRate - ahead) / hopSamples + 1e-9);
    const faded = s.lastOnFrame < Math.min(lastFrame, lastInputFrame);
    if (faded) this.fadeOut(s, s.lastOnFrame + 1, endSeconds);
    else this.end(lastFrame + 1, endSeconds);
  }
}

/** The loudest of a key's fundamental and second partial, in dB below the running peak (plus
 *  RANGE_DB), from the front end's log-frequency spectrum. */
function ownLevelDb(spectrum: Float32Array, sOff: number, pitch: number): number {
  const fundamental = sOff + (pitch - LOWEST_MIDI) * BINS_PER_SEMITONE;
  const octave = fundamental + 12 * BINS_PER_SEMITONE;
  let top = 0;
  for (let j = 0; j < BINS_PER_SEMITONE; j++) {
    top = Math.max(top, spectrum[fundamental + j]);
    if (octave + j - sOff < SPECTRUM_BINS) top = Math.max(top, spectrum[octave + j]);
  }
  return top * RANGE_DB;
}

export function velocityOf(levelDb: number): number {
  const v = Math.round(127 * 10 ** ((levelDb - FULL_VELOCITY_DB) / DB_PER_VELOCITY_DECADE));
  return v < 1 ? 1 : v > 127 ? 127 : v;
}

/** The attack level (dBFS) that velocityOf maps to `velocity`: its inverse, for calibration. */
export function levelOfVelocity(velocity: number): number {
  return FULL_VELOCITY_DB + DB_PER_VELOCITY_DECADE * Math.log10(velocity / 127);
}

/** Stream stage: scored batches → arrays of notes/events, as soon as each is known. */
export function smoothNotes(cfg: TrackerConfig & { events: boolean }) {
  return async function* (src: AsyncIterable<ScoredBatch>): AsyncGenerator<NoteOutput[]> {
    let out: NoteOutput[] = [];
    const tracker = new NoteTracker(cfg, cfg.events
      ? { event: (event) => out.push({ kind: 'event', event }) }
      : { note: (note) => out.push({ kind: 'note', note }) });
    let lastFrame = -1;
    for await (const b of src) {
      // The per-semitone rises, where the front end has them (frontends.ts' riseOffset).
      const rises = b.riseOffset === undefined ? undefined : b.features;
      const riseOffset = b.riseOffset ?? 0;
      const spectrum = b.spectrumOffset === undefined ? undefined : b.features;
      const spectrumOffset = b.spectrumOffset ?? 0;
      for (let i = 0; i < b.count; i++) {
        const frame = b.firstIndex + i;
        tracker.push(frame, b.probs, i * NUM_CLASSES, b.onsets[i], b.levelsDb[i], rises, i * b.stride + riseOffset,
          spectrum, i * b.stride + spectrumOffset, b.offsets ? b.offsets[i] : NaN);
        lastFrame = b.firstIndex + i;
      }
      if (b.endSeconds !== undefined) tracker.flush(lastFrame, b.endSeconds);
      if (out.length) { yield out; out = []; }
    }
  };
}
