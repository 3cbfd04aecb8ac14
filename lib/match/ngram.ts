// An index of pitch-interval n-grams: which references hold a run of these intervals, and where.
// Intervals make it transposition-invariant; leaving rhythm out makes it tempo-invariant. Both 2-
// and 3-interval grams are indexed: the longer ones are selective, the shorter ones survive a
// wrong note in a short query.
import type { Melody } from './melody.js';

/** Intervals beyond this many semitones are folded onto the limit: leaps that large are rare in
 *  tunes and as often transcription slips as melody. */
const MAX_INTERVAL = 16;
const SYMBOLS = 2 * MAX_INTERVAL + 1;
const KEYS3 = SYMBOLS ** 3;
const KEYS = KEYS3 + SYMBOLS ** 2;

const sym = (d: number) => (d > MAX_INTERVAL ? MAX_INTERVAL : d < -MAX_INTERVAL ? -MAX_INTERVAL : d) + MAX_INTERVAL;

/** Key of the 3-interval gram starting at note i of `p` (needs notes i..i+3). */
export function key3(p: ArrayLike<number>, i: number): number {
  return (sym(p[i + 1] - p[i]) * SYMBOLS + sym(p[i + 2] - p[i + 1])) * SYMBOLS + sym(p[i + 3] - p[i + 2]);
}
/** Key of the 2-interval gram starting at note i (needs notes i..i+2). */
export function key2(p: ArrayLike<number>, i: number): number {
  return KEYS3 + sym(p[i + 1] - p[i]) * SYMBOLS + sym(p[i + 2] - p[i + 1]);
}

/** Postings in compressed rows: for key k, entries offsets[k]..offsets[k+1] of refs/positions. */
export class IntervalIndex {
  readonly offsets: Uint32Array;
  readonly refs: Uint32Array;
  readonly positions: Uint32Array;

  constructor(melodies: readonly Melody[]) {
    const counts = new Uint32Array(KEYS + 1);
    const each = (f: (key: number, ref: number, pos: number) => void) => {
      melodies.forEach((m, r) => {
        const p = m.pitches;
        for (let i = 0; i + 2 < p.length; i++) {
          f(key2(p, i), r, i);
          if (i + 3 < p.length) f(key3(p, i), r, i);
        }
      });
    };
    each((k) => counts[k + 1]++);
    for (let k = 0; k < KEYS; k++) counts[k + 1] += counts[k];
    this.offsets = counts.slice();
    const fill = counts; // reused as the write cursor per key
    this.refs = new Uint32Array(this.offsets[KEYS]);
    this.positions = new Uint32Array(this.offsets[KEYS]);
    each((k, r, i) => { const at = fill[k]++; this.refs[at] = r; this.positions[at] = i; });
  }
}
