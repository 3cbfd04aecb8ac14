// The classifier in SIMD WebAssembly (assembly/kernel.ts): the same network as lib/model/fast-kernel.ts'
// FastClassifier, which stays as the reference the tests hold this to. Per read it runs three
// batched passes and one sequential one: Dense for every frame (four frames per load of weights), the
// recurrent layer's input projection for every frame, the recurrence itself frame by frame, and the
// heads for every frame. No allocation per window: the batch buffers grow to the largest read seen.
import { InputError } from '../config.js';
import { NUM_CLASSES } from './card.js';
import { type FrameClassifier } from './kernels.js';
import { harmonicOf, shapeOfWeights, type KernelCell, type NamedWeights } from './files.js';
import { KEYS, TAPS, TAP_BINS, type HarmonicWeights } from './harmonic.js';
import type { ModelShape } from './networks.js';
import { Arena, pickModule } from '../wasm/load.js';

const PAD = 16; // output widths are padded to this many floats so the wasm loops need no remainder
const OFFSET_COLUMN = NUM_CLASSES + 1; // the heads' columns: the classes, the onset, the offset
const pad = (n: number) => Math.ceil(n / PAD) * PAD;

interface KernelExports {
  heapBase(): number;
  gemm(x: number, ldx: number, frames: number, nIn: number, w: number, b: number, nOut: number, y: number,
    relu: boolean, idx: number): void;
  recur(lstm: boolean, xg: number, frames: number, u: number, hp: number, h: number, c: number, z: number,
    hs: number): void;
  heads(logits: number, frames: number, ld: number, classes: number, probs: number, onsets: number): void;
  harmonic(x: number, ld: number, frames: number, inF: number, keys: number, starts: number, bins: number,
    rows: number, w: number, b: number, channels: number): void;
}

/** The harmonic layer as assembly/kernel.ts harmonic() reads it: each key's taps inside the spectrum
 *  (keys + 1 starts into bins and rows), rows as byte offsets of the weight rows. */
export interface PackedHarmonic {
  channels: number; starts: Int32Array; bins: Int32Array; rows: Int32Array; w: Float32Array; b: Float32Array;
}

/** assembly/kernel.ts harmonic() computes four channels at a time. */
export const wasmRunsChannels = (channels: number): boolean => channels % 4 === 0;

function packHarmonic(h: HarmonicWeights): PackedHarmonic {
  const starts = new Int32Array(KEYS + 1), bins: number[] = [], rows: number[] = [];
  for (let p = 0; p < KEYS; p++) {
    for (let t = 0; t < TAPS; t++) {
      const bin = TAP_BINS[p * TAPS + t];
      if (bin >= 0) { bins.push(bin); rows.push(t * h.channels * 4); }
    }
    starts[p + 1] = bins.length;
  }
  return { channels: h.channels, starts, bins: Int32Array.from(bins), rows: Int32Array.from(rows), w: h.w, b: h.b };
}

/** The weights rearranged for the wasm kernel, once per model; each classifier copies them in. */
export interface PackedWeights {
  shape: ModelShape;
  lstm: boolean;
  /** Features per frame in; the harmonic layer's, where the model has one (F: what the Dense hears). */
  inF: number; harmonic: PackedHarmonic | null;
  F: number; Ep: number; Hp: number; G: number; Cp: number;
  embedW: Float32Array; embedB: Float32Array; // F × Ep, Ep
  cellW: Float32Array; cellB: Float32Array; // Ep × G, G
  cellU: Float32Array; // Hp × G (the LSTM's in panels of 32 columns)
  headW: Float32Array; headB: Float32Array; // Hp × Cp: columns 0…88 the note head, 89 the onset head, 90 the offset's
  /** Whether column 90 holds the offset head (its logit: the kernel's heads() leaves it as it is). */
  offset: boolean;
}

