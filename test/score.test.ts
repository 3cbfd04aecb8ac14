// Reading timed notes as a score (lib/score): key and spelling, beats and metre, bars and values.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTunes, type Tune } from '../lib/match/notation.js';
import { findKey, keyOf, parseKey, spell, tonicName, type Key } from '../lib/score/key.js';
import { barDivisions, notate, type ScoreEvent } from '../lib/score/notate.js';
import { readScore } from '../lib/score/score.js';
import { makeRng, uniform } from '../lib/synth/random.js';
import { ROOT } from './helpers.js';

const TUNES = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'));
const tune = (name: string) => TUNES.find((x) => x.name === name)!;
const STEP: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** A tune played as written: `bpm` quarter notes a minute, notes held 90% of their value. */
function played(x: Tune, bpm: number, opts: { transpose?: number; jitter?: number; seed?: number } = {}) {
  const rng = makeRng(opts.seed ?? 1), spq = 60 / bpm, j = opts.jitter ?? 0;
  return x.written.map((w) => ({
    pitch: w.pitch + (opts.transpose ?? 0),
    start: 1 + w.beat * spq + (j ? uniform(rng, -j, j) : 0), end: 1 + (w.beat + w.beats * 0.9) * spq,
  }));
}

t.test('every pitch spelled in every key names that pitch, in the octave it sounds', async (t) => {
  let wrong = 0;
  for (const mode of ['major', 'minor'] as const) {
    for (let tonic = 0; tonic < 12; tonic++) {
      const key = keyOf(tonic, mode);
      for (let pitch = 21; pitch <= 108; pitch++) {
        const s = spell(pitch, key);
        if (12 * (s.octave + 1) + STEP[s.step] + s.alter !== pitch || Math.abs(s.alter) > 1) wrong++;
      }
    }
  }
  t.equal(wrong, 0);
});

t.test('spelling follows the key: F# in D major, Gb in Db major, Bb in F major, G# in A minor', async (t) => {
  const name = (pitch: number, key: Key) => {
    const s = spell(pitch, key); return s.step + ['bb', 'b', '', '#', '##'][s.alter + 2];
  };
  t.equal(name(66, keyOf(2, 'major')), 'F#');
  t.equal(name(66, keyOf(1, 'major')), 'Gb');
  t.equal(name(70, keyOf(5, 'major')), 'Bb');
  t.equal(name(68, keyOf(9, 'minor')), 'G#');
  t.equal(name(61, keyOf(2, 'major')), 'C#');
  t.equal(tonicName(keyOf(10, 'major')), 'Bb');
  t.equal(tonicName(keyOf(6, 'minor')), 'F#');
  t.same(keyOf(2, 'major').fifths, 2);
  t.same(keyOf(9, 'minor').fifths, 0);
  t.same(keyOf(3, 'minor').fifths, -6, 'E♭ minor: six flats');
});

t.test('--key text: tonic, accidental and mode', async (t) => {
  t.match(parseKey('D'), { tonic: 2, mode: 'major', fifths: 2 });
  t.match(parseKey('F#m'), { tonic: 6, mode: 'minor', fifths: 3 });
  t.match(parseKey('Bb minor'), { tonic: 10, mode: 'minor', fifths: -5 });
  t.match(parseKey('c#'), { tonic: 1, mode: 'minor', fifths: 4 });
  t.match(parseKey('C# major'), { tonic: 1, mode: 'major', fifths: 7 }, 'C# major keeps its sharps');
  t.equal(parseKey('H'), null);
  t.equal(parseKey('Dorian'), null);
});

t.test('the key follows a transposition', async (t) => {
  for (const name of ['ode-to-joy', 'greensleeves', 'amazing-grace']) {
    const x = tune(name), want = parseKey(x.key!)!;
    for (let shift = -6; shift <= 5; shift++) {
      const key = findKey(x.written.map((w) => ({ pitch: w.pitch + shift, weight: w.beats })));
      t.same([key.tonic, key.mode], [(want.tonic + shift + 12) % 12, want.mode], `${name} ${shift}`);
    }
  }
});

