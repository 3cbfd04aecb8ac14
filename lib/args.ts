// Command-line flags → Config. sox/ffmpeg names where they exist (-r, -c, -e, -b).
import { parseArgs } from 'node:util';
import { DEFAULTS, MODEL_RATE, UsageError, resolveConfig, type Config, type Encoding } from './config.js';
import { parseNoteName } from './notes.js';

export type Command = 'transcribe' | 'train' | 'eval' | 'help' | 'version';

export interface Invocation {
  command: Command;
  cfg: Config;
  /** Input files; '-' or none means stdin. */
  files: string[];
  outDir: string | null;
  /** Which input-format flags were given (a WAV header must agree with them). */
  explicit: Set<'sampleRate' | 'channels' | 'encoding'>;
  progress: boolean | null; // null: automatic (a file of known size, stderr a terminal)
  csvHeader: boolean;
  /** Raw flags, for the train/eval subcommands. */
  rest: Record<string, string | boolean | undefined>;
}

const OPTIONS = {
  rate: { type: 'string', short: 'r' },
  channels: { type: 'string', short: 'c' },
  encoding: { type: 'string', short: 'e' },
  bits: { type: 'string', short: 'b' },
  endian: { type: 'string' },
  output: { type: 'string', short: 'o' },
  events: { type: 'boolean' },
  window: { type: 'string' },
  hop: { type: 'string' },
  model: { type: 'string', short: 'm' },
  backend: { type: 'string' },
  kernel: { type: 'string' },
  'min-note': { type: 'string' },
  threshold: { type: 'string', short: 't' },
  'onset-threshold': { type: 'string' },
  range: { type: 'string' },
  tempo: { type: 'string' },
  program: { type: 'string' },
  'midi-channel': { type: 'string' },
  'out-dir': { type: 'string', short: 'd' },
  'csv-header': { type: 'boolean' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  // train / eval
  seconds: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  resume: { type: 'boolean' },
  workers: { type: 'string' },
  set: { type: 'string' },
  batch: { type: 'string' },
  frames: { type: 'string' },
  'learning-rate': { type: 'string' },
  renders: { type: 'string' },
  arch: { type: 'string' },
  'fluid-share': { type: 'string' },
  data: { type: 'string' },
  run: { type: 'string' },
  pool: { type: 'string' },
  units: { type: 'string' },
  'val-shards': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
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
  if (bits !== undefined && ![8, 16, 24, 32].includes(b!)) throw new UsageError(`--bits must be 8, 16, 24 or 32, got ${bits}`);
  if (endian !== undefined && !['little', 'big'].includes(endian)) throw new UsageError(`--endian must be little or big, got ${endian}`);
  const kind = e ?? (b === 8 ? 'unsigned' : 'signed');
  const direct = ['s16le', 's24le', 's32le', 'f32le', 'u8', 's16be'];
  if (direct.includes(kind)) {
    if (b !== undefined && Number(kind.replace(/\D/g, '')) !== b) throw new UsageError(`--encoding ${kind} contradicts --bits ${b}`);
    const named = kind.endsWith('be') ? 'big' : 'little';
    if (endian !== undefined && kind !== 'u8' && endian !== named) throw new UsageError(`--encoding ${kind} contradicts --endian ${endian}`);
    return kind as Encoding;
  }
  const big = endian === 'big';
  if (kind === 'signed' || kind === 'signed-integer') {
    const bb = b ?? 16;
    if (big && bb !== 16) throw new UsageError(`big-endian input is supported for 16-bit only, got ${bb}`);
    if (bb === 8) throw new UsageError('8-bit signed input is not supported (8-bit audio is unsigned: -e unsigned -b 8)');
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
  throw new UsageError(`--encoding must be one of ${direct.join(', ')} (or sox's signed/unsigned/float with -b), got ${kind}`);
}

/** "2048" samples or "128ms" at MODEL_RATE. */
function samplesOf(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--${name} must be samples (2048) or milliseconds (128ms), got ${JSON.stringify(v)}`);
  return m[2] ? Math.round((Number(m[1]) * MODEL_RATE) / 1000) : Number(m[1]);
}

function rangeOf(v: string | undefined): { lowMidi?: number; highMidi?: number } {
  if (v === undefined) return {};
  const m = /^([^-]+)-([^-]+)$/.exec(v.trim());
  const lo = m ? parseNoteName(m[1]) : NaN, hi = m ? parseNoteName(m[2]) : NaN;
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new UsageError(`--range must be LOW-HIGH as note names or MIDI numbers (C3-C6, 48-84), got ${JSON.stringify(v)}`);
  if (lo < 21 || hi > 108 || lo > hi) throw new UsageError(`--range must lie within A0-C8 (21-108) with LOW <= HIGH, got ${v}`);
  return { lowMidi: lo, highMidi: hi };
}

const SHORT_TO_LONG = new Map<string, string>(Object.entries(OPTIONS).flatMap(([long, o]) => ('short' in o ? [[o.short, long] as const] : [])));

/** `--rate -5`: a negative number after a flag that takes a value is that value, so the range checks
 *  can say what is wrong with it. parseArgs would only call it ambiguous. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.push(...argv.slice(i)); break; }
    const long = a.startsWith('--') ? a.slice(2) : /^-[A-Za-z]$/.test(a) ? SHORT_TO_LONG.get(a[1]) : undefined;
    const takesValue = long !== undefined && (OPTIONS as Record<string, { type: string }>)[long]?.type === 'string';
    if (takesValue && /^-\.?\d/.test(argv[i + 1] ?? '')) out.push(`--${long}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

/** parseArgs' errors, made one short line: "unknown option --bogus", not a paragraph on '--'. */
function parseArgsMessage(err: NodeJS.ErrnoException): string {
  const first = err.message.split('\n')[0].replace(/^TypeError \[\w+\]: /, '');
  const option = /^(?:Unknown option|Option) '([^']+)'/.exec(first)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (/argument is ambiguous/.test(first) && option) {
    const long = option.startsWith('--') ? option : `--${SHORT_TO_LONG.get(option[1]) ?? option.slice(1)}`;
    return `${option} needs a value (write ${long}=VALUE for one that starts with '-')`;
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(first);
  if (missing) return `${missing[1]} needs a value`;
  return first;
}

export function parseArgv(argv: string[]): Invocation {
  let command: Command = 'transcribe';
  if (argv[0] === 'train' || argv[0] === 'eval') { command = argv[0]; argv = argv.slice(1); }
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as NodeJS.ErrnoException));
  }
  const v = parsed.values;
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
    windowSamples: samplesOf('window', v.window),
    hopSamples: samplesOf('hop', v.hop),
    modelDir: v.model,
    backend: v.backend as Config['backend'] | undefined,
    // Asking for a tfjs backend means asking tfjs to run the network, unless --kernel says otherwise.
    kernel: (v.kernel ?? (v.backend !== undefined ? 'tfjs' : undefined)) as Config['kernel'] | undefined,
    minNoteMs: num('min-note', v['min-note']),
    threshold: num('threshold', v.threshold),
    onsetThreshold: num('onset-threshold', v['onset-threshold']),
    ...rangeOf(v.range),
    tempo: num('tempo', v.tempo),
    program: num('program', v.program),
    midiChannel: num('midi-channel', v['midi-channel']),
    verbose: v.verbose,
  });
  if (cfg.events && cfg.output !== 'jsonl') throw new UsageError(`--events writes JSON lines; it cannot be combined with --output ${cfg.output}`);
  const files = parsed.positionals;
  const outDir = v['out-dir'] ?? null;
  // One MIDI file, picture or CSV table per input: several on stdout would not parse as one.
  if (command === 'transcribe' && files.length > 1 && (cfg.output === 'midi' || cfg.output === 'svg' || cfg.output === 'csv') && !outDir) {
    throw new UsageError(`--output ${cfg.output} with ${files.length} input files needs --out-dir DIR (one file per input)`);
  }
  if (command !== 'transcribe' && command !== 'help' && command !== 'version' && files.length) {
    throw new UsageError(`${command} takes no file arguments, got ${files[0]}`);
  }
  return {
    command, cfg, files, outDir, explicit,
    progress: v['no-progress'] ? false : v.progress ? true : null,
    csvHeader: Boolean(v['csv-header']),
    rest: v as Record<string, string | boolean | undefined>,
  };
}

export { DEFAULTS };
