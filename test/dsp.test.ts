import t from 'tap';
import { Resampler, resampleBuffer } from '../lib/pipeline/resample.js';
import { Windower } from '../lib/pipeline/window.js';
import { referenceOffset } from '../lib/pipeline/frontends.js';
import { FeatureExtractor, FEATURE_SIZE, SPECTRUM_BINS, LOWEST_MIDI,
  BINS_PER_SEMITONE, RANGE_DB, analysisWindow, type WindowShape } from '../lib/pipeline/features.js';
import { sine } from './helpers.js';

function toneLevel(x: Float32Array, hz: number, rate: number): number {
  // Amplitude of `hz` by correlation over the middle of the signal.
  let re = 0, im = 0;
  const from = Math.floor(x.length / 4), to = Math.floor((3 * x.length) / 4);
  for (let i = from; i < to; i++) {
    re += x[i] * Math.cos((2 * Math.PI * hz * i) / rate); im += x[i] * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

for (const inRate of [8000, 22050, 44100, 48000, 44101]) {
  t.test(`resampling ${inRate} → 16000 keeps a 1 kHz tone, its length and its timing`, async (t) => {
    const x = sine(1000, 1, inRate, 0.5);
    const y = resampleBuffer(x, inRate, 16000);
    t.equal(y.length, Math.ceil((x.length * 16000) / inRate));
    t.ok(Math.abs(toneLevel(y, 1000, 16000) - 0.5) < 0.01, `level ${toneLevel(y, 1000, 16000)}`);
    // Phase: output sample n is input time n/16000 (no filter delay).
    const n = 8000;
    t.ok(Math.abs(y[n] - 0.5 * Math.sin(2 * Math.PI * 1000 * (n / 16000))) < 0.01, 'no delay');
  });
}

t.test('resampling from 44.1 kHz removes tones above the new Nyquist (anti-aliasing)', async (t) => {
  const y = resampleBuffer(sine(12000, 1, 44100, 0.5), 44100, 16000);
  // 12 kHz would alias to 4 kHz.
  t.ok(toneLevel(y, 4000, 16000) < 0.5 * 1e-3, `alias at ${toneLevel(y, 4000, 16000)}`);
});

t.test('streaming resampling equals whole-buffer resampling whatever the chunks', async (t) => {
  const x = sine(440, 0.5, 44100, 0.3);
  const whole = resampleBuffer(x, 44100, 16000);
  const r = new Resampler(44100, 16000);
  const parts: number[] = [];
  let i = 0, k = 1;
  while (i < x.length) {
    const n = Math.min(k, x.length - i); parts.push(...r.push(x.subarray(i, i + n))); i += n; k = (k * 7) % 1013 + 1;
  }
  parts.push(...r.flush());
  t.equal(parts.length, whole.length);
  let maxDiff = 0;
  for (let j = 0; j < whole.length; j++) maxDiff = Math.max(maxDiff, Math.abs(parts[j] - whole[j]));
  t.equal(maxDiff, 0);
});

t.test('windows: frame k is referenced at sample k·hop; overlap kept; every sample covered', async (t) => {
  for (const frontEnd of ['spectrum', 'spectrum-newest'] as const) {
    const cfg = { windowSamples: 16, hopSamples: 4, frontEnd };
    const w = new Windower(cfg);
    const x = new Float32Array(30).map((_, i) => i + 1);
    const got: { index: number; samples: number[] }[] = [];
    const emit = (win: { index: number; samples: Float32Array }) =>
      got.push({ index: win.index, samples: Array.from(win.samples) });
    w.push(x.subarray(0, 5), emit); w.push(x.subarray(5), emit); w.flush(emit);
    t.equal(got.length, Math.ceil(30 / 4));
    const ref = referenceOffset(16, frontEnd);
    t.equal(ref, frontEnd === 'spectrum' ? 12 : 14, `${frontEnd}: a frame is ${ref} samples into its window`);
    got.forEach((g, k) => {
      t.equal(g.index, k);
      // Sample at the reference offset is input sample k·hop (1-based values, 0 for padding).
      const v = g.samples[ref];
      t.equal(v, k * 4 < 30 ? k * 4 + 1 : 0);
    });
  }
});

t.test('features: a sine lights the bin of its MIDI note, much the same at any gain', async (t) => {
  for (const midi of [33, 45, 60, 69, 81, 96, 105]) {
    const hz = 440 * Math.pow(2, (midi - 69) / 12);
    const feats = [0.9, 0.05].map((amp) => {
      const out = new Float32Array(FEATURE_SIZE);
      new FeatureExtractor(2048).compute(sine(hz, 2048 / 16000, 16000, amp), out);
      return out;
    });
    for (const out of feats) {
      let best = 0;
      for (let j = 0; j < SPECTRUM_BINS; j++) if (out[j] > out[best]) best = j;
      const bestMidi = LOWEST_MIDI + (best - 1) / BINS_PER_SEMITONE;
      t.ok(Math.abs(bestMidi - midi) <= 1 / 3 + 1e-9, `midi ${midi}: strongest bin at ${bestMidi.toFixed(2)}`);
      let mean = 0;
      for (let j = 0; j < SPECTRUM_BINS; j++) mean += out[j];
      t.ok(Math.abs(mean / SPECTRUM_BINS) < 1e-5, 'spectrum centred per frame');
    }
    // 25 dB quieter: the shape of the spectrum is the same (only what falls under the 80 dB floor differs).
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < SPECTRUM_BINS; j++) {
      ab += feats[0][j] * feats[1][j]; aa += feats[0][j] ** 2; bb += feats[1][j] ** 2;
    }
    const corr = ab / Math.sqrt(aa * bb);
    t.ok(corr > 0.98, `spectra at two gains correlate ${corr.toFixed(4)}`);
  }
});

t.test('features: onset evidence rises at a new note and not while it holds', async (t) => {
  const fx = new FeatureExtractor(2048);
  const out = new Float32Array(FEATURE_SIZE);
  const x = new Float32Array(16000);
  x.set(sine(440, 0.5, 16000, 0.5), 8000);
  const onsetAt: number[] = [];
  for (let start = 0; start + 2048 <= x.length; start += 256) {
    fx.compute(x.subarray(start, start + 2048), out);
    onsetAt.push(out[SPECTRUM_BINS + (69 - LOWEST_MIDI)]);
  }
  const firstSounding = Math.ceil((8000 - 2048) / 256);
  const max = Math.max(...onsetAt);
  const argmax = onsetAt.indexOf(max);
  t.ok(max > 0.5, `onset feature peaks at ${max}`);
  t.ok(argmax >= firstSounding && argmax <= firstSounding + 8,
    `peak at frame ${argmax}, note enters at ${firstSounding}`);
  t.ok(onsetAt[onsetAt.length - 1] < 0.05, 'no onset evidence while the note holds');
});




t.test("the 'newest' window: Hann's sum, its peak 1/8 from the end, and a struck key seen sooner", async (t) => {
  const n = 2048, w = analysisWindow('newest', n), hann = analysisWindow('hann', n);
  const sum = (x: Float32Array) => x.reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum(w) - n / 2) < 1e-3 * n && Math.abs(sum(hann) - n / 2) < 1e-3 * n, 'both sum to n/2 (powerNorm)');
  t.equal(w.indexOf(Math.max(...w)), n - n / 8, 'peak 256 samples before the newest');
  t.ok(w[0] === 0 && w[n - 1] < 1e-4, 'zero at both ends');
  // Legato: C4 sounds throughout, A4 as loud is struck at sample 8000 (in window 24 first). The first
  // window where A4's bin comes within 6 dB of C4's, per shape.
  const x = sine(261.63, 1, 16000, 0.3), a4 = sine(440, 0.5, 16000, 0.3);
  for (let i = 0; i < a4.length; i++) x[8000 + i] += a4[i];
  const binOf = (midi: number) => (midi - LOWEST_MIDI) * BINS_PER_SEMITONE + 1;
  const firstNear = (shape: WindowShape) => {
    const fx = new FeatureExtractor(n, shape), out = new Float32Array(FEATURE_SIZE);
    for (let k = 0; k * 256 + n <= x.length; k++) {
      fx.compute(x.subarray(k * 256, k * 256 + n), out);
      if ((out[binOf(69)] - out[binOf(60)]) * RANGE_DB > -6) return k;
    }
    return Infinity;
  };
  const [early, late] = [firstNear('newest'), firstNear('hann')];
  t.ok(early < late && early >= 24, `A4 within 6 dB of C4 at window ${early} ('newest'), ${late} (Hann)`);
});

t.test('resampling 44.1 → 16 kHz: tones just above the new Nyquist do not fold into the top semitones', async (t) => {
  // 8.1–9 kHz would land on 7–7.9 kHz, where the features' top semitones sit (measured stop band: ≥ 79 dB).
  for (const hz of [8100, 8300, 8600, 9000]) {
    const y = resampleBuffer(sine(hz, 0.5, 44100, 1), 44100, 16000);
    const alias = toneLevel(y, 16000 - hz, 16000);
    t.ok(alias < 1e-3, `${hz} Hz → ${16000 - hz} Hz at ${(20 * Math.log10(alias)).toFixed(1)} dB (limit -60 dB)`);
  }
});
