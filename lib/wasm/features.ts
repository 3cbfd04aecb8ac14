// Loader for assembly/features.ts: the features after the FFT, one instance (and its state: the
// running peak, last frame's semitones) per extractor.
import { Arena, wasmModule } from './load.js';

interface FeatureExports {
  heapBase(): number;
  init(bins: number, perSemitone: number, fftSize: number, start: number, len: number, at: number, w: number,
    db: number, prev: number, hann: number, frame: number, power: number, binPower: number, lo: number, hi: number,
    norm: number, range: number, release: number, rise: number, floorDb: number): void;
  prepare(samples: number): number;
  compute(spec: number, out: number, floorDb: number): void;
}

/** The filterbank as lib/pipeline/features.ts builds it: per log bin, its first FFT bin and its weights. */
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
  private readonly samplesAt: number;
  private readonly spec: Float32Array;
  private readonly out: Float32Array;
  private readonly samples: Float32Array;
  /** The windowed frame after prepare(): the FFT's input (the window: Hann or another shape). */
  readonly frame: Float32Array;
  private readonly floorDb: number;
  /** Runs init again: the running peak and the last frame's semitones start afresh. */
  readonly reset: () => void;

  constructor(bank: FilterbankSpec, analysisWindow: Float32Array, c: FeatureConstants) {
    const module = wasmModule('features.wasm');
    if (!module) throw new Error('this Node.js cannot run wasm/features.wasm');
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.k = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as FeatureExports;
    const arena = new Arena(this.memory, this.k.heapBase());
    const bins = bank.start.length;
    const start = arena.floats(bins), len = arena.floats(bins), at = arena.floats(bins);
    // Each bin's weights start on an even f64 so the two-lane loads are aligned.
    let total = 0, lo = Infinity, hi = 0;
    bank.weights.forEach((w, j) => {
      total += w.length + (w.length & 1);
      lo = Math.min(lo, bank.start[j]); hi = Math.max(hi, bank.start[j] + w.length - 1);
    });
    const w = arena.floats(2 * total), db = arena.floats(bins), prev = arena.floats(bins / c.binsPerSemitone);
    const hannAt = arena.floats(c.fftSize), frameAt = arena.floats(c.fftSize);
    const power = arena.floats(2 * (c.fftSize / 2 + 1));
    const binPower = arena.floats(2 * (bins + 1));
    this.samplesAt = arena.floats(c.fftSize);
    this.specAt = arena.floats(c.fftSize);
    this.outAt = arena.floats(c.featureSize);
    const buf = this.memory.buffer;
    new Int32Array(buf, start, bins).set(bank.start);
    new Float32Array(buf, hannAt, c.fftSize).set(analysisWindow);
    const lens = new Int32Array(buf, len, bins), ats = new Int32Array(buf, at, bins);
    const ws = new Float64Array(buf, w, total);
    for (let j = 0, o = 0; j < bins; j++) {
      const bw = bank.weights[j];
      lens[j] = bw.length; ats[j] = o; ws.set(bw, o);
      o += bw.length + (bw.length & 1);
    }
    this.floorDb = c.floorDb;
    this.reset = () => this.k.init(bins, c.binsPerSemitone, c.fftSize, start, len, at, w, db, prev, hannAt, frameAt,
      power, binPower, lo, hi, c.norm, c.rangeDb, c.releaseDbPerFrame, c.onsetRiseDb, c.floorDb);
    this.reset();
    this.spec = new Float32Array(buf, this.specAt, c.fftSize);
    this.out = new Float32Array(buf, this.outAt, c.featureSize);
    this.samples = new Float32Array(buf, this.samplesAt, c.fftSize);
    this.frame = new Float32Array(buf, frameAt, c.fftSize);
  }

  /** Windows `samples` into `frame` (the analysis window given at construction); returns their Σ s²
   *  (for the level). */
  prepare(samples: Float32Array): number {
    this.samples.set(samples);
    return this.k.prepare(this.samplesAt);
  }

  /** Features of one frame from its real FFT (PFFFT's ordered layout), written to `out` at `offset`. */
  compute(spectrum: Float32Array, out: Float32Array, offset: number): void {
    this.spec.set(spectrum);
    this.k.compute(this.specAt, this.outAt, this.floorDb);
    out.set(this.out, offset);
  }
}
