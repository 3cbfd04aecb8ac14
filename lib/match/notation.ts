// The compact tune notation of examples/tunes.txt: `NAME BPM [METER KEY [+PICKUP]]: NOTE[:BEATS] ...`,
// a note without :BEATS lasting as long as the one before it, `r:BEATS` a rest; BPM and BEATS count
// quarter notes.
import { parseNoteName } from '../music.js';
import { findKey, keyOf, parseKey, spell } from '../score/key.js';
import { DIVISIONS_PER_QUARTER, notate, type Meter, type ScoreEvent } from '../score/notate.js';
import type { Score } from '../score/score.js';
import { renderAbc } from '../writers/abc.js';

export interface Tune {
  name: string;
  bpm: number;
  notes: { pitch: number; start: number; end: number }[];
  /** As written: each note's place and length in quarter notes from the first note. */
  written: { pitch: number; beat: number; beats: number }[];
  /** The written metre, key ('D', 'F#m') and pickup (quarter notes before the first bar line). */
  meter?: { beats: number; beatType: number };
  key?: string;
  pickup: number;
}

/** Share of each note's beat that sounds: a little detached, as tunes are played and as our
 *  references are entered. */
const ARTICULATION = 0.9;

export function parseTunes(text: string): Tune[] {
  const tunes: Tune[] = [];
  text.split('\n').forEach((raw, lineNo) => {
    const line = raw.trim().startsWith('#') ? '' : raw.trim(); // '#' also spells sharps
    if (!line) return;
    const where = `line ${lineNo + 1}`;
    const m = /^([\w.-]+)\s+(\d+(?:\.\d+)?)(?:\s+(\d+)\/(\d+)\s+([A-G][#b]?m?)(?:\s+\+(\d*\.?\d+))?)?\s*:(.*)$/
      .exec(line);
    if (!m) {
      const got = JSON.stringify(line.slice(0, 40));
      throw new Error(`${where}: expected "NAME BPM [METER KEY [+PICKUP]]: NOTES", got ${got}`);
    }
    const bpm = Number(m[2]), secondsPerBeat = 60 / bpm;
    const notes: Tune['notes'] = [], written: Tune['written'] = [];
    let beats = 1, t = 0, beat = 0;
    for (const token of m[7].trim().split(/\s+/)) {
      const [name, len] = token.split(':');
      if (len !== undefined) {
        beats = Number(len);
        if (!(beats > 0)) throw new Error(`${where}: bad length in ${token}`);
      }
      const seconds = beats * secondsPerBeat;
      if (name !== 'r') {
        const pitch = parseNoteName(name);
        if (!Number.isInteger(pitch)) throw new Error(`${where}: bad note ${token}`);
        notes.push({ pitch, start: t, end: t + seconds * ARTICULATION });
        written.push({ pitch, beat, beats });
      }
      t += seconds;
      beat += beats;
    }
    const meter = m[3] ? { beats: Number(m[3]), beatType: Number(m[4]) } : undefined;
    tunes.push({ name: m[1], bpm, notes, written, meter, key: m[5], pickup: Number(m[6] ?? 0) });
  });
  return tunes;
}

/** A tune as a score, exactly as written: its metre, key, pickup, tempo and note values (references
 *  in ABC and MusicXML). A tune without a metre is read as 4/4. */
export function tuneScore(tune: Tune, transpose = 0): Score {
  const written = tune.key ? parseKey(tune.key) : null;
  const key = written ? keyOf(written.tonic + transpose, written.mode) : findKey(tune.written.map((w) =>
    ({ pitch: w.pitch + transpose, weight: w.beats })));
  const meter = (tune.meter ?? { beats: 4, beatType: 4 }) as Meter;
  const events: ScoreEvent[] = [];
  for (const w of tune.written) {
    const start = Math.round(w.beat * DIVISIONS_PER_QUARTER), end = events.length ? events[events.length - 1].start +
      events[events.length - 1].duration : 0;
    if (start > end) events.push({ start: end, duration: start - end, pitch: null });
    const pitch = w.pitch + transpose;
    events.push({ start, duration: Math.round(w.beats * DIVISIONS_PER_QUARTER), pitch, spelling: spell(pitch, key) });
  }
  const pickup = Math.round(tune.pickup * DIVISIONS_PER_QUARTER);
  return {
    title: tune.name, tempo: tune.bpm, meter, key, pickup, events, measures: notate(events, meter, pickup),
    offsetSeconds: 0,
  };
}

/** The tunes as one ABC tune book, `X:1` … in order. */
export function tuneBook(tunes: readonly Tune[]): string {
  return tunes.map((t, i) => renderAbc(tuneScore(t)).replace(/^X:1\n/, `X:${i + 1}\n`)).join('\n');
}
