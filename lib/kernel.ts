// The classifier without TensorFlow.js: reads the tfjs layers-format files (model.json +
// weights.bin, the source of truth written by training) and runs Dense → GRU or LSTM → heads as
// plain loops over Float32Arrays. Loading tfjs costs a second or more at start-up and its per-call overhead
// dominates window-by-window streaming; this does neither.
import { constants as fsConstants } from 'node:fs';
import { open, readFile, realpath, rename, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './config.js';
import { NUM_CLASSES, readCard, storedCard, type ModelCard, type StoredCard } from './card.js';
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

/** A GRU written by PyTorch (Keras' reset_after: true): its recurrent bias kept apart, bias [2, 3H].
 *  The plain-TS kernel runs it; tfjs and the wasm kernel have only the reset-after=false cell. */
export function isResetAfterGru(weights: NamedWeights, cell: KernelCell): boolean {
  return cell === 'gru' && weights.get('gru/bias')?.shape.length === 2;
}

/** Layer sizes of a Dense → `cell` network, from the weight shapes. */
export function shapeOfWeights(weights: NamedWeights, cell: KernelCell): ModelShape {
  const embed = weights.get('embed/kernel');
  const recurrent = weights.get(`${cell}/recurrent_kernel`);
  if (!embed || !recurrent) {
    throw new InputError(`model lacks embed/kernel or ${cell}/recurrent_kernel: not a melodyfilter model`);
  }
  return { network: cell, featureSize: embed.shape[0], embedUnits: embed.shape[1], hiddenUnits: recurrent.shape[0] };
}

/** model.json is a few KiB (6 KiB shipped); a cap keeps a hostile one from being read whole. */
const MAX_MODEL_JSON_BYTES = 4 << 20;
/** Weights at most 256 MiB: the shipped network is 0.7 MB, the largest compared 0.8 MB. */
const MAX_WEIGHT_BYTES = 256 << 20;
/** |weight| above this is a damaged or diverged model, not a trained one: the shipped model's largest
 *  is under 10, and a float32 network with weights of 1e6 saturates every unit it feeds. */
const MAX_ABS_WEIGHT = 1e6;
/** Window sizes a model may have: the shipped ones use 2048 (128 ms at 16 kHz); the raw front end
 *  needs 1024; 65536 is four seconds, far past any window a note model uses. */
const MIN_WINDOW = 64, MAX_WINDOW = 1 << 16;
/** Features per window at most: 393 for the spectrum front end, 1024 for the raw one. */
const MAX_INPUT_WIDTH = 1 << 14;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Read one file of a model directory: a regular file, inside the directory (links included), of the
 * size expected, checked on the open file before a byte is read or a buffer allocated. A manifest
 * pointing at /dev/zero, /dev/stdin, a FIFO or ../../etc/passwd is refused without touching it, so
 * nothing about a file outside the directory leaks into the message.
 */
async function readModelFile(
  dir: string, rel: string, what: string, size: { exact?: number; max: number },
): Promise<Buffer> {
  if (typeof rel !== 'string' || rel === '' || path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) {
    throw new InputError(`model ${dir}: its ${what} path ${JSON.stringify(rel)} leaves the model directory`);
  }
  const file = path.join(dir, rel);
  let fh: FileHandle;
  try {
    const [realDir, realFile] = [await realpath(dir), await realpath(file)];
    if (!realFile.startsWith(realDir + path.sep)) {
      throw new InputError(`model ${file} is a link out of the model directory`);
    }
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    fh = await open(realFile, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && what === 'model.json') throw new InputError(`no model at ${dir} (model.json not found)`);
    if (e.code === 'ENOTDIR' && what === 'model.json') {
      throw new InputError(`no model at ${dir}: not a directory (a model is a directory holding model.json)`);
    }
    throw new InputError(`model ${file} cannot be read: ${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InputError(`model ${file} is not a regular file`);
    if (size.exact !== undefined && st.size !== size.exact) {
      throw new InputError(`model weights ${file} are ${st.size} bytes, ` +
        `but model.json lists ${size.exact} bytes of weights`);
    }
    if (st.size > size.max) {
      throw new InputError(`model ${file} is ${st.size} bytes, more than the ${size.max} a model file may be`);
    }
    const buf = Buffer.alloc(st.size);
    for (let off = 0; off < buf.length;) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) throw new InputError(`model ${file} shrank while being read`);
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** The manifest's weights, checked: names, float32, shapes of whole non-negative numbers. */
function checkSpecs(specs: unknown, jsonPath: string): WeightSpec[] {
  const bad = (why: string) => new InputError(`model ${jsonPath} is corrupt: ${why}`);
  if (!Array.isArray(specs) || !specs.length) throw bad('its weights manifest lists no weights');
  for (const w of specs) {
    if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every(isCount)) {
      const name = JSON.stringify((w as Json)?.name ?? w).slice(0, 60);
      throw bad(`weight ${name} has no name or no shape of whole numbers`);
    }
    if (w.dtype !== 'float32') throw bad(`weight ${w.name} is ${JSON.stringify(w.dtype)}, not float32`);
  }
  return specs as WeightSpec[];
}

const GATES: Record<string, number> = { Dense: 1, LSTM: 4, GRU: 3 };

/**
 * The topology against the weights, before TensorFlow.js builds it: tfjs allocates every layer from
 * the topology's `units` and input width and only then compares with the weights, so a 6 KB
 * model.json declaring a 2^20-unit layer took 3.3 GB before failing. Each layer's kernel, recurrent
 * kernel and bias must have exactly the shapes its units and input make.
 */
function checkTopology(topology: unknown, specs: WeightSpec[], jsonPath: string): void {
  const bad = (why: string) => new InputError(`model ${jsonPath} is corrupt: ${why}`);
  const outer = isObject(topology) ? topology : {};
  const config = isObject(outer.config) ? outer.config
    : isObject(outer.model_config) ? (outer.model_config as Json).config : null;
  const layers = isObject(config) ? config.layers : null;
  if (!Array.isArray(layers) || !layers.length) throw bad('its topology has no layers');
  const widthOf = new Map<string, number>(); // layer name → width of its output's last axis
  const shapeOf = (layer: string, kind: string) =>
    specs.find((w) => w.name.startsWith(layer + '/') && w.name.split('/').pop() === kind)?.shape;
  const same = (a: number[] | undefined, b: number[]) =>
    a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
  for (const layer of layers) {
    const cls = isObject(layer) ? layer.class_name : undefined;
    const cfg = isObject(layer) && isObject(layer.config) ? layer.config : {};
    const name = String(cfg.name ?? (isObject(layer) ? layer.name : '') ?? '');
    const inbound = isObject(layer) && Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    const from = Array.isArray(inbound[0]) && Array.isArray(inbound[0][0]) ? String(inbound[0][0][0]) : undefined;
    const width = from !== undefined ? widthOf.get(from) : [...widthOf.values()].pop();
    if (cls === 'InputLayer') {
      const shape = (cfg.batch_input_shape ?? cfg.batchInputShape) as unknown[] | undefined;
      const last = Array.isArray(shape) ? shape[shape.length - 1] : undefined;
      if (!isCount(last) || last < 1 || last > MAX_INPUT_WIDTH) {
        throw bad(`input layer ${name} has width ${JSON.stringify(last)}, expected 1 to ${MAX_INPUT_WIDTH}`);
      }
      widthOf.set(name, last);
    } else if (cls === 'Reshape') {
      const target = cfg.target_shape ?? cfg.targetShape;
      const whole = Array.isArray(target) && target.every(isCount);
      const size = whole ? target.reduce((a: number, b: number) => a * b, 1) : -1;
      if (!Array.isArray(target) || size !== width) {
        throw bad(`reshape ${name} to ${JSON.stringify(target)} does not fit its input of ${width}`);
      }
      widthOf.set(name, target[target.length - 1]);
    } else if (typeof cls === 'string' && cls in GATES) {
      const units = cfg.units, g = GATES[cls];
      if (!isCount(units) || units < 1 || width === undefined) {
        throw bad(`layer ${name} has ${JSON.stringify(units)} units or no input`);
      }
      const kernel = shapeOf(name, 'kernel');
      if (!same(kernel, [width, g * units])) {
        throw bad(`layer ${name} declares ${units} units on an input of ${width}, ` +
          `but its kernel is shaped ${JSON.stringify(kernel ?? 'missing')}`);
      }
      if (g > 1 && !same(shapeOf(name, 'recurrent_kernel'), [units, g * units])) {
        throw bad(`layer ${name}'s recurrent kernel does not match its ${units} units`);
      }
      const biased = cfg.use_bias !== false && cfg.useBias !== false;
      // A reset-after GRU (PyTorch's, Keras' reset_after: true) keeps the recurrent bias apart: [2, 3H].
      const resetAfter = cls === 'GRU' && (cfg.reset_after === true || cfg.resetAfter === true);
      if (biased && !same(shapeOf(name, 'bias'), resetAfter ? [2, g * units] : [g * units])) {
        throw bad(`layer ${name}'s bias does not match its ${units} units`);
      }
      widthOf.set(name, units);
    } else {
      throw bad(`layer ${name} is a ${JSON.stringify(cls)}, not a layer melodyfilter builds`);
    }
  }
}

