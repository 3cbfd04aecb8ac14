// Streaming polyphase resampler: mono Float32Array at the input rate → the model's rate.
// Windowed-sinc (Kaiser) low-pass at 0.45 of the lower rate, so nothing above the output's Nyquist
// folds back onto the piano's partials. Positions are kept as integers so time never drifts.
import { Arena, wasmModule } from '../wasm/load.js';
import type { DecodedChunk } from './pcm.js';
import { IdlePool } from './idle.js';

/** Filter half-length, in periods of the lower rate: with Kaiser β=8 the stop band (≥ 79 dB from
 *  44.1 kHz, measured by scripts/resampler-response.ts) starts at the output's Nyquist, so nothing
 *  folds into the top feature semitones (7–8 kHz). 12 left 8–9 kHz folding in at only −23 to −32 dB. */
const ZERO_CROSSINGS = 24;
const KAISER_BETA = 8;
const CUTOFF = 0.9; // of the lower Nyquist: 7.2 kHz at 16 kHz, above C8's second partial band we use
const MAX_PHASES = 1024; // rates with no small common divisor share the nearest of 1024 phases

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1, term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Filter tables by rate pair: designing one costs milliseconds a stream (a Kaiser window of Bessel
 *  functions per tap), and a batch of files at one rate needs it once. Tables are never modified. */
const TABLES = new Map<string, Float32Array>();

function filterTable(inRate: number, outRate: number, phases: number, taps: number, half: number, fc: number) {
  const key = `${inRate}/${outRate}`;
  const cached = TABLES.get(key);
  if (cached) return cached;
  const table = new Float32Array(phases * taps);
  const i0b = besselI0(KAISER_BETA);
  for (let ph = 0; ph < phases; ph++) {
    const offset = ph / phases; // output centre sits `offset` input samples after tap `half - 1`
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const t = k - (half - 1) - offset; // distance in input samples from the centre
      const x = 2 * fc * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = t / (half + 1);
      const w = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0b;
      const v = 2 * fc * sinc * w;
      table[ph * taps + k] = v;
      sum += v;
    }
    for (let k = 0; k < taps; k++) table[ph * taps + k] /= sum; // unity gain at DC
  }
  TABLES.set(key, table);
  return table;
}

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  private readonly step: number; // input samples per output sample, numerator (denominator `phases`)
  private readonly phases: number;
  private readonly exactPhases: number;
  private readonly taps: number;
  private readonly half: number;
  private readonly table: Float32Array; // phases × taps
  private readonly passthrough: boolean;
  // The dot products run in wasm/resample.wasm (assembly/resample.ts): the table, the input history
  // and the output live in its memory.
  private readonly wasm: ResampleExports | null = null;
  private readonly memory: WebAssembly.Memory | null = null;
  private regionsAt = 0; // after the table: the output buffer, then the history
  private outAt = 0;
  private histAt = 0;
  private histCap = 0;
  private histLen = 0;
  private histStart = 0; // absolute input index of history[0]
  private pos = 0; // absolute input index of the next output's centre (integer part)
  private frac = 0; // fractional part, in 1/exactPhases

  /** The filter as designed: `table` holds `phases` rows of `taps` weights; output n is centred
   *  between taps half − 1 and half; `step` input samples per `exactPhases` outputs. */
  get design() {
    const { table, taps, half, phases, exactPhases, step } = this;
    return { table, taps, half, phases, exactPhases, step };
  }

  constructor(inRate: number, outRate: number) {
    this.inRate = inRate;
    this.outRate = outRate;
    const g = gcd(inRate, outRate);
    this.exactPhases = outRate / g;
    this.step = inRate / g;
    this.passthrough = inRate === outRate;
    this.phases = Math.min(this.exactPhases, MAX_PHASES);
    // Filter cutoff relative to the input rate.
    const fc = (CUTOFF * 0.5 * Math.min(inRate, outRate)) / inRate; // cycles per input sample
    this.half = Math.ceil(ZERO_CROSSINGS * Math.max(1, inRate / outRate));
    this.taps = 2 * this.half;
    this.table = filterTable(inRate, outRate, this.phases, this.taps, this.half, fc);
    if (this.passthrough) return;
    const module = wasmModule('resample.wasm');
    if (!module) throw new Error('this Node.js lacks WebAssembly SIMD, which wasm/resample.wasm needs');
    this.memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.wasm = instance.exports as unknown as ResampleExports;
    // Rows padded to a multiple of 4 taps with zero weights, for the SIMD loop.
    const taps4 = Math.ceil(this.taps / 4) * 4;
    const arena = new Arena(this.memory, this.wasm.heapBase());
    const tableAt = arena.floats(this.phases * taps4);
    const padded = new Float32Array(this.memory.buffer, tableAt, this.phases * taps4);
    for (let ph = 0; ph < this.phases; ph++) {
      padded.set(this.table.subarray(ph * this.taps, (ph + 1) * this.taps), ph * taps4);
    }
    this.wasm.init(tableAt, taps4, this.half, this.phases, this.exactPhases, this.step);
    this.regionsAt = arena.end;
    this.layout(4096);
    this.reset();
  }

  /** Back to the start of a stream (the buffers keep their size), for the next stream to reuse. */
  reset(): void {
    // Pretend `half` zeros precede the stream so the first output is centred on input sample 0.
    this.histLen = this.half - 1;
    this.histStart = -(this.half - 1);
    this.pos = 0;
    this.frac = 0;
    if (this.memory) new Float32Array(this.memory.buffer, this.histAt, this.histLen).fill(0);
  }

  /** (Re)place the output and history buffers, keeping the history's samples. The output holds
   *  what a full history can yield. */
  private layout(histCap: number): void {
    const outCap = Math.ceil((histCap * this.exactPhases) / this.step) + 64;
    const arena = new Arena(this.memory!, this.regionsAt);
    const outAt = arena.floats(outCap);
    const histAt = arena.floats(histCap + 4); // + 4: the SIMD loop reads up to 3 floats past the end
    const mem = new Float32Array(this.memory!.buffer);
    if (this.histLen) mem.copyWithin(histAt >> 2, this.histAt >> 2, (this.histAt >> 2) + this.histLen);
    this.outAt = outAt; this.histAt = histAt; this.histCap = histCap;
  }

  /** Resample one chunk; returns the output samples that are complete (a view valid until the next call). */
  push(input: Float32Array): Float32Array {
    if (this.passthrough) return input;
    this.append(input);
    return this.drain(Infinity);
  }

  /** End of input: pad with silence and return the remaining output samples. */
  flush(): Float32Array {
    if (this.passthrough) return new Float32Array(0);
    const end = this.histStart + this.histLen; // absolute input length
    this.append(new Float32Array(this.half + 1));
    return this.drain(end);
  }

  private append(input: Float32Array): void {
    if (this.histLen + input.length > this.histCap) {
      const cap = Math.max(this.histCap * 2, this.histLen + input.length);
      this.layout(cap);
    }
    new Float32Array(this.memory!.buffer, this.histAt, this.histCap).set(input, this.histLen);
    this.histLen += input.length;
  }

  private drain(inputEnd: number): Float32Array {
    const { half, histStart } = this;
    // Every output needs input up to pos + half; positions are relative to history[0] in wasm.
    const available = this.histLen;
    const end = Number.isFinite(inputEnd) ? inputEnd - histStart : 0x7fffffff;
    const n = this.wasm!.drain(this.histAt, available, end, this.pos - histStart, this.frac, this.outAt);
    this.pos = histStart + this.wasm!.lastPos();
    this.frac = this.wasm!.lastFrac();
    // Drop input no longer needed.
    const keepFrom = this.pos - (half - 1) - histStart;
    if (keepFrom > 0) {
      const mem = new Float32Array(this.memory!.buffer);
      const at = this.histAt >> 2;
      mem.copyWithin(at, at + keepFrom, at + this.histLen);
      this.histLen -= keepFrom;
      this.histStart += keepFrom;
    }
    return new Float32Array(this.memory!.buffer, this.outAt, n);
  }
}

