// ABC 2.1 (abcnotation.com/wiki/abc:standard:v2.1): one tune, `X: T: M: L: Q: K:` then the bars.
// The unit note length is an eighth; accidentals follow the key signature and last to the bar line,
// as the standard says, so each is written where it changes.
import { signatureAlter, tonicName, type Spelling } from '../score/key.js';
import { barDivisions, beatDivisions, DIVISIONS_PER_QUARTER, type WrittenNote } from '../score/notate.js';
import type { Score } from '../score/score.js';

/** L:1/8: lengths are multiples of an eighth note (6 divisions). */
const UNIT_DIVISIONS = DIVISIONS_PER_QUARTER / 2;
const BARS_PER_LINE = 4;

/** A header field's text: one line, no '%' (a comment in ABC). */
function fieldText(s: string): string {
  return s.replace(/[\r\n%]+/g, ' ').trim() || 'untitled';
}

function length(divisions: number): string {
  const n = divisions / UNIT_DIVISIONS;
  if (n === 1) return '';
  if (Number.isInteger(n)) return String(n);
  if (n === 0.5) return '/';
  if (n === 0.25) return '//';
  if (Number.isInteger(n * 2)) return `${n * 2}/2`;
  return `${n * 4}/4`;
}

function pitchText(s: Spelling, alter: number | null): string {
  const accidental = alter === null ? '' : ['__', '_', '=', '^', '^^'][alter + 2];
  const letter = s.octave >= 5 ? s.step.toLowerCase() : s.step;
  const marks = s.octave >= 5 ? "'".repeat(s.octave - 5) : ','.repeat(4 - s.octave);
  return accidental + letter + marks;
}

/** The tempo as ABC writes it: the beat's length = beats a minute. */
function tempoField(score: Score): string {
  const compound = score.meter.beatType === 8 && score.meter.beats % 3 === 0;
  return compound ? `3/8=${Math.round(score.tempo / 1.5)}` : `1/4=${Math.round(score.tempo)}`;
}

export function renderAbc(score: Score): string {
  const key = tonicName(score.key) + (score.key.mode === 'minor' ? 'm' : '');
  const head = [
    'X:1', `T:${fieldText(score.title)}`, `M:${score.meter.beats}/${score.meter.beatType}`, 'L:1/8',
    `Q:${tempoField(score)}`,
    // abcm2ps: lay the staves out itself rather than one staff per line of bars (no warnings for
    // lines it would otherwise have to stretch). Other readers skip %% directives.
    '%%continueall 1',
    `K:${key}`,
  ];
  const bars: string[] = [];
  const beat = beatDivisions(score.meter), bar = barDivisions(score.meter);
  for (const measure of score.measures) {
    // Beams break at each beat (notes not separated by a space are beamed); a pickup bar's beats
    // count from its end.
    let at = measure.number === 0 ? bar - measure.duration : 0;
    // Alterations in force in this bar, by letter and octave (ABC 2.1 §4.2: to the end of the bar).
    const inForce = new Map<string, number>();
    let text = '';
    let tripletLeft = 0;
    measure.notes.forEach((n: WrittenNote, i) => {
      if (n.triplet?.start) {
        // (p:q:r — p notes in the time of q, for the next r notes.
        let r = 0;
        for (let j = i; j < measure.notes.length; j++) { r++; if (measure.notes[j].triplet?.stop) break; }
        text += r === 3 && measure.notes.slice(i, i + 3).every((m) => m.duration === n.duration) ? '(3' : `(3:2:${r}`;
        tripletLeft = r;
      }
      // Inside a tuplet the written length is the plain value's: 3 triplet eighths are written as eighths.
      const written = n.triplet ? (n.duration * 3) / 2 : n.duration;
      if (n.pitch === null || !n.spelling) {
        text += `z${length(written)}`;
      } else {
        const s = n.spelling, where = `${s.step}${s.octave}`;
        const current = inForce.get(where) ?? signatureAlter(s.step, score.key.fifths);
        text += pitchText(s, s.alter === current ? null : s.alter) + length(written);
        // A tied note's accidental is not carried on by every reader (abcjs drops it): the notes
        // after it say theirs again.
        if (!n.tieStop) inForce.set(where, s.alter);
        if (n.tieStart) text += '-';
      }
      if (tripletLeft > 0) tripletLeft--;
      at += n.duration;
      if (at % beat === 0 && tripletLeft === 0) text += ' ';
    });
    bars.push(text.trim());
  }
  const lines: string[] = [];
  for (let i = 0; i < bars.length; i += BARS_PER_LINE) {
    const last = i + BARS_PER_LINE >= bars.length;
    lines.push(bars.slice(i, i + BARS_PER_LINE).join(' | ') + (last ? ' |]' : ' |'));
  }
  return [...head, ...lines].join('\n') + '\n';
}
