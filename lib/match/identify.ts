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

/** Weight of a 2-interval gram's vote against a 3-interval gram's: commoner, so worth less. */
const VOTE2 = 0.4;
/** Transpositions voted on: ±48 semitones, four octaves either way. */
const MAX_TRANSPOSE = 48;
const T_SLOTS = 2 * MAX_TRANSPOSE + 1;
/** How much rhythm can take off a perfect pitch match: a tune with the right notes in the wrong
 *  rhythm is still more likely than another tune. */
const RHYTHM_WEIGHT = 0.3;

export function createMatcher(references: readonly Melody[], options: MatcherOptions = {}): Matcher {
  const opts = withDefaults(MATCHER_DEFAULTS, options);
  const index = new IntervalIndex(references);
  const votes = new Float32Array(references.length * T_SLOTS);
  let touched = new Int32Array(1024);
  const work = new AlignWork();
  const pitches: number[] = [], onsets: number[] = [];
  let ranking: MatchResult[] = [];
  let sticky: number[] = []; // candidate slots of the last ranking: kept while the votes catch up

  const candidates = (from: number, to: number): number[] => {
    let nTouched = 0;
    const vote = (key: number, i: number, w: number) => {
      for (let at = index.offsets[key], end = index.offsets[key + 1]; at < end; at++) {
        const r = index.refs[at];
        const t = pitches[i] - references[r].pitches[index.positions[at]];
        if (t < -MAX_TRANSPOSE || t > MAX_TRANSPOSE) continue;
        const slot = r * T_SLOTS + t + MAX_TRANSPOSE;
        if (votes[slot] === 0) {
          if (nTouched === touched.length) { const g = new Int32Array(touched.length * 2); g.set(touched); touched = g; }
          touched[nTouched++] = slot;
        }
        votes[slot] += w;
      }
    };
    for (let i = from; i + 2 < to; i++) {
      vote(key2(pitches, i), i, VOTE2);
      if (i + 3 < to) vote(key3(pitches, i), i, 1);
    }
    // Top K by votes: a small sorted list, entered only by slots that beat its last.
    const k = opts.candidates;
    const best: number[] = [];
    for (let q = 0; q < nTouched; q++) {
      const s = touched[q], v = votes[s];
      if (best.length === k && v <= votes[best[k - 1]]) continue;
      let at = best.length === k ? k - 1 : best.length;
      while (at > 0 && votes[best[at - 1]] < v) { best[at] = best[at - 1]; at--; }
      best[at] = s;
    }
    for (let q = 0; q < nTouched; q++) votes[touched[q]] = 0;
    for (const s of sticky) if (!best.includes(s)) best.push(s);
    return best;
  };

  const rank = (): MatchResult[] => {
    const to = pitches.length, from = Math.max(0, to - opts.window), n = to - from;
    if (n < opts.minNotes) return [];
    const byRef = new Map<number, { slot: number; from: number; result: MatchResult }>();
    for (const slot of candidates(from, to)) {
      const r = Math.floor(slot / T_SLOTS), t = (slot % T_SLOTS) - MAX_TRANSPOSE;
      const ref = references[r];
      const al = align(pitches, from, to, ref, t, IDENTIFY_COSTS, work);
      const rhythm = rhythmFit(onsets, from, al, ref);
      const pitchScore = Math.max(0, Math.min(1, al.score / n));
      const score = pitchScore * (1 - RHYTHM_WEIGHT * (1 - rhythm.agreement));
      let position = 0, first = -1;
      for (let i = n - 1; i >= 0 && position === 0; i--) if (al.step[i] !== Step.Extra) position = al.refIndex[i] + 1;
      for (let i = 0; i < n && first < 0; i++) if (al.step[i] !== Step.Extra) first = al.refIndex[i];
      const prev = byRef.get(r);
      if (!prev || score > prev.result.score) {
        byRef.set(r, { slot, from: first, result: { ref: ref.name, score, transpose: t, tempo: rhythm.tempo, position, notes: n } });
      }
    }
    // Equal scores (a short query fits several tunes exactly): the one played from its beginning
    // first, as players mostly start there.
    const sorted = [...byRef.values()].sort((x, y) =>
      (Math.abs(y.result.score - x.result.score) > 1e-9 ? y.result.score - x.result.score : 0) || x.from - y.from || x.slot - y.slot);
    sticky = sorted.slice(0, opts.top).map((x) => x.slot);
    return sorted.slice(0, opts.top).map((x) => x.result);
  };

  return {
    references,
    push(note: PlayedNote): MatchResult[] {
      pitches.push(note.pitch); onsets.push(note.start);
      // Keep only what the window needs (a live stream runs for hours).
      if (pitches.length > 4 * opts.window) { pitches.splice(0, pitches.length - opts.window); onsets.splice(0, onsets.length - opts.window); }
      ranking = rank();
      return ranking;
    },
    results: () => ranking,
    reset(): void { pitches.length = 0; onsets.length = 0; ranking = []; sticky = []; },
  };
}
