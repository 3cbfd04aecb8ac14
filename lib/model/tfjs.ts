// The network in TensorFlow.js: build (from its description in networks.ts), save, load, and run it
// per window. `--kernel tfjs`, the training spec (train/spec.ts) and the tfjs tests use this; the
// default wasm kernel and the TypeScript one (kernels.ts) run without tfjs, reading the same files.
import { mkdir } from 'node:fs/promises';
import * as tf from './tf.js';
import { InputError } from '../config.js';
import { NUM_CLASSES, storedCard, type ModelCard } from './card.js';
import { NETWORKS, type ModelShape, type NetworkName } from './networks.js';
import { type FrameClassifier } from './kernels.js';
import {
  modelDocument, readWeightFile, writeModelFiles, type NamedWeights, type WeightFile, type WeightSpec,
} from './files.js';

/** The network's body (networks.ts) between the input and the two heads every network shares: a
 *  softmax over silence and the keys, and a sigmoid onset that marks re-struck keys the class head
 *  alone cannot separate; with `shape.offsetHead`, a third: a sigmoid offset at a key's release. */
export function buildModel(shape: ModelShape, batchShape?: (number | null)[], stateful = false): tf.LayersModel {
  const network = NETWORKS[shape.network];
  const input = tf.input({
    batchShape: batchShape ?? (network.recurrent ? [null, null, shape.featureSize] : [null, shape.featureSize]),
  });
  const body = network.build(tf, input, shape, stateful) as tf.SymbolicTensor;
  const head = (units: number, activation: 'softmax' | 'sigmoid', name: string) =>
    tf.layers.dense({ units, activation, name }).apply(body) as tf.SymbolicTensor;
  const note = head(NUM_CLASSES, 'softmax', 'note');
  const onset = head(1, 'sigmoid', 'onset');
  const outputs = shape.offsetHead ? [note, onset, head(1, 'sigmoid', 'offset')] : [note, onset];
  return tf.model({ inputs: input, outputs, name: 'melodyfilter' });
}

/** The model's weights by name, as our kernels (wasm and fast) read them from weights.bin. */
export function weightsOf(model: tf.LayersModel): NamedWeights {
  const out: NamedWeights = new Map();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const name = w.originalName.replace(/^.*?\/?((harmonic|embed|lstm|gru|note|onset|offset)\/)/, '$1')
        .replace('lstm/lstm_cell/', 'lstm/').replace('gru/gru_cell/', 'gru/');
      out.set(name, { shape: w.shape as number[], data: w.read().dataSync() as Float32Array });
    }
  }
  return out;
}

export function shapeOf(model: tf.LayersModel, network: NetworkName): ModelShape {
  const featureSize = model.inputs[0].shape[model.inputs[0].shape.length - 1] as number;
  const offsetHead = model.layers.some((l) => l.name === 'offset');
  return { network, featureSize, ...NETWORKS[network].shapeOf(model), ...(offsetHead ? { offsetHead } : {}) };
}

/** Save as tfjs layers format (model.json + weights.bin) with our metadata inside model.json. */
export async function saveModel(model: tf.LayersModel, dir: string, card: ModelCard): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const generatedBy = `TensorFlow.js tfjs-layers v${tf.version_layers}`;
    const weights = (artifacts.weightSpecs ?? []) as WeightSpec[];
    await writeModelFiles(dir, modelDocument(generatedBy, artifacts.modelTopology, weights, card),
      artifacts.weightData as ArrayBuffer);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

export interface LoadedModel {
  model: tf.LayersModel;
  card: ModelCard;
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
      userDefinedMetadata: storedCard(file.card) as unknown as object,
    }));
  } catch (err) {
    throw new InputError(`model ${dir} cannot be built: ${(err as Error).message.split('\n')[0]}`);
  }
  return { model, card: file.card, shape: shapeOf(model, file.card.network) };
}

/** The network run by TensorFlow.js itself. Recurrent models: a stateful copy (batch 1) fed all
 *  frames available at once. Window models: every window a row of one batch. */
export class TfjsClassifier implements FrameClassifier {
  private readonly net: tf.LayersModel; // the caller's model for window models, else our stateful copy
  private readonly window: boolean;
  private readonly F: number;
  constructor(model: tf.LayersModel, network: NetworkName) {
    const shape = shapeOf(model, network);
    this.F = shape.featureSize;
    this.window = !NETWORKS[network].recurrent;
    if (this.window) this.net = model;
    else {
      this.net = buildModel(shape, [1, null, shape.featureSize], true);
      this.net.setWeights(model.getWeights());
    }
  }

  async run(
    features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array, offsets?: Float32Array,
  ): Promise<void> {
    if (nFrames === 0) return;
    const [p, o, off] = tf.tidy(() => {
      const x = features.subarray(0, nFrames * this.F);
      const input = this.window ? tf.tensor2d(x, [nFrames, this.F]) : tf.tensor3d(x, [1, nFrames, this.F]);
      return this.net.predictOnBatch(input) as tf.Tensor[];
    });
    probs.set((await p.data()) as Float32Array);
    onsets.set((await o.data()) as Float32Array);
    if (offsets && off) offsets.set((await off.data()) as Float32Array);
    p.dispose(); o.dispose(); off?.dispose();
  }

  dispose(): void {
    if (!this.window) this.net.dispose();
  }
}
