// What a model hears, one entry per front end: its features per window, what it computes them
// with, and where in them named parts sit that later stages read. Adding a front end is one module
// (its extractor) plus one entry here (see CONTRIBUTING.md).
import { FeatureExtractor, FEATURE_SIZE, SPECTRUM_BINS, WINDOW_SHAPES } from './features.js';
import { RawExtractor, RAW_SAMPLES } from './raw.js';
import type { WindowBatch } from './window.js';
import { IdlePool } from './idle.js';

/** Stateful per stream: one window in, `size` features out, and the window's level. */
export interface Extractor {
  compute(samples: Float32Array, out: Float32Array, outOffset: number): void;
  /** RMS of the last window, dBFS (for note velocity). */
  readonly levelDb: number;
  /** Back to the state of a new extractor, so the next stream can reuse it. */
  reset(): void;
}

export interface FrontEnd {
  /** Features per window. */
  size: number;
  make(windowSamples: number): Extractor;
  /** Offset of the per-semitone rise features (A0 up, in units of ONSET_RISE_DB) that the note
   *  tracker's re-strike check reads; undefined: this front end has none and the check is off. */
  riseOffset?: number;
  /** Offset of the log-frequency spectrum (BINS_PER_SEMITONE bins per semitone from A0, in units of
   *  RANGE_DB below the running peak) that the note tracker's release check reads; undefined: none. */
  spectrumOffset?: number;
  /** Where in its window a frame is, as a fraction of the window (referenceOffset below). */
  reference: number;
}

export const FRONT_ENDS = {
  /** Log-frequency spectrum, onset evidence per semitone, level (features.ts). */
  spectrum: {
    size: FEATURE_SIZE, make: (n) => new FeatureExtractor(n), riseOffset: SPECTRUM_BINS, spectrumOffset: 0,
    reference: WINDOW_SHAPES.hann.reference,
  },
  /** The same features through an analysis window weighted to its newest samples (features.ts
   *  WindowShape 'newest'), a frame placed at the window's peak, 7/8 of the way in: each frame waits
   *  16 ms for its audio where the spectrum's waits 32, and a key's evidence is strong sooner. */
  'spectrum-newest': {
    size: FEATURE_SIZE, make: (n) => new FeatureExtractor(n, 'newest'), riseOffset: SPECTRUM_BINS, spectrumOffset: 0,
    reference: WINDOW_SHAPES.newest.reference,
  },
  /** The window's raw samples (raw.ts). */
  raw: {
    size: RAW_SAMPLES, make: (n) => new RawExtractor(n, Math.floor(n * WINDOW_SHAPES.hann.reference)),
    reference: WINDOW_SHAPES.hann.reference,
  },
} satisfies Record<string, FrontEnd>;

export type FrontEndName = keyof typeof FRONT_ENDS;

/** Where in its window a frame "is", in samples: its front end's `reference`. Frame k's reference is
 *  sample k·hop, so frame times are exact multiples of the hop; the window reaches windowSamples −
 *  this past it. */
export function referenceOffset(windowSamples: number, frontEnd: FrontEndName): number {
  return Math.floor(windowSamples * FRONT_ENDS[frontEnd].reference);
}
export function isFrontEndName(name: string): name is FrontEndName {
  return Object.hasOwn(FRONT_ENDS, name);
}

/** A front end a user names, checked (the scripts' --front-end). */
export function frontEndNamed(name: string): FrontEndName {
  if (!isFrontEndName(name)) throw new Error(`no front end '${name}' (${Object.keys(FRONT_ENDS).join(' ')})`);
  return name;
}

/** Windows turned into features: `count` × `stride`, plus each window's level in dBFS. */
export interface FrameBatch {
  firstIndex: number;
  count: number;
  features: Float32Array;
  /** Features per window. */
  stride: number;
  /** Where the per-semitone rises sit in each window's features (FrontEnd.riseOffset). */
  riseOffset?: number;
  /** Where the log-frequency spectrum sits in each window's features (FrontEnd.spectrumOffset). */
  spectrumOffset?: number;
  levelsDb: Float32Array;
  endSeconds?: number;
}

/** Extractors of finished streams, by front end and window (idle.ts). */
const IDLE_EXTRACTORS = new IdlePool<Extractor>();

/** Stream stage: window batches → feature batches. One extractor per stream (it carries the peak). */
export function features(card: { windowSamples: number; frontEnd: FrontEndName }) {
  const { size, riseOffset, spectrumOffset, make }: FrontEnd = FRONT_ENDS[card.frontEnd];
  const n = card.windowSamples;
  const key = `${card.frontEnd}/${n}`;
  return async function* (src: AsyncIterable<WindowBatch>): AsyncGenerator<FrameBatch> {
    const fx = IDLE_EXTRACTORS.take(key, () => make(n));
    try {
      for await (const b of src) {
        const feats = new Float32Array(b.count * size);
        const levels = new Float32Array(b.count);
        for (let i = 0; i < b.count; i++) {
          fx.compute(b.samples.subarray(i * b.stride, i * b.stride + n), feats, i * size);
          levels[i] = fx.levelDb;
        }
        yield {
          firstIndex: b.firstIndex, count: b.count, features: feats, stride: size, riseOffset, spectrumOffset,
          levelsDb: levels,
          endSeconds: b.endSeconds,
        };
      }
    } finally {
      IDLE_EXTRACTORS.give(key, fx);
    }
  };
}
