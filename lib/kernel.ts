// The classifier without TensorFlow.js: reads the tfjs layers-format files (model.json +
// weights.bin, the source of truth written by training) and runs Dense → GRU or LSTM → heads as
// plain loops over Float32Arrays. Loading tfjs costs a second or more at start-up and its per-call overhead
// dominates window-by-window streaming; this does neither.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './config.js';
import { NUM_CLASSES, readCard, type ModelCard, type StoredCard } from './card.js';
import type { ModelShape } from './networks.js';

/** Runs frames through the network, carrying recurrent state from call to call. */
export interface FrameClassifier {
  /** `features`: nFrames × featureSize; writes nFrames × NUM_CLASSES probabilities and nFrames onsets. */
  run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void>;
  /** Frees what the classifier holds (tfjs tensors); it is not used after. */
  dispose(): void;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export type NamedWeights = Map<string, { shape: number[]; data: Float32Array }>;

export interface WeightFile {
  card: ModelCard;
  topology: unknown;
  specs: WeightSpec[];
  weightData: ArrayBuffer;
  weights: NamedWeights;
}

export type KernelCell = 'lstm' | 'gru';

/** Layer sizes of a Dense → `cell` network, from the weight shapes. */
export function shapeOfWeights(weights: NamedWeights, cell: KernelCell): ModelShape {
  const embed = weights.get('embed/kernel');
  const recurrent = weights.get(`${cell}/recurrent_kernel`);
  if (!embed || !recurrent) {
    throw new InputError(`model lacks embed/kernel or ${cell}/recurrent_kernel: not a melodyfilter model`);
  }
  return { network: cell, featureSize: embed.shape[0], embedUnits: embed.shape[1], hiddenUnits: recurrent.shape[0] };
}

/** Read and check a model directory; every failure is one clear InputError. */
export async function readWeightFile(dir: string): Promise<WeightFile> {
  const jsonPath = path.join(dir, 'model.json');
  let json: {
    modelTopology?: unknown;
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
    userDefinedMetadata?: StoredCard;
  };
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(e.code === 'ENOENT' ? `no model at ${dir} (model.json not found)`
      : `model ${jsonPath} is not valid JSON`);
  }
  const manifest = json.weightsManifest?.[0];
  if (!json.modelTopology || !manifest || !json.userDefinedMetadata?.windowSamples) {
    throw new InputError(`model ${jsonPath} is not a melodyfilter model (missing topology, weights or metadata)`);
  }
  const card = readCard(json.userDefinedMetadata, jsonPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, manifest.paths[0]));
  } catch {
    throw new InputError(`model weights ${path.join(dir, manifest.paths[0])} cannot be read`);
  }
  const expected = manifest.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.length !== expected || manifest.weights.some((w) => w.dtype !== 'float32')) {
    throw new InputError(`model weights are corrupt: ${bytes.length} bytes, expected ${expected} of float32`);
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const weights: NamedWeights = new Map();
  let offset = 0;
  for (const w of manifest.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    weights.set(w.name, { shape: w.shape, data: new Float32Array(weightData, offset, n) });
    offset += n * 4;
  }
  return { card, topology: json.modelTopology, specs: manifest.weights, weightData, weights };
}

/** The same network as plain loops over Float32Arrays, weights copied out of the tfjs model: Dense →
 *  LSTM or GRU (the network's `fastKernel` cell, networks.ts) → heads. */
export class FastClassifier implements FrameClassifier {
  private readonly F: number;
  private readonly E: number;
  private readonly H: number;
  private readonly G: number; // gates × H: 4H for the LSTM (i, f, c, o), 3H for the GRU (z, r, h)
  private readonly embedWt: Float32Array; // E × F (transposed from tfjs' F × E)
  private readonly embedB: Float32Array;
  private readonly cellWt: Float32Array; // G × E
  private readonly cellUt: Float32Array; // G × H
  private readonly cellB: Float32Array; // G
  private readonly noteWt: Float32Array; // C × H
  private readonly noteB: Float32Array;
  private readonly onsetW: Float32Array; // H
  private readonly onsetB: number;
  private readonly e: Float32Array;
  private readonly z: Float32Array;
  private readonly h: Float32Array;
  private readonly c: Float32Array; // LSTM cell state; for the GRU, r ⊙ h
  private readonly hh: Float32Array; // GRU: the candidate state, tanh(W_h·e + U_h·(r ⊙ h) + b_h)

