// The compact tune notation of examples/tunes.txt: `NAME BPM: NOTE[:BEATS] ...`, a note without
// :BEATS lasting as long as the one before it, `r:BEATS` a rest.
import { parseNoteName } from '../notes.js';

export interface Tune {
  name: string;
  bpm: number;
  notes: { pitch: number; start: number; end: number }[];
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
    const m = /^([\w.-]+)\s+(\d+(?:\.\d+)?)\s*:(.*)$/.exec(line);
    if (!m) throw new Error(`${where}: expected "NAME BPM: NOTES", got ${JSON.stringify(line.slice(0, 40))}`);
    const bpm = Number(m[2]), secondsPerBeat = 60 / bpm;
    const notes: Tune['notes'] = [];
    let beats = 1, t = 0;
    for (const token of m[3].trim().split(/\s+/)) {
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
      }
      t += seconds;
    }
    tunes.push({ name: m[1], bpm, notes });
  });
  return tunes;
}