/** tfjs' layer weights (in × out, gates side by side) → padded widths, each gate's block padded. */
export function packWeights(weights: NamedWeights, cell: KernelCell): PackedWeights {
  const shape = shapeOfWeights(weights, cell);
  const get = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new InputError(`model has no weight ${name}: not a melodyfilter model`);
    return t.data;
  };
  const lstm = cell === 'lstm';
  const gates = lstm ? 4 : 3;
  const inF = shape.featureSize, E = shape.embedUnits, H = shape.hiddenUnits;
  const F = inF + KEYS * (shape.harmonicChannels ?? 0);
  const harmonicWeights = harmonicOf(weights);
  if (harmonicWeights && !wasmRunsChannels(harmonicWeights.channels)) {
    throw new InputError('the wasm kernel runs harmonic layers of a multiple of 4 channels');
  }
  const Ep = pad(E), Hp = pad(H), G = gates * Hp, Cp = pad(NUM_CLASSES + 2);
  const cellKernel = get(`${cell}/kernel`), noteKernel = get('note/kernel');
  const cellBias = get(`${cell}/bias`);
  if (cellKernel.length !== E * gates * H || noteKernel.length !== H * NUM_CLASSES || cellBias.length !== gates * H) {
    throw new InputError('model weights have shapes this kernel does not know');
  }
  // Copy a rows × cols matrix into an outRows × outCols one, its columns in `blocks` blocks of
  // cols / blocks, block g starting at column g · blockStride.
  const place = (src: Float32Array, rows: number, cols: number, outRows: number, outCols: number,
    blocks = 1, blockStride = 0) => {
    const out = new Float32Array(outRows * outCols);
    const w = cols / blocks;
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < blocks; g++) {
        out.set(src.subarray(r * cols + g * w, r * cols + (g + 1) * w), r * outCols + g * blockStride);
      }
    }
    return out;
  };
  const headW = place(noteKernel, H, NUM_CLASSES, Hp, Cp);
  const onsetW = get('onset/kernel');
  for (let r = 0; r < H; r++) headW[r * Cp + NUM_CLASSES] = onsetW[r];
  const headB = new Float32Array(Cp);
  headB.set(get('note/bias')); headB[NUM_CLASSES] = get('onset/bias')[0];
  const offset = shape.offsetHead === true;
  if (offset) {
    const offsetW = get('offset/kernel');
    for (let r = 0; r < H; r++) headW[r * Cp + OFFSET_COLUMN] = offsetW[r];
    headB[OFFSET_COLUMN] = get('offset/bias')[0];
  }
  // The LSTM's gate columns interleaved four units at a time (assembly/kernel.ts recur): gate g of
  // unit k at column 16·⌊k/4⌋ + 4·g + k mod 4; the GRU's in blocks of Hp, gate g at g·Hp.
  const gates4 = (src: Float32Array, rows: number, outRows: number) => {
    if (!lstm) return place(src, rows, gates * H, outRows, G, gates, Hp);
    const out = new Float32Array(outRows * G);
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < gates; g++) {
        for (let k = 0; k < H; k++) out[r * G + 16 * (k >> 2) + 4 * g + (k & 3)] = src[r * gates * H + g * H + k];
      }
    }
    return out;
  };
  const recurrent = gates4(get(`${cell}/recurrent_kernel`), H, Hp);
  return {
    shape, lstm, inF, harmonic: harmonicWeights && packHarmonic(harmonicWeights), F, Ep, Hp, G, Cp,
    embedW: place(get('embed/kernel'), F, E, F, Ep), embedB: place(get('embed/bias'), 1, E, 1, Ep),
    cellW: gates4(cellKernel, E, Ep), cellB: gates4(cellBias, 1, 1),
    cellU: lstm ? panels(recurrent, Hp, G, 32) : recurrent,
    headW, headB, offset,
  };
}

/** A rows × cols matrix as cols / width panels, each rows × width and contiguous: what a kernel
 *  that sweeps `width` columns down all the rows reads in order. */
