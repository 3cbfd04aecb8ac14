// The transcribe command's flags → Config and the run's own settings. sox/ffmpeg names where they
// exist (-r, -c, -e, -b). The table below and each writer's own options (WRITERS) are the only lists
// of them: parsing, the value checks and --help (help.ts) all read them.
import {
  BACKENDS, CONFIG_RANGES, ConfigError, DEFAULTS, UsageError, isConfigField, type Config, type Encoding,
} from '../config.js';
import { resolveConfig as resolveLibraryConfig } from '../config.js';
import { DECODER_RANGES } from '../model/card.js';
import { KERNEL_ENTRIES } from '../model/kernels.js';
import { parseNoteName } from '../music.js';
import { parseOptions, type OptionTable, type OptionValues, type Parsed } from './options.js';
import { WRITERS } from '../writers/registry.js';

export interface Invocation {
  command: 'transcribe' | 'help' | 'version';
  cfg: Config;
  /** Input files; '-' or none means stdin. */
  files: string[];
  outDir: string | null;
  /** Which input-format flags were given (a WAV header must agree with them). */
  explicit: Set<'sampleRate' | 'channels' | 'encoding'>;
  progress: boolean | null; // null: automatic (a file of known size, stderr a terminal)
  /** --out-dir may replace files that exist (-y). */
  overwrite: boolean;
  /** Binary output (MIDI) may go to a terminal (-f). */
  force: boolean;
  /** The values of the options that set no Config field, by target: the writers' own among them. */
  options: OptionValues;
}

const RECOGNITION = 'Recognition';

/** Choosing and running the model: transcribe and eval take these. */
export const ENGINE_OPTIONS: OptionTable = {
  model: {
    kind: 'string', short: 'm', value: 'DIR', section: RECOGNITION, target: 'modelDir',
    help: 'model directory (default: the shipped models/melody-lstm)',
  },
  kernel: {
    // No default here: --backend alone asks for tfjs (engineConfig); DEFAULTS.kernel otherwise.
    kind: 'choice', choices: () => Object.keys(KERNEL_ENTRIES), value: 'K', section: RECOGNITION,
    help: `${DEFAULTS.kernel} (default): the network in SIMD WebAssembly, weights read from\n` +
      'the tfjs model files; fast: the same in plain TypeScript (the\n' +
      'reference); tfjs: TensorFlow.js runs it',
  },
  backend: {
    kind: 'choice', choices: BACKENDS, value: 'B', section: RECOGNITION,
    help: `with --kernel tfjs (implied): ${BACKENDS.join(' ')} (default ${DEFAULTS.backend}:\n` +
      'tfjs-node if installed, else wasm, else cpu)',
  },
};

const INPUT = 'Input (raw PCM unless a WAV header is found, which then sets all three)';
const OUTPUT = 'Output';

/** The flags before the writers' own. */
function leadingOptions(): OptionTable {
  const formats = Object.values(WRITERS)
    .map((w) => `${w.name}${w.name === DEFAULTS.output ? ' (default)' : ''}: ${w.summary}`);
  return {
    rate: {
      kind: 'integer', kilo: true, short: 'r', value: 'HZ', section: INPUT, range: CONFIG_RANGES.sampleRate,
      default: DEFAULTS.sampleRate, target: 'sampleRate',
      help: "sample rate, also sox's 16k or 44.1k (default {default})",
    },
    channels: {
      kind: 'integer', short: 'c', value: 'N', section: INPUT, range: CONFIG_RANGES.channels,
      default: DEFAULTS.channels, help: 'interleaved channels, mixed down (default {default})',
    },
    // -e, -b and --endian make one Encoding together (encodingOf); their targets are not Config fields.
    encoding: {
      kind: 'string', short: 'e', value: 'ENC', section: INPUT, target: 'encodingName',
      help: `s16le s24le s32le f32le u8 s16be, or sox's signed/unsigned/float\n(default ${DEFAULTS.encoding})`,
    },
    bits: {
      kind: 'choice', choices: ['8', '16', '24', '32'], short: 'b', value: 'N', section: INPUT,
      help: 'with sox-style -e: 8, 16, 24 or 32',
    },
    endian: {
      kind: 'choice', choices: ['little', 'big'], value: 'E', help: 'little (default) or big', section: INPUT,
    },
    output: {
      kind: 'choice', choices: () => Object.keys(WRITERS), short: 'o', value: 'FMT', section: OUTPUT,
      default: DEFAULTS.output, help: formats.join(';\n'),
    },
    events: {
      kind: 'boolean', help: 'JSON lines of note-on/note-off as soon as known (live use)', section: OUTPUT,
    },
    'out-dir': {
      kind: 'string', short: 'd', value: 'DIR', section: OUTPUT, target: 'outDir',
      help: 'one output file per input file (name.mid, name.jsonl, ...)',
    },
    overwrite: {
      kind: 'boolean', short: 'y', section: OUTPUT,
      help: 'with --out-dir, replace output files that exist (default: refuse)',
    },
    force: { kind: 'boolean', short: 'f', help: 'write MIDI to a terminal even so', section: OUTPUT },
  };
}

