// Practice: follow the played notes through one reference and say, per note, what happened: ok,
// wrong (with the expected pitch), extra, missed, early or late. The alignment is the one of
// align.ts run online, one column per played note, for every transposition at once (the player's
// key is followed, not punished); a reference position 0 before the tune lets a performance open
// with stray notes. Each note's verdict waits `lag` notes, until what comes next tells a wrong
// note from an extra one or a skip; a restart (jump) is followed, not reported as a mistake, but the
// summary's share right counts only notes played in order (issue 22, item 10: free jumps and
// uncounted extras let another tune score 0.9).
import { median } from './align.js';
import { withDefaults, type Melody, type PlayedNote } from './melody.js';
import { midiName } from '../music.js';

export interface FollowerOptions {
  /** Notes a verdict waits for (default 2): 0 answers at once but cannot tell wrong from extra. */
  lag?: number;
  /** Onset error, ms, above which a right note is early or late (default 150); a long note gets
   *  a fifth of its expected inter-onset time if that is more. */
  timingToleranceMs?: number;
  /** Transpositions tried, ± semitones (default 24). */
  maxTranspose?: number;
}

export const FOLLOWER_DEFAULTS: Readonly<Required<FollowerOptions>> = Object.freeze({
  lag: 2, timingToleranceMs: 150, maxTranspose: 24,
});

export type Verdict = 'ok' | 'wrong' | 'extra' | 'missed' | 'early' | 'late';

export interface NoteVerdict {
  event: 'note';
  verdict: Verdict;
  /** The played note (absent for missed, and for a repeat held through). */
  pitch?: number;
  name?: string;
  /** Onset in stream seconds: played, or for missed the time it was due. */
  time: number;
  /** 1-based reference note; for extra, the reference note it came after (0: before the first). */
  position: number;
  /** What the reference asked for, transposed to the key being played (not for extra). */
  expected?: number;
  expectedName?: string;
  /** Played minus due onset, ms, once the tempo is known. */
  timingMs?: number;
  /** ok because a key sounded on through it: a repeat the transcriber may have merged, or a note
   *  it may have split (no release between the two parts). */
  held?: boolean;
}

export interface JumpEvent {
  event: 'jump';
  /** Reference note the player was at, and the one they went to (1-based). */
  from: number;
  to: number;
  time: number;
}

export interface FollowSummary {
  event: 'summary';
  ref: string;
  /** Played notes, and reference notes reached. */
  played: number;
  /** Verdicts, and notes before the tune began (prelude). */
  counts: Record<Verdict | 'prelude', number>;
  /** Share of the notes judged (played after the tune began, and missed) that were right in order:
   *  the tune's next note, at the right pitch, in the key of the note before. A wrong, extra or
   *  missed note counts against it, and so does a right note reached by a jump or a change of key:
   *  with jumps free, snatches of any tune fit somewhere (another tune scored 0.7 here). */
  right: number;
  /** Jumps followed (restarts, repeated bars; with another tune, the follower hopping about). */
  jumps: number;
  /** Mean absolute onset error of timed notes, ms. */
  meanTimingMs: number | null;
  transpose: number;
  /** Played speed relative to the reference. */
  tempo: number | null;
  /** Passages with the most mistakes, worst first: 1-based reference notes from..to. */
  trouble: { from: number; to: number; mistakes: number }[];
}

/** A note before the first one of the tune: no verdict. */
export interface PreludeEvent {
  event: 'prelude';
  pitch: number;
  name: string;
  time: number;
}

export type FollowEvent = NoteVerdict | JumpEvent | PreludeEvent;

export interface Follower {
  /** Add one played note (onset order); returns the verdicts now decided. */
  push(note: PlayedNote): FollowEvent[];
  /** End of input: the remaining verdicts. */
  end(): FollowEvent[];
  summary(): FollowSummary;
  readonly reference: Melody;
}

