// Practice runs of a melody as note lists: a key, a drifting tempo, jittered onsets and the mistakes
// players make. Shared by scripts/follow-check.ts (how well --follow tells the tune) and the tests.
import type { Melody, PlayedNote } from '../match/melody.js';
import { gaussian, intIn, pick, uniform, type Rng } from './random.js';

export const ERRORS = ['wrong', 'missed', 'extra', 'repeated bar'] as const;
export type ErrorKind = (typeof ERRORS)[number];

/** A melody performed: transposed, at `speed` drifting by `drift` over it, onsets jittered, each
 *  note held `legato` of the way to the next. */
export function perform(rng: Rng, m: Melody): PlayedNote[] {
  const transpose = intIn(rng, -6, 6), speed = uniform(rng, 0.7, 1.4), drift = uniform(rng, -0.15, 0.15);
  const legato = uniform(rng, 0.6, 0.95), n = m.pitches.length;
  const out: PlayedNote[] = [];
  let t = 0.5;
  for (let i = 0; i < n; i++) {
    if (i) t += (m.onsets[i] - m.onsets[i - 1]) / (speed * (1 + (drift * i) / n));
    out.push({ pitch: m.pitches[i] + transpose, start: t + (i ? 0.01 * gaussian(rng) : 0) });
  }
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? out[i + 1].start : out[i].start + 0.5;
    out[i].end = out[i].start + legato * (next - out[i].start);
  }
  return out;
}

/** One error, away from the first four notes (the follower's opening context) and the last. */
export function addError(rng: Rng, notes: PlayedNote[], kind: ErrorKind): void {
  const i = intIn(rng, 4, notes.length - 2);
  const n = notes[i];
  switch (kind) {
    case 'wrong': notes[i] = { ...n, pitch: n.pitch + pick(rng, [-2, -1, 1, 2]) }; break;
    case 'missed': notes.splice(i, 1); break;
    case 'extra': {
      const start = (notes[i - 1].start + n.start) / 2;
      notes.splice(i, 0, { pitch: n.pitch + pick(rng, [-12, -5, -3, -1, 1, 2, 4, 7]), start, end: n.start - 0.02 });
      break;
    }
    case 'repeated bar': {
      // Notes i-k..i again, in their own timing, starting `breath` after note i+1 was due; then on
      // from note i+1, everything after later by as much.
      const k = intIn(rng, 4, Math.min(8, i)), breath = uniform(rng, 0.3, 1);
      const shift = notes[i + 1].start - notes[i - k].start + breath;
      const again = notes.slice(i - k, i + 1)
        .map((x) => ({ pitch: x.pitch, start: x.start + shift, end: x.end! + shift }));
      for (let q = i + 1; q < notes.length; q++) {
        notes[q] = { ...notes[q], start: notes[q].start + shift, end: notes[q].end! + shift };
      }
      notes.splice(i + 1, 0, ...again);
      break;
    }
  }
}
