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

/** A note as the scorers, references and score reader see it: a key (MIDI) and seconds. */
export interface TimedNote {
  pitch: number;
  start: number;
  end: number;
}

export interface NoteEvent {
  event: 'on' | 'off';
  pitch: number;
  name: string;
  /** Seconds of stream time. */
  time: number;
  velocity: number;
}

/** What the note stage hands the writers: finished notes, or (with --events) note-on/off events. */
export type NoteOutput = { kind: 'note'; note: Note } | { kind: 'event'; event: NoteEvent };

/** Every finished note of a stream, for writers that write one document when input ends. */
export async function collectNotes(src: AsyncIterable<NoteOutput[]>): Promise<Note[]> {
  const notes: Note[] = [];
  for await (const batch of src) for (const o of batch) if (o.kind === 'note') notes.push(o.note);
  return notes;
}
