// Output formats, one entry each: name (the --output value), file extension (--out-dir), whether it
// streams notes as they are known or writes one document at the end, its own flags, and the factory
// of its stage. Adding a format is one writer module plus one entry here (see CONTRIBUTING.md): the
// CLI's -o takes the names here, and its flags and --help take each entry's options.
import path from 'node:path';
import { CONFIG_RANGES, DEFAULTS, UsageError, type Config } from '../config.js';
import type { OptionTable, OptionValues } from '../cli/options.js';
import { parseKey, type Key } from '../score/key.js';
import type { Meter } from '../score/notate.js';
import type { NoteOutput } from '../notes.js';
import { jsonlWriter } from './jsonl.js';
import { MAX_WIDTH_PX, svgWriter } from './svg.js';
import type { ScoreRenderer } from './notation.js';

/** What a writer may need beyond the notes. */
export interface WriterContext {
  cfg: Config;
  /** The input's file name when several inputs share stdout (JSON lines tag each note with it). */
  file?: string;
  /** The notation outputs' title: the input's file name without its extension. */
  title?: string;
  /** The values of the writer's own options that are not Config fields, by target (absent: not given). */
  options: OptionValues;
}

/** A stream stage: batches of notes (or events) → text or bytes for stdout. */
export type WriterStage = (src: AsyncIterable<NoteOutput[]>) => AsyncGenerator<string | Uint8Array>;

export interface Writer {
  name: string;
  /** One line for --help. */
  summary: string;
  /** Extension of the files --out-dir writes. */
  extension: string;
  /** true: writes each note as it is known; false: one whole document when input ends. */
  streaming: boolean;
  /** Several inputs' outputs on stdout would not read as one (no per-note file tag): needs --out-dir. */
  onePerInput: boolean;
  /** Bytes, not text: refused on a terminal unless forced. */
  binary: boolean;
  /** Its own flags (in the Output section of the CLI's --help); a target that is a Config field sets
   *  that field, any other reaches make() in `options`. */
  options?: OptionTable;
  make(ctx: WriterContext): WriterStage;
}

/** --meter: n/4, n/8, n/2 with 1-16 beats. */
function meterOf(v: string): Meter {
  const m = /^\s*(\d{1,2})\s*\/\s*(2|4|8)\s*$/.exec(v);
  const beats = m ? Number(m[1]) : 0;
  if (!m || beats < 1 || beats > 16) {
    throw new UsageError('--meter must be BEATS/UNIT with 1-16 beats of a half, quarter or eighth (3/4, 6/8), ' +
      `got ${JSON.stringify(v)}`);
  }
  const beatType = Number(m[2]);
  // A half-note unit is written as quarters (2/2 reads as 4/4 here): the notation keeps one beat grid.
  return beatType === 2 ? { beats: beats * 2, beatType: 4 } : { beats, beatType: beatType as 4 | 8 };
}

function keyOf(v: string): Key {
  const key = parseKey(v);
  if (!key) {
    throw new UsageError(
      `--key must be a tonic and mode, e.g. D, F#m, Bb minor, c# (minor), got ${JSON.stringify(v)}`);
  }
  return key;
}

const OUTPUT = 'Output';

/** The notation writers' flags, one table they share. */
const NOTATION_OPTIONS: OptionTable = {
  meter: {
    kind: 'string', value: 'M', section: OUTPUT, target: 'meter', parse: meterOf,
    help: 'notation (-o musicxml, abc, ly): the metre, e.g. 3/4 or 6/8\n(default: read from the notes)',
  },
  key: {
    kind: 'string', value: 'KEY', section: OUTPUT, target: 'key', parse: keyOf,
    help: 'notation: the key, e.g. D, F#m, Bb minor (default: read from the notes)',
  },
};

/** A stage whose module is imported when its stream starts, not when the CLI starts: a process pays
 *  for loading a module (~1 ms of CPU each), and a transcription to JSON lines needs none of these. */
function loaded<M>(load: () => Promise<M>, stage: (m: M) => WriterStage): WriterStage {
  return async function* (src) {
    yield* stage(await load())(src);
  };
}

/** A notation format's stage: the user's metre and key, the input's name as title. */
const notation = (load: () => Promise<ScoreRenderer>) => ({ cfg, title }: WriterContext): WriterStage =>
  loaded(() => import('./notation.js'), (m) => m.notationWriter(load, { title, meter: cfg.meter, key: cfg.key }));

export const WRITERS: Record<string, Writer> = {
  jsonl: {
    name: 'jsonl', summary: 'one note per line as it ends', extension: '.jsonl', streaming: true, onePerInput: false,
    binary: false,
    make: ({ file }) => jsonlWriter(file),
  },
  midi: {
    name: 'midi', summary: 'Standard MIDI File when input ends', extension: '.mid', streaming: false, onePerInput: true,
    binary: true,
    options: {
      tempo: {
        kind: 'number', value: 'BPM', section: OUTPUT, range: CONFIG_RANGES.tempo, default: DEFAULTS.tempo,
        help: 'MIDI tempo (default {default}); note times stay exact in seconds',
      },
      program: {
        kind: 'integer', value: 'N', section: OUTPUT, range: CONFIG_RANGES.program, default: DEFAULTS.program,
        help: 'MIDI program 0-127 (default {default}, acoustic grand)',
      },
      'midi-channel': {
        kind: 'integer', value: 'N', section: OUTPUT, range: CONFIG_RANGES.midiChannel, default: DEFAULTS.midiChannel,
        target: 'midiChannel', help: 'MIDI channel 1-16 (default {default})',
      },
    },
    make: ({ cfg }) => loaded(() => import('./midi.js'), (m) => m.midiWriter(cfg)),
  },
  csv: {
    name: 'csv', summary: 'onset,offset,pitch per line', extension: '.csv', streaming: true, onePerInput: true,
    binary: false,
    options: {
      'csv-header': {
        kind: 'boolean', section: OUTPUT, target: 'csvHeader', help: 'first CSV line: onset,offset,pitch',
      },
    },
    make: ({ options }) =>
      loaded(() => import('./csv.js'), (m) => m.csvWriter({ header: Boolean(options.csvHeader) })),
  },
  svg: {
    name: 'svg', summary: 'a piano-roll picture', extension: '.svg', streaming: false, onePerInput: true, binary: false,
    options: {
      'svg-width': {
        kind: 'integer', value: 'PX', section: OUTPUT, range: [100, 100_000], target: 'svgWidthPx',
        help: `SVG width (default: 100 px a second, at most ${MAX_WIDTH_PX})`,
      },
    },
    make: ({ file, options }) => svgWriter(file ? `melodyfilter: ${path.basename(file)}` : 'melodyfilter',
      { widthPx: options.svgWidthPx as number | undefined }),
  },
  musicxml: {
    name: 'musicxml', summary: 'sheet music (MusicXML 4.0) when input ends', extension: '.musicxml', streaming: false,
    onePerInput: true, binary: false, options: NOTATION_OPTIONS,
    make: notation(async () => (await import('./musicxml.js')).renderMusicXml),
  },
  abc: {
    name: 'abc', summary: 'sheet music (ABC 2.1) when input ends', extension: '.abc', streaming: false,
    onePerInput: true, binary: false, options: NOTATION_OPTIONS,
    make: notation(async () => (await import('./abc.js')).renderAbc),
  },
  ly: {
    name: 'ly', summary: 'sheet music (LilyPond) when input ends', extension: '.ly', streaming: false,
    onePerInput: true, binary: false, options: NOTATION_OPTIONS,
    make: notation(async () => (await import('./lilypond.js')).renderLilypond),
  },
};