  constructor(weights: NamedWeights, private readonly cell: KernelCell) {
    const w = (name: string) => {
      const t = weights.get(name);
      if (!t) throw new InputError(`model has no weight ${name}: not a melodyfilter model`);
      return t.data.slice();
    };
    const shape = shapeOfWeights(weights, cell);
    this.F = shape.featureSize; this.E = shape.embedUnits; this.H = shape.hiddenUnits;
    this.G = (this.cell === 'gru' ? 3 : 4) * this.H;
    const cellW = w(`${this.cell}/kernel`), noteW = w('note/kernel');
    if (cellW.length !== this.E * this.G || noteW.length !== this.H * NUM_CLASSES) {
      throw new InputError('model weights have shapes this kernel does not know');
    }
    this.embedWt = transpose(w('embed/kernel'), this.F, this.E); this.embedB = w('embed/bias');
    this.cellWt = transpose(cellW, this.E, this.G);
    this.cellUt = transpose(w(`${this.cell}/recurrent_kernel`), this.H, this.G); this.cellB = w(`${this.cell}/bias`);
    this.noteWt = transpose(noteW, this.H, NUM_CLASSES); this.noteB = w('note/bias');
    this.onsetW = w('onset/kernel'); this.onsetB = w('onset/bias')[0];
    this.e = new Float32Array(this.E);
    this.z = new Float32Array(this.G);
    this.h = new Float32Array(this.H);
    this.c = new Float32Array(this.H);
    this.hh = new Float32Array(this.H);
  }

  async run(features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array): Promise<void> {
    for (let t = 0; t < nFrames; t++) this.step(features, t * this.F, probs, t * NUM_CLASSES, onsets, t);
  }

  step(x: Float32Array, xOff: number, probs: Float32Array, pOff: number, onsets: Float32Array, oOff: number): void {
    const { F, E, H, G, e, z, h, c } = this;
    // embed = relu(W·x + b), then the gates' W·e + U·h + b. Weights are stored transposed (row per
    // output) so each output is one dot product: V8 keeps its sums in registers, where the tfjs
    // layout would load and store every partial sum.
    const EW = this.embedWt;
    for (let j = 0; j < E; j++) {
      const v = this.embedB[j] + dot(EW, j * F, x, xOff, F);
      e[j] = v > 0 ? v : 0;
    }
    const CW = this.cellWt, CU = this.cellUt, CB = this.cellB;
    if (this.cell === 'lstm') {
      for (let j = 0; j < G; j++) z[j] = CB[j] + dot(CW, j * E, e, 0, E) + dot(CU, j * H, h, 0, H);
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(z[j]), fg = sigmoid(z[H + j]), g = Math.tanh(z[2 * H + j]), og = sigmoid(z[3 * H + j]);
        const cj = fg * c[j] + ig * g;
        c[j] = cj;
        h[j] = og * Math.tanh(cj);
      }
    } else {
      // tfjs' GRU (reset_after false): z and r from W·e + U·h; the candidate from U_h·(r ⊙ h).
      for (let j = 0; j < 2 * H; j++) z[j] = CB[j] + dot(CW, j * E, e, 0, E) + dot(CU, j * H, h, 0, H);
      for (let j = 0; j < H; j++) c[j] = sigmoid(z[H + j]) * h[j];
      const hh = this.hh;
      for (let j = 0; j < H; j++) {
        const row = 2 * H + j;
        hh[j] = Math.tanh(CB[row] + dot(CW, row * E, e, 0, E) + dot(CU, row * H, c, 0, H));
      }
      for (let j = 0; j < H; j++) { const zg = sigmoid(z[j]); h[j] = zg * h[j] + (1 - zg) * hh[j]; }
    }
    // Heads: softmax over the keys and silence, sigmoid for the onset.
    const NW = this.noteWt;
    let max = -Infinity;
    for (let k = 0; k < NUM_CLASSES; k++) {
      const v = this.noteB[k] + dot(NW, k * H, h, 0, H);
      probs[pOff + k] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let k = 0; k < NUM_CLASSES; k++) { const v = Math.exp(probs[pOff + k] - max); probs[pOff + k] = v; sum += v; }
    for (let k = 0; k < NUM_CLASSES; k++) probs[pOff + k] /= sum;
    onsets[oOff] = sigmoid(this.onsetB + dot(this.onsetW, 0, h, 0, H));
  }

  dispose(): void {}
}

/** rows × cols → cols × rows. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}

/** a[aOff…aOff+n) · b[bOff…bOff+n), four partial sums to break the add chain. */
function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[aOff + i] * b[bOff + i];
    s1 += a[aOff + i + 1] * b[bOff + i + 1];
    s2 += a[aOff + i + 2] * b[bOff + i + 2];
    s3 += a[aOff + i + 3] * b[bOff + i + 3];
  }
  for (; i < n; i++) s0 += a[aOff + i] * b[bOff + i];
  return s0 + s1 + s2 + s3;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
