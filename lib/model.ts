// Classifier: features per window → probabilities over 89 classes (silence + 88 keys) and an onset
// probability. TensorFlow.js holds the weights; the per-window step runs either in tfjs or in the
// Float32Array kernel below, which computes the same LSTM without tfjs' per-call overhead.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from './config.js';

export const NUM_CLASSES = 89; // class 0: silence or noise; class k: MIDI 20 + k (A0 = 21 … C8 = 108)
export const SILENCE = 0;
export const CLASS_MIDI_OFFSET = 20;

export interface ModelShape {
  featureSize: number;
  embedUnits: number;
  lstmUnits: number;
}

/** What a model directory says about itself (model.json's userDefinedMetadata). */
export interface ModelInfo {
  name: string;
  windowSamples: number;
  hopSamples: number;
  sampleRate: number;
  featureSize: number;
  training?: Record<string, unknown>;
  eval?: Record<string, unknown>;
}

/**
 * Dense(relu) → LSTM → two heads. The dense layer compresses 392 features to the LSTM's input;
 * the onset head marks re-struck keys that the class head alone cannot separate.
 */
export function buildModel(shape: ModelShape, batchShape: (number | null)[] = [null, null, shape.featureSize], stateful = false): tf.LayersModel {
  const input = tf.input({ batchShape });
  const embed = tf.layers.dense({ units: shape.embedUnits, activation: 'relu', name: 'embed' }).apply(input);
  const lstm = tf.layers.lstm({
    units: shape.lstmUnits, returnSequences: true, stateful, name: 'lstm',
    recurrentActivation: 'sigmoid', // tfjs defaults to hardSigmoid; sigmoid is what the fast kernel computes
    kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform', // orthogonal is slow in tfjs
  }).apply(embed);
  const note = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', name: 'note' }).apply(lstm) as tf.SymbolicTensor;
  const onset = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'onset' }).apply(lstm) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [note, onset], name: 'melodyfilter' });
}

export function shapeOf(model: tf.LayersModel): ModelShape {
  const embed = model.getLayer('embed').getWeights()[0];
  const lstm = model.getLayer('lstm').getWeights()[1];
  return { featureSize: embed.shape[0] as number, embedUnits: embed.shape[1] as number, lstmUnits: lstm.shape[0] as number };
}

/** Save as tfjs layers format (model.json + weights.bin) with our metadata inside model.json. */
export async function saveModel(model: tf.LayersModel, dir: string, info: ModelInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  model.setUserDefinedMetadata(info as unknown as object);
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData as ArrayBuffer;
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      userDefinedMetadata: artifacts.userDefinedMetadata,
    };
    await writeFile(path.join(dir, 'weights.bin'), Buffer.from(weightData));
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json, null, 1) + '\n');
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

export interface LoadedModel {
  model: tf.LayersModel;
  info: ModelInfo;
  shape: ModelShape;
}

/** Load a model directory; every failure is one clear InputError. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const jsonPath = path.join(dir, 'model.json');
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; userDefinedMetadata?: ModelInfo };
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(e.code === 'ENOENT' ? `no model at ${dir} (model.json not found)` : `model ${jsonPath} is not valid JSON`);
  }
  const manifest = json.weightsManifest?.[0];
  const info = json.userDefinedMetadata;
  if (!json.modelTopology || !manifest || !info?.windowSamples) {
    throw new InputError(`model ${jsonPath} is not a melodyfilter model (missing topology, weights or metadata)`);
  }
  let weightData: Buffer;
  try {
    weightData = await readFile(path.join(dir, manifest.paths[0]));
  } catch {
    throw new InputError(`model weights ${path.join(dir, manifest.paths[0])} cannot be read`);
  }
  const expected = manifest.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightData.length !== expected) {
    throw new InputError(`model weights are corrupt: ${weightData.length} bytes, expected ${expected}`);
  }
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology as object,
      weightSpecs: manifest.weights,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length),
      userDefinedMetadata: info as unknown as object,
    }));
  } catch (err) {
    throw new InputError(`model ${dir} cannot be built: ${(err as Error).message.split('\n')[0]}`);
  }
  return { model, info, shape: shapeOf(model) };
}

/** Runs frames through the network, carrying LSTM state from call to call. */
export interface FrameClassifier {
  /** `features`: nFrames × featureSize; writes nFrames × NUM_CLASSES probabilities and nFrames onsets. */
  run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void>;
  dispose(): void;
}

/** The same network as plain loops over Float32Arrays, weights copied out of the tfjs model. */
export class FastLstmClassifier implements FrameClassifier {
  private readonly F: number;
  private readonly E: number;
  private readonly H: number;
  private readonly embedW: Float32Array; // F × E (tfjs layout: input-major)
  private readonly embedB: Float32Array;
  private readonly lstmW: Float32Array; // E × 4H
  private readonly lstmU: Float32Array; // H × 4H
  private readonly lstmB: Float32Array; // 4H, gates i, f, c, o
  private readonly noteW: Float32Array; // H × C
  private readonly noteB: Float32Array;
  private readonly onsetW: Float32Array; // H
  private readonly onsetB: number;
  private readonly e: Float32Array;
  private readonly z: Float32Array;
  private readonly h: Float32Array;
  private readonly c: Float32Array;

