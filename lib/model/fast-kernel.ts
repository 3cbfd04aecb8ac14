// The classifier without TensorFlow.js: runs Dense → GRU or LSTM → heads as plain loops over
// Float32Arrays, from the weights lib/model/files.ts reads. Loading tfjs costs a second or more at
// start-up and its per-call overhead dominates window-by-window streaming; this does neither. It is
// the reference the wasm kernel is held to.
import { InputError } from '../config.js';
import { NUM_CLASSES } from './card.js';
import type { FrameClassifier } from './kernels.js';
import { harmonicOf, isResetAfterGru, shapeOfWeights, type KernelCell, type NamedWeights } from './files.js';
import { KEYS, appendHarmonic, type HarmonicWeights } from './harmonic.js';

/** The same network as plain loops over Float32Arrays, weights copied out of the tfjs model: Dense →
 *  LSTM or GRU (the network's `fastKernel` cell, networks.ts) → heads. */
export class FastClassifier implements FrameClassifier {
  /** Features per frame in (the front end's), and what the Dense layer hears (with the harmonic
   *  layer's output appended, where the model has one). */
  private readonly inF: number;
  private readonly F: number;
  private readonly harmonic: HarmonicWeights | null;
  private joined = new Float32Array(0);
  private readonly E: number;
  private readonly H: number;
  private readonly G: number; // gates × H: 4H for the LSTM (i, f, c, o), 3H for the GRU (z, r, h)
  private readonly embedWt: Float32Array; // E × F (transposed from tfjs' F × E)
  private readonly embedB: Float32Array;
  private readonly cellWt: Float32Array; // G × E
  private readonly cellUt: Float32Array; // G × H
  private readonly cellB: Float32Array; // G
  /** GRU written by PyTorch (reset-after, Keras' reset_after: true): the recurrent bias, kept apart
   *  because the reset gate multiplies U_h·h + b_h' rather than h. Null for tfjs' reset-before GRU. */
  private readonly cellRecB: Float32Array | null = null;
  private readonly noteWt: Float32Array; // C × H
  private readonly noteB: Float32Array;
  private readonly onsetW: Float32Array; // H
  private readonly onsetB: number;
  private readonly offsetW: Float32Array | null; // H, where the model has the offset head
  private readonly offsetB: number;
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
    this.harmonic = harmonicOf(weights);
    this.inF = shape.featureSize;
    this.F = shape.featureSize + KEYS * (shape.harmonicChannels ?? 0);
    this.E = shape.embedUnits; this.H = shape.hiddenUnits;
    this.G = (this.cell === 'gru' ? 3 : 4) * this.H;
    const cellW = w(`${this.cell}/kernel`), noteW = w('note/kernel');
    if (cellW.length !== this.E * this.G || noteW.length !== this.H * NUM_CLASSES) {
      throw new InputError('model weights have shapes this kernel does not know');
    }
    this.embedWt = transpose(w('embed/kernel'), this.F, this.E); this.embedB = w('embed/bias');
    this.cellWt = transpose(cellW, this.E, this.G);
    this.cellUt = transpose(w(`${this.cell}/recurrent_kernel`), this.H, this.G);
    const bias = w(`${this.cell}/bias`);
    if (isResetAfterGru(weights, this.cell)) {
      this.cellB = bias.slice(0, this.G); this.cellRecB = bias.slice(this.G);
    } else this.cellB = bias;
    this.noteWt = transpose(noteW, this.H, NUM_CLASSES); this.noteB = w('note/bias');
    this.onsetW = w('onset/kernel'); this.onsetB = w('onset/bias')[0];
    this.offsetW = shape.offsetHead ? w('offset/kernel') : null;
    this.offsetB = shape.offsetHead ? w('offset/bias')[0] : 0;
    this.e = new Float32Array(this.E);
    this.z = new Float32Array(this.G);
    this.h = new Float32Array(this.H);
    this.c = new Float32Array(this.H);
    this.hh = new Float32Array(this.H);
  }

  async run(
    features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array, offsets?: Float32Array,
  ): Promise<void> {
    let x = features;
    if (this.harmonic) {
      if (this.joined.length < nFrames * this.F) this.joined = new Float32Array(nFrames * this.F);
      appendHarmonic(this.harmonic, features, nFrames, this.inF, this.joined);
      x = this.joined;
    }
    for (let t = 0; t < nFrames; t++) this.step(x, t * this.F, probs, t * NUM_CLASSES, onsets, t, offsets);
  }

  step(
    x: Float32Array, xOff: number, probs: Float32Array, pOff: number, onsets: Float32Array, oOff: number,
    offsets?: Float32Array,
  ): void {
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
    } else if (this.cellRecB) {
      // Reset-after GRU (PyTorch's nn.GRU): hh = tanh(W_h·e + b_h + r ⊙ (U_h·h + b_h')).
      const RB = this.cellRecB, hh = this.hh;
      for (let j = 0; j < 2 * H; j++) z[j] = CB[j] + RB[j] + dot(CW, j * E, e, 0, E) + dot(CU, j * H, h, 0, H);
      for (let j = 0; j < H; j++) {
        const u = RB[2 * H + j] + dot(CU, (2 * H + j) * H, h, 0, H);
        hh[j] = Math.tanh(CB[2 * H + j] + dot(CW, (2 * H + j) * E, e, 0, E) + sigmoid(z[H + j]) * u);
      }
      for (let j = 0; j < H; j++) { const zg = sigmoid(z[j]); h[j] = zg * h[j] + (1 - zg) * hh[j]; }
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
    // Heads: softmax over the keys and silence, sigmoids for the onset and the offset.
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
    if (offsets && this.offsetW) offsets[oOff] = sigmoid(this.offsetB + dot(this.offsetW, 0, h, 0, H));
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
