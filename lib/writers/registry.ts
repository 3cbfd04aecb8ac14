// Output formats, one entry each: name (the --output value), file extension (--out-dir), whether it
// streams notes as they are known or writes one document at the end, and the factory of its stage.
// Adding a format is one writer module plus one entry here (see CONTRIBUTING.md).
import path from 'node:path';
import type { Config } from '../config.js';
import type { NoteOutput } from '../notes.js';
import { jsonlWriter } from './jsonl.js';
import { csvWriter } from './csv.js';
import { midiWriter } from './midi.js';
import { svgWriter } from './svg.js';
import { notationWriter, type ScoreRenderer } from './notation.js';

/** What a writer may need beyond the notes. */
export interface WriterContext {
  cfg: Config;
  /** The input's file name when several inputs share stdout (JSON lines tag each note with it). */
  file?: string;
  csvHeader: boolean;
  /** SVG width in px (default: fitted to the take). */
  svgWidthPx?: number;
  /** The notation outputs' title: the input's file name without its extension. */
  title?: string;
}

/** A stream stage: batches of notes (or events) → text or bytes for stdout. */
export type WriterStage = (src: AsyncIterable<NoteOutput[]>) => AsyncGenerator<string | Uint8Array>;

export interface Writer {
  name: Config['output'];
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
  make(ctx: WriterContext): WriterStage;
}

/** A notation format's stage: the user's metre and key, the input's name as title. */
const notation = (load: () => Promise<ScoreRenderer>) => ({ cfg, title }: WriterContext): WriterStage =>
  notationWriter(load, { title, meter: cfg.meter, key: cfg.key });

export const WRITERS: Readonly<Record<Config['output'], Writer>> = {
  jsonl: {
    name: 'jsonl', summary: 'one note per line as it ends', extension: '.jsonl', streaming: true, onePerInput: false,
    binary: false,
    make: ({ file }) => jsonlWriter(file),
  },
  midi: {
    name: 'midi', summary: 'Standard MIDI File when input ends', extension: '.mid', streaming: false, onePerInput: true,
    binary: true,
    make: ({ cfg }) => midiWriter(cfg),
  },
  csv: {
    name: 'csv', summary: 'onset,offset,pitch per line', extension: '.csv', streaming: true, onePerInput: true,
    binary: false,
    make: ({ csvHeader }) => csvWriter({ header: csvHeader }),
  },
  svg: {
    name: 'svg', summary: 'a piano-roll picture', extension: '.svg', streaming: false, onePerInput: true, binary: false,
    make: ({ file, svgWidthPx }) =>
      svgWriter(file ? `melodyfilter: ${path.basename(file)}` : 'melodyfilter', { widthPx: svgWidthPx }),
  },
  musicxml: {
    name: 'musicxml', summary: 'sheet music (MusicXML 4.0) when input ends', extension: '.musicxml', streaming: false,
    onePerInput: true, binary: false,
    make: notation(async () => (await import('./musicxml.js')).renderMusicXml),
  },
  abc: {
    name: 'abc', summary: 'sheet music (ABC 2.1) when input ends', extension: '.abc', streaming: false,
    onePerInput: true, binary: false,
    make: notation(async () => (await import('./abc.js')).renderAbc),
  },
  ly: {
    name: 'ly', summary: 'sheet music (LilyPond) when input ends', extension: '.ly', streaming: false,
    onePerInput: true, binary: false,
    make: notation(async () => (await import('./lilypond.js')).renderLilypond),
  },
};