interface ResampleExports {
  heapBase(): number;
  init(table: number, tapsPadded: number, half: number, phases: number, exactPhases: number, step: number): void;
  drain(hist: number, available: number, end: number, pos: number, frac: number, out: number): number;
  lastPos(): number;
  lastFrac(): number;
}

/** Resamplers of finished streams, by input and output rate (idle.ts). */
const IDLE_RESAMPLERS = new IdlePool<Resampler>();

/** Stream stage: the decoder's mono chunks at their input rate → mono chunks at `modelRate`. */
export function resample(modelRate: number) {
  return async function* (src: AsyncIterable<DecodedChunk>): AsyncGenerator<Float32Array> {
    let r: Resampler | null = null;
    try {
      for await (const chunk of src) {
        const { inputRate } = chunk;
        r ??= IDLE_RESAMPLERS.take(`${inputRate}/${modelRate}`, () => new Resampler(inputRate, modelRate));
        const out = r.push(chunk.samples);
        if (out.length) yield out.slice();
      }
      if (r) {
        const tail = r.flush();
        if (tail.length) yield tail.slice();
      }
    } finally {
      if (r) IDLE_RESAMPLERS.give(`${r.inRate}/${r.outRate}`, r);
    }
  };
}

/** Whole-buffer convenience used by training and tests. */
export function resampleBuffer(input: Float32Array, inRate: number, outRate: number): Float32Array {
  if (inRate === outRate) return input.slice();
  const r = new Resampler(inRate, outRate);
  const a = r.push(input).slice();
  const b = r.flush();
  const out = new Float32Array(a.length + b.length);
  out.set(a); out.set(b, a.length);
  return out;
}
