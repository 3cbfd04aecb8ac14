// Alignment of played notes to a reference under one transposition: a dynamic programme over
// reference positions that lets the player start anywhere, play wrong notes, add notes, skip notes
// and jump (restart a phrase). Tempo does not enter the programme, so any tempo and any drift
// align alike; rhythm is scored afterwards on the aligned path, as log inter-onset ratios against
// the path's own local tempo. Transposition comes from the interval index (identify.ts) or from
// trying every key (follow.ts).
import type { Melody } from './melody.js';

export interface AlignCosts {
  /** Played pitch equals the reference pitch (after transposition). */
  match: number;
  /** Played pitch is an octave (or several) off: the transcriber's commonest pitch slip. */
  octave: number;
  /** Any other pitch. */
  wrong: number;
  /** A played note the reference does not have. */
  extra: number;
  /** Per reference note skipped between two aligned notes. */
  missed: number;
  /** A skipped reference note that repeats the note before it (up to two in a row): the
   *  transcriber merged a repeated note into the one before. */
  mergedRepeat: number;
  /** A played note taken as extra that repeats the pitch played just before it: a held note the
   *  transcriber cut in two (or a re-struck key). */
  splitRepeat: number;
  /** Moving anywhere else in the reference (restarting a phrase); caps the cost of skipping. */
  jump: number;
  /** Beginning somewhere other than the reference's first note. */
  start: number;
  /** The first played note taken as extra: a stray note before the tune (a click as the
   *  microphone opens, a key touched before starting) is commoner than one inside it. */
  leadingExtra: number;
}

/** Identification: a query may be any passage of a tune, so starting mid-tune is free. Costs in
 *  "notes": a wrong note costs a bit more than it would have earned, an octave slip little. */
export const IDENTIFY_COSTS: Readonly<AlignCosts> = Object.freeze({
  match: 1, octave: -0.2, wrong: -0.6, extra: -0.6, missed: -0.5, jump: -2.5, start: 0, leadingExtra: 0,
  mergedRepeat: -0.1, splitRepeat: -0.1,
});

export const enum Step { Match = 0, Octave = 1, Wrong = 2, Extra = 3 }

/** One alignment: per played note its reference index (-1 when extra) and kind of step. */
export interface Alignment {
  score: number;
  refIndex: Int32Array;
  step: Uint8Array;
  /** Reference notes skipped inside the path, and jumps taken. */
  missed: number;
  jumps: number;
}

const NEG = -1e30;

export function stepKind(playedPitch: number, refPitch: number, transpose: number): Step {
  const d = playedPitch - transpose - refPitch;
  return d === 0 ? Step.Match : d % 12 === 0 ? Step.Octave : Step.Wrong;
}

/** Scratch arrays reused across alignments: one per matcher, grown on demand. */
export class AlignWork {
  a = new Float64Array(0); e = new Float64Array(0);
  backA = new Int32Array(0); backE = new Uint8Array(0);
  ensure(cells: number): void {
    if (this.a.length >= cells) return;
    const n = Math.max(cells, this.a.length * 2);
    this.a = new Float64Array(n); this.e = new Float64Array(n);
    this.backA = new Int32Array(n); this.backE = new Uint8Array(n);
  }
}

/**
 * Best alignment of played notes `pitches[from..to)` to `ref` transposed by `transpose` semitones.
 * Cells are [note][ref position]; A = note aligned there, E = note extra with that position last
 * consumed. backA holds (previous position × 2 + previous state), -1 for the first note, -2 for
 * a first aligned note after leading extras.
 */
