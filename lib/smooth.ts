// Note assembly: per-window class and onset probabilities → notes (and note-on/off events).
//
// A note starts when one key holds the threshold for CONFIRM_FRAMES windows in a row (one window of
// noise cannot start a note), and ends once its key falls below half the threshold (hysteresis keeps a
// decaying note from flickering). A same-key onset peak inside a note splits it: a re-struck key. A
// note that fades and comes back within MERGE_FRAMES without an onset is one note, not two.
import type { Config } from './config.js';
import { CLASS_MIDI_OFFSET, NUM_CLASSES, SILENCE } from './kernel.js';
import { midiName, type Note, type NoteEvent } from './notes.js';

/** Windows a new key must persist to start a note: 2 × 16 ms, below the 40 ms shortest note. */
const CONFIRM_FRAMES = 2;
/** Windows a fading note may drop out and still continue without a new onset: ~100 ms. */
const MERGE_FRAMES = 6;
/** How far back a new key's start may be moved to the onset that preceded it: a new key often needs a
 *  few windows to win over the ringing previous one, while the onset output fires at the strike. */
const BACKDATE_FRAMES = 8;
/** Windows after a note's start in which its loudness sets its velocity: ~64 ms of attack. */
const ATTACK_FRAMES = 4;
/** dBFS mapped to velocity 1 and 127. */
const QUIET_DB = -60, LOUD_DB = -6;

export type TrackerConfig = Pick<Config, 'hopSamples' | 'threshold' | 'onsetThreshold' | 'minNoteMs' | 'lowMidi' | 'highMidi'> & { sampleRate: number };

interface Sounding {
  pitch: number;
  startFrame: number;
  lastOnFrame: number; // last frame its key held at least half the threshold
  peakDb: number;
  probSum: number;
  frames: number;
  announced: boolean;
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
  private prevOnset = 0;
  private lastOnsetFrame = -Infinity;
  private readonly lowClass: number;
  private readonly highClass: number;
  private readonly minNoteFrames: number;

  constructor(private readonly cfg: TrackerConfig, private readonly sink: TrackerSink) {
    this.lowClass = cfg.lowMidi - CLASS_MIDI_OFFSET;
    this.highClass = cfg.highMidi - CLASS_MIDI_OFFSET;
    this.minNoteFrames = (cfg.minNoteMs / 1000) * cfg.sampleRate / cfg.hopSamples;
  }

  /** Time of the boundary just before frame k: the label flips between frames k−1 and k. */
  private boundary(frame: number): number {
    return Math.max(0, (2 * frame - 1) * this.cfg.hopSamples / (2 * this.cfg.sampleRate));
  }

  push(frame: number, probs: Float32Array, pOff: number, onset: number, levelDb: number): void {
    const thr = this.cfg.threshold;
    let best = SILENCE, bestP = probs[pOff + SILENCE];
    for (let k = this.lowClass; k <= this.highClass; k++) {
      const p = probs[pOff + k];
      if (p > bestP) { best = k; bestP = p; }
    }
    const strong = best !== SILENCE && bestP >= thr;
    if (strong && best === this.candidate) this.candidateRun++;
    else if (strong) { this.candidate = best; this.candidateFrom = frame; this.candidateRun = 1; }
    else { this.candidate = -1; this.candidateRun = 0; }
    const onThr = this.cfg.onsetThreshold;
    const onsetPeak = onset >= onThr && this.prevOnset < onThr;
    this.prevOnset = onset;
    if (onsetPeak) this.lastOnsetFrame = frame;

    const s = this.sounding;
    if (s) {
      const own = probs[pOff + s.pitch - CLASS_MIDI_OFFSET];
      const held = own >= thr / 2;
      // A re-strike dips the key's probability for a frame or two, so it need only be held, not strong.
      const ownOrQuiet = best === s.pitch - CLASS_MIDI_OFFSET || best === SILENCE;
      if (onsetPeak && held && ownOrQuiet && frame - s.startFrame >= this.minNoteFrames) {
        // Struck again: the old note ends here, or where it had faded if it had.
        this.end(s.lastOnFrame < frame - 1 ? s.lastOnFrame + 1 : frame);
        this.begin(s.pitch - CLASS_MIDI_OFFSET, frame, levelDb);
        return;
      }
      if (this.candidateRun >= CONFIRM_FRAMES && this.candidate !== s.pitch - CLASS_MIDI_OFFSET) {
        const from = Math.max(this.startOf(this.candidateFrom), s.startFrame + 1);
        this.end(Math.min(from, s.lastOnFrame + 1));
        this.begin(this.candidate, from, levelDb);
        return;
      }
      if (held) {
        s.lastOnFrame = frame;
        s.probSum += own; s.frames++;
        if (frame - s.startFrame < ATTACK_FRAMES && levelDb > s.peakDb) s.peakDb = levelDb;
      } else if (frame - s.lastOnFrame > MERGE_FRAMES) {
        this.end(s.lastOnFrame + 1);
      }
      return;
    }
    if (this.candidateRun >= CONFIRM_FRAMES) this.begin(this.candidate, this.startOf(this.candidateFrom), levelDb);
  }

