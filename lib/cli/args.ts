// The transcribe command's flags → Config. sox/ffmpeg names where they exist (-r, -c, -e, -b).
// The option table below is the only list of them: parsing and --help (help.ts) both read it.
import { BACKENDS, ConfigError, DEFAULTS, UsageError, type Config, type Encoding } from '../config.js';
import { resolveConfig as resolveLibraryConfig } from '../config.js';
import { DECODER_DEFAULTS } from '../model/card.js';
import { parseNoteName } from '../music.js';
import { parseKey, type Key } from '../score/key.js';
import type { Meter } from '../score/notate.js';
import { numberOption as num, parseOptions, type OptionTable, type ParsedValues } from './options.js';
import { WRITERS } from '../writers/registry.js';
import { MAX_WIDTH_PX } from '../writers/svg.js';

export interface Invocation {
  command: 'transcribe' | 'help' | 'version';
  cfg: Config;
  /** Input files; '-' or none means stdin. */
  files: string[];
  outDir: string | null;
  /** Which input-format flags were given (a WAV header must agree with them). */
  explicit: Set<'sampleRate' | 'channels' | 'encoding'>;
  progress: boolean | null; // null: automatic (a file of known size, stderr a terminal)
  csvHeader: boolean;
  /** --out-dir may replace files that exist (-y). */
  overwrite: boolean;
  /** Binary output (MIDI) may go to a terminal (-f). */
  force: boolean;
  /** --svg-width: the picture's width in px; null: fitted to the take. */
  svgWidthPx: number | null;
}

/** Choosing and running the model: transcribe and eval take these. */
export const ENGINE_OPTIONS: OptionTable = {
  model: {
    type: 'string', short: 'm', value: 'DIR', section: 'Recognition',
    help: 'model directory (default: the shipped models/melody-lstm)',
  },
  kernel: {
    type: 'string', value: 'K', section: 'Recognition',
    help: 'wasm (default): the network in SIMD WebAssembly, weights read from\n' +
      'the tfjs model files; fast: the same in plain TypeScript (the\n' +
      'reference); tfjs: TensorFlow.js runs it',
  },
  backend: {
    type: 'string', value: 'B', section: 'Recognition',
    help: `with --kernel tfjs (implied): ${BACKENDS.join(' ')} (default auto:\n` +
      'tfjs-node if installed, else wasm, else cpu)',
  },
};

const INPUT = 'Input (raw PCM unless a WAV header is found, which then sets all three)';
const OUTPUT = 'Output';
const formats = Object.values(WRITERS)
  .map((w) => `${w.name}${w.name === DEFAULTS.output ? ' (default)' : ''}: ${w.summary}`);

