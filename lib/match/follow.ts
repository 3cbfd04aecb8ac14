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
  /** Reference positions kept and updated per note (default 1024; Infinity: all of them), around
   *  the best one so far: 3/4 behind it, for restarts, 1/4 ahead. A jump further than the band
   *  reaches is not followed. The band is what keeps a long reference's memory and time bounded. */
  window?: number;
}

export const FOLLOWER_DEFAULTS: Readonly<Required<FollowerOptions>> = Object.freeze({
  lag: 2, timingToleranceMs: 150, maxTranspose: 24, window: 1024,
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

/** Fewest positions a band keeps: the jump, a skip and the opening context need a few notes. */
const MIN_WINDOW = 16;
/** Share of the band behind the best position: restarts go back, play goes on one note at a time
 *  (ahead, the band keeps at least a skip's reach and one more note). */
const BEHIND_SHARE = 0.75;

interface Hypothesis {
  transpose: number;
  // Scores per kept position: index 0 is position 0 (before the tune), index q is position lo+q-1.
  a: Float64Array; e: Float64Array;
  na: Float64Array; ne: Float64Array;
  et: Float64Array; net: Float64Array; // E states: onset of the last aligned note (NaN: none)
  // Ring of columns, (lag + START_CONTEXT + 2) deep, indexed as the scores; backA holds absolute
  // positions (position × 2 + state), so a trace crosses columns whose bands differ.
  backA: Int32Array; backE: Uint8Array;
}

interface TracedState { pos: number; extra: boolean; held?: boolean }

export function createFollower(reference: Melody, options: FollowerOptions = {}): Follower {
  return new Follower(reference, options);
}

/** Follows played notes through one reference: push() per note, end() at the end, then summary(). */
export class Follower {
  readonly reference: Melody;
  private readonly opts: Required<FollowerOptions>;
  private readonly m: number;
  /** Reference positions kept besides position 0: all of them, or the window. */
  private readonly band: number;
  private readonly ring: number;
  private readonly hyps: Hypothesis[] = [];
  /** Cost of skipping reference notes 1..q, cumulative: a skipped repeat of the note before costs
   *  less (the transcriber merges repeats), so a lost repeat is read where the held note can cover it. */
  private readonly missedCost: Float64Array;
  /** First position of the band of the latest column, and of each column in the ring. */
  private lo = 1;
  private readonly rowLo: Int32Array;
  private readonly played: PlayedNote[] = [];
  private committed = 0; // notes with a verdict
  private lastPos = 0; // reference position of the last committed aligned note
  private lastNote: PlayedNote | null = null; // and that note
  private transpose = 0;
  private lastTranspose: number | null = null; // key of the last committed aligned note
  private rightInOrder = 0;
  private jumps = 0;
  private readonly anchors: { t: number; tau: number }[] = []; // committed aligned notes since the last jump
  private readonly timing: number[] = [];
  private readonly counts: Record<Verdict | 'prelude', number> = {
    ok: 0, wrong: 0, extra: 0, missed: 0, early: 0, late: 0, prelude: 0,
  };
  private readonly mistakesAt = new Map<number, number>(); // reference position → mistakes there
  private readonly slopes: number[] = [];

  constructor(reference: Melody, options: FollowerOptions = {}) {
    this.reference = reference;
    this.opts = withDefaults(FOLLOWER_DEFAULTS, options);
    const w = this.opts.window;
    if (!(w >= MIN_WINDOW) || (w !== Infinity && !Number.isInteger(w))) {
      throw new RangeError(`follower window must be an integer >= ${MIN_WINDOW} or Infinity, got ${w}`);
    }
    this.m = reference.pitches.length;
    this.band = Math.min(this.m, w);
    this.ring = this.opts.lag + START_CONTEXT + 2;
    this.rowLo = new Int32Array(this.ring).fill(1);
    const cols = this.band + 1, ring = this.ring;
    for (let t = -this.opts.maxTranspose; t <= this.opts.maxTranspose; t++) {
      this.hyps.push({
        transpose: t,
        a: new Float64Array(cols), e: new Float64Array(cols), na: new Float64Array(cols), ne: new Float64Array(cols),
        et: new Float64Array(cols), net: new Float64Array(cols),
        backA: new Int32Array(ring * cols), backE: new Uint8Array(ring * cols),
      });
    }
    this.missedCost = new Float64Array(this.m + 1);
    for (let q = 1; q <= this.m; q++) {
      this.missedCost[q] = this.missedCost[q - 1] + (q > 1 && this.refPitch(q) === this.refPitch(q - 1)
        ? MISSED_REPEAT : MISSED);
    }
  }

  /** Reference positions the alignment keeps per hypothesis (position 0 included). */
  get positionsKept(): number { return this.band + 1; }

  /** Bytes of alignment state: bounded by the window, whatever the reference's length (the
   *  reference's own notes, and a skip-cost table of 8 bytes a note, are not counted). */
  get stateBytes(): number {
    let n = this.rowLo.byteLength;
    for (const h of this.hyps) {
      for (const x of [h.a, h.e, h.na, h.ne, h.et, h.net, h.backA, h.backE]) n += x.byteLength;
    }
    return n;
  }

  /** Add one played note (onset order); returns the verdicts now decided. */
  push(note: PlayedNote): FollowEvent[] {
    const { played } = this;
    const i = played.length;
    played.push(note);
    const prev = played[i - 1];
    const continues = prev !== undefined && prev.pitch === note.pitch && prev.end !== undefined
      && note.start - prev.end <= NO_RELEASE_SECONDS;
    const slope = this.anchors.length >= 2 && this.slopes.length >= 2 ? this.tempoSlope() : null;
    const prevLo = this.lo;
    if (i > 0) this.placeBand();
    this.rowLo[i % this.ring] = this.lo;
    const tPrev = prev ? prev.start : NaN;
    for (const h of this.hyps) this.step(h, i, note.pitch, note.start, tPrev, slope, continues, prevLo);
    return played.length < this.opts.lag + START_CONTEXT ? [] : this.commitUpTo(played.length - this.opts.lag);
  }

  /** End of input: the remaining verdicts. */
  end(): FollowEvent[] {
    return this.commitUpTo(this.played.length);
  }

  summary(): FollowSummary {
    const { counts, timing } = this;
    const judged = counts.ok + counts.wrong + counts.extra + counts.missed + counts.early + counts.late;
    const trouble = new Map<number, number>();
    for (const [pos, n] of this.mistakesAt) {
      const from = Math.floor((pos - 1) / TROUBLE_SPAN) * TROUBLE_SPAN + 1;
      trouble.set(from, (trouble.get(from) ?? 0) + n);
    }
    const s = this.tempoSlope();
    return {
      event: 'summary', ref: this.reference.name, played: this.played.length, counts: { ...counts },
      right: judged ? round3(this.rightInOrder / judged) : 0, jumps: this.jumps,
      meanTimingMs: timing.length ? Math.round((timing.reduce((x, y) => x + y, 0) / timing.length) * 1000) : null,
      transpose: this.transpose, tempo: s ? round3(1 / s) : null,
      trouble: [...trouble.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, 3)
        .map(([from, mistakes]) => ({ from, to: Math.min(this.m, from + TROUBLE_SPAN - 1), mistakes })),
    };
  }

  private refPitch(j: number): number { return this.reference.pitches[j - 1]; }
  private refTime(j: number): number { return this.reference.onsets[j - 1]; }

  /** Best state of the latest column over every hypothesis: its hypothesis, position and state. */
  private best(): { h: Hypothesis; pos: number; state: number } {
    let h = this.hyps[0], score = NEG, pos = 0, state = 0;
    for (const c of this.hyps) {
      for (let q = 0; q <= this.band; q++) {
        const j = q === 0 ? 0 : this.lo + q - 1;
        if (c.a[q] > score) { score = c.a[q]; h = c; pos = j; state = 0; }
        if (c.e[q] > score) { score = c.e[q]; h = c; pos = j; state = 1; }
      }
    }
    return { h, pos, state };
  }

  /** Moves the band of the next column around the last note given a verdict (before the tune:
   *  it stays at the top). Not around the best position of the latest column: that one hops about
   *  while a repeated bar or a wrong note is still ambiguous, and a band moved after it would drop
   *  the positions the player is really at. */
  private placeBand(): void {
    if (this.band === this.m || this.lastPos === 0) return; // every position kept, or not begun
    const behind = Math.min(Math.floor(this.band * BEHIND_SHARE), this.band - MAX_SKIP - 2);
    this.lo = Math.max(1, Math.min(this.m - this.band + 1, this.lastPos - behind));
  }

  /**
   * One column of the alignment for played note i. `dt`: seconds since the previous played note;
   * `slope`: played seconds per reference second so far (null before there is one): a step whose
   * inter-onset time is far from the tempo costs up to RHYTHM_CAP, so a stray note between two
   * right ones is read as extra, not as a skip, and a held-over repeat lands on the right note.
   * `continues`: same pitch as the previous note with no release between, a key the transcriber
   * may have split: where the reference has one note it costs nothing, as an extra it would.
   * `prevLo`: the band of the previous column; positions outside it score NEG there.
   */
  private step(h: Hypothesis, i: number, p: number, t: number, tPrev: number, slope: number | null,
    continues: boolean, prevLo: number): void {
    const n = this.band, lo = this.lo, cols = n + 1, row = (i % this.ring) * cols;
    const { missedCost, reference } = this;
    const { a, e, na, ne, et, net, backA, backE } = h;
    const emit = (j: number) => {
      const d = p - h.transpose - reference.pitches[j - 1];
      return d === 0 ? MATCH : d > NEAR_SEMITONES || d < -NEAR_SEMITONES ? WRONG_FAR : WRONG;
    };
    const rhythm = (k: number, j: number, from: number) => {
      const dt = t - from;
      if (slope === null || k < 1 || !(dt > 0)) return 0;
      const d = Math.log2(dt / (slope * (reference.onsets[j - 1] - reference.onsets[k - 1])));
      return Number.isFinite(d) ? -Math.min(RHYTHM_CAP, RHYTHM_WEIGHT * d * d) : 0;
    };
    if (i === 0) {
      const prior = KEY_PRIOR * Math.abs(h.transpose);
      na[0] = NEG; ne[0] = EXTRA + prior; backE[row] = 2; net[0] = NaN;
      for (let q = 1; q < cols; q++) {
        const j = lo + q - 1;
        na[q] = emit(j) + (j > 1 ? START : 0) + prior; backA[row + q] = -1;
        ne[q] = NEG; backE[row + q] = 2; net[q] = NaN;
      }
    } else {
      let best = NEG, bestAt = 0, bestState = 0;
      for (let q = 0; q < cols; q++) {
        const k = q === 0 ? 0 : prevLo + q - 1;
        if (a[q] > best) { best = a[q]; bestAt = k; bestState = 0; }
        if (e[q] > best) { best = e[q]; bestAt = k; bestState = 1; }
      }
      na[0] = NEG;
      ne[0] = e[0] + EXTRA; backE[row] = 1; net[0] = NaN;
      for (let q = 1; q < cols; q++) {
        const j = lo + q - 1;
        // Jump (anywhere in the band, no rhythm: a restart takes its own time), then the next note
        // or a short skip, timed from the last aligned note (the previous one, or the one before
        // the extras).
        let v = best + JUMP, from = bestAt * 2 + bestState;
        for (let k = j - 1; k >= 0 && k >= j - 1 - MAX_SKIP; k--) {
          const pk = k === 0 ? 0 : k - prevLo + 1;
          if (pk < 0 || pk >= cols || (k > 0 && pk === 0)) continue; // not kept: NEG, never the best
          const miss = missedCost[j - 1] - missedCost[k];
          const va = a[pk] + miss + rhythm(k, j, tPrev);
          if (va > v) { v = va; from = k * 2; }
          const ve = e[pk] + miss + rhythm(k, j, et[pk]);
          if (ve > v) { v = ve; from = k * 2 + 1; }
        }
        na[q] = v + emit(j);
        backA[row + q] = from;
        // Extra after position j; a split key continues its note at no cost.
        const pj = j - prevLo + 1, kept = pj >= 1 && pj < cols;
        const aj = kept ? a[pj] : NEG, ej = kept ? e[pj] : NEG;
        const viaE = ej + EXTRA, viaA = aj + (continues ? 0 : EXTRA);
        if (viaA >= viaE) { ne[q] = viaA; backE[row + q] = continues ? 4 : 0; net[q] = tPrev; }
        else { ne[q] = viaE; backE[row + q] = 1; net[q] = et[pj]; }
      }
    }
    h.et = net; h.net = et;
    h.a = na; h.na = a; h.e = ne; h.ne = e;
  }

  /** States (position, extra?) of notes from..now under the best hypothesis, by tracing back. */
  private trace(from: number): { h: Hypothesis; states: TracedState[] } {
    const best = this.best(), h = best.h;
    let pos = best.pos, state = best.state;
    const cols = this.band + 1;
    const states: TracedState[] = [];
    for (let i = this.played.length - 1; i >= from; i--) {
      states.push({ pos, extra: state === 1 });
      const r = i % this.ring, at = r * cols + (pos === 0 ? 0 : pos - this.rowLo[r] + 1);
      if (state === 0) { const b = h.backA[at]; if (b < 0) break; pos = b >> 1; state = b & 1; }
      else {
        const b = h.backE[at];
        if (b === 2) break;
        if (b === 4) states[states.length - 1].held = true; // a split key: continues the aligned note
        state = b === 4 ? 0 : b;
      }
    }
    return { h, states: states.reverse() };
  }

  private tempoSlope(): number | null {
    return this.slopes.length ? median(this.slopes.slice(-4)) : null;
  }

  /** Early and late need a tempo the last few notes agree on: one odd onset (or a misheard note)
   *  early in a piece must not make the next right notes wrong in time. */
  private steadyTempo(): boolean {
    if (this.slopes.length < STEADY_SLOPES) return false;
    const last = this.slopes.slice(-STEADY_SLOPES);
    return Math.max(...last) / Math.min(...last) <= STEADY_RATIO;
  }

  /** Due onset of reference position j from the anchors, or null before there is a tempo. */
  private due(j: number): number | null {
    const s = this.tempoSlope();
    if (s === null || this.anchors.length < 2) return null;
    return median(this.anchors.slice(-3).map((x) => x.t + s * (this.refTime(j) - x.tau)));
  }

  private mistake(pos: number): void {
    this.mistakesAt.set(pos, (this.mistakesAt.get(pos) ?? 0) + 1);
  }

  private commit(i: number, st: TracedState, t: number, out: FollowEvent[]): void {
    const note = this.played[i], counts = this.counts;
    this.transpose = t;
    const base = { event: 'note' as const, pitch: note.pitch, name: midiName(note.pitch), time: note.start };
    if (st.held) {
      // A key the transcriber split: the note at lastPos, still sounding.
      counts.ok++; this.rightInOrder++;
      out.push({ ...base, verdict: 'ok', position: this.lastPos, expected: note.pitch,
        expectedName: midiName(note.pitch), held: true });
      return;
    }
    if ((st.extra || st.pos === 0) && this.lastPos === 0) {
      // Before the first note of the tune: the player has not begun (or the microphone heard
      // something else). Said, not counted.
      counts.prelude++;
      out.push({ ...base, event: 'prelude' });
      return;
    }
    if (st.extra || st.pos === 0) {
      counts.extra++; this.mistake(Math.max(1, this.lastPos));
      out.push({ ...base, verdict: 'extra', position: this.lastPos });
      return;
    }
    const j = st.pos, lastPos = this.lastPos, lastNote = this.lastNote;
    const gap = j - lastPos - 1;
    // In order: on from the note before, in its key (the first note of the tune is, too).
    let inOrder = this.lastTranspose === null || this.lastTranspose === t;
    if (lastPos > 0 && (gap < 0 || gap > MAX_SKIP)) {
      out.push({ event: 'jump', from: lastPos, to: j, time: note.start });
      this.anchors.length = 0; this.lastNote = null;
      this.jumps++; inOrder = false;
    } else if (lastPos > 0) {
      let repeatHeld = lastNote !== null;
      for (let k = lastPos + 1; k < j; k++) {
        const when = this.due(k), expected = this.refPitch(k) + t;
        // A repeat of the note before, which the played note sounded right through: the re-strike
        // may have been played and not heard (the transcriber merges some repeats). Not a mistake.
        repeatHeld = repeatHeld && expected === lastNote!.pitch && when !== null && lastNote!.end !== undefined
          && lastNote!.end >= when + HELD_SHARE * (note.start - when);
        if (repeatHeld) {
          counts.ok++; if (inOrder) this.rightInOrder++;
          out.push({ event: 'note', verdict: 'ok', time: round3(when!), position: k, expected,
            expectedName: midiName(expected), held: true });
          continue;
        }
        counts.missed++; this.mistake(k);
        out.push({ event: 'note', verdict: 'missed', time: round3(when ?? note.start), position: k,
          expected, expectedName: midiName(expected) });
      }
    }
    const expected = this.refPitch(j) + t;
    const when = this.due(j);
    let verdict: Verdict = note.pitch === expected ? 'ok' : 'wrong';
    const ev: NoteVerdict = { ...base, verdict, position: j, expected, expectedName: midiName(expected) };
    const anchors = this.anchors;
    if (when !== null) {
      const dev = note.start - when;
      const prev = anchors[anchors.length - 1];
      const tol = Math.max(this.opts.timingToleranceMs / 1000,
        0.2 * (this.tempoSlope() ?? 1) * (this.refTime(j) - prev.tau));
      ev.timingMs = Math.round(dev * 1000);
      this.timing.push(Math.abs(dev));
      if (verdict === 'ok' && this.steadyTempo() && dev > tol) verdict = 'late';
      if (verdict === 'ok' && this.steadyTempo() && dev < -tol) verdict = 'early';
      ev.verdict = verdict;
    }
    counts[verdict]++;
    if (verdict !== 'wrong' && inOrder) this.rightInOrder++;
    if (verdict !== 'ok') this.mistake(j);
    const prev = anchors[anchors.length - 1];
    if (prev && this.refTime(j) > prev.tau && note.start > prev.t) {
      this.slopes.push((note.start - prev.t) / (this.refTime(j) - prev.tau));
    }
    anchors.push({ t: note.start, tau: this.refTime(j) });
    this.lastPos = j; this.lastNote = note; this.lastTranspose = t;
    out.push(ev);
  }

  private commitUpTo(upTo: number): FollowEvent[] {
    const out: FollowEvent[] = [];
    if (upTo <= this.committed) return out;
    const { h, states } = this.trace(this.committed);
    for (let i = this.committed; i < upTo; i++) this.commit(i, states[i - this.committed], h.transpose, out);
    this.committed = upTo;
    return out;
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
