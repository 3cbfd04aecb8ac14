// Beat tracking from note onsets: Ellis's dynamic-programming beat tracker ("Beat tracking by
// dynamic programming", JNMR 2007) over an onset envelope made from the transcribed notes. The
// tempo comes from the envelope's autocorrelation under a log-normal prior; the dynamic programme
// then places beats on onsets where it can and keeps the spacing near that tempo where it cannot,
// following a tempo that drifts.

/** Envelope frames per second. */
const FRAME_RATE = 100;
/** Width of each onset's bump in the envelope: expressive timing spreads onsets by ±20–40 ms. */
const ONSET_SIGMA_SECONDS = 0.03;
/** The tempo prior: log-normal around this beat period, this many octaves wide. Tunes are played
 *  at 60–160 quarter notes a minute; 100 sits in the middle on a log axis. */
const PRIOR_PERIOD_SECONDS = 0.6;
const PRIOR_OCTAVES = 0.9;
/** How hard the dynamic programme holds the beat period: the penalty of a beat interval τ is
 *  TIGHTNESS · log(τ / period)². Lower follows tempo drift more readily. */
const TIGHTNESS = 100;

export interface OnsetWeight {
  time: number;
  /** Salience: longer and louder notes mark beats more often. */
  weight: number;
}

export interface BeatGrid {
  /** Beat times in seconds, covering every onset (one beat before the first onset at least). */
  beats: number[];
  /** The global beat period the tracker followed, in seconds. */
  period: number;
}

function envelope(onsets: readonly OnsetWeight[], t0: number, frames: number): Float64Array {
  const env = new Float64Array(frames);
  const reach = Math.ceil(3 * ONSET_SIGMA_SECONDS * FRAME_RATE);
  for (const o of onsets) {
    const centre = (o.time - t0) * FRAME_RATE;
    for (let i = Math.max(0, Math.floor(centre) - reach); i <= Math.min(frames - 1, Math.ceil(centre) + reach); i++) {
      const d = (i - centre) / (ONSET_SIGMA_SECONDS * FRAME_RATE);
      env[i] += o.weight * Math.exp(-0.5 * d * d);
    }
  }
  return env;
}

/** The beat period (seconds) the onsets imply: the autocorrelation peak under the tempo prior. */
export function estimatePeriod(onsets: readonly OnsetWeight[], minPeriod = 0.25, maxPeriod = 2): number {
  if (onsets.length < 2) return PRIOR_PERIOD_SECONDS;
  const t0 = onsets[0].time - 0.1, t1 = onsets[onsets.length - 1].time + 0.1;
  const frames = Math.ceil((t1 - t0) * FRAME_RATE) + 1;
  const env = envelope(onsets, t0, frames);
  let best = PRIOR_PERIOD_SECONDS, bestScore = -Infinity;
  for (let lag = Math.round(minPeriod * FRAME_RATE); lag <= Math.round(maxPeriod * FRAME_RATE); lag++) {
    let ac = 0;
    for (let i = lag; i < frames; i++) ac += env[i] * env[i - lag];
    // Autocorrelation at lag L also counts onsets 2L apart; the mean over the overlap keeps long
    // lags from losing just for having fewer frames.
    ac /= frames - lag;
    const octaves = Math.log2(lag / FRAME_RATE / PRIOR_PERIOD_SECONDS) / PRIOR_OCTAVES;
    const score = ac * Math.exp(-0.5 * octaves * octaves);
    if (score > bestScore) { bestScore = score; best = lag / FRAME_RATE; }
  }
  return best;
}

/** Beats following the onsets at about `period` seconds apart (Ellis's dynamic programme). */
export function trackBeats(onsets: readonly OnsetWeight[], period = estimatePeriod(onsets)): BeatGrid {
  if (onsets.length === 0) return { beats: [], period };
  const t0 = onsets[0].time - period;
  const t1 = onsets[onsets.length - 1].time + period;
  const frames = Math.ceil((t1 - t0) * FRAME_RATE) + 1;
  const env = envelope(onsets, t0, frames);
  const p = period * FRAME_RATE;
  const score = new Float64Array(frames), from = new Int32Array(frames).fill(-1);
  const lo = Math.max(1, Math.round(p / 2)), hi = Math.round(p * 2);
  for (let i = 0; i < frames; i++) {
    let best = 0, arg = -1;
    for (let tau = lo; tau <= hi && tau <= i; tau++) {
      const l = Math.log(tau / p);
      const s = score[i - tau] - TIGHTNESS * l * l;
      if (s > best) { best = s; arg = i - tau; }
    }
    score[i] = env[i] + best;
    from[i] = arg;
  }
  // The last beat: the best-scoring frame within one period of the end.
  let last = frames - 1;
  for (let i = Math.max(0, frames - Math.round(p)); i < frames; i++) if (score[i] > score[last]) last = i;
  const frameBeats: number[] = [];
  for (let i = last; i >= 0; i = from[i]) frameBeats.push(i);
  frameBeats.reverse();
  const beats = frameBeats.map((i) => t0 + i / FRAME_RATE);
  // Extend at both ends by the neighbouring interval so every onset lies between two beats.
  const first = onsets[0].time, end = onsets[onsets.length - 1].time;
  while (beats.length < 2 || beats[0] > first + 1e-9) {
    const step = beats.length >= 2 ? beats[1] - beats[0] : period;
    beats.unshift((beats[0] ?? first) - step);
  }
  while (beats[beats.length - 1] <= end) {
    const last = beats[beats.length - 1];
    beats.push(last + (last - beats[beats.length - 2]));
  }
  return { beats, period };
}
