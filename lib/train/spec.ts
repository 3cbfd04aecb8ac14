// What the trainer trains, made here so that the network, its widths and the card have one owner: a
// model.json without weights. Its topology is the one lib/model/tfjs.ts builds from the NETWORKS entry,
// its weights manifest names every weight in the order weights.bin must hold them, and its metadata
// is the card (lib/model/card.ts) that the trainer copies through, adding only its training record.
// trainer/nets.py builds PyTorch modules from the topology's layers, keyed by layer class, so a new
// network is one NETWORKS entry (plus, for a new kind of layer, one module in nets.py).
import { newCard } from '../model/card.js';
import { modelDocument, type ModelDocument } from '../model/files.js';
import { NETWORKS, type Network, type NetworkName } from '../model/networks.js';
import type { FrontEndName } from '../pipeline/frontends.js';

export type TrainingSpec = ModelDocument<{ class_name: string; config: { layers: LayerJson[] } }>;

interface LayerJson { name: string; class_name: string; config: Record<string, unknown> }

/** The spec of a new `network` named `name`; widths default to the network's own; `offsetHead`
 *  adds the offset output; `frontEnd` replaces the network's own (card.ts newCard). */
export async function trainingSpec(
  name: string, network: NetworkName,
  widths: {
    embedUnits?: number; hiddenUnits?: number; harmonicChannels?: number; offsetHead?: boolean; frontEnd?: FrontEndName;
  } = {},
): Promise<TrainingSpec> {
  const { buildModel, weightsOf } = await import('../model/tfjs.js');
  const tf = await import('../model/tf.js');
  // Building needs a backend; the plain-JS one starts at once, and a caller's choice is kept.
  if (!tf.engine().backendName) await (await import('../model/backend.js')).useBackend('cpu');
  const card = newCard(name, network, widths.frontEnd);
  const own: Network['units'] = NETWORKS[network].units;
  const units = {
    embedUnits: widths.embedUnits ?? own.embedUnits, hiddenUnits: widths.hiddenUnits ?? own.hiddenUnits,
    ...(own.harmonicChannels ? { harmonicChannels: widths.harmonicChannels ?? own.harmonicChannels } : {}),
  };
  if (widths.harmonicChannels !== undefined && !own.harmonicChannels) {
    throw new Error(`the ${network} network has no harmonic layer (--channels)`);
  }
  const model = buildModel({ network, featureSize: card.featureSize, ...units, offsetHead: widths.offsetHead });
  const modelTopology = model.toJSON(null, false) as unknown as TrainingSpec['modelTopology'];
  const weights = [...weightsOf(model)]
    .map(([w, { shape }]) => ({ name: w, shape: [...shape], dtype: 'float32' }));
  model.dispose();
  // PyTorch's GRU is the reset-after cell (Keras' reset_after, its two biases kept apart as [2, 3H]):
  // the kernels run it, tfjs' GRUCell refuses it, so the spec says what the trainer will write.
  for (const layer of modelTopology.config.layers) {
    if (layer.class_name !== 'GRU') continue;
    layer.config.reset_after = true;
    const bias = weights.find((w) => w.name === `${layer.name}/bias`);
    if (bias) bias.shape = [2, bias.shape[0]];
  }
  return modelDocument('melodyfilter lib/train/spec.ts', modelTopology, weights, card);
}
