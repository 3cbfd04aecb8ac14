// The melody shape the matcher works on: pitches and onsets in parallel typed arrays, one per tune.

/** A reference melody: monophonic, onsets ascending. */
export interface Melody {
  /** Where it came from (the path as given), reported in every match. */
  name: string;
  /** MIDI note numbers. */
  pitches: Int16Array;
  /** Onset of each note, seconds from the start of the reference. */
  onsets: Float64Array;
}

/** One played note as the matcher sees it: melodyfilter's note (or note-on event) reduced. */
export interface PlayedNote {
  pitch: number;
  /** Onset, seconds of stream time. */
  start: number;
  /** Release, seconds; undefined when only the note-on is known (--events input). */
  end?: number;
}

/** Build a Melody from notes in any order; simultaneous onsets keep the highest pitch. */
export function melodyOf(name: string, notes: readonly { pitch: number; start: number }[]): Melody {
  const sorted = [...notes].sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const pitches: number[] = [], onsets: number[] = [];
  for (const n of sorted) {
    // Two onsets within 1 ms are one chord: the skyline keeps its top note (sorted first).
    if (onsets.length && n.start - onsets[onsets.length - 1] < 0.001) continue;
    pitches.push(n.pitch); onsets.push(n.start);
  }
  return { name, pitches: Int16Array.from(pitches), onsets: Float64Array.from(onsets) };
}

/** Options over defaults, where an option given as undefined keeps its default. */
export function withDefaults<T extends object>(defaults: Readonly<Required<T>>, options: T): Required<T> {
  const out = { ...defaults } as Required<T>;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
