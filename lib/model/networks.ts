// The networks melodyfilter can train and run, one description each: how to build it in tfjs, which
// front end it hears, whether it carries state from window to window, and whether our own kernels
// (wasm, the default, and the TypeScript fast kernel) run it. Adding a network is one entry here
// (see CONTRIBUTING.md).
//
// Every network ends in the same two heads (an 89-way softmax over silence and the keys, a sigmoid
// onset), and may have a third (a sigmoid offset: where a key is let go); the entries build only the
// body between the input and the heads.
import type { FrontEndName } from '../pipeline/frontends.js';
import { KEYS } from './harmonic.js';

/** Layer sizes. What the widths mean is the network's own (see each entry's `widths`). */
export interface ModelShape {
  network: NetworkName;
  featureSize: number;
  embedUnits: number;
  hiddenUnits: number;
  /** A third head, a sigmoid marking the window where a key is released (Onsets & Frames' offset). */
  offsetHead?: boolean;
  /** Channels of the harmonic front layer (lib/model/harmonic.ts), for the networks that have one. */
  harmonicChannels?: number;
}

/** Settings the recurrent layers share: tfjs defaults to hardSigmoid, while sigmoid is what our
 *  kernels (wasm and fast) compute; orthogonal initialisation is slow in tfjs. */
export const RECURRENT_DEFAULTS = {
  recurrentActivation: 'sigmoid', kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform',
} as const;

/** What the entries use of TensorFlow.js' layers API, declared here so that this module's types, and
 *  the library's that name networks, do not pull in tfjs-layers' declarations (they do not compile
 *  under `strict` without skipLibCheck). lib/model/tfjs.ts passes tfjs itself. */
export interface LayersApi {
  layers: {
    dense(config: object): Applicable;
    lstm(config: object): Applicable;
    gru(config: object): Applicable;
    reshape(config: object): Applicable;
    concatenate(config: object): { apply(inputs: never[]): unknown };
  };
}
/** A symbolic tensor of the model being built (tfjs' SymbolicTensor). */
export type Symbolic = object;
interface Applicable { apply(input: Symbolic): unknown }
/** A built tfjs model, as far as reading widths back goes. */
export interface BuiltModel { getLayer(name: string): { getWeights(): { shape: number[] }[] } }

export interface Network {
  /** What the two widths mean, for diagnostics. */
  widths: string;
  /** The front end it hears (frontends.ts). */
  frontEnd: FrontEndName;
  /** true: state carries from window to window (fed [batch, frames, features]); false: each window
   *  is labelled alone (fed [windows, features]). */
  recurrent: boolean;
  /** The cell the Float32Array kernels run (fast-kernel.ts, wasm-kernel.ts), or null: this network runs in
   *  tfjs only. */
  fastKernel: 'lstm' | 'gru' | null;
  /** Widths of a freshly trained network. */
  units: { embedUnits: number; hiddenUnits: number; harmonicChannels?: number };
  /** The body from the input to where the heads attach. `stateful` is for streaming copies. */
  build(tf: LayersApi, input: Symbolic, shape: ModelShape, stateful: boolean): Symbolic;
  /** The widths of a built model, read from its weights. */
  shapeOf(model: BuiltModel): { embedUnits: number; hiddenUnits: number; harmonicChannels?: number };
}

const widthOf = (model: BuiltModel, layer: string, weight: number, axis: number) =>
  model.getLayer(layer).getWeights()[weight].shape[axis] as number;

function embed(tf: LayersApi, input: Symbolic, shape: ModelShape): Symbolic {
  const layer = tf.layers.dense({ units: shape.embedUnits, activation: 'relu', name: 'embed' });
  return layer.apply(input) as Symbolic;
}

/** The comparison's networks are sized near the LSTM's 194k parameters (README), except the
 *  write-up's raw-sample LSTM, whose cost is in its 128 steps per window. */