/** Read and check a model directory; every failure is one clear InputError. Nothing is allocated for
 *  the weights until the manifest, the topology and the file's size agree. */
export async function readWeightFile(dir: string): Promise<WeightFile> {
  const jsonPath = path.join(dir, 'model.json');
  const jsonBytes = await readModelFile(dir, 'model.json', 'model.json', { max: MAX_MODEL_JSON_BYTES });
  let json: unknown;
  try {
    json = JSON.parse(jsonBytes.toString('utf8'));
  } catch {
    throw new InputError(`model ${jsonPath} is not valid JSON`);
  }
  const manifest = isObject(json) && Array.isArray(json.weightsManifest) ? json.weightsManifest : null;
  const info = isObject(json) ? json.userDefinedMetadata : null;
  if (!isObject(json) || !json.modelTopology || !manifest?.length || !isObject(info) || !info.windowSamples) {
    throw new InputError(`model ${jsonPath} is not a melodyfilter model (missing topology, weights or metadata)`);
  }
  for (const key of ['windowSamples', 'hopSamples', 'sampleRate'] as const) {
    if (!Number.isSafeInteger(info[key]) || (info[key] as number) < 1) {
      throw new InputError(`model ${jsonPath} is corrupt: ${key} is ${JSON.stringify(info[key])}`);
    }
  }
  // A window of 2^30 samples once reached the wasm kernels as "memory access out of bounds".
  const window = info.windowSamples as number, hop = info.hopSamples as number;
  if (window < MIN_WINDOW || window > MAX_WINDOW || hop > window) {
    throw new InputError(`model ${jsonPath} is corrupt: windowSamples ${window} and hopSamples ${hop} ` +
      `(a window of ${MIN_WINDOW} to ${MAX_WINDOW} samples, a hop of at most the window)`);
  }
  if (typeof info.name !== 'string') info.name = path.basename(path.resolve(dir));
  const card = readCard(info as unknown as StoredCard, jsonPath);
  const group = manifest[0];
  if (manifest.length !== 1 || !isObject(group) || !Array.isArray(group.paths) || group.paths.length !== 1) {
    throw new InputError(`model ${jsonPath} lists its weights in several files; melodyfilter reads one (weights.bin)`);
  }
  const specs = checkSpecs(manifest[0].weights, jsonPath);
  let expected = 0;
  for (const w of specs) {
    expected += w.shape.reduce((a, b) => a * b, 1) * 4;
    if (!Number.isSafeInteger(expected) || expected > MAX_WEIGHT_BYTES) {
      throw new InputError(`model ${jsonPath} lists more than ${MAX_WEIGHT_BYTES} bytes of weights: ` +
        'not a model melodyfilter runs');
    }
  }
  checkTopology(json.modelTopology, specs, jsonPath);
  const weightsPath = group.paths[0] as string;
  const bytes = await readModelFile(dir, weightsPath, 'weights', { exact: expected, max: MAX_WEIGHT_BYTES });
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const bad = firstUnusable(new Float32Array(weightData));
  if (bad >= 0) {
    const w = new Float32Array(weightData)[bad];
    const why = Number.isFinite(w) ? `beyond ±${MAX_ABS_WEIGHT}` : 'not finite';
    const file = path.join(dir, weightsPath);
    throw new InputError(`model weights ${file} are damaged: value ${w} at float ${bad} (${why})`);
  }
  const weights: NamedWeights = new Map();
  let offset = 0;
  for (const w of specs) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    weights.set(w.name, { shape: w.shape, data: new Float32Array(weightData, offset, n) });
    offset += n * 4;
  }
  return { card, topology: json.modelTopology, specs, weightData, weights };
}

