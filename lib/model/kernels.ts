// Who runs the network per window, one entry each (as networks, front ends and writers are): which
// networks it runs, where a network it cannot run goes instead, and how it makes a classifier for a
// stream. `--kernel` names the first one asked (and takes the names here); the engine
// (transcriber.ts loadEngine) follows `otherwise` until one runs the model. Adding a kernel is one
// module plus one entry here (see CONTRIBUTING.md).
import { ConfigError, type Config, type Kernel } from '../config.js';
import { NETWORKS, type ModelShape } from './networks.js';
import { harmonicOf, isResetAfterGru, shapeOfWeights, type KernelCell, type WeightFile } from './files.js';
import { WasmClassifier, packWeights, wasmRunsChannels } from './wasm-kernel.js';
import { KEYS } from './harmonic.js';

/** Runs frames through the network, carrying recurrent state from call to call. */
export interface FrameClassifier {
  /** `features`: nFrames × featureSize; writes nFrames × NUM_CLASSES probabilities, nFrames onsets
   *  and, where the model has the offset head (its shape's offsetHead) and `offsets` is given,
   *  nFrames offsets. */
  run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array,
    offsets?: Float32Array): Promise<void>;
  /** Frees what the classifier holds (tfjs tensors); it is not used after. */
  dispose(): void;
}

export interface LoadedKernel {
  shape: ModelShape;
  /** The tfjs backend in use, or 'none' when no tfjs runs. */
  backend: string;
  /** A fresh classifier (fresh recurrent state) for each stream. */
  newClassifier(): FrameClassifier;
}

export interface KernelEntry {
  /** Whether it runs this model (its network's cell, its weights' layout). */
  runs(file: WeightFile): boolean;
  /** Who runs a model this one cannot; absent: it runs every model. */
  otherwise?: Kernel;
  load(file: WeightFile, cfg: Pick<Config, 'backend' | 'modelDir'>): Promise<LoadedKernel>;
}

/** The recurrent cell the model's network names for the kernels, or null (a window model). */
const cellOf = (file: WeightFile): KernelCell | null => NETWORKS[file.card.network].fastKernel;

export const KERNEL_ENTRIES: Record<Kernel, KernelEntry> = {
  /** SIMD WebAssembly (lib/model/wasm-kernel.ts): tfjs' LSTM and GRU cells, batched per read. */
  wasm: {
    runs: (file) => {
      const cell = cellOf(file);
      // PyTorch's reset-after GRU (comparison models only) is a cell it lacks; its harmonic layer
      // takes channels four at a time.
      const channels = (file.weights.get('harmonic/kernel')?.shape[1] ?? 0) / KEYS;
      return cell !== null && !isResetAfterGru(file.weights, cell) && wasmRunsChannels(channels);
    },
    otherwise: 'fast',
    load: async (file) => {
      const packed = packWeights(file.weights, cellOf(file)!); // once per model; each stream copies it
      return { shape: packed.shape, backend: 'none', newClassifier: () => WasmClassifier.fresh(packed) };
    },
  },
  /** The plain-TypeScript reference (lib/model/fast-kernel.ts): both LSTM and both GRU layouts. */
  fast: {
    runs: (file) => cellOf(file) !== null,
    otherwise: 'tfjs',
    load: async (file) => {
      const cell = cellOf(file)!;
      const { FastClassifier } = await import('./fast-kernel.js'); // only when it runs: most starts use wasm
      harmonicOf(file.weights); // a damaged harmonic layer is the model's error, said once at load
      return {
        shape: shapeOfWeights(file.weights, cell), backend: 'none',
        newClassifier: () => new FastClassifier(file.weights, cell),
      };
    },
  },
  /** TensorFlow.js itself, on the backend asked for: every network, the window models included. */
  tfjs: {
    runs: () => true,
    load: async (file, cfg) => {
      const { useBackend } = await import('./backend.js');
      const { loadModel, TfjsClassifier } = await import('./tfjs.js');
      const backend = await useBackend(cfg.backend);
      const loaded = await loadModel(cfg.modelDir, file);
      return {
        shape: loaded.shape, backend, newClassifier: () => new TfjsClassifier(loaded.model, file.card.network),
      };
    },
  },
};

/** The kernel that runs `file`: the one asked for, else the first of its `otherwise` chain that can. */
export function kernelFor(
  file: WeightFile, asked: Kernel, entries: Record<string, KernelEntry> = KERNEL_ENTRIES,
): string {
  // Own names only: `toString` is no kernel.
  if (!Object.hasOwn(entries, asked)) {
    throw new ConfigError('kernel', `must be one of ${Object.keys(entries).join(', ')}, got ${asked}`);
  }
  const seen = new Set<string>();
  let name: string | undefined = asked;
  while (name !== undefined && !seen.has(name)) {
    seen.add(name);
    if (entries[name].runs(file)) return name;
    name = entries[name].otherwise;
  }
  throw new Error(`no kernel runs model ${file.card.name} (asked: ${asked})`);
}
