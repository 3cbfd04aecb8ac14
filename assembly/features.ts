// The features after the FFT, as WebAssembly: power spectrum → log-frequency filterbank → dB below
// the running peak → centred spectrum features, per-semitone onset evidence and the level feature.
// lib/pipeline/features.ts owns the constants and the layout and holds the plain-TypeScript original this
// mirrors operation for operation: sums and logs in f64, every value the original keeps in a
// Float32Array rounded to f32 at the same point, so both compute the same features from the same
// spectrum. Built into wasm/features.wasm by scripts/build-wasm.ts.

// Set once by init(): sizes, constants and where the loader put the filterbank.
let nBins = 0; // log-frequency bins
let semis = 0; // semitones, nBins / perSemi
let perSemi = 0;
let half = 0; // FFT size / 2: the Nyquist bin
let bankStart: usize = 0; // i32 × nBins: first FFT bin of each log bin
let bankLen: usize = 0; // i32 × nBins: how many weights
let bankAt: usize = 0; // i32 × nBins: offset of its first weight in bankW, in floats
let bankW: usize = 0; // f64 weights (the f32 weights, widened exactly), 16-byte aligned per bin
let hann: usize = 0; // f32 × fftSize
let frame: usize = 0; // f32 × fftSize: the windowed samples, the FFT's input
let power: usize = 0; // f64 × (half + 1): |X[k]|² of the bins the filterbank reads
let binPower: usize = 0; // f64 × nBins rounded up to even: each log bin's p · norm + 1e-11
let kLo = 0; // first and last FFT bin the filterbank reads
let kHi = 0;
let fftN = 0;
let db: usize = 0; // f32 × nBins: this frame's dB per log bin
let prev: usize = 0; // f32 × semis: last frame's dB per semitone
let norm: f64 = 0;
let rangeDb: f64 = 0;
let releaseDb: f64 = 0;
let onsetRiseDb: f64 = 0;
// State carried from frame to frame.
let peakDb: f64 = 0;
let first = true;

/** Where the static data ends: the loader places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

export function init(bins: i32, perSemitone: i32, fftSize: i32, start: usize, len: usize, at: usize, w: usize,
  dbAt: usize, prevAt: usize, hannAt: usize, frameAt: usize, powerAt: usize, binPowerAt: usize, lo: i32, hi: i32,
  normScale: f64, range: f64, release: f64, rise: f64, floorDb: f64): void {
  nBins = bins; perSemi = perSemitone; semis = bins / perSemitone; half = fftSize >> 1; fftN = fftSize;
  bankStart = start; bankLen = len; bankAt = at; bankW = w; db = dbAt; prev = prevAt;
  hann = hannAt; frame = frameAt; power = powerAt; binPower = binPowerAt; kLo = lo; kHi = hi;
  norm = normScale; rangeDb = range; releaseDb = release; onsetRiseDb = rise;
  peakDb = floorDb; first = true;
}

// @ts-ignore: decorator
@inline function f32At(base: usize, i: i32): f32 {
  return load<f32>(base + (<usize>i << 2));
}

/** The Hann-windowed frame of `samples` (fftSize floats, a multiple of 4) into the FFT input, four
 *  samples at a time; returns Σ s², summed in f64 in order, as the original does, for the window's level. */
export function prepare(samples: usize): f64 {
  let energy: f64 = 0;
  for (let i = 0; i < fftN; i += 4) {
    const ib = <usize>i << 2;
    const s = v128.load(samples + ib);
    v128.store(frame + ib, f32x4.mul(s, v128.load(hann + ib)));
    const lo = f64x2.promote_low_f32x4(s), hi = f64x2.promote_low_f32x4(i64x2.shuffle(s, s, 1, 0));
    const lo2 = f64x2.mul(lo, lo), hi2 = f64x2.mul(hi, hi);
    energy += f64x2.extract_lane(lo2, 0);
    energy += f64x2.extract_lane(lo2, 1);
    energy += f64x2.extract_lane(hi2, 0);
    energy += f64x2.extract_lane(hi2, 1);
  }
  return energy;
}

// @ts-ignore: decorator
@inline function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

