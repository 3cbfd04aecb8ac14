// The harmonic front layer (issue 19): a convolution over the log-frequency spectrum that looks, for
// each key, at the bins where that key's partials lie. On a log axis a key's partials sit at the same
// offsets from its fundamental whatever the key (Basic Pitch's "harmonic stacking"), so one small set
// of weights, shared by every key, can learn what a struck key looks like across its partials and
// tell it from its octave below (whose 2nd partial is this key) or a rumble (no partials at all).
//
// Geometry (one owner: this module; the trainer reads it from the spec's card). For key p (0 = A0 …
// 87 = C8) and channel c:
//   out[p·C + c] = relu(b[c] + Σ_h Σ_s w[(h·S + s)·C + c] · spectrum[centre(p) + SHIFTS[h] + SPREAD[s]])
// where centre(p) = 3p + 1 is the key's own bin (features.ts: bin 3·(m − 21) + 1 sits on MIDI m) and a
// bin outside the spectrum counts as 0. The layer's output is appended to the features: the network
// after it (Dense → LSTM) hears the spectrum as before plus these 88·C values.
//
// In model.json the layer is a plain Dense (393 → 88·C, relu) whose kernel holds the shared weights
// at those places and zeros elsewhere, so TensorFlow.js runs it as it is; our kernels read the shared
// weights back (readHarmonic) and compute only the taps.
import { InputError } from '../config.js';
import { BINS_PER_SEMITONE, SPECTRUM_BINS } from '../pipeline/features.js';

/** Partials heard, as bin offsets from the key's own (1/3 semitone bins): the octave below (a key
 *  whose sub-octave sounds is often that lower key), then partials 1…8 at 36·log2(h), rounded. A
 *  piano's stretched partials drift sharp by up to a bin by the 8th; SPREAD covers that. */
export const HARMONIC_SHIFTS: readonly number[] = [-36, 0, 36, 57, 72, 84, 93, 101, 108];
/** Bins either side of each partial's place. */
export const HARMONIC_SPREAD: readonly number[] = [-1, 0, 1];
export const KEYS = 88;
/** Taps per key and channel. */
export const TAPS = HARMONIC_SHIFTS.length * HARMONIC_SPREAD.length;

/** Key p's own bin is binsPerKey · p + FIRST_BIN (features.ts: bin 3·(m − 21) + 1 sits on MIDI m). */
const FIRST_BIN = 1;

/** The geometry as the card stores it (the trainer builds its layer from it: nothing of it is
 *  written twice). The spectrum is the first spectrumBins features. */
export interface HarmonicGeometry {
  shifts: number[]; spread: number[]; keys: number; binsPerKey: number; firstBin: number; spectrumBins: number;
}
export const HARMONIC_GEOMETRY: HarmonicGeometry = {
  shifts: [...HARMONIC_SHIFTS], spread: [...HARMONIC_SPREAD], keys: KEYS, binsPerKey: BINS_PER_SEMITONE,
  firstBin: FIRST_BIN, spectrumBins: SPECTRUM_BINS,
};

export function sameGeometry(g: unknown): boolean {
  return JSON.stringify(g) === JSON.stringify(HARMONIC_GEOMETRY);
}

/** Spectrum bin of key p's tap t (h = ⌊t / S⌋, s = t mod S), or −1 outside the spectrum. */
export function tapBin(p: number, t: number): number {
  const S = HARMONIC_SPREAD.length;
  const bin = BINS_PER_SEMITONE * p + FIRST_BIN + HARMONIC_SHIFTS[Math.floor(t / S)] + HARMONIC_SPREAD[t % S];
  return bin >= 0 && bin < SPECTRUM_BINS ? bin : -1;
}

/** Every key's taps, KEYS × TAPS spectrum bins (−1: none), made once: the kernels read it per model. */
export const TAP_BINS: Int32Array = Int32Array.from(
  { length: KEYS * TAPS }, (_, i) => tapBin(Math.floor(i / TAPS), i % TAPS));

/** The shared weights: TAPS × channels (tap-major) and channels biases. */
export interface HarmonicWeights { channels: number; w: Float32Array; b: Float32Array }

/** The first key whose taps all lie inside the spectrum: where readHarmonic reads the shared weights
 *  (trainer/nets.py Harmonic.load finds the same key). */
const WHOLE_KEY = Array.from({ length: KEYS }, (_, p) => p)
  .find((p) => TAP_BINS.subarray(p * TAPS, (p + 1) * TAPS).every((b) => b >= 0))!;

/** The shared weights from the layer's Dense kernel (featureSize × 88·C) and bias, checked: a
 *  kernel that differs from its shared weights anywhere (another geometry, a damaged file) would
 *  compute something else than the taps, so it is refused. */
export function readHarmonic(kernel: { shape: number[]; data: Float32Array }, bias: Float32Array): HarmonicWeights {
  const [F, units] = kernel.shape;
  const channels = units / KEYS;
  if (!Number.isInteger(channels) || channels < 1 || bias.length !== units || F < SPECTRUM_BINS) {
    throw new InputError(`harmonic layer of shape [${kernel.shape}] is not ${KEYS} keys × channels`);
  }
  const w = new Float32Array(TAPS * channels);
  for (let t = 0; t < TAPS; t++) {
    const row = tapBin(WHOLE_KEY, t) * units + WHOLE_KEY * channels;
    for (let c = 0; c < channels; c++) w[t * channels + c] = kernel.data[row + c];
  }
  const expected = expandHarmonic({ channels, w, b: bias.subarray(0, channels) }, F);
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== kernel.data[i]) {
      throw new InputError('harmonic layer is not the shared taps this melodyfilter computes (another version?)');
    }
  }
  for (let u = 0; u < units; u++) {
    if (bias[u] !== bias[u % channels]) throw new InputError('harmonic layer biases differ between keys');
  }
  return { channels, w, b: bias.slice(0, channels) };
}

/** The Dense kernel (F × 88·C) that computes the shared weights' taps: what model.json stores. */
export function expandHarmonic(h: HarmonicWeights, F: number): Float32Array {
  const units = KEYS * h.channels;
  const out = new Float32Array(F * units);
  for (let p = 0; p < KEYS; p++) {
    for (let t = 0; t < TAPS; t++) {
      const bin = tapBin(p, t);
      if (bin < 0) continue;
      for (let c = 0; c < h.channels; c++) out[bin * units + p * h.channels + c] += h.w[t * h.channels + c];
    }
  }
  return out;
}

/** The reference: `frames` rows of F features → rows of F + 88·C (the features, then the layer's
 *  output), what the network after the layer hears. */
export function appendHarmonic(
  h: HarmonicWeights, x: Float32Array, frames: number, F: number, out: Float32Array,
): void {
  const C = h.channels, W = F + KEYS * C;
  for (let f = 0; f < frames; f++) {
    const xo = f * F, oo = f * W;
    out.set(x.subarray(xo, xo + F), oo);
    for (let p = 0; p < KEYS; p++) {
      for (let c = 0; c < C; c++) {
        let s = h.b[c];
        for (let t = 0; t < TAPS; t++) {
          const bin = TAP_BINS[p * TAPS + t];
          if (bin >= 0) s += h.w[t * C + c] * x[xo + bin];
        }
        out[oo + F + p * C + c] = s > 0 ? s : 0;
      }
    }
  }
}
