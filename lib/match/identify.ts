// Which reference is being played: interval n-grams propose (reference, transposition) candidates,
// the alignment (align.ts) scores each against the last `window` played notes, rhythm weighs in.
import { AlignWork, IDENTIFY_COSTS, Step, align, rhythmFit } from './align.js';
import { IntervalIndex, key2, key3 } from './ngram.js';
import { withDefaults, type Melody, type PlayedNote } from './melody.js';

export interface MatcherOptions {
  /** Played notes the ranking looks back over: long enough to be sure, short enough to notice a
   *  new tune (default 32). */
  window?: number;
  /** Results per update (default 3). */
  top?: number;
  /** (reference, transposition) pairs aligned per note, best by n-gram votes (default 48). */
  candidates?: number;
  /** Notes before the first ranking: three notes match half the repertoire (default 4). */
  minNotes?: number;
}

export const MATCHER_DEFAULTS: Readonly<Required<MatcherOptions>> = Object.freeze({
  window: 32, top: 3, candidates: 48, minNotes: 4,
});

export interface MatchResult {
  /** The reference's name (its path). */
  ref: string;
  /** 0–1: share of the played window that fits the reference, weighed by rhythm. */
  score: number;
  /** Semitones from the reference up to what was played. */
  transpose: number;
  /** Played speed relative to the reference (0.85 = 15% slower). */
  tempo: number;
  /** 1-based reference note that the latest played note corresponds to. */
  position: number;
  /** Played notes the score is over. */
  notes: number;
}

export interface Matcher {
  /** Add one played note (in onset order); returns the current ranking, best first (empty before
   *  `minNotes` notes). */
  push(note: PlayedNote): MatchResult[];
  /** The current ranking. */
  results(): MatchResult[];
  /** Forget the played notes (a new query). */
  reset(): void;
  readonly references: readonly Melody[];
}

/** Votes of a 3- and a 2-interval gram: the shorter is commoner, so worth less (0.4 of one). */
const VOTE3 = 5, VOTE2 = 2;
/** 2-interval grams are voted over the latest notes only: they matter while the query is short,
 *  and their long posting lists are most of the cost of a note with 10,000 references. */
const VOTE2_NOTES = 8;
/** Transpositions voted on: ±48 semitones, four octaves either way. */
const MAX_TRANSPOSE = 48;
const T_SLOTS = 2 * MAX_TRANSPOSE + 1;
/** How much rhythm can take off a perfect pitch match: a tune with the right notes in the wrong
 *  rhythm is still more likely than another tune. */
const RHYTHM_WEIGHT = 0.3;

export function createMatcher(references: readonly Melody[], options: MatcherOptions = {}): Matcher {
  return new IntervalMatcher(references, withDefaults(MATCHER_DEFAULTS, options));
}

/** The matcher: interval grams vote for (reference, transposition) slots, the best few are aligned
 *  note by note, and the ranking is the alignments' scores. */
class IntervalMatcher implements Matcher {
  private readonly index: IntervalIndex;
  // Votes per (reference, transposition) slot for the grams of the current window, kept up to date
  // as notes enter and leave it: a note adds two grams and removes at most two, instead of the
  // whole window being voted again. Integer weights, so that taking a vote away is exact.
  private readonly votes: Int32Array;
  private readonly listed: Uint8Array;
  private touched = new Int32Array(1024);
  private nTouched = 0;
  private readonly work = new AlignWork();
  private readonly pitches: number[] = [];
  private readonly onsets: number[] = [];
  private base = 0; // absolute index of pitches[0] (old notes are dropped on long streams)
  private readonly counted = { lo3: 0, hi3: 0, lo2: 0, hi2: 0 }; // grams voted, by absolute start, [lo, hi)
  private ranking: MatchResult[] = [];
  private sticky: number[] = []; // candidate slots of the last ranking: kept while the votes catch up

  constructor(readonly references: readonly Melody[], private readonly opts: Required<MatcherOptions>) {
    this.index = new IntervalIndex(references);
    this.votes = new Int32Array(references.length * T_SLOTS);
    this.listed = new Uint8Array(references.length * T_SLOTS);
  }

  push(note: PlayedNote): MatchResult[] {
    const { pitches, onsets, opts } = this;
    pitches.push(note.pitch); onsets.push(note.start);
    this.ranking = this.rank();
    // Keep only what the window needs (a live stream runs for hours).
    if (pitches.length > 4 * opts.window) {
      const drop = pitches.length - opts.window;
      pitches.splice(0, drop); onsets.splice(0, drop); this.base += drop;
    }
    return this.ranking;
  }

  results(): MatchResult[] {
    return this.ranking;
  }

  reset(): void {
    for (let q = 0; q < this.nTouched; q++) { this.votes[this.touched[q]] = 0; this.listed[this.touched[q]] = 0; }
    this.nTouched = 0; this.base = 0; Object.assign(this.counted, { lo3: 0, hi3: 0, lo2: 0, hi2: 0 });
    this.pitches.length = 0; this.onsets.length = 0; this.ranking = []; this.sticky = [];
  }

