// ABC references (abcnotation.com, standard 2.1): a tune or a tune book, one melody per `X:` tune,
// read by abcjs (the parser behind most ABC on the web; it runs in Node without a page). Repeats
// are played out and ties joined by abcjs's own sequencer; the first voice is the melody, its
// chords' top note.
import { createRequire } from 'node:module';
import type { TimedNote } from '../notes.js';

export interface AbcTune {
  /** The `X:` number, or the tune's place in the file when it has none. */
  number: string;
  title: string;
  notes: TimedNote[];
  /** abcjs's complaints about the tune, without its HTML. */
  warnings: string[];
}

/** abcjs's own default when a tune has no `Q:`: a quarter note at 120 a minute. */
const DEFAULT_QUARTER_BPM = 120;

interface AbcjsTune {
  metaText: { title?: string; tempo?: { duration?: number[]; bpm?: number } };
  warnings?: string[];
  setUpAudio(): { tracks: { cmd: string; pitch?: number; start?: number; duration?: number }[][] };
}

/** Whether a text is ABC at all: a tune starts with an `X:` line (a book may have a header first). */
export function looksLikeAbc(text: string): boolean {
  return /^X:\s*\d*/m.test(text) && /^K:/m.test(text);
}

export function parseAbc(text: string): AbcTune[] {
  // abcjs is CommonJS and large: loaded only when an ABC reference is read.
  const abcjs = createRequire(import.meta.url)('abcjs') as { parseOnly(abc: string): AbcjsTune[] };
  const numbers = [...text.matchAll(/^X:\s*(\S*)/gm)].map((m) => m[1]);
  return abcjs.parseOnly(text).map((tune, i) => {
    const tempo = tune.metaText.tempo;
    const beatWholes = tempo?.duration?.reduce((a, b) => a + b, 0) || 0.25;
    const secondsPerWhole = tempo?.bpm ? 60 / tempo.bpm / beatWholes : (60 / DEFAULT_QUARTER_BPM) * 4;
    const firstVoice = tune.setUpAudio().tracks[0] ?? [];
    const notes: TimedNote[] = firstVoice.filter((e) => e.cmd === 'note' && e.pitch !== undefined).map((e) => ({
      pitch: e.pitch!, start: e.start! * secondsPerWhole, end: (e.start! + e.duration!) * secondsPerWhole,
    }));
    return {
      number: numbers[i] || String(i + 1), title: tune.metaText.title ?? '', notes,
      warnings: (tune.warnings ?? []).map((w) => w.replace(/<[^>]*>/g, '')),
    };
  });
}
