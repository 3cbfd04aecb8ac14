// The musical reading of timed notes: beat and tempo, metre and pickup, key, and every note's written
// place and value. Timed notes in (seconds, as the transcriber reports them), a Score out that the
// notation writers print. Each step is a plain function over the notes; see lib/score/*.ts.
import { trackBeats, type OnsetWeight } from './beats.js';
import { findKey, spell, type Key } from './key.js';
import { barDivisions, DIVISIONS_PER_QUARTER, notate, type Measure, type Meter, type ScoreEvent } from './notate.js';

export interface TimedPitch {
  pitch: number;
  start: number;
  end: number;
}

export interface Score {
  title: string;
  /** Quarter notes a minute (the tempo over the whole take). */
  tempo: number;
  meter: Meter;
  key: Key;
  /** Divisions before the first bar line (an anacrusis); 0 when the tune starts on a downbeat. */
  pickup: number;
  /** Notes and rests on the written timeline: divisions from the first note. */
  events: ScoreEvent[];
  measures: Measure[];
  /** Seconds of the first note's onset in the take. */
  offsetSeconds: number;
}

export interface ScoreOptions {
  title?: string;
  /** The user's metre and key when they know better than the analysis. */
  meter?: Meter;
  key?: Key;
}

/** A rest is written where the silence between two notes is at least this share of a quarter note… */
const REST_SHARE_OF_QUARTER = 0.4;
/** … and at least this long: a detached note's gap is not a rest. */
const REST_MIN_SECONDS = 0.12;
/** A quarter's onsets go on the triplet grid when it fits this much better than sixteenths. */
const TRIPLET_ADVANTAGE = 0.35;
/** Expressive timing: onsets scatter about their written place by about this much. */
const TIMING_SIGMA_SECONDS = 0.035;
/** The tempo prior: log-normal in quarter notes a minute. */
const TEMPO_PRIOR_BPM = 100;
const TEMPO_PRIOR_OCTAVES = 0.45;
/** How many quarter notes one tracked beat may be: the tracker follows whichever level the onsets
 *  mark best, an eighth in a fast reel, a dotted quarter in 6/8, a half note in a slow hymn. */
const TRACKED_BEAT_QUARTERS = [0.5, 1, 1.5, 2, 3];
/** How often each written value (quarter notes from one onset to the next) occurs in melodies:
 *  a generic prior (quarters and eighths most, then halves), not fitted to any tune set. */
const NOTE_VALUE_PRIOR: readonly [number, number][] = [
  [0.25, 0.06], [1 / 3, 0.02], [0.5, 0.28], [2 / 3, 0.01], [0.75, 0.03], [1, 0.32], [1.5, 0.07], [2, 0.11],
  [3, 0.05], [4, 0.03],
];
const OTHER_VALUE_PRIOR = 0.02;
/** How many independent observations a tune's note values are worth. */
const NOTE_VALUE_EVIDENCE = 6;
/** A duple tune whose typical note (the median onset-to-onset value) is a sixteenth is written in
 *  2/4: galops and marches in sixteenths; songs in eighths and quarters read as 4/4 (chosen on the
 *  validation seed: an eighth here wrote seven 4/4 takes in 114 as 2/4). */
const DUPLE_SHORT_BAR_VALUE = 0.25;
const TWO_FOUR: MeterCandidate = { meter: { beats: 2, beatType: 4 }, slots: 8, beat: 4 };
/** Weight of a note of the tonic triad as an accent, against a half note's 1. */
const TONAL_ACCENT_WEIGHT = 0.5;
/** Weight of the bar-length rhythm recurrence, in log-likelihood per note. */
const PERIODICITY_WEIGHT = 1;
/** Weight of the opening's evidence (where the first downbeat is) against a half note's 1. */
const OPENING_CUE_WEIGHT = 2;