/** log10 of two positive normal f64s, operation for operation AssemblyScript's NativeMath.log10
 *  (musl's log10.c) on its path for them, so each lane's result is bit for bit the scalar one. */
// @ts-ignore: decorator
@inline function log10x2(x: v128): v128 {
  const ivln10hi = reinterpret<f64>(0x3FDBCB7B15200000), ivln10lo = reinterpret<f64>(0x3DBB9438CA9AADD5),
    log10_2hi = reinterpret<f64>(0x3FD34413509F6000), log10_2lo = reinterpret<f64>(0x3D59FEF311F12B36),
    Lg1 = reinterpret<f64>(0x3FE5555555555593), Lg2 = reinterpret<f64>(0x3FD999999997FA04),
    Lg3 = reinterpret<f64>(0x3FD2492494229359), Lg4 = reinterpret<f64>(0x3FCC71C51D8E78AF),
    Lg5 = reinterpret<f64>(0x3FC7466496CB03DE), Lg6 = reinterpret<f64>(0x3FC39A09D078C69F),
    Lg7 = reinterpret<f64>(0x3FC2F112DF3E5244);
  // hx: the high word; k: the exponent after moving the mantissa into [√2/2, √2).
  let hx = i64x2.add(i64x2.shr_u(x, 32), i64x2.splat(0x3FF00000 - 0x3FE6A09E));
  const k = i64x2.sub(i64x2.shr_u(hx, 20), i64x2.splat(0x3FF));
  hx = i64x2.add(v128.and(hx, i64x2.splat(0x000FFFFF)), i64x2.splat(0x3FE6A09E));
  const m = v128.or(i64x2.shl(hx, 32), v128.and(x, i64x2.splat(0xFFFFFFFF)));
  // <f64>k, exactly: k's bits added to those of 2^52 + 2^51, less 2^52 + 2^51.
  const dk = f64x2.sub(i64x2.add(k, f64x2.splat(6755399441055744.0)), f64x2.splat(6755399441055744.0));
  const f = f64x2.sub(m, f64x2.splat(1.0));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(w, f64x2.add(f64x2.splat(Lg2), f64x2.mul(w, f64x2.add(f64x2.splat(Lg4), f64x2.mul(w, f64x2.splat(Lg6))))));
  const t2 = f64x2.mul(z, f64x2.add(f64x2.splat(Lg1), f64x2.mul(w, f64x2.add(f64x2.splat(Lg3),
    f64x2.mul(w, f64x2.add(f64x2.splat(Lg5), f64x2.mul(w, f64x2.splat(Lg7))))))));
  const r = f64x2.add(t2, t1);
  const hi = v128.and(f64x2.sub(f, hfsq), i64x2.splat(0xFFFFFFFF00000000));
  const lo = f64x2.add(f64x2.sub(f64x2.sub(f, hi), hfsq), f64x2.mul(s, f64x2.add(hfsq, r)));
  const valHi = f64x2.mul(hi, f64x2.splat(ivln10hi));
  const y = f64x2.mul(dk, f64x2.splat(log10_2hi));
  let valLo = f64x2.add(f64x2.add(f64x2.mul(dk, f64x2.splat(log10_2lo)), f64x2.mul(f64x2.add(lo, hi), f64x2.splat(ivln10lo))),
    f64x2.mul(lo, f64x2.splat(ivln10hi)));
  const w2 = f64x2.add(y, valHi);
  valLo = f64x2.add(valLo, f64x2.add(f64x2.sub(y, w2), valHi));
  return f64x2.add(valLo, w2);
}

/**
 * One frame. `spec`: the real FFT in PFFFT's ordered layout (bin 0's real part, the Nyquist bin's
 * real part, then re, im of bins 1 … n/2 − 1). Writes the frame's features at `out`: nBins spectrum
 * values, semis onset values, then the level feature. `floorDb`: the dB of silence.
 */
