// The WebAssembly kernels against their references: the classifier against the plain-TypeScript
// kernel and tfjs, and the committed .wasm files against their AssemblyScript sources.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { buildModel, weightsOf, FastClassifier, TfjsClassifier, NUM_CLASSES, type Arch } from '../lib/model.js';
import { useBackend } from '../lib/backend.js';
import { FEATURE_SIZE } from '../lib/features.js';
import { WasmClassifier, packWeights } from '../lib/wasm/kernel.js';
import { wasmModule } from '../lib/wasm/load.js';
import { makeRng } from '../lib/synth/random.js';

function randomFeatures(frames: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return new Float32Array(frames * FEATURE_SIZE).map(() => (rng() < 0.3 ? rng() : 0));
}

type Runner = { run: FastClassifier['run'] };

/** Runs `frames` frames through `c` in reads of the given sizes, as a stream would. */
async function runAll(c: Runner, x: Float32Array, frames: number, reads: number[]) {
  const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
  let at = 0;
  for (const n of reads) {
    const p = new Float32Array(n * NUM_CLASSES), o = new Float32Array(n);
    await c.run(x.subarray(at * FEATURE_SIZE, (at + n) * FEATURE_SIZE), n, p, o);
    probs.set(p, at * NUM_CLASSES); onsets.set(o, at);
    at += n;
  }
  return { probs, onsets };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const relaxedAvailable = wasmModule('kernel-relaxed.wasm') !== null;

// Widths that are not multiples of the kernel's padding, one wider than the shipped GRU, and reads of
// 1 frame (the sequential path), 4 (the four-frame path), odd sizes and one that grows the buffers.
const SHAPES: { arch: Arch; embedUnits: number; lstmUnits: number }[] = [
  { arch: 'gru', embedUnits: 128, lstmUnits: 144 },
  { arch: 'gru', embedUnits: 20, lstmUnits: 37 },
  { arch: 'lstm', embedUnits: 24, lstmUnits: 13 },
  { arch: 'lstm', embedUnits: 160, lstmUnits: 200 },
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
      const name = `${s.arch} ${s.embedUnits}/${s.lstmUnits}`;
      const weights = weightsOf(model);
      const tfjs = await runAll(new TfjsClassifier(model, s.arch), x, FRAMES, [FRAMES]);
      const ts = await runAll(new FastClassifier(weights), x, FRAMES, READS);
      for (const relaxed of relaxedAvailable ? [false, true] : [false]) {
        const c = new WasmClassifier(packWeights(weights), { relaxed });
        t.equal(c.relaxed, relaxed, `${name}: runs the ${relaxed ? 'relaxed-SIMD' : 'plain SIMD'} build`);
        const wasm = await runAll(c, x, FRAMES, READS);
        const label = `${name}${relaxed ? ' (FMA)' : ''}`;
        t.ok(maxDiff(wasm.probs, tfjs.probs) < 1e-5, `${label}: probs within ${maxDiff(wasm.probs, tfjs.probs)} of tfjs`);
        t.ok(maxDiff(wasm.onsets, tfjs.onsets) < 1e-5, `${label}: onsets within ${maxDiff(wasm.onsets, tfjs.onsets)} of tfjs`);
        t.ok(maxDiff(wasm.probs, ts.probs) < 1e-5, `${label}: probs within ${maxDiff(wasm.probs, ts.probs)} of the TS kernel`);
      }
      const uniform = new Float32Array(tfjs.probs.length).fill(1 / NUM_CLASSES);
      t.ok(maxDiff(tfjs.probs, uniform) > 0.01, `${name}: the test has teeth (outputs are not uniform)`);
    }
  });
}

t.test('two wasm classifiers keep separate state', async (t) => {
  const model = buildModel({ arch: 'gru', featureSize: FEATURE_SIZE, embedUnits: 16, lstmUnits: 12 });
  model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
  const packed = packWeights(weightsOf(model));
  const x = randomFeatures(20, 3);
  const a = new WasmClassifier(packed), b = new WasmClassifier(packed);
  const first = await runAll(a, x, 20, [20]);
  await runAll(b, randomFeatures(20, 4), 20, [20]); // b's state must not leak into a fresh run
  const again = await runAll(new WasmClassifier(packed), x, 20, [20]);
  t.equal(maxDiff(first.probs, again.probs), 0, 'a fresh classifier starts from a zero state');
});

t.test('committed .wasm files match their AssemblyScript sources', { skip: !existsSync('node_modules/.bin/asc') && 'AssemblyScript not installed' }, async (t) => {
  if (!existsSync('dist/scripts/build-wasm.js')) execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const out = execFileSync(process.execPath, ['dist/scripts/build-wasm.js', '--check'], { encoding: 'utf8' });
  t.match(out, /modules match their sources/);
});