/** The flags after the writers' own. */
const TRAILING_OPTIONS: OptionTable = {
  ...ENGINE_OPTIONS,
  // No defaults declared: a run gets its model card's (help.ts shows the loaded model's).
  threshold: {
    kind: 'number', short: 't', value: 'P', section: RECOGNITION, range: DECODER_RANGES.threshold,
    help: "key probability to start a note, 0.01-0.99 (default: the model's, {default})",
  },
  'onset-threshold': {
    kind: 'number', value: 'P', section: RECOGNITION, range: DECODER_RANGES.onsetThreshold, target: 'onsetThreshold',
    help: "onset probability that splits a sounding key in two (default: the model's, {default})",
  },
  'min-note': {
    kind: 'number', value: 'MS', section: RECOGNITION, range: CONFIG_RANGES.minNoteMs, default: DEFAULTS.minNoteMs,
    target: 'minNoteMs', help: 'drop notes shorter than MS (default {default})',
  },
  range: {
    kind: 'string', value: 'LOW-HIGH', section: RECOGNITION, target: 'keyRange', parse: rangeOf,
    help: 'only report notes in this range, e.g. C3-C6 or 48-84 (default A0-C8)',
  },
  progress: {
    kind: 'boolean', section: 'Other',
    help: 'progress bar (time, ETA) on stderr; by default only when the notes go to\n' +
      'files (-d, > file) and stderr is a terminal',
  },
  'no-progress': { kind: 'boolean', help: 'no progress bar', section: 'Other' },
  verbose: {
    kind: 'boolean', short: 'v', section: 'Other',
    help: 'backend, model and formats on stderr; stack traces on errors',
  },
  help: { kind: 'boolean', short: 'h', help: 'this text', section: 'Other' },
  version: { kind: 'boolean', short: 'V', help: 'version', section: 'Other' },
};

/** The transcribe command's option table: its own flags and every writer's, read from WRITERS when
 *  asked, so a writer registered later brings its flags along. */
export function transcribeOptions(): OptionTable {
  const table: OptionTable = leadingOptions();
  for (const w of Object.values(WRITERS)) {
    for (const [flag, spec] of Object.entries(w.options ?? {})) {
      // Writers may share a flag (the notation writers' --meter) only as one spec.
      if (table[flag] && table[flag] !== spec) throw new Error(`writer ${w.name} redeclares --${flag}`);
      table[flag] = spec;
    }
  }
  for (const [flag, spec] of Object.entries(TRAILING_OPTIONS)) {
    if (table[flag]) throw new Error(`a writer declares --${flag}, a flag of the transcribe command`);
    table[flag] = spec;
  }
  return table;
}

/** The flag that sets a Config field, from the table's targets: the library's errors name fields,
 *  the CLI's name flags. */
function flagOf(table: OptionTable, field: string): string | undefined {
  const flag = Object.entries(table).find(([long, o]) => (o.target ?? long) === field)?.[0];
  return flag === undefined ? undefined : `--${flag}`;
}

/** resolveConfig, its errors in flag words. */
function resolveConfig(partial: Partial<Config>, table: OptionTable): Config {
  try {
    return resolveLibraryConfig(partial);
  } catch (err) {
    const flag = err instanceof ConfigError ? flagOf(table, err.field) : undefined;
    if (flag) throw new UsageError(`${flag} ${(err as ConfigError).problem}`);
    throw err;
  }
}