/** Costs in "notes", as in align.ts but stricter: an octave slip is as wrong as any other, and
 *  beginning mid-tune costs (practice usually starts at the top). Wrong (-1) must beat extra plus
 *  missed (-1.8), and a skip of up to three notes must beat a jump. */
const MATCH = 1, WRONG = -1, EXTRA = -1, MISSED = -0.8, MISSED_REPEAT = -0.7, JUMP = -3, START = -2;
/** A wrong note is mostly a near key; one further off is as likely a stray (extra) note. */
const NEAR_SEMITONES = 7, WRONG_FAR = -1.2;
/** Notes of context before the first verdict: three notes fit many keys and places. */
const START_CONTEXT = 4;
/** Inter-onset tempo ratios (played / reference) that must agree, and by how much at most. */
const STEADY_SLOPES = 3, STEADY_RATIO = 1.5;
/** Skips longer than this are jumps (4 × MISSED would cost more than JUMP anyway). */
const MAX_SKIP = 3;
/** Rhythm cost per squared octave of inter-onset error (twice or half the expected time: the cap). */
const RHYTHM_WEIGHT = 2, RHYTHM_CAP = 1.5;
/** A same-pitch note starting within this of the previous one's end was never released. */
const NO_RELEASE_SECONDS = 0.02;
/** A repeat counts as held through when the sounding note lasts this share of the way from the
 *  repeat's due onset to the next played note (a released key falls silent well before it). */
const HELD_SHARE = 0.8;
/** Per semitone of transposition at the start: of equally good keys, the nearest wins. */
const KEY_PRIOR = -0.01;
const NEG = -1e30;
/** Reference notes per passage in the summary's trouble spots. */
const TROUBLE_SPAN = 8;

interface Hypothesis {
  transpose: number;
  a: Float64Array; e: Float64Array; // scores per position 0..m (0: before the tune)
  na: Float64Array; ne: Float64Array;
  et: Float64Array; net: Float64Array; // E states: onset of the last aligned note (NaN: none)
  backA: Int32Array; backE: Uint8Array; // ring of columns, (lag + 2) deep
}

