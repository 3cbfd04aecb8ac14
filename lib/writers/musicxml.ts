// MusicXML 4.0, partwise (w3.org/2021/06/musicxml40): one part, one voice. Built as a tree and
// serialised by fast-xml-parser's builder, which escapes text and attributes; child order follows
// the schema's sequences (a <note>: pitch or rest, duration, tie, voice, type, dot, accidental,
// time-modification, notations), which notation programs rely on.
import { XMLBuilder } from 'fast-xml-parser';
import { signatureAlter } from '../score/key.js';
import { DIVISIONS_PER_QUARTER, type WrittenNote } from '../score/notate.js';
import type { Score } from '../score/score.js';

const DOCTYPE = '<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML 4.0 Partwise//EN" ' +
  '"http://www.musicxml.org/dtds/partwise.dtd">';
const ACCIDENTALS: Record<number, string> = {
  [-2]: 'flat-flat', [-1]: 'flat', 0: 'natural', 1: 'sharp', 2: 'double-sharp',
};
/** Below this median pitch the part is written in the bass clef (MIDI 57 = A3). */
const BASS_CLEF_BELOW = 57;

type XmlNode = Record<string, unknown>;

function noteNode(n: WrittenNote, accidental: string | null): XmlNode {
  const node: XmlNode = {};
  if (n.pitch === null || !n.spelling) node.rest = '';
  else {
    const { step, alter, octave } = n.spelling;
    node.pitch = alter ? { step, alter, octave } : { step, octave };
  }
  node.duration = n.duration;
  const ties = [...(n.tieStop ? [{ '@_type': 'stop' }] : []), ...(n.tieStart ? [{ '@_type': 'start' }] : [])];
  if (ties.length) node.tie = ties;
  node.voice = 1;
  node.type = n.type;
  if (n.dots) node.dot = Array.from({ length: n.dots }, () => '');
  if (accidental) node.accidental = accidental;
  if (n.triplet) {
    node['time-modification'] = { 'actual-notes': 3, 'normal-notes': 2 };
  }
  const notations: XmlNode = {};
  if (ties.length) notations.tied = ties;
  const tuplet = [...(n.triplet?.start ? [{ '@_type': 'start', '@_bracket': 'yes' }] : []),
    ...(n.triplet?.stop ? [{ '@_type': 'stop' }] : [])];
  if (tuplet.length) notations.tuplet = tuplet;
  if (Object.keys(notations).length) node.notations = notations;
  return node;
}

export function renderMusicXml(score: Score): string {
  const pitches = score.events.flatMap((e) => (e.pitch === null ? [] : [e.pitch])).sort((a, b) => a - b);
  const bass = pitches.length > 0 && pitches[pitches.length >> 1] < BASS_CLEF_BELOW;
  const measures = score.measures.map((m, i) => {
    const node: XmlNode = { '@_number': String(m.number) };
    if (m.number === 0) node['@_implicit'] = 'yes';
    if (i === 0) {
      node.attributes = {
        divisions: DIVISIONS_PER_QUARTER,
        key: { fifths: score.key.fifths, mode: score.key.mode },
        time: { beats: score.meter.beats, 'beat-type': score.meter.beatType },
        clef: bass ? { sign: 'F', line: 4 } : { sign: 'G', line: 2 },
      };
      const compound = score.meter.beatType === 8 && score.meter.beats % 3 === 0;
      node.direction = {
        '@_placement': 'above',
        'direction-type': {
          metronome: compound
            ? { 'beat-unit': 'quarter', 'beat-unit-dot': '', 'per-minute': Math.round(score.tempo / 1.5) }
            : { 'beat-unit': 'quarter', 'per-minute': Math.round(score.tempo) },
        },
        sound: { '@_tempo': Math.round(score.tempo * 100) / 100 },
      };
    }
    // Accidentals shown where the pitch differs from the signature or from earlier in the bar.
    const inForce = new Map<string, number>();
    node.note = m.notes.map((n) => {
      let accidental: string | null = null;
      if (n.spelling && n.pitch !== null && !n.tieStop) {
        const where = `${n.spelling.step}${n.spelling.octave}`;
        const current = inForce.get(where) ?? signatureAlter(n.spelling.step, score.key.fifths);
        if (current !== n.spelling.alter) accidental = ACCIDENTALS[n.spelling.alter] ?? null;
        inForce.set(where, n.spelling.alter);
      }
      return noteNode(n, accidental);
    });
    if (i === score.measures.length - 1) node.barline = { '@_location': 'right', 'bar-style': 'light-heavy' };
    return node;
  });
  const doc = {
    'score-partwise': {
      '@_version': '4.0',
      work: { 'work-title': score.title },
      identification: { encoding: { software: 'melodyfilter' } },
      'part-list': {
        'score-part': {
          '@_id': 'P1', 'part-name': 'Melody',
          'score-instrument': { '@_id': 'P1-I1', 'instrument-name': 'Piano' },
          'midi-instrument': { '@_id': 'P1-I1', 'midi-channel': 1, 'midi-program': 1 },
        },
      },
      part: { '@_id': 'P1', measure: measures },
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true,
  });
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n${DOCTYPE}\n${builder.build(doc)}`;
}
