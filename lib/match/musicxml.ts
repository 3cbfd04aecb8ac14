// MusicXML references (partwise, as MuseScore, Finale, Dorico and Sibelius export it, and as
// melodyfilter writes it): the top voice of one part, ties joined, grace notes left out.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { TimedNote } from '../notes.js';

export interface MusicXmlPart {
  id: string;
  name: string;
  notes: TimedNote[];
}

/** No <sound tempo>: a quarter note at 120 a minute, MusicXML's default. */
const DEFAULT_QUARTER_BPM = 120;
const STEP_PITCH: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

type Node = Record<string, unknown>;
const ARRAYS = new Set(['part', 'measure', 'note', 'score-part', 'tie', 'direction', 'sound', 'attributes']);

function list(v: unknown): Node[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]) as Node[];
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return text((v as Node)['#text']);
  return String(v);
}

/** Why a text is not a partwise MusicXML score, or null when it is one. */
export function musicXmlProblem(doc: Node): string | null {
  if (doc['score-timewise']) {
    return 'a timewise MusicXML score (only partwise is read: convert it in a notation program)';
  }
  if (!doc['score-partwise']) return 'not a MusicXML score (no <score-partwise> element)';
  return null;
}

export function parseMusicXml(xml: string): { parts: MusicXmlPart[]; problem: string | null } {
  const parser = new XMLParser({
    ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => ARRAYS.has(name),
    processEntities: true, parseTagValue: false,
  });
  // The parser is lenient (an unclosed element is closed for it): a file cut short must not read
  // as a shorter tune.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return { parts: [], problem: `not well-formed XML (line ${valid.err.line}: ${valid.err.msg.split('\n')[0]})` };
  }
  const doc = parser.parse(xml) as Node;
  const problem = musicXmlProblem(doc);
  if (problem) return { parts: [], problem };
  const score = doc['score-partwise'] as Node;
  const names = new Map(list((score['part-list'] as Node | undefined)?.['score-part'])
    .map((p) => [text(p['@_id']), text(p['part-name'])]));
  // The tempo: the first <sound tempo> anywhere in the score (directions or measure level).
  let quarterBpm = DEFAULT_QUARTER_BPM;
  const tempo = /<sound\b[^>]*\btempo="([0-9.]+)"/.exec(xml);
  if (tempo && Number(tempo[1]) > 0) quarterBpm = Number(tempo[1]);
  const secondsPerQuarter = 60 / quarterBpm;
  const parts = list(score.part).map((part) => {
    const id = text(part['@_id']);
    const notes: TimedNote[] = [];
    let divisions = 1, measureStart = 0, voice: string | null = null;
    for (const measure of list(part.measure)) {
      for (const a of list(measure.attributes)) {
        if (a.divisions !== undefined) divisions = Number(text(a.divisions)) || 1;
      }
      // The first voice heard is the melody; its notes follow one another in the measure.
      let at = 0;
      for (const n of list(measure.note)) {
        const v = text(n.voice) || '1';
        voice ??= v;
        if (v !== voice || n.grace !== undefined || n.cue !== undefined) continue;
        const duration = Number(text(n.duration)) || 0;
        const chord = n.chord !== undefined; // sounds with the note before: no time of its own
        const start = at;
        if (!chord) at += duration;
        const p = n.pitch as Node | undefined;
        if (!p || n.rest !== undefined) continue;
        const pitch =
          12 * (Number(text(p.octave)) + 1) + (STEP_PITCH[text(p.step)] ?? NaN) + Number(text(p.alter) || 0);
        if (!Number.isFinite(pitch)) continue;
        const onset = chord
          ? notes[notes.length - 1]?.start ?? 0
          : (measureStart + start) * secondsPerQuarter / divisions;
        const end = onset + (duration * secondsPerQuarter) / divisions;
        const tieStop = list(n.tie).some((t) => text(t['@_type']) === 'stop');
        const last = notes[notes.length - 1];
        if (tieStop && last && last.pitch === pitch) { last.end = end; continue; }
        if (chord && last) {
          // A chord in the melody's voice: its top note.
          if (pitch > last.pitch) notes[notes.length - 1] = { ...last, pitch };
          continue;
        }
        notes.push({ pitch, start: onset, end });
      }
      measureStart += at;
    }
    return { id, name: names.get(id) ?? '', notes };
  });
  return { parts, problem: null };
}
