// The resampler's inner loop as SIMD WebAssembly: each output sample is one dot product of a
// polyphase filter row with the input around it. lib/pipeline/resample.ts designs the filter, owns the stream
// state and places the history and table in this module's memory; this walks output positions.
// Built into wasm/resample.wasm by scripts/build-wasm.ts.

let table: usize = 0; // phases × taps4 floats, each row zero-padded to taps4
let taps4 = 0; // taps rounded up to 4
let half = 0; // taps / 2: output n is centred between taps half − 1 and half
let phases = 0; // rows in the table
let exactPhases = 0; // output positions per `step` input samples
let step = 0;
let phaseScale: f64 = 1; // phases / exactPhases, when the table holds fewer rows than positions
// Where drain() stopped, relative to the history it was given.
let endPos = 0;
let endFrac = 0;

/** Where the static data ends: the loader places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

export function init(tableAt: usize, tapsPadded: i32, halfTaps: i32, rows: i32, exact: i32, inStep: i32): void {
  table = tableAt; taps4 = tapsPadded; half = halfTaps; phases = rows; exactPhases = exact; step = inStep;
  phaseScale = <f64>rows / <f64>exact;
}

// @ts-ignore: decorator
@inline function rowAt(frac: i32): usize {
  const ph = phases === exactPhases ? frac : <i32>Math.floor(<f64>frac * phaseScale);
  return table + <usize>ph * (<usize>taps4 << 2);
}

// @ts-ignore: decorator
@inline function histAt(hist: usize, pos: i32): usize {
  return hist + (<usize>(pos - (half - 1)) << 2);
}

/** One output: the dot product of row `w` with the input at `x`, in two running sums (taps 0–3,
 *  8–11, … and 4–7, 12–15, …) whose lanes are added last. Every output is summed in this order. */
// @ts-ignore: decorator
@inline function dot(x: usize, w: usize): f32 {
  let a = f32x4.splat(0), b = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= taps4; k += 8) {
    const kb = <usize>k << 2;
    a = f32x4.add(a, f32x4.mul(v128.load(x + kb), v128.load(w + kb)));
    b = f32x4.add(b, f32x4.mul(v128.load(x + kb, 16), v128.load(w + kb, 16)));
  }
  if (k < taps4) a = f32x4.add(a, f32x4.mul(v128.load(x + (<usize>k << 2)), v128.load(w + (<usize>k << 2))));
  return lanes(f32x4.add(a, b));
}

/** The four lanes of a sum, added in order. */
// @ts-ignore: decorator
@inline function lanes(s: v128): f32 {
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * Outputs from position `pos` (input index of the centre, relative to `hist`) and phase `frac`
 * while pos + half < available and pos < end; returns how many it wrote to `out`. Reads up to
 * taps4 − taps floats past the last tap, which the loader keeps finite (their weights are 0).
 *
 * Two outputs at a time where two are due: each one's sums are chains of dependent adds, so one
 * output alone waits on the adder's latency; two outputs' chains interleaved keep it busier (10%
 * faster; four at a time was 25% slower than one, its sums and pointers spilling out of V8's
 * sixteen vector registers). Each output is still summed exactly as dot() sums it: the same bits.
 */
export function drain(hist: usize, available: i32, end: i32, pos: i32, frac: i32, out: usize): i32 {
  let n = 0;
  while (true) {
    // The next position; it is the further, so if it is due both are.
    let f1 = frac + step; const p1 = pos + f1 / exactPhases; f1 %= exactPhases;
    if (!(p1 + half < available && p1 < end)) break;
    const x0 = histAt(hist, pos), x1 = histAt(hist, p1);
    const w0 = rowAt(frac), w1 = rowAt(f1);
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0), a1 = f32x4.splat(0), b1 = f32x4.splat(0);
    let k = 0;
    for (; k + 8 <= taps4; k += 8) {
      const kb = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(x0 + kb), v128.load(w0 + kb)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(x1 + kb), v128.load(w1 + kb)));
      b0 = f32x4.add(b0, f32x4.mul(v128.load(x0 + kb, 16), v128.load(w0 + kb, 16)));
      b1 = f32x4.add(b1, f32x4.mul(v128.load(x1 + kb, 16), v128.load(w1 + kb, 16)));
    }
    if (k < taps4) {
      const kb = <usize>k << 2;
      a0 = f32x4.add(a0, f32x4.mul(v128.load(x0 + kb), v128.load(w0 + kb)));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(x1 + kb), v128.load(w1 + kb)));
    }
    const o = out + (<usize>n << 2);
    store<f32>(o, lanes(f32x4.add(a0, b0)));
    store<f32>(o, lanes(f32x4.add(a1, b1)), 4);
    n += 2;
    frac = f1 + step;
    pos = p1 + frac / exactPhases;
    frac %= exactPhases;
  }
  while (pos + half < available && pos < end) {
    store<f32>(out + (<usize>n << 2), dot(histAt(hist, pos), rowAt(frac)));
    n++;
    frac += step;
    pos += frac / exactPhases;
    frac %= exactPhases;
  }
  endPos = pos;
  endFrac = frac;
  return n;
}

export function lastPos(): i32 {
  return endPos;
}

export function lastFrac(): i32 {
  return endFrac;
}
