// The WebAssembly kernels against their references: the classifier against the plain-TypeScript
// kernel and tfjs, the features and resampler against plain-TypeScript references, and the committed .wasm files
// against their AssemblyScript sources.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '../lib/model/tf.js';
import { buildModel, weightsOf, TfjsClassifier } from '../lib/model/tfjs.js';
import { FastClassifier } from '../lib/model/fast-kernel.js';
import { type KernelCell } from '../lib/model/files.js';
import { NUM_CLASSES } from '../lib/model/card.js';
import { useBackend } from '../lib/model/backend.js';
import { FEATURE_SIZE, FeatureExtractor, SEMITONES, SPECTRUM_BINS } from '../lib/pipeline/features.js';
import { ReferenceFeatureExtractor } from './fixtures/reference-features.js';
import { WasmClassifier, packWeights } from '../lib/model/wasm-kernel.js';
import { wasmModule } from '../lib/wasm/load.js';
import { realFft } from '../lib/wasm/fft.js';
import { Resampler } from '../lib/pipeline/resample.js';
import { decodeFrames } from '../lib/pipeline/pcm.js';
import { referenceResample } from './fixtures/reference-resample.js';
import { makeRng } from '../lib/synth/random.js';
import { KEYS, TAPS, expandHarmonic } from '../lib/model/harmonic.js';
import { randomFeatures, runAll, maxDiff } from './fixtures/classifier-runs.js';

const relaxedAvailable = wasmModule('kernel-relaxed.wasm') !== null;

// Widths that are not multiples of the kernel's padding, one wider than the shipped GRU, and reads of
// 1 frame (the sequential path), 4 (the four-frame path), odd sizes and one that grows the buffers.
const SHAPES: { network: KernelCell; embedUnits: number; hiddenUnits: number }[] = [
  { network: 'gru', embedUnits: 128, hiddenUnits: 144 },
  { network: 'gru', embedUnits: 20, hiddenUnits: 37 },
  { network: 'lstm', embedUnits: 24, hiddenUnits: 13 },
  { network: 'lstm', embedUnits: 160, hiddenUnits: 200 },
];
const READS = [1, 4, 3, 9, 50, 3];
const FRAMES = READS.reduce((a, b) => a + b, 0);

for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`wasm kernel matches tfjs (${backend}) and the TypeScript kernel to 1e-5`, async (t) => {
    await useBackend(backend);
    const x = randomFeatures(FRAMES, 11);
    for (const s of SHAPES) {
      const model = buildModel({ ...s, featureSize: FEATURE_SIZE });
      // Random weights are small: scale them up so a wrong gate order or padding would show.
      model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
      const name = `${s.network} ${s.embedUnits}/${s.hiddenUnits}`;
      const weights = weightsOf(model);
      const tfjs = await runAll(new TfjsClassifier(model, s.network), x, FRAMES, [FRAMES]);
      const ts = await runAll(new FastClassifier(weights, s.network), x, FRAMES, READS);
      for (const relaxed of relaxedAvailable ? [false, true] : [false]) {
        const c = new WasmClassifier(packWeights(weights, s.network), { relaxed });
        t.equal(c.relaxed, relaxed, `${name}: runs the ${relaxed ? 'relaxed-SIMD' : 'plain SIMD'} build`);
        const wasm = await runAll(c, x, FRAMES, READS);
        const label = `${name}${relaxed ? ' (FMA)' : ''}`;
        t.ok(maxDiff(wasm.probs, tfjs.probs) < 1e-5,
          `${label}: probs within ${maxDiff(wasm.probs, tfjs.probs)} of tfjs`);
        t.ok(maxDiff(wasm.onsets, tfjs.onsets) < 1e-5,
          `${label}: onsets within ${maxDiff(wasm.onsets, tfjs.onsets)} of tfjs`);
        t.ok(maxDiff(wasm.probs, ts.probs) < 1e-5,
          `${label}: probs within ${maxDiff(wasm.probs, ts.probs)} of the TS kernel`);
      }
      const uniform = new Float32Array(tfjs.probs.length).fill(1 / NUM_CLASSES);
      t.ok(maxDiff(tfjs.probs, uniform) > 0.01, `${name}: the test has teeth (outputs are not uniform)`);
    }
  });
}