function panels(m: Float32Array, rows: number, cols: number, width: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let p = 0, o = 0; p < cols; p += width) {
    for (let r = 0; r < rows; r++, o += width) out.set(m.subarray(r * cols + p, r * cols + p + width), o);
  }
  return out;
}

/** Multiply-adds per window of a Dense → recurrent → heads network (the kernel pads widths to 16,
 *  which this does not count). */
export function macsPerWindow(s: ModelShape, cell: KernelCell): number {
  const gates = cell === 'gru' ? 3 : 4;
  const C = s.harmonicChannels ?? 0, taps = C ? TAP_BINS.filter((b) => b >= 0).length : 0;
  return taps * C + (s.featureSize + KEYS * C) * s.embedUnits +
    gates * s.hiddenUnits * (s.embedUnits + s.hiddenUnits) + s.hiddenUnits * (NUM_CLASSES + (s.offsetHead ? 2 : 1));
}

export class WasmClassifier implements FrameClassifier {
  /** Whether this instance runs the relaxed-SIMD (fused multiply-add) build. */
  readonly relaxed: boolean;
  private readonly k: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly p: PackedWeights;
  private readonly at: Record<
    'embedW' | 'embedB' | 'cellW' | 'cellB' | 'cellU' | 'headW' | 'headB' | 'h' | 'c' | 'z' | 'idx', number
  >;
  /** The harmonic layer's arrays (byte offsets) and channels, where the model has one. */
  private readonly hat: Record<'starts' | 'bins' | 'rows' | 'w' | 'b' | 'channels', number> | null;
  private readonly batchBase: number;
  private capacity = 0; // frames the batch buffers hold
  // Byte offsets of the batch buffers.
  private x = 0; private emb = 0; private xg = 0; private hs = 0;
  private logits = 0; private probs = 0; private onsets = 0;

  /** Made with the default build, so any stream may take it over (fresh). */
  private readonly recyclable: boolean;
  private disposed = false;

