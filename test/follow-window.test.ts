// --follow's window (issue 22, item 9): a band of reference positions instead of all of them gives
// the same verdicts where the tune fits in it, and memory and time that do not grow with the reference.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createFollower, melodyOf, type FollowEvent, type Melody, type PlayedNote } from '../lib/index.js';
import { parseTunes } from '../lib/match/notation.js';
import { addError, ERRORS, perform } from '../lib/synth/performance.js';
import { makeRng, pick } from '../lib/synth/random.js';
import { ROOT } from './helpers.js';

const REFS: Melody[] = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'))
  .map((tune) => melodyOf(tune.name, tune.notes));

function run(m: Melody, notes: readonly PlayedNote[], window: number) {
  const f = createFollower(m, { window });
  const events: FollowEvent[] = [];
  for (const n of notes) events.push(...f.push(n));
  events.push(...f.end());
  return { events, summary: f.summary() };
}

/** Tunes one after the other, as one reference. */
function medley(ms: Melody[]): Melody {
  const notes: { pitch: number; start: number }[] = [];
  let at = 0;
  for (const m of ms) {
    m.pitches.forEach((p, i) => notes.push({ pitch: p, start: at + m.onsets[i] }));
    at += m.onsets[m.onsets.length - 1] + 1;
  }
  return melodyOf(ms.map((m) => m.name).join(' + '), notes);
}

/** A tune played `times` over, as one reference. */
function repeated(m: Melody, times: number): Melody {
  const span = m.onsets[m.onsets.length - 1] + 1;
  const notes: { pitch: number; start: number }[] = [];
  for (let r = 0; r < times; r++) m.pitches.forEach((p, i) => notes.push({ pitch: p, start: r * span + m.onsets[i] }));
  return melodyOf(`${m.name} ×${times}`, notes);
}

/** Seeded performances of `m`: clean, with each kind of mistake, with two, and restarted from the top. */
function performances(seed: number, m: Melody): { label: string; notes: PlayedNote[] }[] {
  const rng = makeRng(seed);
  const out = [{ label: 'clean', notes: perform(rng, m) }];
  for (const kind of ERRORS) {
    const notes = perform(rng, m);
    addError(rng, notes, kind);
    out.push({ label: kind, notes });
  }
  const two = perform(rng, m);
  addError(rng, two, pick(rng, ERRORS)); addError(rng, two, pick(rng, ERRORS));
  out.push({ label: 'two mistakes', notes: two });
  const first = perform(rng, m), again = perform(rng, m);
  const restartAt = Math.floor(first.length / 2), shift = first[restartAt].start + 1 - again[0].start;
  out.push({ label: 'restart from the top', notes: [...first.slice(0, restartAt),
    ...again.map((n) => ({ ...n, start: n.start + shift, end: n.end! + shift }))] });
  return out;
}

t.test('the default window follows tunes shorter than it exactly as the full alignment', async (t) => {
  let runs = 0;
  REFS.forEach((m, k) => {
    t.ok(m.pitches.length < 1024, `${m.name} fits the band`);
    const wrong = REFS[(k + 7) % REFS.length];
    const perfs = [...performances(100 + k, m),
      { label: `${wrong.name} played instead`, notes: perform(makeRng(500 + k), wrong) }];
    for (const { label, notes } of perfs) {
      t.same(run(m, notes, 1024), run(m, notes, Infinity), `${m.name}, ${label}`);
      runs++;
    }
  });
  t.equal(runs, REFS.length * 8);
});

t.test('a narrow band gives the same verdicts while the full alignment stays within its reach', async (t) => {
  // Window 32 against medleys of three tunes (60 to 140 notes): the band (24 positions behind the
  // last note given a verdict, 8 ahead) moves with the player. Where the full alignment jumps
  // further than that (a tune's own repeats let it hop 20 notes ahead and back), the band cannot
  // follow, and those runs are not compared. Every third medley, to keep the test quick.
  let compared = 0, runs = 0;
  for (let k = 0; k < REFS.length; k += 3) {
    const m = medley([0, 1, 2].map((d) => REFS[(k + d) % REFS.length]));
    for (const { label, notes } of performances(300 + k, m).filter((p) => p.label !== 'restart from the top')) {
      const band = run(m, notes, 32), full = run(m, notes, Infinity);
      const inReach = (evs: FollowEvent[]) =>
        evs.every((e) => e.event !== 'jump' || (e.to >= e.from - 24 && e.to <= e.from + 8));
      runs++;
      if (!inReach(full.events)) continue;
      t.same(band.events, full.events, `${m.name}, ${label}`);
      compared++;
    }
  }
  t.ok(compared >= 0.9 * runs, `${compared} of ${runs} runs compared`);
});

t.test('a long reference: state bounded by the window, and quick', async (t) => {
  const tune = REFS[0];
  const long = repeated(tune, Math.ceil(20_000 / tune.pitches.length));
  t.ok(long.pitches.length >= 20_000);
  const short = createFollower(repeated(tune, 40), { window: 1024 });
  const f = createFollower(long);
  t.ok(f.positionsKept <= 1024 + 1, `positions kept: ${f.positionsKept}`);
  t.equal(f.stateBytes, short.stateBytes, 'as much state as for a reference just over the window');
  t.ok(f.stateBytes < 8 * 1024 * 1024, `state ${(f.stateBytes / 1e6).toFixed(1)} MB`);
  const notes = perform(makeRng(9), long).slice(0, 200);
  const started = performance.now();
  const events: FollowEvent[] = [];
  for (const n of notes) events.push(...f.push(n));
  events.push(...f.end());
  const ms = performance.now() - started;
  t.ok(ms < 10_000, `200 notes in ${ms.toFixed(0)} ms`);
  const s = f.summary();
  t.ok(s.right > 0.9, `followed: right ${s.right}`);
  t.equal(createFollower(long, { window: Infinity }).positionsKept, long.pitches.length + 1, 'Infinity keeps all');
});

t.test('a window too small to hold a skip is refused', async (t) => {
  t.throws(() => createFollower(REFS[0], { window: 4 }), /window must be an integer >= 16/);
  t.throws(() => createFollower(REFS[0], { window: 100.5 }), RangeError);
});