t.test('the harmonic layer: wasm and the TypeScript kernel compute its taps as tfjs computes the Dense', async (t) => {
  await useBackend('cpu');
  const x = randomFeatures(FRAMES, 12);
  for (const channels of [4, 8]) {
    const model = buildModel({ network: 'harmonic-lstm', featureSize: FEATURE_SIZE, embedUnits: 24, hiddenUnits: 13,
      harmonicChannels: channels });
    model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
    // The layer as training leaves it: shared weights at each key's taps, zero elsewhere.
    const rng = makeRng(channels);
    const shared = { channels, w: Float32Array.from({ length: TAPS * channels }, () => rng() - 0.45),
      b: Float32Array.from({ length: channels }, () => rng() - 0.5) };
    const bias = new Float32Array(KEYS * channels).map((_, i) => shared.b[i % channels]);
    model.getLayer('harmonic').setWeights([
      tf.tensor2d(expandHarmonic(shared, FEATURE_SIZE), [FEATURE_SIZE, KEYS * channels]), tf.tensor1d(bias)]);
    const weights = weightsOf(model);
    const tfjs = await runAll(new TfjsClassifier(model, 'harmonic-lstm'), x, FRAMES, [FRAMES]);
    const ts = await runAll(new FastClassifier(weights, 'lstm'), x, FRAMES, READS);
    const wasm = await runAll(new WasmClassifier(packWeights(weights, 'lstm')), x, FRAMES, READS);
    for (const [kernel, out] of [['TS kernel', ts], ['wasm', wasm]] as const) {
      t.ok(maxDiff(out.probs, tfjs.probs) < 1e-5, `${channels} channels: ${kernel} within ${maxDiff(out.probs, tfjs.probs)}`);
    }
    // Teeth: the same network without the layer's output answers otherwise.
    const off = new Map(weights);
    off.set('harmonic/bias', { shape: [KEYS * channels], data: new Float32Array(KEYS * channels).fill(-100) });
    off.set('harmonic/kernel', { shape: [FEATURE_SIZE, KEYS * channels],
      data: expandHarmonic({ ...shared, w: new Float32Array(TAPS * channels) }, FEATURE_SIZE) });
    const silent = await runAll(new FastClassifier(off, 'lstm'), x, FRAMES, READS);
    t.ok(maxDiff(silent.probs, ts.probs) > 1e-3, `${channels} channels: the layer's output matters`);
  }
});

t.test('two wasm classifiers keep separate state', async (t) => {
  const model = buildModel({ network: 'gru', featureSize: FEATURE_SIZE, embedUnits: 16, hiddenUnits: 12 });
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
  const packed = packWeights(weightsOf(model), 'gru');
  const x = randomFeatures(20, 3);
  const a = new WasmClassifier(packed), b = new WasmClassifier(packed);
  const first = await runAll(a, x, 20, [20]);
  await runAll(b, randomFeatures(20, 4), 20, [20]); // b's state must not leak into a fresh run
  const again = await runAll(new WasmClassifier(packed), x, 20, [20]);
  t.equal(maxDiff(first.probs, again.probs), 0, 'a fresh classifier starts from a zero state');
});

t.test('committed .wasm files match their AssemblyScript sources',
  { skip: !existsSync('node_modules/.bin/asc') && 'AssemblyScript not installed' }, async (t) => {
  if (!existsSync('dist/scripts/build-wasm.js')) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const out = execFileSync(process.execPath, ['dist/scripts/build-wasm.js', '--check'], { encoding: 'utf8' });
  t.match(out, /modules match their sources/);
});

for (const shape of ['hann', 'newest'] as const) {
  t.test(`features (${shape} window): PFFFT + wasm match the plain-TypeScript extractor (fft.js)`, async (t) => {
    const n = 2048, hop = 256, frames = 60;
    const rng = makeRng(5);
    // A chord that starts part way in, over noise: exercises the running peak and the onset rise.
    const x = new Float32Array(n + hop * frames);
    for (let i = 0; i < x.length; i++) {
      const on = i > n + 20 * hop ? 0.3 : 0;
      x[i] = 0.01 * (rng() - 0.5) +
        on * (Math.sin(i * 0.0821) + 0.5 * Math.sin(i * 0.1643) + 0.25 * Math.sin(i * 0.3907));
    }
    const a = new FeatureExtractor(n, shape), b = new ReferenceFeatureExtractor(n, shape);
    const fa = new Float32Array(FEATURE_SIZE), fb = new Float32Array(FEATURE_SIZE);
    let worst = 0, worstLevel = 0, onsetSeen = 0;
    for (let f = 0; f < frames; f++) {
      const w = x.subarray(f * hop, f * hop + n);
      a.compute(w, fa); b.compute(w, fb);
      worst = Math.max(worst, maxDiff(fa, fb));
      worstLevel = Math.max(worstLevel, Math.abs(a.levelDb - b.levelDb));
      for (let s = 0; s < SEMITONES; s++) onsetSeen = Math.max(onsetSeen, fa[SPECTRUM_BINS + s]);
    }
    t.ok(worst < 1e-4, `features within ${worst} (of a 0–2 range)`);
    t.equal(worstLevel, 0, 'levels identical (computed by the same code)');
    t.ok(onsetSeen > 0.5, `the chord's onset shows (${onsetSeen})`);
  });
}

