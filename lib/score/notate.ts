// Measures of written notes from a quantised melody: events split at bar lines and into note
// values a reader expects (ties where one value cannot say it), triplet beats grouped. The writers
// (ABC, MusicXML, LilyPond) only print what this decides.
import type { Spelling } from './key.js';

/** Divisions of a quarter note: sixteenths (3) and triplet eighths (4) are whole numbers. */
export const DIVISIONS_PER_QUARTER = 12;

export interface Meter {
  beats: number;
  beatType: 4 | 8;
}

/** A quantised note or rest: start and length in divisions from the first note's onset. */
export interface ScoreEvent {
  start: number;
  duration: number;
  /** MIDI pitch; null for a rest. */
  pitch: number | null;
  spelling?: Spelling;
  /** Where the note was heard: its onset in seconds of the take (notes only). */
  onsetSeconds?: number;
}

export type NoteType = 'whole' | 'half' | 'quarter' | 'eighth' | '16th';

export interface WrittenNote {
  pitch: number | null;
  spelling?: Spelling;
  /** Divisions the note takes in the bar (a triplet eighth: 4). */
  duration: number;
  type: NoteType;
  dots: number;
  /** Tied to the next written note / from the previous one. */
  tieStart: boolean;
  tieStop: boolean;
  /** Part of a triplet (3 in the time of 2): where the group starts and stops. */
  triplet?: { start: boolean; stop: boolean };
}

export interface Measure {
  /** 0 for a pickup bar, then 1, 2, … */
  number: number;
  notes: WrittenNote[];
  /** Divisions the bar holds as written (a pickup or the last bar may be short). */
  duration: number;
}

/** Plain written values, longest first: divisions → type and dots. */
const VALUES: readonly [number, NoteType, number][] = [
  [72, 'whole', 1], [48, 'whole', 0], [36, 'half', 1], [24, 'half', 0], [18, 'quarter', 1], [12, 'quarter', 0],
  [9, 'eighth', 1], [6, 'eighth', 0], [3, '16th', 0],
];

export function barDivisions(meter: Meter): number {
  return (meter.beats * DIVISIONS_PER_QUARTER * 4) / meter.beatType;
}

/** Divisions of the beat a reader counts: a quarter in 2/4, 3/4, 4/4; a dotted quarter in 6/8. */
export function beatDivisions(meter: Meter): number {
  return meter.beatType === 8 && meter.beats % 3 === 0 ? 18 : (DIVISIONS_PER_QUARTER * 4) / meter.beatType;
}

/** Splits a plain (non-triplet) span into written values, longest first: a value may start on a
 *  beat, or anywhere it ends within its beat (a note across a beat it did not start on is tied at
 *  the beat, so the reader sees every beat). */
function plainValues(start: number, length: number, beat: number): [number, NoteType, number][] {
  const out: [number, NoteType, number][] = [];
  let at = start, left = length;
  while (left > 0) {
    const v = VALUES.find(([d]) => d <= left && (at % beat === 0 || (at % beat) + d <= beat))
      ?? VALUES[VALUES.length - 1];
    out.push(v);
    at += v[0]; left -= v[0];
  }
  return out;
}

/** Measures holding the events; `pickup` divisions before the first bar line (0: none). */
export function notate(events: readonly ScoreEvent[], meter: Meter, pickup: number): Measure[] {
  const bar = barDivisions(meter), beat = beatDivisions(meter);
  const simple = beat === DIVISIONS_PER_QUARTER; // triplets only where the beat divides in two
  const end = events.length ? events[events.length - 1].start + events[events.length - 1].duration : 0;
  // Bar lines, on the events' timeline (the pickup's bar line at `pickup`).
  const barStarts: number[] = pickup > 0 ? [0] : [];
  for (let b = pickup; b < end; b += bar) barStarts.push(b);
  // Each bar lasts to the next bar line; the last to the end of the music (bar lines fall before it).
  const measures: Measure[] = barStarts.map((s, i) => ({
    number: pickup > 0 ? i : i + 1, notes: [], duration: (barStarts[i + 1] ?? end) - s,
  }));
  // A beat is written in triplets when a boundary in it is not on the sixteenth grid.
  const tripletBeat = (beatStart: number) => simple && events.some((e) =>
    [e.start, e.start + e.duration].some((t) => t > beatStart && t < beatStart + beat && t % 3 !== 0));
  for (const e of events) {
    // Pieces of the event: cut at bar lines and at the edges of triplet beats.
    const cuts = new Set<number>([e.start, e.start + e.duration]);
    for (const b of barStarts) if (b > e.start && b < e.start + e.duration) cuts.add(b);
    for (let t = Math.ceil((e.start - pickup) / beat) * beat + pickup; t < e.start + e.duration; t += beat) {
      if (t > e.start && (tripletBeat(t - beat) || tripletBeat(t))) cuts.add(t);
    }
    const points = [...cuts].sort((a, b) => a - b);
    const pieces: WrittenNote[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const s = points[i], len = points[i + 1] - s;
      const beatStart = Math.floor((s - pickup) / beat) * beat + pickup;
      if (tripletBeat(beatStart)) {
        // Thirds of the beat: 4 divisions a triplet eighth, 8 a triplet quarter.
        for (let at = s, left = len; left > 0;) {
          const d = left >= 8 ? 8 : 4;
          const piece = Math.min(d, left);
          pieces.push({ pitch: e.pitch, spelling: e.spelling, duration: piece, type: piece === 8 ? 'quarter' : 'eighth',
            dots: 0, tieStart: false, tieStop: false,
            triplet: { start: at === beatStart, stop: at + piece === beatStart + beat } });
          at += piece; left -= piece;
        }
      } else {
        const inBar = (((s - pickup) % bar) + bar) % bar; // the pickup counts from its bar's end
        for (const [d, type, dots] of plainValues(inBar, len, beat)) {
          pieces.push({ pitch: e.pitch, spelling: e.spelling, duration: d,
            type, dots, tieStart: false, tieStop: false });
        }
      }
    }
    if (e.pitch !== null) {
      for (let i = 0; i + 1 < pieces.length; i++) { pieces[i].tieStart = true; pieces[i + 1].tieStop = true; }
    }
    // File each piece in its measure.
    let at = e.start;
    for (const p of pieces) {
      let m = 0;
      while (m + 1 < barStarts.length && barStarts[m + 1] <= at) m++;
      measures[m].notes.push(p);
      at += p.duration;
    }
  }
  return measures;
}