export const TRANSCRIBE_OPTIONS: OptionTable = {
  rate: {
    type: 'string', short: 'r', value: 'HZ', section: INPUT,
    help: `sample rate, also sox's 16k or 44.1k (default ${DEFAULTS.sampleRate})`,
  },
  channels: {
    type: 'string', short: 'c', value: 'N', section: INPUT,
    help: `interleaved channels, mixed down (default ${DEFAULTS.channels})`,
  },
  encoding: {
    type: 'string', short: 'e', value: 'ENC', section: INPUT,
    help: `s16le s24le s32le f32le u8 s16be, or sox's signed/unsigned/float\n(default ${DEFAULTS.encoding})`,
  },
  bits: { type: 'string', short: 'b', value: 'N', help: 'with sox-style -e: 8, 16, 24 or 32', section: INPUT },
  endian: { type: 'string', value: 'E', help: 'little (default) or big', section: INPUT },
  output: { type: 'string', short: 'o', value: 'FMT', help: formats.join(';\n'), section: OUTPUT },
  events: { type: 'boolean', help: 'JSON lines of note-on/note-off as soon as known (live use)', section: OUTPUT },
  'out-dir': {
    type: 'string', short: 'd', value: 'DIR', section: OUTPUT,
    help: 'one output file per input file (name.mid, name.jsonl, ...)',
  },
  overwrite: {
    type: 'boolean', short: 'y', section: OUTPUT,
    help: 'with --out-dir, replace output files that exist (default: refuse)',
  },
  force: { type: 'boolean', short: 'f', help: 'write MIDI to a terminal even so', section: OUTPUT },
  'csv-header': { type: 'boolean', help: 'first CSV line: onset,offset,pitch', section: OUTPUT },
  'svg-width': {
    type: 'string', value: 'PX', section: OUTPUT,
    help: `SVG width (default: 100 px a second, at most ${MAX_WIDTH_PX})`,
  },
  meter: {
    type: 'string', value: 'M', section: OUTPUT,
    help: 'notation (-o musicxml, abc, ly): the metre, e.g. 3/4 or 6/8\n(default: read from the notes)',
  },
  key: {
    type: 'string', value: 'KEY', section: OUTPUT,
    help: 'notation: the key, e.g. D, F#m, Bb minor (default: read from the notes)',
  },
  tempo: {
    type: 'string', value: 'BPM', section: OUTPUT,
    help: `MIDI tempo (default ${DEFAULTS.tempo}); note times stay exact in seconds`,
  },
  program: {
    type: 'string', value: 'N', section: OUTPUT,
    help: `MIDI program 0-127 (default ${DEFAULTS.program}, acoustic grand)`,
  },
  'midi-channel': {
    type: 'string', value: 'N', section: OUTPUT,
    help: `MIDI channel 1-16 (default ${DEFAULTS.midiChannel})`,
  },
  ...ENGINE_OPTIONS,
  threshold: {
    type: 'string', short: 't', value: 'P', section: 'Recognition',
    help: `key probability to start a note, 0.01-0.99 (default: the model's, ${DECODER_DEFAULTS.threshold})`,
  },
  'onset-threshold': {
    type: 'string', value: 'P', section: 'Recognition',
    help: 'onset probability that splits a sounding key in two ' +
      `(default: the model's, ${DECODER_DEFAULTS.onsetThreshold})`,
  },
  'min-note': {
    type: 'string', value: 'MS', section: 'Recognition',
    help: `drop notes shorter than MS (default ${DEFAULTS.minNoteMs})`,
  },
  range: {
    type: 'string', value: 'LOW-HIGH', section: 'Recognition',
    help: 'only report notes in this range, e.g. C3-C6 or 48-84 (default A0-C8)',
  },
  progress: {
    type: 'boolean', section: 'Other',
    help: 'progress bar (time, ETA) on stderr; by default only when the notes go to\n' +
      'files (-d, > file) and stderr is a terminal',
  },
  'no-progress': { type: 'boolean', help: 'no progress bar', section: 'Other' },
  verbose: {
    type: 'boolean', short: 'v', section: 'Other',
    help: 'backend, model and formats on stderr; stack traces on errors',
  },
  help: { type: 'boolean', short: 'h', help: 'this text', section: 'Other' },
  version: { type: 'boolean', short: 'V', help: 'version', section: 'Other' },
};

/** The flag that sets each Config field: the library's errors name fields, the CLI's name flags. */
const FLAG_OF: Partial<Record<keyof Config, string>> = {
  sampleRate: '--rate', channels: '--channels', encoding: '--encoding', output: '--output', backend: '--backend',
  kernel: '--kernel', minNoteMs: '--min-note', threshold: '--threshold', onsetThreshold: '--onset-threshold',
  lowMidi: '--range (low)', highMidi: '--range (high)', tempo: '--tempo', program: '--program',
  midiChannel: '--midi-channel', modelDir: '--model',
};

/** resolveConfig, its errors in flag words. */
function resolveConfig(partial: Partial<Config>): Config {
  try {
    return resolveLibraryConfig(partial);
  } catch (err) {
    if (err instanceof ConfigError && FLAG_OF[err.field]) throw new UsageError(`${FLAG_OF[err.field]} ${err.problem}`);
    throw err;
  }
}

/** --model, --backend and --kernel as Config fields. Asking for a tfjs backend means asking tfjs to
 *  run the network, unless --kernel says otherwise. */
