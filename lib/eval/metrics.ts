// Note-level transcription metrics with mir_eval's definitions: a reference and an estimated note
// match when their pitches are equal and onsets lie within 50 ms; with offsets, the estimated offset
// must also lie within max(50 ms, 20% of the reference note's length) of the reference offset. Each
// note matches at most once; the matching is a maximum bipartite matching, as in mir_eval.
import type { TimedNote } from '../notes.js';

export const ONSET_TOLERANCE_SECONDS = 0.05;
export const OFFSET_RATIO = 0.2;
export const OFFSET_MIN_TOLERANCE_SECONDS = 0.05;

export interface MatchOptions {
  withOffsets?: boolean;
  onsetTolerance?: number;
}

/** mir_eval compares rounded differences: an error of exactly the tolerance stays a match. */
const EDGE_EPS = 1e-9;

/** Whether an estimated note's end lies within the offset tolerance of the reference note's end:
 *  max(50 ms, 20% of the reference note's length), mir_eval's rule. */
export function endMatches(r: TimedNote, e: TimedNote): boolean {
  const tol = Math.max(OFFSET_MIN_TOLERANCE_SECONDS, OFFSET_RATIO * (r.end - r.start));
  return Math.abs(e.end - r.end) <= tol + EDGE_EPS;
}

/** Pairs [refIndex, estIndex] of a maximum matching. */
export function matchNotes(
  ref: readonly TimedNote[], est: readonly TimedNote[], opts: MatchOptions = {},
): [number, number][] {
  const tol = opts.onsetTolerance ?? ONSET_TOLERANCE_SECONDS;
  const edges: number[][] = ref.map((r) => {
    const out: number[] = [];
    est.forEach((e, j) => {
      if (e.pitch !== r.pitch || Math.abs(e.start - r.start) > tol + EDGE_EPS) return;
      if (opts.withOffsets && !endMatches(r, e)) return;
      out.push(j);
    });
    return out;
  });
  // Augmenting paths (Kuhn's algorithm): note lists are short, so this is plenty fast.
  const estMatch = new Int32Array(est.length).fill(-1);
  for (let i = 0; i < ref.length; i++) {
    const seen = new Uint8Array(est.length);
    const tryAssign = (u: number): boolean => {
      for (const v of edges[u]) {
        if (seen[v]) continue;
        seen[v] = 1;
        if (estMatch[v] < 0 || tryAssign(estMatch[v])) { estMatch[v] = u; return true; }
      }
      return false;
    };
    tryAssign(i);
  }
  const pairs: [number, number][] = [];
  estMatch.forEach((r, e) => { if (r >= 0) pairs.push([r, e]); });
  return pairs.sort((a, b) => a[0] - b[0]);
}

export interface Counts {
  ref: number;
  est: number;
  matched: number;
  matchedWithOffsets: number;
  onsetErrorSum: number; // seconds, over onset matches
  onsetBiasSum: number; // signed (estimate − reference) seconds, over onset matches
  exactMelodies: number;
  melodies: number;
}

export function emptyCounts(): Counts {
  return {
    ref: 0, est: 0, matched: 0, matchedWithOffsets: 0, onsetErrorSum: 0, onsetBiasSum: 0, exactMelodies: 0, melodies: 0,
  };
}

/** Add one melody's result. A melody is exactly right when every note matches and nothing is extra. */
export function addMelody(c: Counts, ref: readonly TimedNote[], est: readonly TimedNote[]): void {
  const pairs = matchNotes(ref, est);
  c.ref += ref.length; c.est += est.length; c.matched += pairs.length;
  c.matchedWithOffsets += matchNotes(ref, est, { withOffsets: true }).length;
  for (const [r, e] of pairs) {
    c.onsetErrorSum += Math.abs(est[e].start - ref[r].start);
    c.onsetBiasSum += est[e].start - ref[r].start;
  }
  c.melodies++;
  if (pairs.length === ref.length && est.length === ref.length) c.exactMelodies++;
}

export interface Scores {
  precision: number;
  recall: number;
  f1: number;
  f1WithOffsets: number;
  exactShare: number;
  meanOnsetErrorMs: number;
  /** Mean signed onset error: negative when notes are reported early. */
  meanOnsetBiasMs: number;
}

export function scores(c: Counts): Scores {
  const precision = c.est ? c.matched / c.est : c.ref ? 0 : 1;
  const recall = c.ref ? c.matched / c.ref : 1;
  const f = (p: number, r: number) => (p + r ? (2 * p * r) / (p + r) : 0);
  const pOff = c.est ? c.matchedWithOffsets / c.est : c.ref ? 0 : 1;
  const rOff = c.ref ? c.matchedWithOffsets / c.ref : 1;
  return {
    precision, recall, f1: f(precision, recall), f1WithOffsets: f(pOff, rOff),
    exactShare: c.melodies ? c.exactMelodies / c.melodies : 0,
    meanOnsetErrorMs: c.matched ? (c.onsetErrorSum / c.matched) * 1000 : NaN,
    meanOnsetBiasMs: c.matched ? (c.onsetBiasSum / c.matched) * 1000 : NaN,
  };
}

/** Of the reference notes that repeat the previous note's pitch, how many were found as notes of
 *  their own (an onset match each). */
export function repeatedFound(
  ref: readonly TimedNote[], est: readonly TimedNote[],
): { repeated: number; found: number } {
  const matchedRefs = new Set(matchNotes(ref, est).map(([r]) => r));
  let repeated = 0, found = 0;
  for (let i = 1; i < ref.length; i++) {
    if (ref[i].pitch !== ref[i - 1].pitch) continue;
    repeated++;
    if (matchedRefs.has(i)) found++;
  }
  return { repeated, found };
}
