// LilyPond (lilypond.org, 2.24): absolute pitches in Dutch note names (c' = middle C, fis = F♯,
// bes = B♭), one voice with its key, time, tempo and \partial; bar checks (|) after every bar so
// that lilypond itself says so if a bar came out the wrong length.
import { tonicName } from '../score/key.js';
import { barDivisions, DIVISIONS_PER_QUARTER, type WrittenNote } from '../score/notate.js';
import type { Score } from '../score/score.js';

export const LILYPOND_VERSION = '2.24.0';
const BASS_CLEF_BELOW = 57;
const DURATION: Record<WrittenNote['type'], number> = { whole: 1, half: 2, quarter: 4, eighth: 8, '16th': 16 };

function stringText(s: string): string {
  return s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

function noteName(step: string, alter: number): string {
  const letter = step.toLowerCase();
  if (alter >= 0) return letter + 'is'.repeat(alter);
  // Dutch flats: es, as (not ees, aes); the rest add -es.
  if (letter === 'e' || letter === 'a') return letter + 's' + 'es'.repeat(-alter - 1);
  return letter + 'es'.repeat(-alter);
}

function pitchText(n: WrittenNote): string {
  if (n.pitch === null || !n.spelling) return 'r';
  const { step, alter, octave } = n.spelling;
  const marks = octave >= 3 ? "'".repeat(octave - 3) : ','.repeat(3 - octave);
  return noteName(step, alter) + marks;
}

/** A duration in divisions as LilyPond's: 4, 8., 2 … (for \partial). */
function durationText(divisions: number): string {
  for (const [base, value] of [[48, 1], [24, 2], [12, 4], [6, 8], [3, 16]] as const) {
    if (divisions === base) return String(value);
    if (divisions === base * 1.5) return `${value}.`;
  }
  // Anything else as a multiplied duration: sixteenths (16*5), or quarters times a fraction.
  if (divisions % 3 === 0) return `16*${divisions / 3}`;
  const g = gcd(divisions, DIVISIONS_PER_QUARTER);
  return `4*${divisions / g}/${DIVISIONS_PER_QUARTER / g}`;
}

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

export function renderLilypond(score: Score): string {
  const pitches = score.events.flatMap((e) => (e.pitch === null ? [] : [e.pitch])).sort((a, b) => a - b);
  const bass = pitches.length > 0 && pitches[pitches.length >> 1] < BASS_CLEF_BELOW;
  const tonic = tonicName(score.key);
  const tonicLy = noteName(tonic[0], tonic.length > 1 ? (tonic[1] === '#' ? 1 : -1) : 0);
  const compound = score.meter.beatType === 8 && score.meter.beats % 3 === 0;
  const tempo = compound ? `4. = ${Math.round(score.tempo / 1.5)}` : `4 = ${Math.round(score.tempo)}`;
  const body: string[] = [
    `\\clef ${bass ? 'bass' : 'treble'}`, `\\key ${tonicLy} \\${score.key.mode}`,
    `\\time ${score.meter.beats}/${score.meter.beatType}`, `\\tempo ${tempo}`,
  ];
  const first = score.measures[0];
  if (first && first.number === 0 && first.duration < barDivisions(score.meter)) {
    body.push(`\\partial ${durationText(first.duration)}`);
  }
  for (const m of score.measures) {
    let text = '';
    for (const n of m.notes) {
      if (n.triplet?.start) text += '\\tuplet 3/2 { ';
      text += `${pitchText(n)}${DURATION[n.type]}${'.'.repeat(n.dots)}${n.tieStart && n.pitch !== null ? '~' : ''} `;
      if (n.triplet?.stop) text += '} ';
    }
    // A bar check only after a full bar: the last bar may be short, and a check there would warn.
    const full = m.number === 0 || m.duration === barDivisions(score.meter);
    body.push(full ? `${text}|` : text.trimEnd());
  }
  body.push('\\bar "|."');
  return [
    `\\version "${LILYPOND_VERSION}"`,
    `\\header { title = "${stringText(score.title)}" tagline = ##f }`,
    '\\score {',
    '  {',
    ...body.map((l) => `    ${l}`),
    '  }',
    '  \\layout { }',
    '  \\midi { }',
    '}',
    '',
  ].join('\n');
}