t.test('notate: bars are full, values add up, ties join one pitch, triplets fill a beat', async (t) => {
  const rng = makeRng(5);
  for (const meter of [{ beats: 4, beatType: 4 }, { beats: 3, beatType: 4 }, { beats: 6, beatType: 8 }] as const) {
    for (let trial = 0; trial < 20; trial++) {
      // Random events on the sixteenth grid (triplets in simple time: whole beats of thirds).
      const events: ScoreEvent[] = [];
      let at = 0;
      while (at < 200) {
        const triplet = meter.beatType === 4 && at % 12 === 0 && rng() < 0.15;
        const lengths = triplet ? [4, 4, 4] : [[3, 6, 9, 12, 18, 24, 36][Math.floor(rng() * 7)]];
        for (const d of lengths) {
          events.push({ start: at, duration: d, pitch: rng() < 0.1 ? null : 60 + Math.floor(rng() * 12) });
          at += d;
        }
      }
      const bar = barDivisions(meter);
      const pickup = [0, 3, 12][trial % 3] % bar;
      const measures = notate(events, meter, pickup);
      const total = measures.reduce((s, m) => s + m.notes.reduce((a, n) => a + n.duration, 0), 0);
      t.equal(total, at, `${meter.beats}/${meter.beatType}: every division written once`);
      const inner = measures.slice(pickup ? 1 : 0, -1);
      t.ok(inner.every((m) => m.notes.reduce((a, n) => a + n.duration, 0) === bar), 'inner bars full');
      const notes = measures.flatMap((m) => m.notes);
      t.ok(notes.every((n, i) => !n.tieStart || (notes[i + 1]?.tieStop && notes[i + 1].pitch === n.pitch)), 'ties');
      const groups = notes.filter((n) => n.triplet?.start).length, stops = notes.filter((n) => n.triplet?.stop).length;
      t.equal(groups, stops, 'each triplet group closed');
      if (meter.beatType === 8) t.equal(groups, 0, 'no triplets in compound time');
    }
  }
});

t.test('a tune played as written reads back as written', async (t) => {
  for (const [name, bpm] of [['ode-to-joy', 120], ['amazing-grace', 90], ['minuet-in-g', 110],
    ['row-row-row', 100]] as const) {
    const x = tune(name);
    const score = readScore(played(x, bpm), { title: name });
    t.equal(`${score.meter.beats}/${score.meter.beatType}`, `${x.meter!.beats}/${x.meter!.beatType}`, `${name}: metre`);
    t.ok(Math.abs(score.tempo / bpm - 1) < 0.02, `${name}: tempo ${score.tempo.toFixed(1)} for ${bpm}`);
    t.equal(tonicName(score.key) + (score.key.mode === 'minor' ? 'm' : ''), x.key, `${name}: key`);
    t.equal(score.pickup, x.pickup * 12, `${name}: pickup`);
    const notes = score.events.filter((e) => e.pitch !== null);
    t.same(notes.map((e) => e.pitch), x.written.map((w) => w.pitch), `${name}: pitches`);
    // Every note's written value but the last (a final note lasts to its beat): as in the tune.
    t.same(notes.slice(0, -1).map((e) => e.duration / 12), x.written.slice(0, -1).map((w) => w.beats),
      `${name}: values`);
  }
});

t.test('timing jitter and a transposition leave the reading alone', async (t) => {
  const x = tune('ode-to-joy');
  const clean = readScore(played(x, 120));
  const rough = readScore(played(x, 120, { jitter: 0.03, transpose: 3, seed: 9 }));
  t.same(rough.events.map((e) => e.duration), clean.events.map((e) => e.duration));
  t.equal(rough.key.tonic, 3, 'E♭ major');
  t.equal(rough.key.fifths, -3);
});

t.test('the user\'s metre and key win', async (t) => {
  const x = tune('ode-to-joy');
  const score = readScore(played(x, 120), { meter: { beats: 3, beatType: 4 }, key: parseKey('Am')! });
  t.same(score.meter, { beats: 3, beatType: 4 });
  t.same([score.key.tonic, score.key.mode], [9, 'minor']);
  t.ok(score.measures.slice(score.pickup ? 1 : 0, -1).every((m) => m.duration === 36), 'bars of three quarters');
});

t.test('rests where the player stops; nothing heard is one bar of rest', async (t) => {
  const x = tune('eine-kleine-nachtmusik'); // G4:1 r:.5 D4:.5 ...
  const score = readScore(played(x, 130));
  t.ok(score.events.some((e) => e.pitch === null && e.duration === 6), 'an eighth rest');
  const empty = readScore([]);
  t.equal(empty.measures.length, 1);
  t.same(empty.measures[0].notes.map((n) => n.pitch), [null]);
});