/** Monophonic and sorted: of notes starting together the highest; a note ends where the next starts. */
function melodyLine(notes: readonly TimedPitch[]): TimedPitch[] {
  const sorted = [...notes].sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const out: TimedPitch[] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n.start - last.start < 0.03) continue;
    if (last && last.end > n.start) out[out.length - 1] = { ...last, end: n.start };
    out.push({ ...n });
  }
  return out;
}

/** Position in beats (fractional) of a time on a beat grid. */
function beatPosition(t: number, beats: readonly number[]): number {
  let k = 0;
  while (k + 2 < beats.length && beats[k + 1] <= t) k++;
  return k + (t - beats[k]) / (beats[k + 1] - beats[k]);
}

const SIXTEENTHS = [0, 0.25, 0.5, 0.75, 1];
const THIRDS = [0, 1 / 3, 2 / 3, 1];

function snap(frac: number, grid: readonly number[]): number {
  let best = grid[0];
  for (const g of grid) if (Math.abs(g - frac) < Math.abs(best - frac)) best = g;
  return best;
}

function gridError(fracs: readonly number[], grid: readonly number[]): number {
  return fracs.reduce((s, f) => s + (snap(f, grid) - f) ** 2, 0);
}

/** The grid a melody's positions snap to: sixteenths, or triplet eighths in a quarter whose onsets
 *  fit them clearly better (never in compound time, where the eighths are the beat's). Ends of
 *  notes snap to the grid of the quarter they fall in, so that a quarter is never split both ways. */
function gridOf(onsets: readonly number[], triplets: boolean): (x: number) => number {
  const byQuarter = new Map<number, number[]>();
  for (const x of onsets) {
    const b = Math.floor(x), f = x - b;
    if (f > 0.08 && f < 0.92) byQuarter.set(b, [...(byQuarter.get(b) ?? []), f]);
  }
  const tripletQuarters = new Set<number>();
  if (triplets) {
    for (const [b, fs] of byQuarter) {
      if (gridError(fs, THIRDS) < TRIPLET_ADVANTAGE * gridError(fs, SIXTEENTHS)) tripletQuarters.add(b);
    }
  }
  return (x) => {
    const b = Math.floor(x);
    return b + snap(x - b, tripletQuarters.has(b) ? THIRDS : SIXTEENTHS);
  };
}

function quantiseQuarters(q: readonly number[], triplets: boolean): number[] {
  return q.map(gridOf(q, triplets));
}

function valuePrior(quarters: number): number {
  const hit = NOTE_VALUE_PRIOR.find(([v]) => Math.abs(v - quarters) < 1e-6);
  return hit ? hit[1] : OTHER_VALUE_PRIOR;
}

/** Quarter notes per tracked beat: the level whose reading has the likeliest timing (onsets near
 *  the grid), note values and tempo. */