  constructor(model: tf.LayersModel) {
    const w = (layer: string, i: number) => model.getLayer(layer).getWeights()[i].dataSync() as Float32Array;
    const shape = shapeOf(model);
    this.F = shape.featureSize; this.E = shape.embedUnits; this.H = shape.lstmUnits;
    this.embedW = w('embed', 0).slice(); this.embedB = w('embed', 1).slice();
    this.lstmW = w('lstm', 0).slice(); this.lstmU = w('lstm', 1).slice(); this.lstmB = w('lstm', 2).slice();
    this.noteW = w('note', 0).slice(); this.noteB = w('note', 1).slice();
    this.onsetW = w('onset', 0).slice(); this.onsetB = w('onset', 1)[0];
    this.e = new Float32Array(this.E);
    this.z = new Float32Array(4 * this.H);
    this.h = new Float32Array(this.H);
    this.c = new Float32Array(this.H);
  }

  async run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void> {
    for (let t = 0; t < nFrames; t++) this.step(features, t * this.F, probs, t * NUM_CLASSES, onsets, t);
  }

  step(x: Float32Array, xOff: number, probs: Float32Array, pOff: number, onsets: Float32Array, oOff: number): void {
    const { F, E, H, e, z, h, c } = this;
    const H4 = 4 * H;
    // embed = relu(x·W + b); features and activations are mostly zero, so skip those rows.
    e.set(this.embedB);
    const W = this.embedW;
    for (let i = 0; i < F; i++) {
      const xi = x[xOff + i];
      if (xi === 0) continue;
      for (let j = 0, r = i * E; j < E; j++) e[j] += xi * W[r + j];
    }
    for (let j = 0; j < E; j++) if (e[j] < 0) e[j] = 0;
    // z = e·W + h·U + b
    z.set(this.lstmB);
    const LW = this.lstmW, LU = this.lstmU;
    for (let i = 0; i < E; i++) {
      const v = e[i];
      if (v === 0) continue;
      for (let j = 0, r = i * H4; j < H4; j++) z[j] += v * LW[r + j];
    }
    for (let i = 0; i < H; i++) {
      const v = h[i];
      if (v === 0) continue;
      for (let j = 0, r = i * H4; j < H4; j++) z[j] += v * LU[r + j];
    }
    for (let j = 0; j < H; j++) {
      const ig = sigmoid(z[j]), fg = sigmoid(z[H + j]), g = Math.tanh(z[2 * H + j]), og = sigmoid(z[3 * H + j]);
      const cj = fg * c[j] + ig * g;
      c[j] = cj;
      h[j] = og * Math.tanh(cj);
    }
    // Heads.
    const NW = this.noteW;
    let max = -Infinity;
    for (let k = 0; k < NUM_CLASSES; k++) probs[pOff + k] = this.noteB[k];
    for (let i = 0; i < H; i++) {
      const v = h[i];
      for (let k = 0, r = i * NUM_CLASSES; k < NUM_CLASSES; k++) probs[pOff + k] += v * NW[r + k];
    }
    for (let k = 0; k < NUM_CLASSES; k++) if (probs[pOff + k] > max) max = probs[pOff + k];
    let sum = 0;
    for (let k = 0; k < NUM_CLASSES; k++) { const v = Math.exp(probs[pOff + k] - max); probs[pOff + k] = v; sum += v; }
    for (let k = 0; k < NUM_CLASSES; k++) probs[pOff + k] /= sum;
    let o = this.onsetB;
    for (let i = 0; i < H; i++) o += h[i] * this.onsetW[i];
    onsets[oOff] = sigmoid(o);
  }

  dispose(): void {}
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The network run by TensorFlow.js itself: a stateful copy (batch 1) fed all frames available at once. */
export class TfjsClassifier implements FrameClassifier {
  private readonly stateful: tf.LayersModel;
  private readonly F: number;
  constructor(model: tf.LayersModel) {
    const shape = shapeOf(model);
    this.F = shape.featureSize;
    this.stateful = buildModel(shape, [1, null, shape.featureSize], true);
    this.stateful.setWeights(model.getWeights());
  }

  async run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void> {
    if (nFrames === 0) return;
    const [p, o] = tf.tidy(() => {
      const x = tf.tensor3d(features.subarray(0, nFrames * this.F), [1, nFrames, this.F]);
      return this.stateful.predictOnBatch(x) as tf.Tensor[];
    });
    probs.set((await p.data()) as Float32Array);
    onsets.set((await o.data()) as Float32Array);
    p.dispose(); o.dispose();
  }

  dispose(): void {
    this.stateful.dispose();
  }
}