  constructor(packed: PackedWeights, opts: { relaxed?: boolean } = {}) {
    const { module, relaxed } = pickModule('kernel', opts.relaxed ?? true);
    this.relaxed = relaxed;
    this.recyclable = opts.relaxed === undefined;
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.k = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    this.p = packed;
    const arena = new Arena(this.memory, this.k.heapBase());
    const { Hp, G } = packed;
    const place = (a: Float32Array | Int32Array) => { // 4-byte values, floats or the harmonic layer's ints
      const at = arena.floats(a.length);
      new Uint8Array(this.memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return at;
    };
    this.at = {
      embedW: place(packed.embedW), embedB: place(packed.embedB),
      cellW: place(packed.cellW), cellB: place(packed.cellB),
      cellU: place(packed.cellU), headW: place(packed.headW), headB: place(packed.headB),
      h: arena.floats(Hp), c: arena.floats(Hp), z: arena.floats(G + Hp), // fresh memory is zeroed: a fresh state
      idx: arena.floats(Math.max(packed.F, packed.Ep, Hp)), // gemm's list of the inputs in use
    };
    const h = packed.harmonic;
    this.hat = h && {
      starts: place(h.starts), bins: place(h.bins), rows: place(h.rows), w: place(h.w), b: place(h.b),
      channels: h.channels,
    };
    this.batchBase = arena.end;
  }

  private ensure(frames: number): void {
    if (frames <= this.capacity) return;
    const cap = Math.max(frames, 2 * this.capacity, 16);
    const { F, Ep, G, Hp, Cp } = this.p;
    const arena = new Arena(this.memory, this.batchBase);
    this.x = arena.floats(cap * F); this.emb = arena.floats(cap * Ep); this.xg = arena.floats(cap * G);
    this.hs = arena.floats(cap * Hp); this.logits = arena.floats(cap * Cp);
    this.probs = arena.floats(cap * NUM_CLASSES); this.onsets = arena.floats(cap);
    this.capacity = cap;
  }

  async run(
    features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array, offsets?: Float32Array,
  ): Promise<void> {
    this.runSync(features, nFrames, probs, onsets, offsets);
  }

  /** `features`: nFrames × featureSize; writes nFrames × NUM_CLASSES probabilities, nFrames onsets and,
   *  where the model has the head and `offsets` is given, nFrames offsets. */
  runSync(
    features: Float32Array, nFrames: number, probs: Float32Array, onsets: Float32Array, offsets?: Float32Array,
  ): void {
    if (nFrames === 0) return;
    this.ensure(nFrames);
    const { k, at, p } = this;
    const buf = this.memory.buffer; // after ensure(): growing detaches the old buffer
    if (this.hat) {
      // Each frame's features, then the harmonic layer's output after them in the same row.
      const x = new Float32Array(buf, this.x, nFrames * p.F);
      for (let t = 0; t < nFrames; t++) x.set(features.subarray(t * p.inF, (t + 1) * p.inF), t * p.F);
      const { starts, bins, rows, w, b, channels } = this.hat;
      k.harmonic(this.x, p.F, nFrames, p.inF, KEYS, starts, bins, rows, w, b, channels);
    } else {
      new Float32Array(buf, this.x, nFrames * p.F).set(features.subarray(0, nFrames * p.F));
    }
    k.gemm(this.x, p.F, nFrames, p.F, at.embedW, at.embedB, p.Ep, this.emb, true, at.idx);
    k.gemm(this.emb, p.Ep, nFrames, p.Ep, at.cellW, at.cellB, p.G, this.xg, false, at.idx);
    k.recur(p.lstm, this.xg, nFrames, at.cellU, p.Hp, at.h, at.c, at.z, this.hs);
    k.gemm(this.hs, p.Hp, nFrames, p.Hp, at.headW, at.headB, p.Cp, this.logits, false, at.idx);
    k.heads(this.logits, nFrames, p.Cp, NUM_CLASSES, this.probs, this.onsets);
    probs.set(new Float32Array(buf, this.probs, nFrames * NUM_CLASSES));
    onsets.set(new Float32Array(buf, this.onsets, nFrames));
    if (offsets && p.offset) {
      // The offset's logit, left in its column by heads(): one sigmoid a window is not worth a kernel change.
      const logits = new Float32Array(buf, this.logits, nFrames * p.Cp);
      for (let t = 0; t < nFrames; t++) offsets[t] = 1 / (1 + Math.exp(-logits[t * p.Cp + OFFSET_COLUMN]));
    }
  }

  /** A classifier with fresh state for a new stream: a disposed one of the same weights when there
   *  is one (its memory already holds them: a batch of files would otherwise copy the weights into a
   *  new instance per file), else a new one. */
  static fresh(packed: PackedWeights): WasmClassifier {
    const reused = RECYCLED.get(packed)?.pop();
    if (!reused) return new WasmClassifier(packed);
    reused.disposed = false;
    return reused;
  }

  /** Back to the pool for the next stream, its state zeroed (what a new instance starts from). */
  dispose(): void {
    if (this.disposed || !this.recyclable) return;
    this.disposed = true;
    const { Hp, G } = this.p;
    new Float32Array(this.memory.buffer, this.at.h, Hp).fill(0);
    new Float32Array(this.memory.buffer, this.at.c, Hp).fill(0);
    new Float32Array(this.memory.buffer, this.at.z, G + Hp).fill(0);
    let pool = RECYCLED.get(this.p);
    if (!pool) RECYCLED.set(this.p, (pool = []));
    if (pool.length < MAX_RECYCLED) pool.push(this);
  }
}

/** Disposed classifiers by weights, for the next streams. A few at most: streams run one after
 *  another in a batch, and concurrent ones (a server) each hold their own while they run. */
const RECYCLED = new WeakMap<PackedWeights, WasmClassifier[]>();
const MAX_RECYCLED = 4;
