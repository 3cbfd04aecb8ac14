// One Config for a run: what the user chooses (input format, output, decoder overrides). What the
// model fixes (its rate, window, hop, front end, decoder defaults) is its card's (card.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DECODER_RANGES } from './model/card.js';
import type { Key } from './score/key.js';
import type { Meter } from './score/notate.js';

export type Encoding = 's16le' | 's24le' | 's32le' | 'f32le' | 'u8' | 's16be';
/** A name in WRITERS (lib/writers/registry.ts), which owns the list: the CLI's -o takes its names. */
export type OutputFormat = string;
export type Backend = 'auto' | 'node' | 'wasm' | 'cpu';
/** A name in KERNEL_ENTRIES (lib/model/kernels.ts), which owns the list and refuses other names. */
export type Kernel = string;

export const ENCODINGS: readonly Encoding[] = ['s16le', 's24le', 's32le', 'f32le', 'u8', 's16be'];
export const BACKENDS: readonly Backend[] = ['auto', 'node', 'wasm', 'cpu'];

export interface Config {
  /** Input sample rate in Hz (sox/ffmpeg `-r`); a WAV header's overrides it. Not the model's rate. */
  sampleRate: number;
  /** Interleaved input channels; mixed down to mono. */
  channels: number;
  /** Sample encoding of raw input; a WAV header overrides it. */
  encoding: Encoding;
  /** Output format. */
  output: OutputFormat;
  /** JSON lines of note-on/note-off events as soon as they are known, instead of whole notes. */
  events: boolean;
  /** Directory of the trained model (tfjs layers format plus melodyfilter.json). */
  modelDir: string;
  /** TensorFlow.js backend used to load (and with kernel 'tfjs', run) the model. */
  backend: Backend;
  /** Who runs the network per window: 'wasm' (SIMD WebAssembly, lib/model/wasm-kernel.ts), 'fast' (the
   *  plain-TypeScript reference, lib/model/fast-kernel.ts), both fed the tfjs weights; or 'tfjs' itself. */
  kernel: Kernel;
  /** Notes shorter than this are dropped, in milliseconds. */
  minNoteMs: number;
  /** Overrides of the model card's decoder settings (card.ts DecoderSettings); unset: the card's. */
  threshold?: number;
  onsetThreshold?: number;
  strikeRiseDb?: number;
  releaseRatio?: number;
  releaseFallDb?: number;
  onsetConfirmFrames?: number;
  silenceOnset?: number;
  silenceThreshold?: number;
  fadeHoldFrames?: number;
  offsetThreshold?: number;
  /** Lowest and highest MIDI note reported. */
  lowMidi: number;
  highMidi: number;
  /** MIDI file tempo in beats per minute; note times stay exact in seconds whatever it is. */
  tempo: number;
  /** General MIDI program (0-127) and channel (1-16) of the MIDI output. */
  program: number;
  midiChannel: number;
  /** The notation outputs' metre and key when the user knows them; unset: read from the notes. */
  meter?: Meter;
  key?: Key;
  /** Diagnostics on stderr. */
  verbose: boolean;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  sampleRate: 44100, // sox's and CD audio's rate; what `sox -d` gives on most machines
  channels: 2, // the write-up's stereo input
  encoding: 's16le' as Encoding,
  output: 'jsonl' as OutputFormat,
  events: false,
  modelDir: '', // filled in by resolveConfig: the shipped model
  backend: 'auto' as Backend,
  kernel: 'wasm' as Kernel,
  minNoteMs: 40, // shorter than any note a player means (a 1/32 at 200 bpm is 37 ms)
  lowMidi: 21, // A0, the lowest piano key
  highMidi: 108, // C8, the highest
  tempo: 120,
  program: 0, // Acoustic Grand Piano
  midiChannel: 1,
  // Unset unless asked for (the model's card, or the notes, decide); listed so that DEFAULTS names
  // every Config field, which is how the CLI tells a Config field from its own.
  threshold: undefined,
  onsetThreshold: undefined,
  strikeRiseDb: undefined,
  releaseRatio: undefined,
  releaseFallDb: undefined,
  onsetConfirmFrames: undefined,
  silenceOnset: undefined,
  silenceThreshold: undefined,
  fadeHoldFrames: undefined,
  offsetThreshold: undefined,
  meter: undefined,
  key: undefined,
  verbose: false,
});