export function engineOptions(v: ParsedValues): Pick<Config, 'modelDir' | 'backend' | 'kernel'> {
  const { modelDir, backend, kernel } = resolveConfig(engineFlags(v));
  return { modelDir, backend, kernel };
}

function engineFlags(v: ParsedValues): Partial<Config> {
  return {
    modelDir: v.model as string | undefined,
    backend: v.backend as Config['backend'] | undefined,
    kernel: (v.kernel ?? (v.backend !== undefined ? 'tfjs' : undefined)) as Config['kernel'] | undefined,
  };
}

/** sox writes rates as `16k` or `44.1k`: the same number, in thousands. */
function kiloSuffix(v: string | undefined): string | undefined {
  const m = v === undefined ? null : /^\s*([0-9]*\.?[0-9]+)k\s*$/i.exec(v);
  return m ? String(Math.round(Number(m[1]) * 1000)) : v;
}

/** sox's `-e signed -b 16` or our `-e s16le`. */
function encodingOf(e: string | undefined, bits: string | undefined, endian: string | undefined): Encoding | undefined {
  if (e === undefined && bits === undefined && endian === undefined) return undefined;
  const b = bits === undefined ? undefined : Number(bits);
  if (bits !== undefined && ![8, 16, 24, 32].includes(b!)) {
    throw new UsageError(`--bits must be 8, 16, 24 or 32, got ${bits}`);
  }
  if (endian !== undefined && !['little', 'big'].includes(endian)) {
    throw new UsageError(`--endian must be little or big, got ${endian}`);
  }
  const kind = e ?? (b === 8 ? 'unsigned' : 'signed');
  const direct = ['s16le', 's24le', 's32le', 'f32le', 'u8', 's16be'];
  if (direct.includes(kind)) {
    if (b !== undefined && Number(kind.replace(/\D/g, '')) !== b) {
      throw new UsageError(`--encoding ${kind} contradicts --bits ${b}`);
    }
    const named = kind.endsWith('be') ? 'big' : 'little';
    if (endian !== undefined && kind !== 'u8' && endian !== named) {
      throw new UsageError(`--encoding ${kind} contradicts --endian ${endian}`);
    }
    return kind as Encoding;
  }
  const big = endian === 'big';
  if (kind === 'signed' || kind === 'signed-integer') {
    const bb = b ?? 16;
    if (big && bb !== 16) throw new UsageError(`big-endian input is supported for 16-bit only, got ${bb}`);
    if (bb === 8) {
      throw new UsageError('8-bit signed input is not supported (8-bit audio is unsigned: -e unsigned -b 8)');
    }
    return (big ? 's16be' : `s${bb}le`) as Encoding;
  }
  if (kind === 'unsigned' || kind === 'unsigned-integer') {
    if ((b ?? 8) !== 8) throw new UsageError(`unsigned input is supported for 8-bit only, got ${b}`);
    return 'u8';
  }
  if (kind === 'float' || kind === 'floating-point') {
    if ((b ?? 32) !== 32 || big) throw new UsageError('float input is supported as 32-bit little-endian only');
    return 'f32le';
  }
  throw new UsageError(
    `--encoding must be one of ${direct.join(', ')} (or sox's signed/unsigned/float with -b), got ${kind}`);
}

/** --meter: n/4, n/8, n/2 with 1-16 beats. */
function meterOf(v: string | undefined): Meter | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,2})\s*\/\s*(2|4|8)\s*$/.exec(v);
  const beats = m ? Number(m[1]) : 0;
  if (!m || beats < 1 || beats > 16) {
    throw new UsageError(`--meter must be BEATS/UNIT with 1-16 beats of a half, quarter or eighth (3/4, 6/8), got ${JSON.stringify(v)}`);
  }
  const beatType = Number(m[2]);
  // A half-note unit is written as quarters (2/2 reads as 4/4 here): the notation keeps one beat grid.
  return beatType === 2 ? { beats: beats * 2, beatType: 4 } : { beats, beatType: beatType as 4 | 8 };
}

