// The model comparison's networks (GRU, MLP, the write-up's raw-sample LSTM) in tfjs, and the raw
// front end. Trained ones (PyTorch) run through the pipeline in test/trainer.test.ts.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../lib/model/tf.js';
import { buildModel, TfjsClassifier } from '../lib/model/tfjs.js';
import { NUM_CLASSES } from '../lib/model/card.js';
import { NETWORKS } from '../lib/model/networks.js';
import { useBackend } from '../lib/model/backend.js';
import { FEATURE_SIZE } from '../lib/pipeline/features.js';
import { RAW_SAMPLES, RawExtractor } from '../lib/pipeline/raw.js';
import { FRONT_ENDS } from '../lib/pipeline/frontends.js';
import { makeRng } from '../lib/synth/random.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-arch-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('raw front end: the window centred on its reference point, divided by a running peak', async (t) => {
  const rng = makeRng(3);
  const win = new Float32Array(2048).map(() => rng() - 0.5);
  const loud = new RawExtractor(2048, 1536), quiet = new RawExtractor(2048, 1536);
  const a = new Float32Array(RAW_SAMPLES), b = new Float32Array(RAW_SAMPLES);
  loud.compute(win, a);
  quiet.compute(win.map((x) => x * 0.01), b);
  let peak = 0;
  for (let i = 1024; i < 2048; i++) peak = Math.max(peak, Math.abs(win[i]));
  t.ok(Math.abs(a[0] - win[1024] / peak) < 1e-6, 'first value is sample 1024 over the peak');
  t.ok(Math.abs(a[RAW_SAMPLES - 1] - win[2047] / peak) < 1e-6, 'last value is sample 2047 over the peak');
  t.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-5), 'the same at −40 dB');
  t.ok(loud.levelDb - quiet.levelDb > 39.9 && loud.levelDb - quiet.levelDb < 40.1, 'level still reports the gain');
  t.equal(FRONT_ENDS.raw.size, RAW_SAMPLES);
  t.equal(FRONT_ENDS.spectrum.size, FEATURE_SIZE);
});

t.test('tfjs classifier: same answers whatever the batching (GRU carries its state; window models have none)',
  async (t) => {
  await useBackend('cpu');
  for (const arch of ['gru', 'mlp', 'raw-lstm'] as const) {
    const featureSize = FRONT_ENDS[NETWORKS[arch].frontEnd].size;
    const shape = { network: arch, featureSize, embedUnits: arch === 'raw-lstm' ? 32 : 16, hiddenUnits: 12 };
    const model = buildModel(shape);
    model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
    const F = shape.featureSize, frames = 24;
    const rng = makeRng(9);
    const x = new Float32Array(frames * F).map(() => rng() - 0.3);
    const run = async (chunks: number[]) => {
      const c = new TfjsClassifier(model, arch);
      const probs = new Float32Array(frames * NUM_CLASSES);
      let at = 0;
      for (const n of chunks) {
        const p = new Float32Array(n * NUM_CLASSES), o = new Float32Array(n);
        await c.run(x.subarray(at * F, (at + n) * F), n, p, o);
        probs.set(p, at * NUM_CLASSES);
        at += n;
      }
      c.dispose();
      return probs;
    };
    const whole = await run([24]), split = await run([5, 1, 18]);
    t.ok(whole.every((v, i) => Math.abs(v - split[i]) < 1e-5), `${arch}: chunked = whole`);
    // A recurrent model's answer for a frame depends on earlier frames; a window model's does not.
    const late = new Float32Array(NUM_CLASSES);
    const c = new TfjsClassifier(model, arch);
    await c.run(x.subarray(20 * F, 21 * F), 1, late, new Float32Array(1));
    const same = late.every((v, i) => Math.abs(v - whole[20 * NUM_CLASSES + i]) < 1e-5);
    const { recurrent } = NETWORKS[arch];
    t.equal(same, !recurrent, `${arch}: ${recurrent ? 'has' : 'no'} state`);
  }
});

t.test('train and eval refuse bad flags with one line and exit 2, not a stack trace', async (t) => {
  const a = await runCli(['train', '--arch', 'transformer', '--steps', '1'], null);
  t.equal(a.code, 2);
  t.match(a.stderr, /--arch must be one of lstm, harmonic-lstm, gru, mlp, raw-lstm/);
  const b = await runCli(['train', '--fluid-share', '1.5', '--steps', '1'], null);
  t.equal(b.code, 2);
  t.match(b.stderr, /--fluid-share must be a number from 0 to 1, got 1.5/);
  const c = await runCli(['eval', '--set', 'huge'], null);
  t.equal(c.code, 2);
  t.match(c.stderr, /^melodyfilter: --set must be one of smoke, quick, full, got huge\n/);
  const d = await runCli(['eval', '-m', path.join(dir, 'nothing-here')], null);
  t.equal(d.code, 1);
  t.match(d.stderr, /^melodyfilter: no model at .*nothing-here \(model\.json not found\)\n$/);
  for (const r of [a, b, c, d]) t.notMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
});
