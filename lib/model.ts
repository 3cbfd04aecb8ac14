// Classifier: features per window → probabilities over 89 classes (silence + 88 keys) and an onset
// probability. TensorFlow.js holds the weights; the per-window step runs either in tfjs or in the
// Float32Array kernel below, which computes the same LSTM without tfjs' per-call overhead.
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from './config.js';
import { NUM_CLASSES, readWeightFile, type FrameClassifier, type ModelInfo, type ModelShape, type NamedWeights } from './kernel.js';

export { NUM_CLASSES, SILENCE, CLASS_MIDI_OFFSET, FastLstmClassifier, type FrameClassifier, type ModelInfo, type ModelShape } from './kernel.js';


/**
 * Dense(relu) → LSTM → two heads. The dense layer compresses 393 features to the LSTM's input;
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

/** The model's weights by name, as the fast kernel reads them from weights.bin. */
export function weightsOf(model: tf.LayersModel): NamedWeights {
  const out: NamedWeights = new Map();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const name = w.originalName.replace(/^.*?\/?((embed|lstm|note|onset)\/)/, '$1').replace('lstm/lstm_cell/', 'lstm/');
      out.set(name, { shape: w.shape as number[], data: w.read().dataSync() as Float32Array });
    }
  }
  return out;
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

/** Load a model directory into tfjs; every failure is one clear InputError. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const file = await readWeightFile(dir);
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
  return { model, info: file.info, shape: shapeOf(model) };
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