function keyOption(v: string | undefined): Key | undefined {
  if (v === undefined) return undefined;
  const key = parseKey(v);
  if (!key) throw new UsageError(`--key must be a tonic and mode, e.g. D, F#m, Bb minor, c# (minor), got ${JSON.stringify(v)}`);
  return key;
}

function rangeOf(v: string | undefined): { lowMidi?: number; highMidi?: number } {
  if (v === undefined) return {};
  const m = /^([^-]+)-([^-]+)$/.exec(v.trim());
  const lo = m ? parseNoteName(m[1]) : NaN, hi = m ? parseNoteName(m[2]) : NaN;
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) {
    throw new UsageError(
      `--range must be LOW-HIGH as note names or MIDI numbers (C3-C6, 48-84), got ${JSON.stringify(v)}`);
  }
  if (lo < 21 || hi > 108 || lo > hi) {
    throw new UsageError(`--range must lie within A0-C8 (21-108) with LOW <= HIGH, got ${v}`);
  }
  return { lowMidi: lo, highMidi: hi };
}

/** The transcribe command's arguments (subcommands: commands.ts). */
export function parseArgv(argv: string[]): Invocation {
  let command: Invocation['command'] = 'transcribe';
  const parsed = parseOptions(TRANSCRIBE_OPTIONS, argv);
  const v = parsed.values as Record<string, string | undefined> & Record<string, boolean | undefined>;
  if (v.help) command = 'help';
  else if (v.version) command = 'version';
  const explicit = new Set<'sampleRate' | 'channels' | 'encoding'>();
  if (v.rate !== undefined) explicit.add('sampleRate');
  if (v.channels !== undefined) explicit.add('channels');
  if (v.encoding !== undefined || v.bits !== undefined || v.endian !== undefined) explicit.add('encoding');
  const output = v.output as Config['output'] | undefined;
  const cfg = resolveConfig({
    sampleRate: num('rate', kiloSuffix(v.rate)),
    channels: num('channels', v.channels),
    encoding: encodingOf(v.encoding, v.bits, v.endian),
    output,
    events: v.events,
    ...engineFlags(v),
    minNoteMs: num('min-note', v['min-note']),
    threshold: num('threshold', v.threshold),
    onsetThreshold: num('onset-threshold', v['onset-threshold']),
    ...rangeOf(v.range),
    tempo: num('tempo', v.tempo),
    program: num('program', v.program),
    midiChannel: num('midi-channel', v['midi-channel']),
    meter: meterOf(v.meter),
    key: keyOption(v.key),
    verbose: v.verbose,
  });
  const notation = ['musicxml', 'abc', 'ly'].includes(cfg.output);
  for (const flag of ['meter', 'key'] as const) {
    if (v[flag] !== undefined && !notation) {
      throw new UsageError(`--${flag} is for the notation outputs (-o musicxml, abc or ly), not --output ${cfg.output}`);
    }
  }
  if (cfg.events && cfg.output !== 'jsonl') {
    throw new UsageError(`--events writes JSON lines; it cannot be combined with --output ${cfg.output}`);
  }
  const files = parsed.positionals;
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  const outDir = v['out-dir'] ?? null;
  const svgWidthPx = num('svg-width', v['svg-width']) ?? null;
  if (svgWidthPx !== null && (!Number.isInteger(svgWidthPx) || svgWidthPx < 100 || svgWidthPx > 100_000)) {
    throw new UsageError(`--svg-width must be a whole number of pixels from 100 to 100000, got ${v['svg-width']}`);
  }
  // One MIDI file, picture or CSV table per input: several on stdout would not parse as one.
  if (command === 'transcribe' && files.length > 1 && WRITERS[cfg.output].onePerInput && !outDir) {
    throw new UsageError(
      `--output ${cfg.output} with ${files.length} input files needs --out-dir DIR (one file per input)`);
  }
  return {
    command, cfg, files, outDir, explicit,
    progress: v['no-progress'] ? false : v.progress ? true : null,
    csvHeader: Boolean(v['csv-header']),
    overwrite: Boolean(v.overwrite), force: Boolean(v.force), svgWidthPx,
  };
}