/** Read values split by where they go: Config fields, and the command's own. */
function splitByTarget(values: OptionValues): { fields: Partial<Config>; own: OptionValues } {
  const fields: Record<string, unknown> = {}, own: OptionValues = {};
  for (const [target, value] of Object.entries(values)) (isConfigField(target) ? fields : own)[target] = value;
  return { fields: fields as Partial<Config>, own };
}

/** --model, --backend and --kernel as Config fields. Asking for a tfjs backend means asking tfjs to
 *  run the network, unless --kernel says otherwise. */
export function engineConfig(options: OptionValues): Pick<Config, 'modelDir' | 'backend' | 'kernel'> {
  const { modelDir, backend, kernel } = resolveConfig(engineFields(splitByTarget(options).fields), ENGINE_OPTIONS);
  return { modelDir, backend, kernel };
}

function engineFields(fields: Partial<Config>): Partial<Config> {
  return fields.kernel === undefined && fields.backend !== undefined ? { ...fields, kernel: 'tfjs' } : fields;
}

/** sox's `-e signed -b 16` or our `-e s16le`. */
function encodingOf(
  e: string | undefined, bits: string | undefined, endian: string | undefined,
): Encoding | undefined {
  if (e === undefined && bits === undefined && endian === undefined) return undefined;
  const b = bits === undefined ? undefined : Number(bits); // one of BITS: the table checked it
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
  return invocationOf(parseOptions(transcribeOptions(), argv));
}

/** Parsed transcribe flags → what to do; every mistake is a UsageError. */
export function invocationOf(parsed: Parsed, table: OptionTable = transcribeOptions()): Invocation {
  const { values: v } = parsed;
  const command: Invocation['command'] = v.help ? 'help' : v.version ? 'version' : 'transcribe';
  const explicit = new Set<'sampleRate' | 'channels' | 'encoding'>();
  if (v.rate !== undefined) explicit.add('sampleRate');
  if (v.channels !== undefined) explicit.add('channels');
  if (v.encoding !== undefined || v.bits !== undefined || v.endian !== undefined) explicit.add('encoding');
  const { fields, own } = splitByTarget(parsed.options);
  const str = (x: unknown) => x as string | undefined;
  const cfg = resolveConfig({
    ...engineFields(fields),
    encoding: encodingOf(str(own.encodingName), str(own.bits), str(own.endian)),
    ...(own.keyRange as ReturnType<typeof rangeOf> | undefined),
  }, table);
  const writer = WRITERS[cfg.output];
  // A writer's option given with another writer's output is a usage error, not ignored: the user
  // asked for something this output cannot do (--meter or --tempo with -o jsonl).
  for (const [flag, spec] of Object.entries(table)) {
    if (v[flag] === undefined || writer.options?.[flag] === spec) continue;
    const takers = Object.values(WRITERS).filter((w) => w.options?.[flag] === spec).map((w) => w.name);
    if (!takers.length) continue; // not a writer's option
    const names = takers.length > 1 ? `${takers.slice(0, -1).join(', ')} or ${takers.at(-1)}` : takers[0];
    throw new UsageError(`--${flag} is for -o ${names}, not --output ${cfg.output}`);
  }
  if (cfg.events && cfg.output !== 'jsonl') {
    throw new UsageError(`--events writes JSON lines; it cannot be combined with --output ${cfg.output}`);
  }
  const files = parsed.positionals;
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  const outDir = str(own.outDir) ?? null;
  // One MIDI file, picture or CSV table per input: several on stdout would not parse as one.
  if (command === 'transcribe' && files.length > 1 && writer.onePerInput && !outDir) {
    throw new UsageError(
      `--output ${cfg.output} with ${files.length} input files needs --out-dir DIR (one file per input)`);
  }
  return {
    command, cfg, files, outDir, explicit,
    progress: v['no-progress'] ? false : v.progress ? true : null,
    overwrite: Boolean(v.overwrite), force: Boolean(v.force), options: own,
  };
}
