// The model directory's one owner: reads and checks model.json (topology, weights manifest, card)
// and weights.bin, and writes them. Every kernel, the trainer's spec, `train` and the scripts read a
// model through readWeightFile and change or save one through writeCard and writeModelFiles.
import { constants as fsConstants } from 'node:fs';
import { open, readFile, realpath, rename, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../config.js';
import { readCard, storedCard, type ModelCard, type StoredCard } from './card.js';
import type { ModelShape } from './networks.js';
import { KEYS, readHarmonic, type HarmonicWeights } from './harmonic.js';

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

/** Whether a model has the offset output (an optional head: training-spec --offset-head). */
export function hasOffsetHead(weights: NamedWeights): boolean {
  return weights.has('offset/kernel');
}

/** Layer sizes of a Dense → `cell` network (and its harmonic layer, where it has one), from the
 *  weight shapes. */
export function shapeOfWeights(weights: NamedWeights, cell: KernelCell): ModelShape {
  const embed = weights.get('embed/kernel');
  const recurrent = weights.get(`${cell}/recurrent_kernel`);
  if (!embed || !recurrent) {
    throw new InputError(`model lacks embed/kernel or ${cell}/recurrent_kernel: not a melodyfilter model`);
  }
  // The harmonic network's Dense hears the features and the harmonic layer's output (harmonic.ts).
  const harmonic = weights.get('harmonic/kernel');
  const featureSize = harmonic ? harmonic.shape[0] : embed.shape[0];
  const harmonicChannels = harmonic ? harmonic.shape[1] / KEYS : 0;
  if (harmonic && (!Number.isInteger(harmonicChannels) || embed.shape[0] !== featureSize + harmonic.shape[1])) {
    throw new InputError('model has a harmonic layer that does not feed its Dense layer: not a melodyfilter model');
  }
  return {
    network: harmonic ? 'harmonic-lstm' : cell, featureSize, embedUnits: embed.shape[1],
    hiddenUnits: recurrent.shape[0],
    ...(hasOffsetHead(weights) ? { offsetHead: true } : {}),
    ...(harmonic ? { harmonicChannels } : {}),
  };
}

/** The harmonic layer's shared weights, where the model has one (checked: harmonic.ts readHarmonic).
 *  Read once per model: the fast kernel asks for every stream, and a batch has thousands. */
export function harmonicOf(weights: NamedWeights): HarmonicWeights | null {
  const kernel = weights.get('harmonic/kernel'), bias = weights.get('harmonic/bias');
  if (!kernel) return null;
  if (!bias) throw new InputError('model has no weight harmonic/bias: not a melodyfilter model');
  let read = HARMONIC_READ.get(kernel);
  if (!read) HARMONIC_READ.set(kernel, (read = readHarmonic(kernel, bias.data)));
  return read;
}
const HARMONIC_READ = new WeakMap<object, HarmonicWeights>();

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
  let inputName: string | undefined; // the input layer's name: the harmonic network joins it
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
      inputName ??= name;
    } else if (cls === 'Reshape') {
      const target = cfg.target_shape ?? cfg.targetShape;
      const whole = Array.isArray(target) && target.every(isCount);
      const size = whole ? target.reduce((a: number, b: number) => a * b, 1) : -1;
      if (!Array.isArray(target) || size !== width) {
        throw bad(`reshape ${name} to ${JSON.stringify(target)} does not fit its input of ${width}`);
      }
      widthOf.set(name, target[target.length - 1]);
    } else if (cls === 'Concatenate') {
      // Its inputs side by side (the harmonic network joins the features and the harmonic layer).
      const sources = Array.isArray(inbound[0]) ? inbound[0] : [];
      const names = sources.map((s: unknown) => (Array.isArray(s) ? String(s[0]) : ''));
      const widths = names.map((n: string) => widthOf.get(n));
      if (widths.length < 2 || widths.some((w: number | undefined) => w === undefined)) {
        throw bad(`concatenate ${name} does not join layers before it`);
      }
      // The kernels put the features first and the harmonic layer's output after them, on the last axis.
      const axis = cfg.axis ?? -1;
      if (names.join() !== `${inputName},harmonic` || (axis !== -1 && axis !== 2)) {
        throw bad(`concatenate ${name} must join the input and the harmonic layer, in that order`);
      }
      widthOf.set(name, widths.reduce((a: number, b: number | undefined) => a + b!, 0));
    } else if (typeof cls === 'string' && cls in GATES) {
      const units = cfg.units, g = GATES[cls];
      if (!isCount(units) || units < 1 || width === undefined) {
        throw bad(`layer ${name} has ${JSON.stringify(units)} units or no input`);
      }
      if (name === 'harmonic' && from !== inputName) throw bad('the harmonic layer must hear the input');
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

/** model.json as written: the tfjs layers format, one weights file, the card as userDefinedMetadata. */
export interface ModelDocument<Topology = unknown> {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Topology;
  weightsManifest: { paths: ['weights.bin']; weights: WeightSpec[] }[];
  userDefinedMetadata: StoredCard;
}

/** The model.json of a network with this topology, weights (in weights.bin's order) and card. The
 *  training spec is one without weights.bin; the trainer writes it back with its weights. */
export function modelDocument<Topology>(
  generatedBy: string, modelTopology: Topology, weights: WeightSpec[], card: ModelCard,
): ModelDocument<Topology> {
  return {
    format: 'layers-model', generatedBy, convertedBy: null, modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights }], userDefinedMetadata: storedCard(card),
  };
}

/** Write a model directory: weights.bin, then model.json, each through a temporary file and a
 *  rename, model.json last: a reader never finds a manifest whose weights are not there. */
export async function writeModelFiles(dir: string, json: ModelDocument, weightData: ArrayBuffer): Promise<void> {
  const bad = firstUnusable(new Float32Array(weightData));
  if (bad >= 0) {
    // A diverged run (a learning rate of 1e308) must not leave a model that loads and hears nothing.
    const w = new Float32Array(weightData)[bad];
    throw new InputError(`not saving ${dir}: weight ${bad} is ${w} (training diverged)`);
  }
  const bin = path.join(dir, 'weights.bin'), file = path.join(dir, 'model.json');
  await writeFile(`${bin}.tmp`, Buffer.from(weightData));
  await rename(`${bin}.tmp`, bin);
  await writeFile(`${file}.tmp`, JSON.stringify(json, null, 1) + '\n');
  await rename(`${file}.tmp`, file);
}

/** Index of the first weight that is NaN, infinite or beyond ±MAX_ABS_WEIGHT, or -1. Training and
 *  loading both refuse such a model: it prints nothing, or nonsense, with no word why. */
export function firstUnusable(w: Float32Array): number {
  for (let i = 0; i < w.length; i++) if (!(Math.abs(w[i]) <= MAX_ABS_WEIGHT)) return i;
  return -1;
}
