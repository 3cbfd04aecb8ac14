// The resampler's measured response from 44.1 kHz to 16 kHz: a full-scale tone at each frequency
// goes in, and the level of what comes out at its image below 8 kHz (the tone itself in the pass
// band, its alias above 8 kHz) is read by correlation. Prints the pass-band gain and the worst
// alias per band, in dB.
//
//   node dist/scripts/resampler-response.js [--rate HZ]
import { resampleBuffer } from '../lib/pipeline/resample.js';
import { MODEL_RATE } from '../lib/music.js';

const inRate = Number(process.argv[process.argv.indexOf('--rate') + 1]) || 44100;
const SECONDS = 0.5;

/** Where a tone at `hz` lands after sampling at MODEL_RATE. */
function image(hz: number): number {
  const f = hz % MODEL_RATE;
  return f > MODEL_RATE / 2 ? MODEL_RATE - f : f;
}

function levelDb(hz: number): number {
  const n = Math.round(inRate * SECONDS);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin((2 * Math.PI * hz * i) / inRate);
  const y = resampleBuffer(x, inRate, MODEL_RATE);
  const at = image(hz);
  // Correlate over the middle half, away from the start and end transients.
  let re = 0, im = 0;
  const from = Math.floor(y.length / 4), to = Math.floor((3 * y.length) / 4);
  for (let i = from; i < to; i++) {
    re += y[i] * Math.cos((2 * Math.PI * at * i) / MODEL_RATE);
    im += y[i] * Math.sin((2 * Math.PI * at * i) / MODEL_RATE);
  }
  return 20 * Math.log10((2 * Math.hypot(re, im)) / (to - from) + 1e-12);
}

const bands: [string, number, number][] = [
  ['pass 0–5 kHz (gain)', 50, 5000], ['pass 5–6 kHz', 5000, 6000], ['pass 6–7 kHz', 6000, 7000],
  ['pass 7–7.5 kHz', 7000, 7500], ['edge 7.5–8 kHz', 7500, 8000],
  ['alias 8–8.25 kHz → 7.75–8 kHz', 8000, 8250], ['alias 8.25–9 kHz → 7–7.75 kHz', 8250, 9000],
  ['alias 9–10 kHz → 6–7 kHz', 9000, 10000], ['alias 10–22 kHz', 10000, Math.min(22000, inRate / 2)],
];
const STEP_HZ = 25;
process.stdout.write(`resampler ${inRate} → ${MODEL_RATE} Hz, full-scale tones every ${STEP_HZ} Hz\n`);
for (const [name, lo, hi] of bands) {
  let min = Infinity, max = -Infinity;
  for (let hz = lo + (lo === 8000 ? STEP_HZ : 0); hz <= hi; hz += STEP_HZ) {
    if (hz === MODEL_RATE) continue; // folds onto DC
    const db = levelDb(hz);
    min = Math.min(min, db); max = Math.max(max, db);
  }
  process.stdout.write(`${name.padEnd(34)} ${min.toFixed(1).padStart(7)} … ${max.toFixed(1).padStart(6)} dB\n`);
}
