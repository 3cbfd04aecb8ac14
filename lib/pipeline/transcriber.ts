// The pipeline, assembled: PCM bytes → mono → the model's rate → windows → features → classifier →
// notes. The model card (card.ts) says what the model needs; each stage is given its part of it.
import { Duplex } from 'node:stream';
import { InputError, resolveConfig, type Config } from '../config.js';
import { DECODER_RANGES, type ModelCard } from '../model/card.js';
import type { ModelShape } from '../model/networks.js';
import { decodePcm, newDecodeReport, type DecodeReport, type FormatField } from './pcm.js';
import { resample } from './resample.js';
import { windows } from './window.js';
import { features } from './frontends.js';
import { classify } from './classify.js';
import { smoothNotes } from './decoder.js';
import { type FrameClassifier } from '../model/kernels.js';
import { readWeightFile } from '../model/files.js';
import { KERNEL_ENTRIES, kernelFor } from '../model/kernels.js';
import type { Note, NoteEvent, NoteOutput } from '../notes.js';

export type Explicit = ReadonlySet<'sampleRate' | 'channels' | 'encoding'>;

export interface Engine {
  card: ModelCard;
  shape: ModelShape;
  /** The tfjs backend in use, or 'none' when our own kernel (wasm or fast) runs without tfjs. */
  backend: string;
  /** A fresh classifier (fresh recurrent state) for each stream; the stream disposes it. */
  newClassifier(): FrameClassifier;
}

/** Load the model once; streams then share it. The kernels read the weights without loading
 *  TensorFlow.js at all (a second or more of start-up); --kernel tfjs starts a tfjs backend. Which
 *  kernel runs which network is the registry's (kernels.ts): a network the asked one cannot run goes
 *  to the next that can (the window models to tfjs; PyTorch's reset-after GRU to the TS kernel). */
export async function loadEngine(cfg: Pick<Config, 'backend' | 'modelDir' | 'kernel'>): Promise<Engine> {
  const file = await readWeightFile(cfg.modelDir);
  const kernel = KERNEL_ENTRIES[kernelFor(file, cfg.kernel) as Config['kernel']];
  const loaded = await kernel.load(file, cfg);
  checkFeatureSize(file.card, loaded.shape);
  return { card: file.card, ...loaded };
}

function checkFeatureSize(card: ModelCard, shape: ModelShape): void {
  if (shape.featureSize !== card.featureSize) {
    throw new InputError(`model ${card.name} expects ${shape.featureSize} features per window; ` +
      `this melodyfilter computes ${card.featureSize} (a model from another version)`);
  }
}

/** The stages from bytes to notes, ready for stream.pipeline. */
export function noteStages(cfg: Config, engine: Engine, report: DecodeReport = newDecodeReport(), explicit?: Explicit) {
  const { card } = engine;
  const decoder = { ...card.decoder, ...decoderOverrides(cfg) };
  return [
    decodePcm({ sampleRate: cfg.sampleRate, channels: cfg.channels, encoding: cfg.encoding, explicit }, report),
    resample(card.modelRate),
    windows(card),
    features(card),
    classify(() => engine.newClassifier(), engine.shape.offsetHead === true && decoder.offsetThreshold > 0),
    smoothNotes({
      ...decoder, hopSamples: card.hopSamples, windowSamples: card.windowSamples, frontEnd: card.frontEnd,
      modelRate: card.modelRate,
      minNoteMs: cfg.minNoteMs, lowMidi: cfg.lowMidi, highMidi: cfg.highMidi, events: cfg.events,
    }),
  ] as const;
}

