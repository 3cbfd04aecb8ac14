// Features: a window of samples → log-frequency spectrum normalised for gain, plus onset evidence.
//
// Why this front end: piano notes are spaced by semitones on a log axis, so bins at 1/3 semitone
// let the network see a note's fundamental and its (stretched) partials at fixed offsets whatever
// the key. Subtracting a running peak makes the features the same at any input gain, and the
// per-semitone rise since the previous frame marks a re-struck key even when its pitch is unchanged.
import { realFft, type RealFft } from '../wasm/fft.js';
import { FeatureCore } from '../wasm/features.js';
import { MODEL_RATE, midiToHz } from '../music.js';

export const LOWEST_MIDI = 21; // A0, the lowest piano key
export const TOP_MIDI = 118; // highest semitone whose bins stay under 8 kHz (Nyquist at MODEL_RATE)
export const BINS_PER_SEMITONE = 3;
export const SEMITONES = TOP_MIDI - LOWEST_MIDI + 1; // 98
export const SPECTRUM_BINS = SEMITONES * BINS_PER_SEMITONE; // 294
/** Spectrum bins, per-semitone onset evidence, and the frame's mean level below the running peak. */
export const FEATURE_SIZE = SPECTRUM_BINS + SEMITONES + 1; // 393
export const LEVEL_FEATURE = SPECTRUM_BINS + SEMITONES;
/** dB span mapped onto 0..1 below the running peak: quieter than this is silence to the model. */
export const RANGE_DB = 80;
/** Peak follower release, dB per frame (at 16 ms hops ≈ 9 dB/s): slower than most piano decays, so a
 *  long note's fading is visible, fast enough to forget a loud chord within ten seconds.
 *  The raw front end (raw.ts) releases its peak as fast. */
export const RELEASE_DB_PER_FRAME = 0.15;
/** Rise in dB over one hop that counts as a full onset (1.0). */
export const ONSET_RISE_DB = 20;
export const FLOOR_DB = -110; // power of one LSB of 16-bit audio is about -100 dB here: below is digital silence

/** Sparse triangular filterbank from FFT bins to log-frequency bins. */
export interface Filterbank {
  start: Int32Array; // first FFT bin of each log bin
  weights: Float32Array[]; // weights from `start` on, summing to 1
}

export function buildFilterbank(windowSamples: number): Filterbank {
  const binHz = MODEL_RATE / windowSamples;
  const start = new Int32Array(SPECTRUM_BINS);
  const weights: Float32Array[] = [];
  for (let j = 0; j < SPECTRUM_BINS; j++) {
    // Bin j is centred so that bin 3·(m − 21) + 1 sits exactly on MIDI note m.
    const centreMidi = LOWEST_MIDI + (j - 1) / BINS_PER_SEMITONE;
    const c = midiToHz(centreMidi) / binHz;
    const lo = midiToHz(centreMidi - 1 / BINS_PER_SEMITONE) / binHz;
    const hi = midiToHz(centreMidi + 1 / BINS_PER_SEMITONE) / binHz;
    // Below ~C3 the triangle is narrower than one FFT bin: widen it to ±1 bin, which interpolates.
    const left = Math.max(c - lo, 1), right = Math.max(hi - c, 1);
    const k0 = Math.max(1, Math.ceil(c - left)), k1 = Math.min(windowSamples / 2, Math.floor(c + right));
    const w = new Float32Array(Math.max(0, k1 - k0 + 1));
    let sum = 0;
    for (let k = k0; k <= k1; k++) {
      const v = k < c ? 1 - (c - k) / left : 1 - (k - c) / right;
      w[k - k0] = Math.max(v, 0);
      sum += w[k - k0];
    }
    for (let i = 0; i < w.length; i++) w[i] /= sum || 1;
    start[j] = k0;
    weights.push(w);
  }
  return { start, weights };
}

/** The last part of a 'newest' window, where it falls: 1/8, 16 ms of 2048 samples. */
const NEWEST_FALL = 1 / 8;

