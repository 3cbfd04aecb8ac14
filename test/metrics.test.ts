import t from 'tap';
import { matchNotes, addMelody, emptyCounts, scores, repeatedFound } from '../lib/eval/metrics.js';

const n = (pitch: number, start: number, end: number) => ({ pitch, start, end });

t.test('onset within 50 ms and the same pitch match; others do not', async (t) => {
  const ref = [n(60, 1.0, 1.5), n(62, 2.0, 2.5), n(64, 3.0, 3.5)];
  const est = [n(60, 1.05, 1.4), n(62, 2.051, 2.5), n(65, 3.0, 3.5)];
  t.same(matchNotes(ref, est), [[0, 0]], '50 ms exactly is a match; 51 ms and a wrong pitch are not');
});

t.test('matching is maximum, not greedy', async (t) => {
  // est0 could take ref0 or ref1; greedy by order would take ref0 and leave est1 unmatched.
  const ref = [n(60, 1.0, 1.1), n(60, 1.04, 1.2)];
  const est = [n(60, 1.02, 1.1), n(60, 0.97, 1.1)];
  t.equal(matchNotes(ref, est).length, 2);
});

t.test('offsets: within max(50 ms, 20% of the reference length)', async (t) => {
  const ref = [n(60, 0, 1.0), n(62, 2, 2.1)];
  const est = [n(60, 0, 1.19), n(62, 2, 2.16)];
  t.same(matchNotes(ref, est, { withOffsets: true }), [[0, 0]],
    '0.19 s on a 1 s note is inside 20%; 60 ms on a 100 ms note is outside 50 ms');
});

t.test('hand-worked precision, recall, F1, exact share and onset error', async (t) => {
  const c = emptyCounts();
  addMelody(c, [n(60, 0, 0.5), n(62, 0.5, 1)], [n(60, 0.01, 0.5), n(62, 0.53, 1)]); // exact
  // 2 of 3 right, offset of 62 wrong
  addMelody(c, [n(60, 0, 0.5), n(62, 0.5, 1)], [n(60, 0.02, 0.5), n(67, 0.5, 1), n(62, 0.5, 0.6)]);
  const s = scores(c);
  t.equal(c.ref, 4); t.equal(c.est, 5); t.equal(c.matched, 4); t.equal(c.matchedWithOffsets, 3);
  t.equal(s.precision, 4 / 5); t.equal(s.recall, 1);
  t.ok(Math.abs(s.f1 - (2 * 0.8) / 1.8) < 1e-12);
  t.equal(s.exactShare, 0.5);
  t.ok(Math.abs(s.meanOnsetErrorMs - (10 + 30 + 20 + 0) / 4) < 1e-9);
  t.ok(Math.abs(s.meanOnsetBiasMs - (10 + 30 + 20 + 0) / 4) < 1e-9, "all late here, so bias equals error");
});

t.test('repeated notes are counted found only when matched separately', async (t) => {
  const ref = [n(60, 0, 0.2), n(60, 0.25, 0.45), n(60, 0.5, 0.7), n(62, 0.8, 1)];
  const est = [n(60, 0, 0.45), n(60, 0.5, 0.7), n(62, 0.8, 1)]; // first two merged
  t.same(repeatedFound(ref, est), { repeated: 2, found: 1 });
});

t.test('no notes at all is perfect; notes where none were played is not', async (t) => {
  t.equal(scores(emptyCounts()).f1, 1);
  const c = emptyCounts();
  addMelody(c, [], [n(60, 0, 1)]);
  t.equal(scores(c).precision, 0);
});
