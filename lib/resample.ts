// Streaming polyphase resampler: mono Float32Array at the input rate → the model's rate.
// Windowed-sinc (Kaiser) low-pass at 0.45 of the lower rate, so nothing above the output's Nyquist
// folds back onto the piano's partials. Positions are kept as integers so time never drifts.

import type { DecodedChunk } from './pcm.js';

const ZERO_CROSSINGS = 12; // per side, in units of the lower rate's period: ~80 dB stop band with Kaiser β=8
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

export class Resampler {
  readonly inRate: number;
  readonly outRate: number;
  private readonly step: number; // input samples per output sample, numerator (denominator `phases`)
  private readonly phases: number;
  private readonly exactPhases: number;
  private readonly taps: number;
  private readonly half: number;
  private readonly table: Float32Array; // phases × taps
  private history: Float32Array; // input samples from `histStart` on
  private histLen = 0;
  private histStart = 0; // absolute input index of history[0]
  private pos = 0; // absolute input index of the next output's centre (integer part)
  private frac = 0; // fractional part, in 1/exactPhases
  private readonly passthrough: boolean;

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
    this.table = new Float32Array(this.phases * this.taps);
    const i0b = besselI0(KAISER_BETA);
    for (let ph = 0; ph < this.phases; ph++) {
      const offset = ph / this.phases; // output centre sits `offset` input samples after tap `half - 1`
      let sum = 0;
      for (let k = 0; k < this.taps; k++) {
        const t = k - (this.half - 1) - offset; // distance in input samples from the centre
        const x = 2 * fc * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = t / (this.half + 1);
        const w = Math.abs(r) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0b;
        const v = 2 * fc * sinc * w;
        this.table[ph * this.taps + k] = v;
        sum += v;
      }
      for (let k = 0; k < this.taps; k++) this.table[ph * this.taps + k] /= sum; // unity gain at DC
    }
    this.history = new Float32Array(4096 + this.taps);
    // Pretend `half` zeros precede the stream so the first output is centred on input sample 0.
    this.histLen = this.half - 1;
    this.histStart = -(this.half - 1);
  }

  /** Resample one chunk; returns the output samples that are complete (a view valid until the next call). */
  push(input: Float32Array): Float32Array {
    if (this.passthrough) return input;
    this.append(input);
    return this.drain(false);
  }

  /** End of input: pad with silence and return the remaining output samples. */
  flush(): Float32Array {
    if (this.passthrough) return new Float32Array(0);
    const end = this.histStart + this.histLen; // absolute input length
    this.append(new Float32Array(this.half + 1));
    return this.drain(true, end);
  }

  private append(input: Float32Array): void {
    if (this.histLen + input.length > this.history.length) {
      const grown = new Float32Array(Math.max(this.history.length * 2, this.histLen + input.length));
      grown.set(this.history.subarray(0, this.histLen));
      this.history = grown;
    }
    this.history.set(input, this.histLen);
    this.histLen += input.length;
  }

  private out = new Float32Array(0);

  private drain(final: boolean, inputEnd = Infinity): Float32Array {
    const { taps, half, table, history } = this;
    // Output n needs input up to pos + half.
    const available = this.histStart + this.histLen;
    let maxOut = Math.floor(((available - half - this.pos) * this.exactPhases - this.frac) / this.step) + 1;
    if (maxOut < 0) maxOut = 0;
    if (this.out.length < maxOut) this.out = new Float32Array(maxOut + 64);
    let n = 0;
    const phaseScale = this.phases / this.exactPhases;
    while (this.pos + half < available) {
      if (final && this.pos >= inputEnd) break;
      const ph = this.phases === this.exactPhases ? this.frac : Math.floor(this.frac * phaseScale);
      const base = this.pos - (half - 1) - this.histStart;
      const row = ph * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += history[base + k] * table[row + k];
      this.out[n++] = acc;
      this.frac += this.step;
      this.pos += Math.floor(this.frac / this.exactPhases);
      this.frac %= this.exactPhases;
    }
    // Drop input no longer needed.
    const keepFrom = this.pos - (half - 1) - this.histStart;
    if (keepFrom > 0) {
      history.copyWithin(0, keepFrom, this.histLen);
      this.histLen -= keepFrom;
      this.histStart += keepFrom;
    }
    return this.out.subarray(0, n);
  }
}

/** Stream stage: the decoder's mono chunks at their input rate → mono chunks at `modelRate`. */
export function resample(modelRate: number) {
  return async function* (src: AsyncIterable<DecodedChunk>): AsyncGenerator<Float32Array> {
    let r: Resampler | null = null;
    for await (const chunk of src) {
      r ??= new Resampler(chunk.inputRate, modelRate);
      const out = r.push(chunk.samples);
      if (out.length) yield out.slice();
    }
    if (r) {
      const tail = r.flush();
      if (tail.length) yield tail.slice();
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
