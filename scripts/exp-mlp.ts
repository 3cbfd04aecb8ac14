// Experiment: how fast do an MLP and the LSTM learn pitch on the same fixed examples?
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../lib/backend.js';
import { makeExample } from '../lib/train/dataset.js';
import { makeRng } from '../lib/synth/random.js';
import { FEATURE_SIZE } from '../lib/features.js';
import { NUM_CLASSES, buildModel } from '../lib/model.js';

await useBackend('wasm');
const rng = makeRng(5);
const T = 50, N = 300, B = 32;
const ex = Array.from({ length: N }, () => makeExample(rng, T, 48, { fluidShare: 0 }, [], []));
if (process.argv[4] === 'center') for (const e of ex) {
  for (let t = 0; t < T; t++) {
    let m = 0; const o = t * FEATURE_SIZE;
    for (let j = 0; j < 294; j++) m += e.features[o + j];
    m /= 294;
    for (let j = 0; j < 294; j++) e.features[o + j] = 2 * (e.features[o + j] - m);
  }
}
console.log('data ready');
function batch() {
  const x = new Float32Array(B * T * FEATURE_SIZE), y = new Float32Array(B * T * NUM_CLASSES), o = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const e = ex[Math.floor(rng() * N)];
    x.set(e.features, b * T * FEATURE_SIZE);
    for (let t = 0; t < T; t++) { y[(b * T + t) * NUM_CLASSES + e.classes[t]] = 1; o[b * T + t] = e.onsets[t]; }
  }
  return [tf.tensor3d(x, [B, T, FEATURE_SIZE]), tf.tensor3d(y, [B, T, NUM_CLASSES]), tf.tensor3d(o, [B, T, 1])];
}
const which = process.argv[2] ?? 'mlp';
const lr = Number(process.argv[3] ?? 0.002);
let model: tf.LayersModel;
if (which === 'mlp') {
  const input = tf.input({ shape: [null, FEATURE_SIZE] });
  const h1 = tf.layers.dense({ units: 128, activation: 'relu' }).apply(input);
  const h2 = tf.layers.dense({ units: 128, activation: 'relu' }).apply(h1);
  const note = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', name: 'note' }).apply(h2) as tf.SymbolicTensor;
  const onset = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'onset' }).apply(h2) as tf.SymbolicTensor;
  model = tf.model({ inputs: input, outputs: [note, onset] });
} else {
  model = buildModel({ featureSize: FEATURE_SIZE, embedUnits: 128, lstmUnits: 128 });
}
model.compile({ optimizer: tf.train.adam(lr), loss: ['categoricalCrossentropy', 'binaryCrossentropy'], metrics: { note: 'accuracy' } as never });
const t0 = Date.now();
for (let s = 1; s <= 150; s++) {
  const [x, y, o] = batch();
  const h = (await model.trainOnBatch(x, [y, o])) as number[];
  tf.dispose([x, y, o]);
  if (s % 15 === 0) console.log(which, s, 'loss', h[0].toFixed(3), 'acc', h[3].toFixed(3), ((Date.now() - t0) / 1000).toFixed(0) + 's');
}