  private vote(key: number, abs: number, w: number): void {
    const { index, references, votes, listed } = this;
    const p0 = this.pitches[abs - this.base];
    for (let at = index.offsets[key], end = index.offsets[key + 1]; at < end; at++) {
      const r = index.refs[at];
      const t = p0 - references[r].pitches[index.positions[at]];
      if (t < -MAX_TRANSPOSE || t > MAX_TRANSPOSE) continue;
      const slot = r * T_SLOTS + t + MAX_TRANSPOSE;
      votes[slot] += w;
      if (!listed[slot]) {
        if (this.nTouched === this.touched.length) {
          const grown = new Int32Array(this.touched.length * 2);
          grown.set(this.touched);
          this.touched = grown;
        }
        this.touched[this.nTouched++] = slot; listed[slot] = 1;
      }
    }
  }

  private readonly gram3 = (abs: number, sign: number) =>
    this.vote(key3(this.pitches, abs - this.base), abs, sign * VOTE3);

  private readonly gram2 = (abs: number, sign: number) =>
    this.vote(key2(this.pitches, abs - this.base), abs, sign * VOTE2);

  /** Move the counted range [lo, hi) to [lo2, hi2), voting grams in and out. */
  private slide(lo: number, hi: number, lo2: number, hi2: number, f: (abs: number, sign: number) => void): void {
    for (let a = lo; a < hi; a++) if (a < lo2 || a >= hi2) f(a, -1);
    for (let a = lo2; a < hi2; a++) if (a < lo || a >= hi) f(a, 1);
  }

  private candidates(from: number, to: number): number[] {
    const { counted, votes, listed } = this;
    // 3-interval grams over the window; 2-interval grams over its latest notes.
    const lo3 = from, hi3 = Math.max(from, to - 3), lo2 = Math.max(from, to - VOTE2_NOTES), hi2 = Math.max(lo2, to - 2);
    this.slide(counted.lo3, counted.hi3, lo3, hi3, this.gram3);
    this.slide(counted.lo2, counted.hi2, lo2, hi2, this.gram2);
    Object.assign(counted, { lo3, hi3, lo2, hi2 });
    // Top K by votes: a small sorted list, entered only by slots that beat its last; slots whose
    // votes fell to nothing leave the touched list.
    const k = this.opts.candidates;
    const best: number[] = [];
    let kept = 0;
    const all = this.touched; // after the votes: vote() may have grown it
    for (let q = 0; q < this.nTouched; q++) {
      const slot = all[q], v = votes[slot];
      if (v === 0) { listed[slot] = 0; continue; }
      all[kept++] = slot;
      if (best.length === k && v <= votes[best[k - 1]]) continue;
      let at = best.length === k ? k - 1 : best.length;
      while (at > 0 && votes[best[at - 1]] < v) { best[at] = best[at - 1]; at--; }
      best[at] = slot;
    }
    this.nTouched = kept;
    for (const s of this.sticky) if (!best.includes(s)) best.push(s);
    return best;
  }

  private rank(): MatchResult[] {
    const { pitches, onsets, references, opts, base } = this;
    const to = base + pitches.length, from = Math.max(base, to - opts.window), n = to - from;
    if (n < opts.minNotes) return [];
    const byRef = new Map<number, { slot: number; from: number; result: MatchResult }>();
    for (const slot of this.candidates(from, to)) {
      const r = Math.floor(slot / T_SLOTS), t = (slot % T_SLOTS) - MAX_TRANSPOSE;
      const ref = references[r];
      const al = align(pitches, from - base, to - base, ref, t, IDENTIFY_COSTS, this.work);
      const rhythm = rhythmFit(onsets, from - base, al, ref);
      const pitchScore = Math.max(0, Math.min(1, al.score / n));
      const score = pitchScore * (1 - RHYTHM_WEIGHT * (1 - rhythm.agreement));
      let position = 0, first = -1;
      for (let i = n - 1; i >= 0 && position === 0; i--) if (al.step[i] !== Step.Extra) position = al.refIndex[i] + 1;
      for (let i = 0; i < n && first < 0; i++) if (al.step[i] !== Step.Extra) first = al.refIndex[i];
      const prev = byRef.get(r);
      if (!prev || score > prev.result.score) {
        const result = { ref: ref.name, score, transpose: t, tempo: rhythm.tempo, position, notes: n };
        byRef.set(r, { slot, from: first, result });
      }
    }
    // Equal scores (a short query fits several tunes exactly): the one played from its beginning
    // first, as players mostly start there.
    const byScore = (x: { result: MatchResult }, y: { result: MatchResult }) =>
      (Math.abs(y.result.score - x.result.score) > 1e-9 ? y.result.score - x.result.score : 0);
    const sorted = [...byRef.values()].sort((x, y) => byScore(x, y) || x.from - y.from || x.slot - y.slot);
    this.sticky = sorted.slice(0, opts.top).map((x) => x.slot);
    return sorted.slice(0, opts.top).map((x) => x.result);
  }
}