/** The decoder settings given in `cfg`; the rest come from the model card. */
function decoderOverrides(cfg: Config): Partial<ModelCard['decoder']> {
  const out: Partial<ModelCard['decoder']> = {};
  for (const field of Object.keys(DECODER_RANGES) as (keyof ModelCard['decoder'])[]) {
    const v = cfg[field];
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** The stages as one function from bytes to batches of notes, for use outside stream.pipeline. */
function chain([decode, toModelRate, win, feats, cls, notes]: ReturnType<typeof noteStages>) {
  return (src: AsyncIterable<Uint8Array | string>): AsyncIterable<NoteOutput[]> =>
    notes(cls(feats(win(toModelRate(decode(src))))));
}

export interface TranscriberOptions extends Partial<Config> {
  /** Reuse a loaded engine (many streams, one model load). */
  engine?: Engine;
}

/** The format fields a caller gave: a WAV header must agree with them, as with the CLI's flags
 *  (`transcribe(wav, { sampleRate: 22050 })` on a 16 kHz WAV is an error, not a silent override). */
function givenFormat(opts: TranscriberOptions): Set<FormatField> {
  return new Set((['sampleRate', 'channels', 'encoding'] as const).filter((k) => opts[k] !== undefined));
}

/** A Duplex whose readable side gives Note objects (NoteEvents with `events: true`), typed. */
export interface Transcriber<T extends Note | NoteEvent = Note> extends Duplex {
  read(size?: number): T | null;
  [Symbol.asyncIterator](): AsyncIterableIterator<T>;
  on(event: 'data', listener: (item: T) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this; // eslint-disable-line
}

/**
 * A Duplex stream: write PCM bytes (raw or WAV), read Note objects (or NoteEvents with `events: true`)
 * as soon as each is known. Backpressure flows both ways.
 */
export async function createTranscriber(opts?: TranscriberOptions & { events?: false }): Promise<Transcriber<Note>>;
export async function createTranscriber(opts: TranscriberOptions & { events: true }): Promise<Transcriber<NoteEvent>>;
export async function createTranscriber(opts?: TranscriberOptions): Promise<Transcriber<Note | NoteEvent>>;
export async function createTranscriber(opts: TranscriberOptions = {}): Promise<Transcriber<Note | NoteEvent>> {
  const { engine: given, ...partial } = opts;
  const cfg = resolveConfig(partial);
  const engine = given ?? (await loadEngine(cfg));
  const toNotes = chain(noteStages(cfg, engine, newDecodeReport(), givenFormat(opts)));
  return Duplex.from(async function* (src: AsyncIterable<Uint8Array>) {
    for await (const batch of toNotes(src)) {
      for (const o of batch) yield o.kind === 'note' ? o.note : o.event;
    }
  }).setDefaultEncoding('binary') as Transcriber<Note | NoteEvent>;
}

/** Transcribe a whole buffer of PCM (raw with the given format, or a WAV file's bytes). */
export async function transcribe(pcm: Uint8Array, opts?: TranscriberOptions & { events?: false }): Promise<Note[]>;
export async function transcribe(pcm: Uint8Array, opts: TranscriberOptions & { events: true }): Promise<NoteEvent[]>;
export async function transcribe(pcm: Uint8Array, opts?: TranscriberOptions): Promise<(Note | NoteEvent)[]>;
export async function transcribe(pcm: Uint8Array, opts: TranscriberOptions = {}): Promise<(Note | NoteEvent)[]> {
  // The library's own words for what it was given: not the CLI's "on stdin", not a bare TypeError.
  if (!(pcm instanceof Uint8Array)) {
    const got = pcm === null ? 'null' : typeof pcm === 'string' ? 'a string' : typeof pcm;
    throw new InputError(`transcribe() takes the audio's bytes (a Buffer or Uint8Array), got ${got}`);
  }
  const { engine: given, ...partial } = opts;
  const cfg = resolveConfig(partial);
  const engine = given ?? (await loadEngine(cfg));
  async function* once() { yield pcm; }
  const out: (Note | NoteEvent)[] = [];
  for await (const batch of chain(noteStages(cfg, engine, newDecodeReport(), givenFormat(opts)))(once())) {
    for (const o of batch) out.push(o.kind === 'note' ? o.note : o.event);
  }
  return out;
}

