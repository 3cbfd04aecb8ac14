// The pipeline, assembled: PCM bytes → mono → MODEL_RATE → windows → features → classifier → notes.
import { Duplex } from 'node:stream';
import { InputError, MODEL_RATE, UsageError, resolveConfig, type Config } from './config.js';
import { decodePcm, newDecodeReport, type DecodeReport } from './pcm.js';
import { resample } from './resample.js';
import { windows } from './window.js';
import { features, featureSizeOf } from './features.js';
import { classify } from './classify.js';
import { smoothNotes, type NoteOutput } from './smooth.js';
import { readWeightFile, shapeOfWeights, FastClassifier, type FrameClassifier, type ModelInfo, type ModelShape } from './kernel.js';
import { WasmClassifier, packWeights } from './wasm/kernel.js';
import type { Note, NoteEvent } from './notes.js';

export type Explicit = ReadonlySet<'sampleRate' | 'channels' | 'encoding'>;

export interface Engine {
  info: ModelInfo;
  shape: ModelShape;
  /** The tfjs backend in use, or 'none' when the fast kernel runs without tfjs. */
  backend: string;
  /** A fresh classifier (fresh LSTM state) for each stream. */
  newClassifier(): FrameClassifier;
}

/** Load the model once; streams then share it. The fast kernel reads the weights without loading
 *  TensorFlow.js at all (a second or more of start-up); --kernel tfjs starts a tfjs backend. */
export async function loadEngine(cfg: Pick<Config, 'backend' | 'modelDir' | 'kernel' | 'windowSamples' | 'hopSamples'>): Promise<Engine> {
  let engine: Engine;
  const file = await readWeightFile(cfg.modelDir);
  const arch = file.info.arch ?? 'lstm';
  // The wasm and fast kernels know the recurrent networks; the window models (comparison only) run in tfjs.
  if (cfg.kernel === 'wasm' && (arch === 'lstm' || arch === 'gru')) {
    const packed = packWeights(file.weights); // once per model; each stream's classifier copies it
    engine = { info: file.info, shape: packed.shape, backend: 'none', newClassifier: () => new WasmClassifier(packed) };
  } else if (cfg.kernel === 'fast' && (arch === 'lstm' || arch === 'gru')) {
    engine = { info: file.info, shape: shapeOfWeights(file.weights), backend: 'none', newClassifier: () => new FastClassifier(file.weights) };
  } else {
    const { useBackend } = await import('./backend.js');
    const { loadModel, TfjsClassifier } = await import('./model.js');
    const backend = await useBackend(cfg.backend);
    const loaded = await loadModel(cfg.modelDir, file);
    engine = { info: loaded.info, shape: loaded.shape, backend, newClassifier: () => new TfjsClassifier(loaded.model, arch) };
  }
  const { info } = engine;
  const expected = featureSizeOf(info.frontEnd ?? 'spectrum');
  if (engine.shape.featureSize !== expected) {
    throw new InputError(`model ${info.name} expects ${engine.shape.featureSize} features per window; this melodyfilter computes ${expected} (a model from another version)`);
  }
  if (info.windowSamples !== cfg.windowSamples || info.hopSamples !== cfg.hopSamples || info.sampleRate !== MODEL_RATE) {
    throw new UsageError(`model ${info.name} works on ${info.windowSamples}-sample windows with ${info.hopSamples}-sample hops at ${info.sampleRate} Hz; --window/--hop must match it (got ${cfg.windowSamples}/${cfg.hopSamples})`);
  }
  return engine;
}

/** The stages from bytes to notes, ready for stream.pipeline. */
export function noteStages(cfg: Config, engine: Engine, report: DecodeReport = newDecodeReport(), explicit?: Explicit) {
  const classifier = engine.newClassifier();
  return [
    decodePcm({ sampleRate: cfg.sampleRate, channels: cfg.channels, encoding: cfg.encoding, explicit }, report),
    resample(() => report.format!.sampleRate, MODEL_RATE),
    windows({ windowSamples: cfg.windowSamples, hopSamples: cfg.hopSamples, sampleRate: MODEL_RATE }),
    features(cfg, engine.info.frontEnd),
    classify(classifier),
    smoothNotes({ ...cfg, sampleRate: MODEL_RATE }),
  ] as const;
}

/** The stages as one function from bytes to batches of notes, for use outside stream.pipeline. */
function chain([decode, toModelRate, win, feats, cls, notes]: ReturnType<typeof noteStages>) {
  return (src: AsyncIterable<Uint8Array | string>): AsyncIterable<NoteOutput[]> => notes(cls(feats(win(toModelRate(decode(src))))));
}

export interface TranscriberOptions extends Partial<Config> {
  /** Reuse a loaded engine (many streams, one model load). */
  engine?: Engine;
}

/**
 * A Duplex stream: write PCM bytes (raw or WAV), read Note objects (or NoteEvents with `events: true`)
 * as soon as each is known. Backpressure flows both ways.
 */
export async function createTranscriber(opts: TranscriberOptions = {}): Promise<Duplex> {
  const { engine: given, ...partial } = opts;
  const cfg = resolveConfig(partial);
  const engine = given ?? (await loadEngine(cfg));
  const toNotes = chain(noteStages(cfg, engine));
  return Duplex.from(async function* (src: AsyncIterable<Uint8Array>) {
    for await (const batch of toNotes(src)) {
      for (const o of batch) yield o.kind === 'note' ? o.note : o.event;
    }
  }).setDefaultEncoding('binary');
}

/** Transcribe a whole buffer of PCM (raw with the given format, or a WAV file's bytes). */
export async function transcribe(pcm: Uint8Array, opts?: TranscriberOptions & { events?: false }): Promise<Note[]>;
export async function transcribe(pcm: Uint8Array, opts: TranscriberOptions & { events: true }): Promise<NoteEvent[]>;
export async function transcribe(pcm: Uint8Array, opts?: TranscriberOptions): Promise<(Note | NoteEvent)[]>;
export async function transcribe(pcm: Uint8Array, opts: TranscriberOptions = {}): Promise<(Note | NoteEvent)[]> {
  const { engine: given, ...partial } = opts;
  const cfg = resolveConfig(partial);
  const engine = given ?? (await loadEngine(cfg));
  async function* once() { yield pcm; }
  const out: (Note | NoteEvent)[] = [];
  for await (const batch of chain(noteStages(cfg, engine))(once())) {
    for (const o of batch) out.push(o.kind === 'note' ? o.note : o.event);
  }
  return out;
}

export type { NoteOutput };