export function compute(spec: usize, out: usize, floorDb: f64): void {
  // |X[k]|² once per FFT bin: neighbouring log bins' triangles overlap and read most bins twice.
  let frameMax = floorDb;
  // Two bins at a time: (re, im) of each widened to f64 and squared, then re² + im² per bin, the
  // same operations as one bin at a time.
  let k = kLo;
  for (; k + 1 < half && k + 1 <= kHi; k += 2) {
    const four = v128.load(spec + (<usize>k << 3)); // re, im of bins k and k + 1
    const a = f64x2.promote_low_f32x4(four), b = f64x2.promote_low_f32x4(i64x2.shuffle(four, four, 1, 0));
    const a2 = f64x2.mul(a, a), b2 = f64x2.mul(b, b);
    v128.store(power + (<usize>k << 3), f64x2.add(i64x2.shuffle(a2, b2, 0, 2), i64x2.shuffle(a2, b2, 1, 3)));
  }
  for (; k <= kHi; k++) {
    let re: f64, im: f64;
    if (k < half) {
      re = <f64>f32At(spec, 2 * k); im = <f64>f32At(spec, 2 * k + 1);
    } else { // the Nyquist bin, packed into slot 1
      re = <f64>f32At(spec, 1); im = 0;
    }
    store<f64>(power + (<usize>k << 3), re * re + im * im);
  }
  for (let j = 0; j < nBins; j++) {
    const k0 = i32At(bankStart, j), len = i32At(bankLen, j), w = bankW + (<usize>i32At(bankAt, j) << 3);
    const pk = power + (<usize>k0 << 3);
    // Two lanes of f64: the sum's order differs from one running sum only in the last bits of f64.
    let acc = f64x2.splat(0);
    let i = 0;
    for (; i + 2 <= len; i += 2) {
      acc = f64x2.add(acc, f64x2.mul(v128.load(w + (<usize>i << 3)), v128.load(pk + (<usize>i << 3))));
    }
    let p: f64 = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    if (i < len) p += load<f64>(w + (<usize>i << 3)) * load<f64>(pk + (<usize>i << 3));
    store<f64>(binPower + (<usize>j << 3), p * norm + 1e-11);
  }
  // The dB of two bins at a time: log10 as two lanes of exactly NativeMath.log10's arithmetic.
  let vmax = f64x2.splat(frameMax);
  let j = 0;
  for (; j + 2 <= nBins; j += 2) {
    const v = f64x2.mul(f64x2.splat(10), log10x2(v128.load(binPower + (<usize>j << 3))));
    v128.store64_lane(db + (<usize>j << 2), f32x4.demote_f64x2_zero(v), 0);
    vmax = f64x2.pmax(vmax, v);
  }
  frameMax = Math.max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
  for (; j < nBins; j++) {
    const v = 10 * Math.log10(load<f64>(binPower + (<usize>j << 3)));
    store<f32>(db + (<usize>j << 2), <f32>v);
    if (v > frameMax) frameMax = v;
  }
  peakDb = Math.max(frameMax, peakDb - releaseDb);
  const floor = peakDb - rangeDb;
  let mean: f64 = 0;
  for (let j = 0; j < nBins; j++) {
    const x = (<f64>f32At(db, j) - floor) / rangeDb;
    const v = x < 0 ? 0 : x;
    store<f32>(out + (<usize>j << 2), <f32>v);
    mean += v;
  }
  mean /= nBins;
  for (let j = 0; j < nBins; j++) {
    store<f32>(out + (<usize>j << 2), <f32>(2 * (<f64>f32At(out, j) - mean)));
  }
  store<f32>(out + (<usize>(nBins + semis) << 2), <f32>mean);
  for (let s = 0; s < semis; s++) {
    const j = s * perSemi;
    let v = <f64>f32At(db, j);
    for (let q = 1; q < perSemi; q++) v = Math.max(v, <f64>f32At(db, j + q));
    if (v < floor) v = floor;
    const rise = first ? 0 : (v - Math.max(<f64>f32At(prev, s), floor)) / onsetRiseDb;
    store<f32>(out + (<usize>(nBins + s) << 2), <f32>(rise <= 0 ? 0 : rise > 1 ? 1 : rise));
    store<f32>(prev + (<usize>s << 2), <f32>v);
  }
  first = false;
}