export function align(pitches: ArrayLike<number>, from: number, to: number, ref: Melody, transpose: number,
  costs: Readonly<AlignCosts>, work: AlignWork): Alignment {
  const m = ref.pitches.length, n = to - from;
  work.ensure(n * m);
  const { a, e, backA, backE } = work;
  const rp = ref.pitches;
  const emit = (p: number, j: number) => {
    const k = stepKind(p, rp[j], transpose);
    return k === Step.Match ? costs.match : k === Step.Octave ? costs.octave : costs.wrong;
  };
  const p0 = pitches[from];
  // `lead`: every note so far extra, no reference note reached yet (backA -2 comes from there).
  let lead = costs.leadingExtra;
  for (let j = 0; j < m; j++) {
    a[j] = emit(p0, j) + (j > 0 ? costs.start : 0); backA[j] = -1;
    e[j] = NEG; backE[j] = 2;
  }
  for (let i = 1; i < n; i++) {
    const prev = (i - 1) * m, cur = i * m, p = pitches[from + i];
    let best = NEG, bestAt = 0;
    for (let k = 0; k < m; k++) {
      const v = a[prev + k] >= e[prev + k] ? a[prev + k] : e[prev + k];
      if (v > best) { best = v; bestAt = k; }
    }
    const pv = (k: number) => (a[prev + k] >= e[prev + k] ? a[prev + k] : e[prev + k]);
    const ps = (k: number) => (a[prev + k] >= e[prev + k] ? 0 : 1);
    let skip = NEG, skipFrom = -1; // best over k <= j-2 of P[k] + missed * (j-1-k)
    for (let j = 0; j < m; j++) {
      if (j >= 2) {
        skip += costs.missed;
        const c = pv(j - 2) + costs.missed;
        if (c > skip) { skip = c; skipFrom = j - 2; }
      }
      let v = best + costs.jump, from2 = bestAt;
      if (j >= 1 && pv(j - 1) > v) { v = pv(j - 1); from2 = j - 1; }
      if (skipFrom >= 0 && skip > v) { v = skip; from2 = skipFrom; }
      // Repeats the transcriber merged: reference notes j-1 (and j-2) repeat the one before them.
      for (let gap = 1; gap <= 2 && j - 1 - gap >= 0 && rp[j - gap] === rp[j - 1 - gap]; gap++) {
        const c = pv(j - 1 - gap) + costs.mergedRepeat * gap;
        if (c > v) { v = c; from2 = j - 1 - gap; }
      }
      const viaLead = lead + (j > 0 ? costs.start : 0);
      a[cur + j] = (viaLead > v ? viaLead : v) + emit(p, j);
      backA[cur + j] = viaLead > v ? -2 : from2 * 2 + ps(from2);
      e[cur + j] = pv(j) + (p === pitches[from + i - 1] ? costs.splitRepeat : costs.extra);
      backE[cur + j] = ps(j);
    }
    lead += costs.extra;
  }
  // Best end, then trace back.
  const last = (n - 1) * m;
  let score = NEG, j = 0, state = 0;
  for (let k = 0; k < m; k++) {
    if (a[last + k] > score) { score = a[last + k]; j = k; state = 0; }
    if (e[last + k] > score) { score = e[last + k]; j = k; state = 1; }
  }
  const refIndex = new Int32Array(n), step = new Uint8Array(n);
  let missed = 0, jumps = 0;
  for (let i = n - 1; i >= 0; i--) {
    const cell = i * m + j;
    if (state === 0) {
      refIndex[i] = j; step[i] = stepKind(pitches[from + i], rp[j], transpose);
      const b = backA[cell];
      if (b === -2) { for (let q = i - 1; q >= 0; q--) { refIndex[q] = -1; step[q] = Step.Extra; } break; }
      if (b < 0) break;
      const k = b >> 1;
      const gap = j - 1 - k; // 0: the next note
      if (gap > 0 && costs.missed * gap >= costs.jump) missed += gap;
      else if (gap !== 0) jumps++;
      j = k; state = b & 1;
    } else {
      refIndex[i] = -1; step[i] = Step.Extra;
      const b = backE[cell];
      if (b === 2) break; // not reached: E needs a reference note before it
      state = b;
    }
  }
  return { score, refIndex, step, missed, jumps };
}

export interface RhythmFit {
  /** Mean agreement of inter-onset intervals with the local tempo, 0–1 (1 when too few to tell). */
  agreement: number;
  /** Played speed relative to the reference (0.85 = 15% slower), the median over the path. */
  tempo: number;
}

/** How far one log inter-onset ratio may stray from the local tempo before it counts half. */
const RHYTHM_SIGMA = 0.2;
/** Ratios either side used for the local tempo: follows a drifting tempo, outvotes one bad onset. */
const RHYTHM_NEIGHBOURS = 3;

/** Rhythm along an alignment: each pair of successive aligned notes gives log(played / reference)
 *  inter-onset time; its distance from the median of its neighbours says whether it fits. */
export function rhythmFit(onsets: ArrayLike<number>, from: number, al: Alignment, ref: Melody): RhythmFit {
  const ratios: number[] = [];
  let pi = -1, pj = -1;
  for (let i = 0; i < al.refIndex.length; i++) {
    const j = al.refIndex[i];
    if (j < 0) continue;
    if (pj >= 0 && j > pj) {
      const played = onsets[from + i] - onsets[from + pi], refDt = ref.onsets[j] - ref.onsets[pj];
      if (played > 0 && refDt > 0) ratios.push(Math.log(played / refDt));
    }
    pi = i; pj = j;
  }
  if (ratios.length < 2) return { agreement: 1, tempo: ratios.length ? Math.exp(-ratios[0]) : 1 };
  let sum = 0;
  const window: number[] = [];
  for (let k = 0; k < ratios.length; k++) {
    window.length = 0;
    for (let q = Math.max(0, k - RHYTHM_NEIGHBOURS); q <= Math.min(ratios.length - 1, k + RHYTHM_NEIGHBOURS); q++) {
      if (q !== k) window.push(ratios[q]);
    }
    const d = ratios[k] - median(window);
    sum += Math.exp(-(d * d) / (2 * RHYTHM_SIGMA * RHYTHM_SIGMA));
  }
  return { agreement: sum / ratios.length, tempo: Math.exp(-median(ratios)) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