  /** A new key confirmed from frame `from` started at the onset just before it, if there was one. */
  private startOf(from: number): number {
    return from - this.lastOnsetFrame <= BACKDATE_FRAMES && this.lastOnsetFrame <= from ? this.lastOnsetFrame : from;
  }

  private begin(cls: number, frame: number, levelDb: number): void {
    this.sounding = {
      pitch: cls + CLASS_MIDI_OFFSET, startFrame: frame, lastOnFrame: frame,
      peakDb: levelDb, probSum: 0, frames: 0, announced: false,
    };
    this.candidate = -1; this.candidateRun = 0;
    const s = this.sounding;
    if (this.sink.event) {
      s.announced = true;
      this.sink.event({ event: 'on', pitch: s.pitch, name: midiName(s.pitch), time: this.boundary(frame), velocity: velocityOf(levelDb) });
    }
  }

  private end(frame: number, endTime = this.boundary(frame)): void {
    const s = this.sounding!;
    this.sounding = null;
    const start = this.boundary(s.startFrame);
    const note: Note = {
      pitch: s.pitch, name: midiName(s.pitch), start, end: Math.max(endTime, start),
      velocity: velocityOf(s.peakDb), confidence: s.frames ? Math.round((s.probSum / s.frames) * 1000) / 1000 : 0,
    };
    if (s.announced) this.sink.event!({ event: 'off', pitch: s.pitch, name: note.name, time: note.end, velocity: 0 });
    if (frame - s.startFrame < this.minNoteFrames && !s.announced) return;
    this.sink.note?.(note);
  }

  /** End of input after frame `lastFrame`, at `endSeconds`: a note still sounding ends there; one
   *  that had already faded (and was waiting to see if it comes back) ends where it faded. */
  flush(lastFrame: number, endSeconds: number): void {
    const s = this.sounding;
    if (!s) return;
    const faded = s.lastOnFrame < lastFrame;
    this.end(faded ? s.lastOnFrame + 1 : lastFrame + 1, faded ? Math.min(this.boundary(s.lastOnFrame + 1), endSeconds) : endSeconds);
  }
}

export function velocityOf(levelDb: number): number {
  const v = Math.round(1 + ((levelDb - QUIET_DB) / (LOUD_DB - QUIET_DB)) * 126);
  return v < 1 ? 1 : v > 127 ? 127 : v;
}

import type { ScoredBatch } from './classify.js';

/** What the note stage hands the writers: finished notes, or (with --events) note-on/off events. */
export type NoteOutput = { kind: 'note'; note: Note } | { kind: 'event'; event: NoteEvent };

/** Stream stage: scored batches → arrays of notes/events, as soon as each is known. */
export function smoothNotes(cfg: TrackerConfig & { events: boolean }) {
  return async function* (src: AsyncIterable<ScoredBatch>): AsyncGenerator<NoteOutput[]> {
    let out: NoteOutput[] = [];
    const tracker = new NoteTracker(cfg, cfg.events
      ? { event: (event) => out.push({ kind: 'event', event }) }
      : { note: (note) => out.push({ kind: 'note', note }) });
    let lastFrame = -1;
    for await (const b of src) {
      for (let i = 0; i < b.count; i++) {
        tracker.push(b.firstIndex + i, b.probs, i * NUM_CLASSES, b.onsets[i], b.levelsDb[i]);
        lastFrame = b.firstIndex + i;
      }
      if (b.endSeconds !== undefined) tracker.flush(lastFrame, b.endSeconds);
      if (out.length) { yield out; out = []; }
    }
  };
}