export const NETWORKS = {
  /** Dense(relu) → LSTM: the first shipped network. unitForgetBias is Keras' default, not tfjs'. */
  lstm: {
    widths: 'Dense(embedUnits) → LSTM(hiddenUnits)', frontEnd: 'spectrum', recurrent: true, fastKernel: 'lstm',
    units: { embedUnits: 128, hiddenUnits: 128 },
    build: (tf, input, shape, stateful) => tf.layers.lstm({
      ...RECURRENT_DEFAULTS, units: shape.hiddenUnits, stateful, returnSequences: true, name: 'lstm',
      unitForgetBias: true,
    }).apply(embed(tf, input, shape)) as Symbolic,
    shapeOf: (m) => ({ embedUnits: widthOf(m, 'embed', 0, 1), hiddenUnits: widthOf(m, 'lstm', 1, 0) }),
  },
  /** The harmonic layer (lib/model/harmonic.ts: per key, shared weights over its partials' bins)
   *  appended to the features, then Dense(relu) → LSTM as above (issue 19's conv front end). In
   *  model.json the layer is a Dense whose kernel is zero off the taps, so tfjs runs it unchanged. */
  'harmonic-lstm': {
    widths: 'Harmonic(harmonicChannels per key) ⧺ features → Dense(embedUnits) → LSTM(hiddenUnits)',
    frontEnd: 'spectrum', recurrent: true, fastKernel: 'lstm',
    units: { embedUnits: 128, hiddenUnits: 128, harmonicChannels: 4 },
    build: (tf, input, shape, stateful) => {
      const channels = shape.harmonicChannels ?? 4;
      const harmonic = tf.layers.dense({ units: KEYS * channels, activation: 'relu', name: 'harmonic' })
        .apply(input) as Symbolic;
      const joined = tf.layers.concatenate({ name: 'join' }).apply([input, harmonic] as never[]) as Symbolic;
      return tf.layers.lstm({
        ...RECURRENT_DEFAULTS, units: shape.hiddenUnits, stateful, returnSequences: true, name: 'lstm',
        unitForgetBias: true,
      }).apply(embed(tf, joined, shape)) as Symbolic;
    },
    shapeOf: (m) => ({
      embedUnits: widthOf(m, 'embed', 0, 1), hiddenUnits: widthOf(m, 'lstm', 1, 0),
      harmonicChannels: widthOf(m, 'harmonic', 0, 1) / KEYS,
    }),
  },
  /** Dense(relu) → GRU: tfjs' reset_after=false cell (melody-gru), or PyTorch's reset-after cell as
   *  trainer/nets.py exports it (bias [2, 3H]); the fast (TypeScript) kernel runs both, tfjs only the first. */
  gru: {
    widths: 'Dense(embedUnits) → GRU(hiddenUnits)', frontEnd: 'spectrum', recurrent: true, fastKernel: 'gru',
    units: { embedUnits: 128, hiddenUnits: 144 },
    build: (tf, input, shape, stateful) => tf.layers.gru({
      ...RECURRENT_DEFAULTS, units: shape.hiddenUnits, stateful, returnSequences: true, name: 'gru',
    }).apply(embed(tf, input, shape)) as Symbolic,
    shapeOf: (m) => ({ embedUnits: widthOf(m, 'embed', 0, 1), hiddenUnits: widthOf(m, 'gru', 1, 0) }),
  },
  /** Two dense layers on each window alone (model comparison). */
  mlp: {
    widths: 'Dense(embedUnits) → Dense(hiddenUnits)', frontEnd: 'spectrum', recurrent: false, fastKernel: null,
    units: { embedUnits: 320, hiddenUnits: 160 },
    build: (tf, input, shape) => tf.layers.dense({ units: shape.hiddenUnits, activation: 'relu', name: 'hidden' })
      .apply(embed(tf, input, shape)) as Symbolic,
    shapeOf: (m) => ({ embedUnits: widthOf(m, 'embed', 0, 1), hiddenUnits: widthOf(m, 'hidden', 0, 1) }),
  },
  /** The write-up's model: an LSTM run across the window's raw samples, `embedUnits` samples per
   *  step, its answer read at the last step. Each window alone. */
  'raw-lstm': {
    widths: 'LSTM(hiddenUnits) over embedUnits samples per step', frontEnd: 'raw', recurrent: false, fastKernel: null,
    units: { embedUnits: 8, hiddenUnits: 128 },
    build: (tf, input, shape) => {
      const targetShape = [shape.featureSize / shape.embedUnits, shape.embedUnits];
      const steps = tf.layers.reshape({ targetShape, name: 'steps' }).apply(input) as Symbolic;
      return tf.layers.lstm({ ...RECURRENT_DEFAULTS, units: shape.hiddenUnits, stateful: false, name: 'lstm' })
        .apply(steps) as Symbolic;
    },
    shapeOf: (m) => ({ embedUnits: widthOf(m, 'lstm', 0, 0), hiddenUnits: widthOf(m, 'lstm', 1, 0) }),
  },
} satisfies Record<string, Network>;

export type NetworkName = keyof typeof NETWORKS;
export const NETWORK_NAMES = Object.keys(NETWORKS) as NetworkName[];

export function isNetworkName(name: string): name is NetworkName {
  return Object.hasOwn(NETWORKS, name);
}