t.test('PFFFT real transform: layout and scale the features rely on', async (t) => {
  const f = realFft(64);
  const x = f.input();
  for (let i = 0; i < 64; i++) x[i] = Math.cos((2 * Math.PI * 4 * i) / 64) + 0.5 + 0.25 * (i % 2 ? -1 : 1);
  f.forward();
  const y = f.output();
  t.ok(Math.abs(y[0] - 32) < 1e-4, `slot 0: DC re = 32 (got ${y[0]})`);
  t.ok(Math.abs(y[1] - 16) < 1e-4, `slot 1: Nyquist re = 16 (got ${y[1]})`);
  t.ok(Math.abs(y[8] - 32) < 1e-4 && Math.abs(y[9]) < 1e-4, `bin 4 = 32 + 0i (got ${y[8]}, ${y[9]})`);
  t.ok(Math.abs(y[6]) < 1e-4 && Math.abs(y[10]) < 1e-4, 'neighbours empty');
  t.throws(() => realFft(100), /multiple of 32/);
});

for (const inRate of [8000, 22050, 44100, 48000, 44101]) {
  t.test(`resampler ${inRate} → 16000: wasm dot products match plain TypeScript, streamed in odd chunks`,
    async (t) => {
    const rng = makeRng(inRate);
    const x = new Float32Array(Math.round(inRate * 0.7)).map((_, i) => 0.5 * Math.sin(i * 0.05) + 0.2 * (rng() - 0.5));
    const r = new Resampler(inRate, 16000);
    const got: number[] = [];
    // Chunks from 1 sample to more than the initial history, so the buffers grow mid-stream.
    let i = 0, k = 1;
    while (i < x.length) {
      const n = Math.min(k, x.length - i); got.push(...r.push(x.subarray(i, i + n))); i += n; k = (k * 13) % 9001 + 1;
    }
    got.push(...r.flush());
    const want = referenceResample(new Resampler(inRate, 16000), x);
    t.equal(got.length, want.length, 'same length');
    let worst = 0;
    for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]));
    t.ok(worst < 1e-6, `samples within ${worst}`);
  });
}

t.test('a reset resampler and feature extractor give what new ones give (streams reuse them)', async (t) => {
  const rng = makeRng(9);
  const tone = (len: number, f: number) =>
    new Float32Array(len).map((_, i) => 0.4 * Math.sin(i * f) + 0.05 * (rng() - 0.5));
  const first = tone(30000, 0.09), second = tone(20000, 0.031);
  const used = new Resampler(44100, 16000);
  used.push(first); // a stream's worth of state, then a reset mid-way: no flush
  used.reset();
  const fresh = new Resampler(44100, 16000);
  const got = [...used.push(second).slice(), ...used.flush()];
  const want = [...fresh.push(second).slice(), ...fresh.flush()];
  t.same(got, want, 'resampler: the second stream is resampled as if it were the first');

  const n = 2048, hop = 256;
  const ex = new FeatureExtractor(n), newEx = new FeatureExtractor(n);
  const a = new Float32Array(FEATURE_SIZE), b = new Float32Array(FEATURE_SIZE);
  for (let f = 0; f + n <= first.length; f += hop) ex.compute(first.subarray(f, f + n), a);
  ex.reset();
  let differ = 0;
  for (let f = 0; f + n <= second.length; f += hop) {
    ex.compute(second.subarray(f, f + n), a); newEx.compute(second.subarray(f, f + n), b);
    if (maxDiff(a, b) !== 0 || ex.levelDb !== newEx.levelDb) differ++;
  }
  t.equal(differ, 0, 'features: every frame of the second stream equals a new extractor\'s');
});

t.test('s16le decode in wasm equals the plain formula bit for bit (1 and 2 channels, odd lengths)', async (t) => {
  const rng = makeRng(9);
  for (const channels of [1, 2] as const) {
    for (const frames of [1, 3, 7, 8, 9, 1001, 40000]) {
      const bytes = new Uint8Array(frames * 2 * channels).map(() => Math.floor(rng() * 256));
      bytes[0] = 0x00; bytes[1] = 0x80; // -32768, the extreme
      const view = new DataView(bytes.buffer);
      const got = new Float32Array(frames);
      decodeFrames(bytes, frames, { sampleRate: 44100, channels, encoding: 's16le' }, got);
      let bad = 0;
      for (let f = 0; f < frames; f++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += view.getInt16((f * channels + c) * 2, true) / 32768;
        if (got[f] !== Math.fround(sum / channels)) bad++;
      }
      t.equal(bad, 0, `${channels} ch, ${frames} frames: every sample exact`);
    }
  }
});
