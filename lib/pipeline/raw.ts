// The 'raw' front end: the window's samples as they are (the write-up's own input, kept for the
// model comparison), normalised by a running peak.
import { RELEASE_DB_PER_FRAME } from './features.js';

/** Raw samples a 'raw' model sees per window: 64 ms at 16 kHz, centred on the window's reference
 *  point (3/4 into a 2048-sample window) and long enough to hold two periods of A0. */
export const RAW_SAMPLES = 1024;
/** Running-peak release of the raw front end, per frame: the same ~9 dB/s as the spectrum's. */
const RAW_RELEASE = Math.pow(10, -RELEASE_DB_PER_FRAME / 20);

/**
 * The write-up's input: amplitudes as they are, divided by a running peak so that one model serves
 * any input gain (the write-up's recordings all had one gain; ours range over 46 dB).
 */
export class RawExtractor {
  private peak = 1e-4;
  levelDb = -Infinity;
  /** `reference`: where in its window the frame is (frontends.ts), the middle of what it keeps. */
  constructor(readonly windowSamples: number, private readonly reference: number) {
    if (windowSamples < RAW_SAMPLES) throw new Error(`raw front end needs windows of at least ${RAW_SAMPLES} samples`);
  }

  reset(): void {
    this.peak = 1e-4;
    this.levelDb = -Infinity;
  }

  compute(samples: Float32Array, out: Float32Array, outOffset = 0): void {
    const n = this.windowSamples;
    const from = Math.min(n - RAW_SAMPLES, Math.max(0, this.reference - RAW_SAMPLES / 2));
    let energy = 0, max = 0;
    for (let i = 0; i < n; i++) energy += samples[i] * samples[i];
    for (let i = 0; i < RAW_SAMPLES; i++) max = Math.max(max, Math.abs(samples[from + i]));
    this.levelDb = 10 * Math.log10(energy / n + 1e-12);
    this.peak = Math.max(max, this.peak * RAW_RELEASE, 1e-4);
    const g = 1 / this.peak;
    for (let i = 0; i < RAW_SAMPLES; i++) out[outOffset + i] = samples[from + i] * g;
  }
}
