// Classifier: features per window → probabilities over 89 classes (silence + 88 keys) and an onset
// probability. TensorFlow.js holds the weights; the per-window step runs either in tfjs or in the
// Float32Array kernel below, which computes the same LSTM without tfjs' per-call overhead.
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from './tf.js';
import { InputError } from './config.js';
import { NUM_CLASSES, firstUnusable, readWeightFile, type Arch, type FrameClassifier, type ModelInfo, type ModelShape, type NamedWeights, type WeightFile } from './kernel.js';

export { NUM_CLASSES, SILENCE, CLASS_MIDI_OFFSET, ARCHS, FastClassifier, type Arch, type FrameClassifier, type ModelInfo, type ModelShape } from './kernel.js';

/** Models that label each window on its own (no state from window to window): fed [windows, features]. */
export function isWindowModel(arch: Arch = 'lstm'): boolean {
  return arch === 'mlp' || arch === 'raw-lstm';
}

/**
 * Dense(relu) → LSTM → two heads (the shipped network). The dense layer compresses 393 features to
 * the LSTM's input; the onset head marks re-struck keys that the class head alone cannot separate.
 * The comparison's other networks keep the heads and change the body: a GRU in the LSTM's place; an
 * MLP of two dense layers on each window alone; and the write-up's model, an LSTM run across the
 * window's raw samples (`embedUnits` per step), its answer read at the last step.
 */
export function buildModel(shape: ModelShape, batchShape?: (number | null)[], stateful = false): tf.LayersModel {
  const arch = shape.arch ?? 'lstm';
  const window = isWindowModel(arch);
  const input = tf.input({ batchShape: batchShape ?? (window ? [null, shape.featureSize] : [null, null, shape.featureSize]) });
  const recurrent = {
    units: shape.lstmUnits, stateful,
    recurrentActivation: 'sigmoid', // tfjs defaults to hardSigmoid; sigmoid is what the fast kernel computes
    kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform', // orthogonal is slow in tfjs
  } as const;
  let body: tf.SymbolicTensor;
  if (arch === 'raw-lstm') {
    const steps = tf.layers.reshape({ targetShape: [shape.featureSize / shape.embedUnits, shape.embedUnits], name: 'steps' }).apply(input);
    body = tf.layers.lstm({ ...recurrent, stateful: false, name: 'lstm' }).apply(steps) as tf.SymbolicTensor;
  } else {
    const embed = tf.layers.dense({ units: shape.embedUnits, activation: 'relu', name: 'embed' }).apply(input);
    body = (arch === 'mlp' ? tf.layers.dense({ units: shape.lstmUnits, activation: 'relu', name: 'hidden' })
      : arch === 'gru' ? tf.layers.gru({ ...recurrent, returnSequences: true, name: 'gru' })
        // unitForgetBias: Keras' default, not tfjs' (in the comparison it made no difference).
        : tf.layers.lstm({ ...recurrent, returnSequences: true, name: 'lstm', unitForgetBias: true })).apply(embed) as tf.SymbolicTensor;
  }
  const note = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', name: 'note' }).apply(body) as tf.SymbolicTensor;
  const onset = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'onset' }).apply(body) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [note, onset], name: 'melodyfilter' });
}

/** The model's weights by name, as the fast kernel reads them from weights.bin. */
export function weightsOf(model: tf.LayersModel): NamedWeights {
  const out: NamedWeights = new Map();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const name = w.originalName.replace(/^.*?\/?((embed|lstm|gru|note|onset)\/)/, '$1').replace('lstm/lstm_cell/', 'lstm/').replace('gru/gru_cell/', 'gru/');
      out.set(name, { shape: w.shape as number[], data: w.read().dataSync() as Float32Array });
    }
  }
  return out;
}

export function shapeOf(model: tf.LayersModel, arch: Arch = 'lstm'): ModelShape {
  const featureSize = model.inputs[0].shape[model.inputs[0].shape.length - 1] as number;
  const widthOf = (layer: string, weight: number, axis: number) => model.getLayer(layer).getWeights()[weight].shape[axis] as number;
  switch (arch) {
    case 'raw-lstm': return { arch, featureSize, embedUnits: widthOf('lstm', 0, 0), lstmUnits: widthOf('lstm', 1, 0) };
    case 'mlp': return { arch, featureSize, embedUnits: widthOf('embed', 0, 1), lstmUnits: widthOf('hidden', 0, 1) };
    case 'gru': return { arch, featureSize, embedUnits: widthOf('embed', 0, 1), lstmUnits: widthOf('gru', 1, 0) };
    default: return { arch, featureSize, embedUnits: widthOf('embed', 0, 1), lstmUnits: widthOf('lstm', 1, 0) };
  }
}

/** Save as tfjs layers format (model.json + weights.bin) with our metadata inside model.json. */
export async function saveModel(model: tf.LayersModel, dir: string, info: ModelInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  model.setUserDefinedMetadata(info as unknown as object);
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData as ArrayBuffer;
    // A diverged run (a learning rate of 1e308) must not leave a model that loads and hears nothing.
    const bad = firstUnusable(new Float32Array(weightData));
    if (bad >= 0) throw new InputError(`not saving ${dir}: weight ${bad} is ${new Float32Array(weightData)[bad]} (training diverged)`);
    const json = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
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

/** Load a model directory into tfjs (from `file` when the caller has read it already); every failure
 *  is one clear InputError. */
export async function loadModel(dir: string, read?: WeightFile): Promise<LoadedModel> {
  const file = read ?? await readWeightFile(dir);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: file.topology as object,
      weightSpecs: file.specs as tf.io.WeightsManifestEntry[],
      weightData: file.weightData,
      userDefinedMetadata: file.info as unknown as object,
    }));
  } catch (err) {
    throw new InputError(`model ${dir} cannot be built: ${(err as Error).message.split('\n')[0]}`);
  }
  return { model, info: file.info, shape: shapeOf(model, file.info.arch) };
}

/** The network run by TensorFlow.js itself. Recurrent models: a stateful copy (batch 1) fed all
 *  frames available at once. Window models: every window a row of one batch. */
export class TfjsClassifier implements FrameClassifier {
  private readonly net: tf.LayersModel; // the caller's model for window models, else our stateful copy
  private readonly window: boolean;
  private readonly F: number;
  constructor(model: tf.LayersModel, arch: Arch = 'lstm') {
    const shape = shapeOf(model, arch);
    this.F = shape.featureSize;
    this.window = isWindowModel(arch);
    if (this.window) this.net = model;
    else {
      this.net = buildModel(shape, [1, null, shape.featureSize], true);
      this.net.setWeights(model.getWeights());
    }
  }

  async run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void> {
    if (nFrames === 0) return;
    const [p, o] = tf.tidy(() => {
      const x = features.subarray(0, nFrames * this.F);
      return this.net.predictOnBatch(this.window ? tf.tensor2d(x, [nFrames, this.F]) : tf.tensor3d(x, [1, nFrames, this.F])) as tf.Tensor[];
    });
    probs.set((await p.data()) as Float32Array);
    onsets.set((await o.data()) as Float32Array);
    p.dispose(); o.dispose();
  }

  dispose(): void {
    if (!this.window) this.net.dispose();
  }
}