export function createFollower(reference: Melody, options: FollowerOptions = {}): Follower {
  const opts = withDefaults(FOLLOWER_DEFAULTS, options);
  const m = reference.pitches.length, cols = m + 1, ring = opts.lag + START_CONTEXT + 2;
  const refPitch = (j: number) => reference.pitches[j - 1], refTime = (j: number) => reference.onsets[j - 1];
  const hyps: Hypothesis[] = [];
  for (let t = -opts.maxTranspose; t <= opts.maxTranspose; t++) {
    hyps.push({
      transpose: t,
      a: new Float64Array(cols), e: new Float64Array(cols), na: new Float64Array(cols), ne: new Float64Array(cols),
      et: new Float64Array(cols), net: new Float64Array(cols),
      backA: new Int32Array(ring * cols), backE: new Uint8Array(ring * cols),
    });
  }
  // Cost of skipping reference notes 1..q, cumulative: a skipped repeat of the note before costs
  // less (the transcriber merges repeats), so a lost repeat is read where the held note can cover it.
  const missedCost = new Float64Array(cols);
  for (let q = 1; q < cols; q++) {
    missedCost[q] = missedCost[q - 1] + (q > 1 && refPitch(q) === refPitch(q - 1) ? MISSED_REPEAT : MISSED);
  }
  const played: PlayedNote[] = [];
  let committed = 0; // notes with a verdict
  let lastPos = 0; // reference position of the last committed aligned note
  let lastNote: PlayedNote | null = null; // and that note
  let transpose = 0;
  let lastTranspose: number | null = null; // key of the last committed aligned note
  let rightInOrder = 0, jumps = 0;
  const anchors: { t: number; tau: number }[] = []; // committed aligned notes since the last jump
  const timing: number[] = [];
  const counts: Record<Verdict | 'prelude', number> = {
    ok: 0, wrong: 0, extra: 0, missed: 0, early: 0, late: 0, prelude: 0,
  };
  const mistakesAt = new Map<number, number>(); // reference position → mistakes there
  const slopes: number[] = [];

  /**
   * One column of the alignment for played note i. `dt`: seconds since the previous played note;
   * `slope`: played seconds per reference second so far (null before there is one): a step whose
   * inter-onset time is far from the tempo costs up to RHYTHM_CAP, so a stray note between two
   * right ones is read as extra, not as a skip, and a held-over repeat lands on the right note.
   * `continues`: same pitch as the previous note with no release between, a key the transcriber
   * may have split: where the reference has one note it costs nothing, as an extra it would.
   */
  const step = (h: Hypothesis, i: number, p: number, t: number, tPrev: number, slope: number | null,
    continues: boolean) => {
    const row = (i % ring) * cols;
    const { a, e, na, ne, et, net, backA, backE } = h;
    const emit = (j: number) => {
      const d = p - h.transpose - refPitch(j);
      return d === 0 ? MATCH : d > NEAR_SEMITONES || d < -NEAR_SEMITONES ? WRONG_FAR : WRONG;
    };
    const rhythm = (k: number, j: number, from: number) => {
      const dt = t - from;
      if (slope === null || k < 1 || !(dt > 0)) return 0;
      const d = Math.log2(dt / (slope * (refTime(j) - refTime(k))));
      return Number.isFinite(d) ? -Math.min(RHYTHM_CAP, RHYTHM_WEIGHT * d * d) : 0;
    };
    if (i === 0) {
      const prior = KEY_PRIOR * Math.abs(h.transpose);
      na[0] = NEG; ne[0] = EXTRA + prior; backE[row] = 2; net[0] = NaN;
      for (let j = 1; j < cols; j++) {
        na[j] = emit(j) + (j > 1 ? START : 0) + prior; backA[row + j] = -1;
        ne[j] = NEG; backE[row + j] = 2; net[j] = NaN;
      }
    } else {
      let best = NEG, bestAt = 0, bestState = 0;
      for (let k = 0; k < cols; k++) {
        if (a[k] > best) { best = a[k]; bestAt = k; bestState = 0; }
        if (e[k] > best) { best = e[k]; bestAt = k; bestState = 1; }
      }
      na[0] = NEG;
      ne[0] = e[0] + EXTRA; backE[row] = 1; net[0] = NaN;
      for (let j = 1; j < cols; j++) {
        // Jump (anywhere, no rhythm: a restart takes its own time), then the next note or a short
        // skip, timed from the last aligned note (the previous one, or the one before the extras).
        let v = best + JUMP, from = bestAt * 2 + bestState;
        for (let k = j - 1; k >= 0 && k >= j - 1 - MAX_SKIP; k--) {
          const miss = missedCost[j - 1] - missedCost[k];
          const va = a[k] + miss + rhythm(k, j, tPrev);
          if (va > v) { v = va; from = k * 2; }
          const ve = e[k] + miss + rhythm(k, j, et[k]);
          if (ve > v) { v = ve; from = k * 2 + 1; }
        }
        na[j] = v + emit(j);
        backA[row + j] = from;
        // Extra after position j; a split key continues its note at no cost.
        const viaE = e[j] + EXTRA, viaA = a[j] + (continues ? 0 : EXTRA);
        if (viaA >= viaE) { ne[j] = viaA; backE[row + j] = continues ? 4 : 0; net[j] = tPrev; }
        else { ne[j] = viaE; backE[row + j] = 1; net[j] = et[j]; }
      }
    }
    h.et = net; h.net = et;
    h.a = na; h.na = a; h.e = ne; h.ne = e;
  };

  /** States (position, extra?) of notes from..to under the best hypothesis, by tracing back. */
  const trace = (from: number): { h: Hypothesis; states: { pos: number; extra: boolean; held?: boolean }[] } => {
    let h = hyps[0], score = NEG, pos = 0, state = 0;
    for (const c of hyps) {
      for (let j = 0; j < cols; j++) {
        if (c.a[j] > score) { score = c.a[j]; h = c; pos = j; state = 0; }
        if (c.e[j] > score) { score = c.e[j]; h = c; pos = j; state = 1; }
      }
    }
    const states: { pos: number; extra: boolean; held?: boolean }[] = [];
    for (let i = played.length - 1; i >= from; i--) {
      states.push({ pos, extra: state === 1 });
      const row = (i % ring) * cols;
      if (state === 0) { const b = h.backA[row + pos]; if (b < 0) break; pos = b >> 1; state = b & 1; }
      else {
        const b = h.backE[row + pos];
        if (b === 2) break;
        if (b === 4) states[states.length - 1].held = true; // a split key: continues the aligned note
        state = b === 4 ? 0 : b;
      }
    }
    return { h, states: states.reverse() };
  };

  const tempoSlope = (): number | null => (slopes.length ? median(slopes.slice(-4)) : null);
  /** Early and late need a tempo the last few notes agree on: one odd onset (or a misheard note)
   *  early in a piece must not make the next right notes wrong in time. */
  const steadyTempo = (): boolean => {
    if (slopes.length < STEADY_SLOPES) return false;
    const last = slopes.slice(-STEADY_SLOPES);
    return Math.max(...last) / Math.min(...last) <= STEADY_RATIO;
  };

  /** Due onset of reference position j from the anchors, or null before there is a tempo. */
  const due = (j: number): number | null => {
    const s = tempoSlope();
    if (s === null || anchors.length < 2) return null;
    const last = anchors.slice(-3).map((x) => x.t + s * (refTime(j) - x.tau));
    return median(last);
  };

  const mistake = (pos: number) => mistakesAt.set(pos, (mistakesAt.get(pos) ?? 0) + 1);

  const commit = (i: number, st: { pos: number; extra: boolean; held?: boolean }, t: number, out: FollowEvent[]) => {
    const note = played[i];
    transpose = t;
    const base = { event: 'note' as const, pitch: note.pitch, name: midiName(note.pitch), time: note.start };
    if (st.held) {
      // A key the transcriber split: the note at lastPos, still sounding.
      counts.ok++; rightInOrder++;
      out.push({ ...base, verdict: 'ok', position: lastPos, expected: note.pitch, expectedName: midiName(note.pitch),
        held: true });
      return;
    }
    if ((st.extra || st.pos === 0) && lastPos === 0) {
      // Before the first note of the tune: the player has not begun (or the microphone heard
      // something else). Said, not counted.
      counts.prelude++;
      out.push({ ...base, event: 'prelude' });
      return;
    }
    if (st.extra || st.pos === 0) {
      counts.extra++; mistake(Math.max(1, lastPos));
      out.push({ ...base, verdict: 'extra', position: lastPos });
      return;
    }
    const j = st.pos;
    const gap = j - lastPos - 1;
    // In order: on from the note before, in its key (the first note of the tune is, too).
    let inOrder = lastTranspose === null || lastTranspose === t;
    if (lastPos > 0 && (gap < 0 || gap > MAX_SKIP)) {
      out.push({ event: 'jump', from: lastPos, to: j, time: note.start });
      anchors.length = 0; lastNote = null;
      jumps++; inOrder = false;
    } else if (lastPos > 0) {
      let repeatHeld = lastNote !== null;
      for (let k = lastPos + 1; k < j; k++) {
        const when = due(k);
        // A repeat of the note before, which the played note sounded right through: the re-strike
        // may have been played and not heard (the transcriber merges some repeats). Not a mistake.
        repeatHeld = repeatHeld && refPitch(k) + t === lastNote!.pitch && when !== null && lastNote!.end !== undefined
          && lastNote!.end >= when + HELD_SHARE * (note.start - when);
        if (repeatHeld) {
          counts.ok++; if (inOrder) rightInOrder++;
          out.push({ event: 'note', verdict: 'ok', time: round3(when!), position: k, expected: refPitch(k) + t,
            expectedName: midiName(refPitch(k) + t), held: true });
          continue;
        }
        counts.missed++; mistake(k);
        out.push({ event: 'note', verdict: 'missed', time: round3(when ?? note.start), position: k,
          expected: refPitch(k) + t, expectedName: midiName(refPitch(k) + t) });
      }
    }
    const expected = refPitch(j) + t;
    const when = due(j);
    let verdict: Verdict = note.pitch === expected ? 'ok' : 'wrong';
    const ev: NoteVerdict = { ...base, verdict, position: j, expected, expectedName: midiName(expected) };
    if (when !== null) {
      const dev = note.start - when;
      const prev = anchors[anchors.length - 1];
      const tol = Math.max(opts.timingToleranceMs / 1000, 0.2 * (tempoSlope() ?? 1) * (refTime(j) - prev.tau));
      ev.timingMs = Math.round(dev * 1000);
      timing.push(Math.abs(dev));
      if (verdict === 'ok' && steadyTempo() && dev > tol) verdict = 'late';
      if (verdict === 'ok' && steadyTempo() && dev < -tol) verdict = 'early';
      ev.verdict = verdict;
    }
    counts[verdict]++;
    if (verdict !== 'wrong' && inOrder) rightInOrder++;
    if (verdict !== 'ok') mistake(j);
    const prev = anchors[anchors.length - 1];
    if (prev && refTime(j) > prev.tau && note.start > prev.t) {
      slopes.push((note.start - prev.t) / (refTime(j) - prev.tau));
    }
    anchors.push({ t: note.start, tau: refTime(j) });
    lastPos = j; lastNote = note; lastTranspose = t;
    out.push(ev);
  };

  const commitUpTo = (upTo: number): FollowEvent[] => {
    const out: FollowEvent[] = [];
    if (upTo <= committed) return out;
    const { h, states } = trace(committed);
    for (let i = committed; i < upTo; i++) commit(i, states[i - committed], h.transpose, out);
    committed = upTo;
    return out;
  };

  return {
    reference,
    push(note: PlayedNote): FollowEvent[] {
      const i = played.length;
      played.push(note);
      const prev = played[i - 1];
      const continues = prev !== undefined && prev.pitch === note.pitch && prev.end !== undefined
        && note.start - prev.end <= NO_RELEASE_SECONDS;
      const slope = anchors.length >= 2 && slopes.length >= 2 ? tempoSlope() : null;
      for (const h of hyps) step(h, i, note.pitch, note.start, prev ? prev.start : NaN, slope, continues);
      return played.length < opts.lag + START_CONTEXT ? [] : commitUpTo(played.length - opts.lag);
    },
    end: () => commitUpTo(played.length),
    summary(): FollowSummary {
      const judged = counts.ok + counts.wrong + counts.extra + counts.missed + counts.early + counts.late;
      const trouble = new Map<number, number>();
      for (const [pos, n] of mistakesAt) {
        const from = Math.floor((pos - 1) / TROUBLE_SPAN) * TROUBLE_SPAN + 1;
        trouble.set(from, (trouble.get(from) ?? 0) + n);
      }
      const s = tempoSlope();
      return {
        event: 'summary', ref: reference.name, played: played.length, counts: { ...counts },
        right: judged ? round3(rightInOrder / judged) : 0, jumps,
        meanTimingMs: timing.length ? Math.round((timing.reduce((x, y) => x + y, 0) / timing.length) * 1000) : null,
        transpose, tempo: s ? round3(1 / s) : null,
        trouble: [...trouble.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, 3)
          .map(([from, mistakes]) => ({ from, to: Math.min(m, from + TROUBLE_SPAN - 1), mistakes })),
      };
    },
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