function chooseLevel(u: readonly number[], beatSeconds: number): number {
  let best = 1, bestCost = Infinity;
  for (const d of TRACKED_BEAT_QUARTERS) {
    const quarterSeconds = beatSeconds / d;
    const q = u.map((x) => x * d), snapped = quantiseQuarters(q, true);
    let cost = 0, values = 0;
    for (let i = 0; i < q.length; i++) {
      cost += ((q[i] - snapped[i]) * quarterSeconds) ** 2 / (2 * TIMING_SIGMA_SECONDS ** 2);
      if (i > 0) values -= Math.log(valuePrior(snapped[i] - snapped[i - 1]));
    }
    // A tune's note values are not independent draws (a tune of quarters is all quarters): they
    // count as a few observations, not one per note.
    cost += (values / Math.max(1, q.length - 1)) * NOTE_VALUE_EVIDENCE;
    const octaves = Math.log2(60 / quarterSeconds / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES;
    cost += 0.5 * octaves * octaves;
    if (cost < bestCost) { bestCost = cost; best = d; }
  }
  return best;
}

interface MeterCandidate {
  meter: Meter;
  /** Sixteenths a bar. */
  slots: number;
  /** Sixteenths a beat (4 in simple time, 6 in compound). */
  beat: number;
}

/** Metres the analysis tells apart. 2/4 is not among them: a 2/4 tune reads as 4/4 with its bar
 *  lines every other bar, as likely on the evidence of onsets and accents alone, so 4/4 (the
 *  commoner) stands for both and the pace of the notes decides (see DUPLE_SHORT_BAR_VALUE). */
const METERS: readonly MeterCandidate[] = [
  { meter: { beats: 3, beatType: 4 }, slots: 12, beat: 4 },
  { meter: { beats: 4, beatType: 4 }, slots: 16, beat: 4 },
  { meter: { beats: 6, beatType: 8 }, slots: 12, beat: 6 },
];

/** How likely a note starts on each sixteenth of the bar, by its metrical weight (Temperley's
 *  metrical grid, in spirit): nearly always on beats, often on eighths, seldom on sixteenths. */
const ONSET_CHANCE = { downbeat: 0.95, beat: 0.85, eighth: 0.45, sixteenth: 0.12 };

function onsetChances(c: MeterCandidate): number[] {
  return Array.from({ length: c.slots }, (_, s) => (s === 0 ? ONSET_CHANCE.downbeat : s % c.beat === 0
    ? ONSET_CHANCE.beat : s % 2 === 0 ? ONSET_CHANCE.eighth : ONSET_CHANCE.sixteenth));
}
/** Where accents fall (long notes, phrase ends, the opening, chord tones): mostly on the bar line,
 *  less on the middle of a 4/4 or 6/8 bar, little elsewhere. */
function accentTemplate(c: MeterCandidate): number[] {
  const halfBar = (c.slots / c.beat) % 2 === 0 ? c.slots / 2 : -1;
  return Array.from({ length: c.slots }, (_, s) => (s === 0 ? 8 : s === halfBar ? 3 : s % c.beat === 0 ? 2 : 0.5));
}

function normalised(t: number[]): number[] {
  const sum = t.reduce((a, b) => a + b, 0);
  return t.map((x) => (x / sum) * t.length);
}

/** The metre and the first bar line (sixteenths after quarter 0) that explain the onsets and accents
 *  best: a log-likelihood against notes placed anywhere. */
function readMeter(starts: readonly number[], lengths: readonly number[], candidates: readonly MeterCandidate[],
  tonal: readonly boolean[] = []): { candidate: MeterCandidate; phase: number } {
  const accents: { at: number; weight: number }[] = [];
  // Notes of the tonic triad fall on strong beats more often than others (the harmony under a tune
  // changes at bar lines and sits on its chord tones there).
  starts.forEach((s, i) => { if (tonal[i]) accents.push({ at: s, weight: TONAL_ACCENT_WEIGHT }); });
  starts.forEach((s, i) => {
    if (lengths[i] >= 1) accents.push({ at: s, weight: Math.min(lengths[i], 4) / 2 });
    // A phrase ends on a long note and the next starts a bar: in 4/4 the half note at a phrase's end
    // sits on beat 3, so onsets alone would put the bar line two beats late.
    if (lengths[i] >= 1.5) accents.push({ at: s + lengths[i], weight: Math.min(lengths[i], 4) / 2 });
  });
  // The opening: a first note shorter than the next is a pickup (the next is the downbeat);
  // otherwise a tune starts on its downbeat.
  const downbeatFirst = starts.length > 1 && lengths[0] < lengths[1] ? starts[1] : starts[0];
  accents.push({ at: downbeatFirst, weight: OPENING_CUE_WEIGHT });
  // Bars repeat their rhythm: the share of onsets whose note value recurs one bar later (and two).
  const slotValue = new Map<number, number>();
  starts.forEach((s, i) => slotValue.set(Math.round(s * 4), Math.round(lengths[i] * 12)));
  const recurrence = (slots: number) => {
    let same = 0;
    for (const [slot, value] of slotValue) {
      if (slotValue.get(slot + slots) === value) same++;
      if (slotValue.get(slot + 2 * slots) === value) same++;
    }
    return same / (2 * Math.max(1, slotValue.size));
  };
  let best = { candidate: candidates[0], phase: 0 }, bestScore = -Infinity;
  for (const c of candidates) {
    const repeat = PERIODICITY_WEIGHT * starts.length * recurrence(c.slots);
    const chance = onsetChances(c), accent = normalised(accentTemplate(c)).map(Math.log);
    const hit = chance.map(Math.log), miss = chance.map((p) => Math.log(1 - p));
    const onsetSlots = new Set(starts.map((x) => Math.floor(x * 4 + 1e-6)));
    const firstSlot = Math.floor(starts[0] * 4 + 1e-6), lastSlot = Math.floor(starts[starts.length - 1] * 4 + 1e-6);
    const slotOf = (x: number, phase: number) => ((((Math.floor(x * 4 + 1e-6) - phase) % c.slots) + c.slots) % c.slots);
    for (let phase = 0; phase < c.slots; phase++) {
      let score = repeat;
      // Every sixteenth from the first onset to the last: an onset there or not.
      for (let slot = firstSlot; slot <= lastSlot; slot++) {
        const k = ((((slot - phase) % c.slots) + c.slots) % c.slots);
        score += onsetSlots.has(slot) ? hit[k] : miss[k];
      }
      for (const a of accents) score += a.weight * accent[slotOf(a.at, phase)];
      if (score > bestScore + 1e-9) { bestScore = score; best = { candidate: c, phase }; }
    }
  }
  return best;
}

/** Reads timed notes as a score. */
export function readScore(input: readonly TimedPitch[], opts: ScoreOptions = {}): Score {
  const notes = melodyLine(input);
  const title = opts.title ?? 'melodyfilter';
  if (notes.length === 0) {
    const meter = opts.meter ?? { beats: 4, beatType: 4 };
    const key = opts.key ?? findKey([]);
    // A score with nothing played: one bar's rest (MusicXML wants a measure; readers want a staff).
    const events: ScoreEvent[] = [{ start: 0, duration: barDivisions(meter), pitch: null }];
    return { title, tempo: TEMPO_PRIOR_BPM, meter, key, pickup: 0,
      events, measures: notate(events, meter, 0), offsetSeconds: 0 };
  }
  // Beats from onsets weighted by how long each note lasts until the next (long notes mark beats).
  const onsets: OnsetWeight[] = notes.map((n, i) => ({
    time: n.start, weight: 0.5 + Math.min((notes[i + 1]?.start ?? n.end) - n.start, 1.5),
  }));
  const { beats } = trackBeats(onsets);
  const u = notes.map((n) => beatPosition(n.start, beats));
  const trackedSeconds = (beats[beats.length - 1] - beats[0]) / (beats.length - 1);
  const d = chooseLevel(u, trackedSeconds);
  const quarterSeconds = trackedSeconds / d;
  const q = u.map((x) => x * d);
  const userCandidate = opts.meter && meterCandidate(opts.meter);
  const compoundOnly = userCandidate ? userCandidate.beat === 6 : false;
  let snapped = quantiseQuarters(q, !compoundOnly);

  const place = (x: number[]) => {
    // Two onsets on one grid point: the later moves a sixteenth on if there is room, else it joins
    // the note before (a merged repeat is the transcriber's error, not the notation's).
    const kept: number[] = [];
    const at = [...x];
    for (let i = 0; i < at.length; i++) {
      if (kept.length && at[i] <= at[kept[kept.length - 1]] + 1e-9) {
        const next = at[kept[kept.length - 1]] + 0.25;
        if (i + 1 < at.length ? next < at[i + 1] - 1e-9 : true) at[i] = next; else continue;
      }
      kept.push(i);
    }
    return kept;
  };
  let kept = place(snapped);
  const lengthsOf = (starts: number[], ends: number[]) =>
    starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] - s : ends[i] - s));
  const endsOf = (starts: number[], line: TimedPitch[], triplets: boolean) => {
    const ends: number[] = [], snapEnd = gridOf(starts, triplets);
    for (let i = 0; i < line.length; i++) {
      const endPos = snapEnd(beatPosition(line[i].end, beats) * d);
      const minimum = starts[i] + 0.25;
      if (i + 1 < line.length) {
        const gap = line[i + 1].start - line[i].end;
        const rest = gap >= Math.max(REST_MIN_SECONDS, REST_SHARE_OF_QUARTER * quarterSeconds) &&
          endPos < starts[i + 1] - 1e-9;
        ends.push(rest ? Math.max(endPos, minimum) : starts[i + 1]);
      } else {
        // The last note: to a whole quarter, at least the one after its onset (a final note's
        // release is no rhythm; a score ends on a beat).
        ends.push(Math.max(Math.round(endPos), Math.floor(starts[i]) + 1));
      }
    }
    return ends;
  };
  let line = kept.map((i) => notes[i]);
  let starts = kept.map((i) => snapped[i]);
  let ends = endsOf(starts, line, !compoundOnly);
  // The key before the metre: its tonic triad is one of the metre's cues.
  const early = opts.key ?? findKey(line.map((n, i) => ({ pitch: n.pitch, weight: lengthsOf(starts, ends)[i] })));
  const triad = [0, early.mode === 'major' ? 4 : 3, 7].map((d) => (early.tonic + d) % 12);
  const tonal = line.map((n) => triad.includes(n.pitch % 12));
  const { candidate, phase } = readMeter(
    starts, lengthsOf(starts, ends), userCandidate ? [userCandidate] : METERS, tonal);
  if (candidate.beat === 6 && !compoundOnly) {
    // Compound time: its eighths are the beat's thirds already; no triplets.
    snapped = quantiseQuarters(q, false);
    kept = place(snapped);
    line = kept.map((i) => notes[i]);
    starts = kept.map((i) => snapped[i]);
    ends = endsOf(starts, line, false);
  }
  const lengths = lengthsOf(starts, ends);
  let meter = opts.meter ?? candidate.meter;
  if (!opts.meter && meter.beats === 4 && meter.beatType === 4) {
    const values = lengths.slice(0, -1).sort((a, b) => a - b);
    if (values.length && values[values.length >> 1] <= DUPLE_SHORT_BAR_VALUE) meter = TWO_FOUR.meter;
  }
  const key = opts.key ?? findKey(line.map((n, i) => ({ pitch: n.pitch, weight: lengths[i] })));
  const toDiv = (quarters: number) => Math.round(quarters * DIVISIONS_PER_QUARTER);
  const first = toDiv(starts[0]);
  const events: ScoreEvent[] = [];
  for (let i = 0; i < line.length; i++) {
    const s = toDiv(starts[i]) - first, e = toDiv(ends[i]) - first;
    const prevEnd = events.length ? events[events.length - 1].start + events[events.length - 1].duration : 0;
    if (s > prevEnd) events.push({ start: prevEnd, duration: s - prevEnd, pitch: null });
    events.push({
      start: s, duration: Math.max(e - s, 3), pitch: line[i].pitch, spelling: spell(line[i].pitch, key),
      onsetSeconds: line[i].start,
    });
  }
  const bar = barDivisions(meter);
  const pickup = (((phase * 3 - first) % bar) + bar) % bar;
  return {
    title, tempo: 60 / quarterSeconds, meter, key, pickup, events,
    measures: notate(events, meter, pickup), offsetSeconds: line[0].start,
  };
}

/** The candidate a user's metre stands for (any n/4 or n/8, compound when n/8 divides in threes). */
function meterCandidate(meter: Meter): MeterCandidate {
  const slots = (meter.beats * 16) / meter.beatType;
  const beat = meter.beatType === 8 && meter.beats % 3 === 0 ? 6 : meter.beatType === 8 ? 2 : 4;
  return { meter, slots, beat };
}