/** Analysis windows: how each is built, and where in it a frame is (a fraction of the window; the
 *  window reaches the rest past its frame's time, which every frame waits for: the floor under
 *  note-on latency). 'hann' weighs the window's middle; its newest quarter is weighted too lightly
 *  to hear an onset, so a frame sits 3/4 in, the earliest point it can vouch for. 'newest' (issue
 *  19, latency) rises over the window's first 7/8 and falls over its last 1/8, its frame at that
 *  peak: a key struck 16 ms before the end already carries 13% of the window's energy (Hann: 0.15%)
 *  while the long rise keeps the frequency resolution (−3 dB width 0.69 bins against 0.75). The
 *  price is leakage: −15 dB two bins away, where Hann's sidelobes sit at −31 dB. */
export const WINDOW_SHAPES = {
  hann: { make: (n: number) => hannWindow(n), reference: 3 / 4 },
  newest: { make: (n: number) => newestWindow(n, n * NEWEST_FALL), reference: 1 - NEWEST_FALL },
} as const;
export type WindowShape = keyof typeof WINDOW_SHAPES;

export function analysisWindow(shape: WindowShape, n: number): Float32Array {
  return WINDOW_SHAPES[shape].make(n);
}

/** The filterbank and window by shape and size: the same for every stream, built once a process
 *  (a batch of files would otherwise build them per file). FeatureCore copies them; never modified. */
const TABLES = new Map<string, { filterbank: ReturnType<typeof buildFilterbank>; window: Float32Array }>();

function tablesFor(windowSamples: number, shape: WindowShape) {
  const key = `${shape}/${windowSamples}`;
  let t = TABLES.get(key);
  if (!t) {
    t = { filterbank: buildFilterbank(windowSamples), window: analysisWindow(shape, windowSamples) };
    TABLES.set(key, t);
  }
  return t;
}

/**
 * Stateful feature extractor: one per stream. `compute` writes FEATURE_SIZE values for one window.
 * Also reports the window's RMS level in dBFS (for note velocity). The FFT runs in PFFFT, the
 * analysis window and everything after the FFT in assembly/features.ts (the same maths as the
 * plain-TypeScript reference in test/fixtures/reference-features.ts, which the tests compare).
 */
export class FeatureExtractor {
  private readonly fft: RealFft;
  private readonly core: FeatureCore;
  /** RMS of the last window, dBFS. */
  levelDb = -Infinity;

  constructor(readonly windowSamples: number, shape: WindowShape = 'hann') {
    this.fft = realFft(windowSamples);
    const { filterbank, window } = tablesFor(windowSamples, shape);
    this.core = new FeatureCore(filterbank, window, {
      fftSize: windowSamples, binsPerSemitone: BINS_PER_SEMITONE, featureSize: FEATURE_SIZE,
      norm: powerNorm(windowSamples),
      rangeDb: RANGE_DB, releaseDbPerFrame: RELEASE_DB_PER_FRAME, onsetRiseDb: ONSET_RISE_DB, floorDb: FLOOR_DB,
    });
  }

  /** Back to the state of a new extractor, for the next stream (frontends.ts keeps them for reuse). */
  reset(): void {
    this.core.reset();
    this.levelDb = -Infinity;
  }

  compute(samples: Float32Array, out: Float32Array, outOffset = 0): void {
    const energy = this.core.prepare(samples.subarray(0, this.windowSamples));
    this.levelDb = 10 * Math.log10(energy / this.windowSamples + 1e-12);
    this.fft.input().set(this.core.frame);
    this.fft.forward();
    this.core.compute(this.fft.output(), out, outOffset);
  }
}

export function hannWindow(n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** A half-Hann rise over the first n − fall samples, a half-Hann fall over the last `fall`: its sum
 *  is n / 2, as Hann's, so powerNorm holds for both. */
export function newestWindow(n: number, fall: number): Float32Array {
  const w = new Float32Array(n), rise = n - fall;
  for (let i = 0; i < rise; i++) w[i] = Math.sin((Math.PI / 2) * (i / rise)) ** 2;
  for (let i = rise; i < n; i++) w[i] = Math.cos((Math.PI / 2) * ((i - rise) / fall)) ** 2;
  return w;
}

/** Power normalised so that a full-scale sine peaks near 0 dB. */
export function powerNorm(n: number): number {
  return 4 / (n * n * 0.25);
}