/**
 * Change a model's card in its model.json (the only writer of a model directory's card on the
 * TypeScript side; the trainer's export is the other, copying the card it was handed): the model is
 * read and checked as for loading, `edit` gets its card, only `userDefinedMetadata` changes, and the
 * new file replaces the old one whole, so a reader never sees half of it. Returns the new card.
 */
export async function writeCard(dir: string, edit: (card: ModelCard) => ModelCard): Promise<ModelCard> {
  const card = edit((await readWeightFile(dir)).card); // a model this melodyfilter reads, or a clear error
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Json;
  json.userDefinedMetadata = storedCard(card);
  await writeFile(`${file}.tmp`, JSON.stringify(json, null, 1) + '\n');
  await rename(`${file}.tmp`, file);
  return card;
}

/** Index of the first weight that is NaN, infinite or beyond ±MAX_ABS_WEIGHT, or -1. Training and
 *  loading both refuse such a model: it prints nothing, or nonsense, with no word why. */
export function firstUnusable(w: Float32Array): number {
  for (let i = 0; i < w.length; i++) if (!(Math.abs(w[i]) <= MAX_ABS_WEIGHT)) return i;
  return -1;
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
  /** GRU written by PyTorch (reset-after, Keras' reset_after: true): the recurrent bias, kept apart
   *  because the reset gate multiplies U_h·h + b_h' rather than h. Null for tfjs' reset-before GRU. */
  private readonly cellRecB: Float32Array | null = null;
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
    this.cellUt = transpose(w(`${this.cell}/recurrent_kernel`), this.H, this.G);
    const bias = w(`${this.cell}/bias`);
    if (isResetAfterGru(weights, this.cell)) {
      this.cellB = bias.slice(0, this.G); this.cellRecB = bias.slice(this.G);
    } else this.cellB = bias;
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
