// Loader for assembly/features.ts: the features after the FFT, one instance (and its state: the
// running peak, last frame's semitones) per extractor.
import { Arena, wasmModule } from './load.js';

interface FeatureExports {
  heapBase(): number;
  init(bins: number, perSemitone: number, fftSize: number, start: number, len: number, at: number, w: number,
    db: number, prev: number, norm: number, range: number, release: number, rise: number, floorDb: number): void;
  compute(spec: number, out: number, floorDb: number): void;
}

/** The filterbank as lib/features.ts builds it: per log bin, its first FFT bin and its weights. */
export interface FilterbankSpec {
  start: Int32Array;
  weights: Float32Array[];
}

export interface FeatureConstants {
  fftSize: number;
  binsPerSemitone: number;
  featureSize: number;
  /** Scale from |X|² to power where a full-scale sine peaks near 0 dB. */
  norm: number;
  rangeDb: number;
  releaseDbPerFrame: number;
  onsetRiseDb: number;
  floorDb: number;
}

export class FeatureCore {
  private readonly k: FeatureExports;
  private readonly memory: WebAssembly.Memory;
  private readonly specAt: number;
  private readonly outAt: number;
  private spec: Float32Array;
  private out: Float32Array;
  private readonly floorDb: number;

  constructor(bank: FilterbankSpec, c: FeatureConstants) {
    const module = wasmModule('features.wasm');
    if (!module) throw new Error('this Node.js cannot run wasm/features.wasm');
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.k = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as FeatureExports;
    const arena = new Arena(this.memory, this.k.heapBase());
    const bins = bank.start.length;
    const start = arena.floats(bins), len = arena.floats(bins), at = arena.floats(bins);
    let total = 0;
    for (const w of bank.weights) total += w.length;
    const w = arena.floats(total), db = arena.floats(bins), prev = arena.floats(bins / c.binsPerSemitone);
    this.specAt = arena.floats(c.fftSize);
    this.outAt = arena.floats(c.featureSize);
    const buf = this.memory.buffer;
    new Int32Array(buf, start, bins).set(bank.start);
    const lens = new Int32Array(buf, len, bins), ats = new Int32Array(buf, at, bins), ws = new Float32Array(buf, w, total);
    for (let j = 0, o = 0; j < bins; o += bank.weights[j].length, j++) {
      lens[j] = bank.weights[j].length; ats[j] = o; ws.set(bank.weights[j], o);
    }
    this.floorDb = c.floorDb;
    this.k.init(bins, c.binsPerSemitone, c.fftSize, start, len, at, w, db, prev, c.norm, c.rangeDb,
      c.releaseDbPerFrame, c.onsetRiseDb, c.floorDb);
    this.spec = new Float32Array(buf, this.specAt, c.fftSize);
    this.out = new Float32Array(buf, this.outAt, c.featureSize);
  }

  /** Features of one frame from its real FFT (PFFFT's ordered layout), written to `out` at `offset`. */
  compute(spectrum: Float32Array, out: Float32Array, offset: number): void {
    this.spec.set(spectrum);
    this.k.compute(this.specAt, this.outAt, this.floorDb);
    out.set(this.out, offset);
  }
}
