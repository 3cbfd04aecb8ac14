// One Config for every stage. Stages take a Config (or a Pick of it), never positional defaults.

export type Encoding = 's16le' | 's24le' | 's32le' | 'f32le' | 'u8' | 's16be';
export type OutputFormat = 'jsonl' | 'midi' | 'csv' | 'svg';
export type Backend = 'auto' | 'node' | 'wasm' | 'cpu';
export type Kernel = 'wasm' | 'fast' | 'tfjs';

export const ENCODINGS: readonly Encoding[] = ['s16le', 's24le', 's32le', 'f32le', 'u8', 's16be'];
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'midi', 'csv', 'svg'];
export const BACKENDS: readonly Backend[] = ['auto', 'node', 'wasm', 'cpu'];
export const KERNELS: readonly Kernel[] = ['wasm', 'fast', 'tfjs'];

/** Rate the features and the model work at: 16 kHz keeps every piano fundamental (C8 = 4186 Hz)
 *  and its second partial while costing a third of 44.1 kHz. */
export const MODEL_RATE = 16000;

export interface Config {
  /** Input sample rate in Hz (sox/ffmpeg `-r`). */
  sampleRate: number;
  /** Interleaved input channels; mixed down to mono. */
  channels: number;
  /** Sample encoding of raw input; a WAV header overrides it. */
  encoding: Encoding;
  /** Analysis window in samples at MODEL_RATE: 2048 = 128 ms, enough to split semitones from ~C2 up
   *  and to see the harmonics that identify lower notes. Must match the model. */
  windowSamples: number;
  /** Hop between windows in samples at MODEL_RATE: 256 = 16 ms, the time resolution of notes. */
  hopSamples: number;
  /** Output format. */
  output: OutputFormat;
  /** JSON lines of note-on/note-off events as soon as they are known, instead of whole notes. */
  events: boolean;
  /** Directory of the trained model (tfjs layers format plus melodyfilter.json). */
  modelDir: string;
  /** TensorFlow.js backend used to load (and with kernel 'tfjs', run) the model. */
  backend: Backend;
  /** Who runs the network per window: 'wasm' (SIMD WebAssembly, lib/wasm/kernel.ts), 'fast' (the
   *  plain-TypeScript reference, lib/kernel.ts), both fed the tfjs weights; or 'tfjs' itself. */
  kernel: Kernel;
  /** Notes shorter than this are dropped, in milliseconds. */
  minNoteMs: number;
  /** Probability a key must reach to start a note; it ends below half of this (hysteresis). */
  threshold: number;
  /** Onset probability at which a key that is already sounding counts as struck again. */
  onsetThreshold: number;
  /** A re-strike inside a sounding note must also raise the window level by this many dB over the
   *  quietest of the three windows before it (0: the onset output alone decides). */
  strikeRiseDb: number;
  /** Lowest and highest MIDI note reported. */
  lowMidi: number;
  highMidi: number;
  /** MIDI file tempo in beats per minute; note times stay exact in seconds whatever it is. */
  tempo: number;
  /** General MIDI program (0-127) and channel (1-16) of the MIDI output. */
  program: number;
  midiChannel: number;
  /** Diagnostics on stderr. */
  verbose: boolean;
}

export const DEFAULTS: Readonly<Config> = Object.freeze({
  sampleRate: 44100, // sox's and CD audio's rate; what `sox -d` gives on most machines
  channels: 2, // the write-up's stereo input
  encoding: 's16le' as Encoding,
  windowSamples: 2048,
  hopSamples: 256,
  output: 'jsonl' as OutputFormat,
  events: false,
  modelDir: '', // filled in by resolveConfig: the shipped model
  backend: 'auto' as Backend,
  kernel: 'wasm' as Kernel,
  minNoteMs: 40, // shorter than any note a player means (a 1/32 at 200 bpm is 37 ms)
  threshold: 0.4, // best mean F1 on the validation set (scripts/tune-decoder.ts, see README)
  // The onset head is trained on a 1-then-0.5 target around each strike; with the timing jitter of
  // real strikes its peaks sit well below 1, so the split threshold is lower than the note one.
  onsetThreshold: 0.3,
  strikeRiseDb: 2, // from the validation set, as threshold: +0.019 mean F1 over 0 (README)
  lowMidi: 21, // A0, the lowest piano key
  highMidi: 108, // C8, the highest
  tempo: 120,
  program: 0, // Acoustic Grand Piano
  midiChannel: 1,
  verbose: false,
});

/** Thrown for anything the user asked for that cannot be done: exit code 2 from the CLI. */
export class UsageError extends Error {}
/** Thrown for input that cannot be read: exit code 1. */
export class InputError extends Error {}

const MAX_RATE = 768000; // the highest rate sox and ffmpeg write

export function resolveConfig(partial: Partial<Config> = {}, defaults: Readonly<Config> = DEFAULTS): Config {
  const cfg: Config = { ...defaults, ...stripUndefined(partial) };
  if (!cfg.modelDir) cfg.modelDir = defaultModelDir();
  checkInt('rate', cfg.sampleRate, 1000, MAX_RATE);
  checkInt('channels', cfg.channels, 1, 64);
  oneOf('encoding', cfg.encoding, ENCODINGS);
  oneOf('output', cfg.output, OUTPUT_FORMATS);
  oneOf('backend', cfg.backend, BACKENDS);
  oneOf('kernel', cfg.kernel, KERNELS);
  checkInt('window', cfg.windowSamples, 64, 1 << 16);
  checkInt('hop', cfg.hopSamples, 1, cfg.windowSamples);
  checkNumber('min-note', cfg.minNoteMs, 0, 60000);
  checkNumber('threshold', cfg.threshold, 0.01, 0.99);
  checkNumber('onset-threshold', cfg.onsetThreshold, 0.01, 0.99);
  checkInt('range low', cfg.lowMidi, 21, 108);
  checkInt('range high', cfg.highMidi, cfg.lowMidi, 108);
  checkNumber('tempo', cfg.tempo, 1, 1000);
  checkInt('program', cfg.program, 0, 127);
  checkInt('midi-channel', cfg.midiChannel, 1, 16);
  return cfg;
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped model: models/melody-gru beside lib/ (sources) or beside dist/ (compiled). */
export function defaultModelDir(): string {
  for (const rel of ['../models/melody-gru', '../../models/melody-gru']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../models/melody-gru', import.meta.url));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new UsageError(`--${name} must be an integer from ${lo} to ${hi}, got ${v}`);
  }
}

function checkNumber(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isFinite(v) || v < lo || v > hi) {
    throw new UsageError(`--${name} must be a number from ${lo} to ${hi}, got ${v}`);
  }
}

function oneOf<T extends string>(name: string, v: T, allowed: readonly T[]): void {
  if (!allowed.includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${v}`);
}
