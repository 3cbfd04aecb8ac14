// Prints, per frame, the top class and probabilities of a model on a WAV file: for looking inside.
import { readFileSync } from 'node:fs';
import { parseWavHeader, decodeFrames } from '../lib/pcm.js';
import { resampleBuffer } from '../lib/resample.js';
import { sceneFeatures } from '../lib/train/dataset.js';
import { loadModel, weightsOf, FastClassifier, NUM_CLASSES } from '../lib/model.js';
import { useBackend } from '../lib/backend.js';

const [file, modelDir, every = '4'] = process.argv.slice(2);
const bytes = readFileSync(file);
const h = parseWavHeader(bytes)!;
const frames = Math.floor((bytes.length - h.headerBytes) / (h.channels * 2));
const mono = new Float32Array(frames);
decodeFrames(bytes.subarray(h.headerBytes), frames, h, mono);
const audio = resampleBuffer(mono, h.sampleRate, 16000);
const { features, frames: n } = sceneFeatures(audio, 2048, 256);
await useBackend('cpu');
const { model } = await loadModel(modelDir);
const c = new FastClassifier(weightsOf(model));
const probs = new Float32Array(n * NUM_CLASSES), onsets = new Float32Array(n);
await c.run(features, n, probs, onsets);
for (let k = 0; k < n; k += Number(every)) {
  let best = 1;
  for (let j = 1; j < NUM_CLASSES; j++) if (probs[k * NUM_CLASSES + j] > probs[k * NUM_CLASSES + best]) best = j;
  console.log(`${(k * 0.016).toFixed(3)} sil ${probs[k * NUM_CLASSES].toFixed(2)} top ${best + 20} ${probs[k * NUM_CLASSES + best].toFixed(2)} onset ${onsets[k].toFixed(2)}`);
}
