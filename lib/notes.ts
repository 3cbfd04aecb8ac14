// Note objects and names, shared by the tracker and the writers.

export interface Note {
  /** MIDI note number, 21 (A0) … 108 (C8). */
  pitch: number;
  /** Scientific pitch name, C4 = MIDI 60. */
  name: string;
  /** Seconds of stream time. */
  start: number;
  end: number;
  /** 1–127, from the loudness of the note's attack. */
  velocity: number;
  /** Mean probability the network gave this key while the note sounded, 0–1. */
  confidence: number;
}

export interface NoteEvent {
  event: 'on' | 'off';
  pitch: number;
  name: string;
  /** Seconds of stream time. */
  time: number;
  velocity: number;
}

const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

export function midiName(midi: number): string {
  return NAMES[midi % 12] + (Math.floor(midi / 12) - 1);
}

/** The highest key whose fundamental lies below `hz` (a rate's Nyquist frequency): the top of what
 *  audio at twice that rate can hold. */
export function highestKeyBelow(hz: number): number {
  return Math.ceil(69 + 12 * Math.log2(hz / 440)) - 1;
}

const LETTER: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** 'C4' → 60, 'F#2' → 42, 'Bb3' → 58, '60' → 60; NaN if not a note. */
export function parseNoteName(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^([A-Ga-g])([#b]?)(-?\d)$/.exec(s);
  if (!m) return NaN;
  return LETTER[m[1].toUpperCase()] + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0) + (Number(m[3]) + 1) * 12;
}

/** What the note stage hands the writers: finished notes, or (with --events) note-on/off events. */
export type NoteOutput = { kind: 'note'; note: Note } | { kind: 'event'; event: NoteEvent };

/** Every finished note of a stream, for writers that write one document when input ends. */
export async function collectNotes(src: AsyncIterable<NoteOutput[]>): Promise<Note[]> {
  const notes: Note[] = [];
  for await (const batch of src) for (const o of batch) if (o.kind === 'note') notes.push(o.note);
  return notes;
}