/** Whether `name` is a Config field (a flag's target may be one, or the command's own). */
export function isConfigField(name: string): name is keyof Config {
  return Object.hasOwn(DEFAULTS, name);
}

/** Thrown for anything the user asked for that cannot be done: exit code 2 from the CLI. */
export class UsageError extends Error {}
/** Thrown for input that cannot be read: exit code 1. */
export class InputError extends Error {}

/** An errno as words: "not a directory", not "ENOTDIR: not a directory, mkdir 'x/y'". */
export function errnoWords(e: NodeJS.ErrnoException): string {
  return /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
}

/** A Config field out of range, in the library's words (`sampleRate must be …`); the CLI rewords it
 *  in its flags' (`--rate must be …`). */
export class ConfigError extends UsageError {
  constructor(readonly field: keyof Config, readonly problem: string) {
    super(`${field} ${problem}`);
  }
}

export const MAX_RATE = 768000; // the highest rate sox and ffmpeg write
/** Below this, input is refused: it holds nothing above B5 (half the rate), and the network, which
 *  knows a key by its harmonics too, misreads even the keys below. At 1000 Hz an E4-G4 melody came
 *  out as D#2 D#2 (issue 22). Rates up to twice the highest key asked for only get a warning (cli/transcribe.ts). */
export const MIN_INPUT_RATE = 2000;

/** What each numeric Config field may be, checked by resolveConfig and taken by the CLI's flags as
 *  their ranges (one owner for both). */
export const CONFIG_RANGES = Object.freeze({
  sampleRate: [MIN_INPUT_RATE, MAX_RATE],
  channels: [1, 64],
  minNoteMs: [0, 60000], // a minute: longer than any note held
  lowMidi: [21, 108], // A0-C8, the piano's keys
  highMidi: [21, 108],
  tempo: [1, 1000],
  program: [0, 127], // General MIDI
  midiChannel: [1, 16],
} as const satisfies Partial<Record<keyof Config, readonly [number, number]>>);

export function resolveConfig(partial: Partial<Config> = {}, defaults: Readonly<Config> = DEFAULTS): Config {
  const cfg: Config = { ...defaults, ...stripUndefined(partial) };
  if (!cfg.modelDir) cfg.modelDir = defaultModelDir();
  const R = CONFIG_RANGES;
  checkInt('sampleRate', cfg.sampleRate, ...R.sampleRate);
  checkInt('channels', cfg.channels, ...R.channels);
  oneOf('encoding', cfg.encoding, ENCODINGS);
  oneOf('backend', cfg.backend, BACKENDS);
  checkNumber('minNoteMs', cfg.minNoteMs, ...R.minNoteMs);
  for (const field of Object.keys(DECODER_RANGES) as (keyof typeof DECODER_RANGES)[]) {
    const v = cfg[field];
    if (v !== undefined) checkNumber(field, v, ...DECODER_RANGES[field]);
  }
  checkInt('lowMidi', cfg.lowMidi, ...R.lowMidi);
  checkInt('highMidi', cfg.highMidi, cfg.lowMidi, R.highMidi[1]);
  checkNumber('tempo', cfg.tempo, ...R.tempo);
  checkInt('program', cfg.program, ...R.program);
  checkInt('midiChannel', cfg.midiChannel, ...R.midiChannel);
  return cfg;
}

/** The shipped model: models/melody-lstm beside lib/ (sources) or beside dist/ (compiled). */
export function defaultModelDir(): string {
  for (const rel of ['../models/melody-lstm', '../../models/melody-lstm']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../models/melody-lstm', import.meta.url));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function checkInt(name: keyof Config, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ConfigError(name, `must be an integer from ${lo} to ${hi}, got ${v}`);
  }
}

function checkNumber(name: keyof Config, v: number, lo: number, hi: number): void {
  if (!Number.isFinite(v) || v < lo || v > hi) {
    throw new ConfigError(name, `must be a number from ${lo} to ${hi}, got ${v}`);
  }
}

function oneOf<T extends string>(name: keyof Config, v: T, allowed: readonly T[]): void {
  if (!allowed.includes(v)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${v}`);
}
