// The classifier's arithmetic as SIMD WebAssembly: Dense → GRU or LSTM → heads over a batch of frames.
// Built by scripts/build-wasm.ts into wasm/kernel.wasm (SIMD) and wasm/kernel-relaxed.wasm (SIMD with
// relaxed-SIMD fused multiply-add); lib/model/wasm-kernel.ts lays the weights out in this module's memory
// and calls these functions once per read. Nothing here allocates: every argument is a byte offset
// into linear memory that the loader reserved, and every matrix is f32, row-major, with its output
// width padded to a multiple of 16 floats (zero weights) so the inner loops need no remainder.

/** a·b + c, fused where relaxed SIMD is on (the build flag folds this to one instruction). */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline function sigmoid(x: f32): f32 {
  return 1 / (1 + Mathf.exp(-x));
}

// @ts-ignore: decorator
@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** e^x, four lanes: Cody–Waite reduction by ln 2 and Cephes' degree-6 polynomial (within about
 *  1 ulp of the correctly rounded value over the clamped range; below −87.3 it returns 2^−126). */
// @ts-ignore: decorator
@inline function vexp(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, splat(-87.3)), splat(88.3)); // pmin/pmax: one instruction each (no NaN fix-up)
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = f32x4.add(f32x4.mul(splat(1.9875691500e-4), r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** 1 / (1 + e^−x), four lanes. */
// @ts-ignore: decorator
@inline function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.neg(x))));
}

/** tanh, four lanes, as Cephes' tanhf: an odd polynomial below |x| = 0.625, 1 − 2 / (e^2|x| + 1)
 *  above, the sign put back. */
// @ts-ignore: decorator
@inline function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(splat(-5.70498872745e-3), z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const e = vexp(f32x4.add(ax, ax));
  const big = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, splat(0.625)));
}

/** Where the static data ends: the loader places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * y[t][j] = b[j] + Σ_i x[t][i] · w[i][j] for t < frames, j < nOut, then max(0, ·) when `relu`.
 * x rows are `ldx` floats apart; w is nIn × nOut and y is frames × nOut, nOut a multiple of 16.
 * Four frames at a time share each load of weights: the Dense layer's 200 KB of weights stream
 * through the cache once per four frames instead of once per frame. Inputs that are zero in all four
 * frames are skipped (`idx`: scratch for nIn indices): a term 0 · w adds nothing, so the sums are
 * the same, and after a ReLU half the recurrent layer's inputs are zero four frames running.
 */
export function gemm(x: usize, ldx: i32, frames: i32, nIn: i32, w: usize, b: usize, nOut: i32,
  y: usize, relu: bool, idx: usize): void {
  const xStride = <usize>ldx << 2, wStride = <usize>nOut << 2;
  let t = 0;
  for (; t + 4 <= frames; t += 4) {
    const x0 = x + <usize>t * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
    const y0 = y + <usize>t * wStride, y1 = y0 + wStride, y2 = y1 + wStride, y3 = y2 + wStride;
    // The inputs any of the four frames uses (±0 counts as zero: the sign bit is shifted out).
    let n = 0;
    for (let i = 0; i < nIn; i++) {
      const ib = <usize>i << 2;
      const any = load<u32>(x0 + ib) | load<u32>(x1 + ib) | load<u32>(x2 + ib) | load<u32>(x3 + ib);
      store<i32>(idx + (<usize>n << 2), i);
      n += i32((any << 1) != 0);
    }
    for (let j = 0; j < nOut; j += 8) {
      const jb = <usize>j << 2;
      const bA = v128.load(b + jb), bB = v128.load(b + jb, 16);
      let a0 = bA, a1 = bA, a2 = bA, a3 = bA;
      let c0 = bB, c1 = bB, c2 = bB, c3 = bB;
      const wj = w + jb;
      for (let k = 0; k < n; k++) {
        const i = <usize>load<i32>(idx + (<usize>k << 2));
        const wp = wj + i * wStride;
        const wA = v128.load(wp), wB = v128.load(wp, 16);
        const ib = i << 2;
        const s0 = v128.load32_splat(x0 + ib), s1 = v128.load32_splat(x1 + ib);
        const s2 = v128.load32_splat(x2 + ib), s3 = v128.load32_splat(x3 + ib);
        a0 = madd(s0, wA, a0); c0 = madd(s0, wB, c0);
        a1 = madd(s1, wA, a1); c1 = madd(s1, wB, c1);
        a2 = madd(s2, wA, a2); c2 = madd(s2, wB, c2);
        a3 = madd(s3, wA, a3); c3 = madd(s3, wB, c3);
      }
      if (relu) {
        const z = f32x4.splat(0);
        a0 = f32x4.max(a0, z); a1 = f32x4.max(a1, z); a2 = f32x4.max(a2, z); a3 = f32x4.max(a3, z);
        c0 = f32x4.max(c0, z); c1 = f32x4.max(c1, z); c2 = f32x4.max(c2, z); c3 = f32x4.max(c3, z);
      }
      v128.store(y0 + jb, a0); v128.store(y0 + jb, c0, 16);
      v128.store(y1 + jb, a1); v128.store(y1 + jb, c1, 16);
      v128.store(y2 + jb, a2); v128.store(y2 + jb, c2, 16);
      v128.store(y3 + jb, a3); v128.store(y3 + jb, c3, 16);
    }
  }
  for (; t < frames; t++) {
    const yt = y + <usize>t * wStride;
    memory.copy(yt, b, wStride);
    matvecAdd(x + <usize>t * xStride, nIn, w, nOut, 0, nOut, yt);
    if (relu) {
      const z = f32x4.splat(0);
      for (let j = 0; j < nOut; j += 4) v128.store(yt + (<usize>j << 2), f32x4.max(v128.load(yt + (<usize>j << 2)), z));
    }
  }
}

/** y[j] += Σ_i v[i] · w[i][j] for j in [from, to), w having `ldw` columns; from and to multiples of 16. */
function matvecAdd(v: usize, nIn: i32, w: usize, ldw: i32, from: i32, to: i32, y: usize): void {
  const wStride = <usize>ldw << 2;
  for (let j = from; j < to; j += 16) {
    const jb = <usize>j << 2;
    let a0 = v128.load(y + jb), a1 = v128.load(y + jb, 16), a2 = v128.load(y + jb, 32), a3 = v128.load(y + jb, 48);
    let wp = w + jb;
    for (let i = 0; i < nIn; i++) {
      const s = v128.load32_splat(v + (<usize>i << 2));
      a0 = madd(s, v128.load(wp), a0);
      a1 = madd(s, v128.load(wp, 16), a1);
      a2 = madd(s, v128.load(wp, 32), a2);
      a3 = madd(s, v128.load(wp, 48), a3);
      wp += wStride;
    }
    v128.store(y + jb, a0); v128.store(y + jb, a1, 16); v128.store(y + jb, a2, 32); v128.store(y + jb, a3, 48);
  }
}

/**
 * The harmonic layer (lib/model/harmonic.ts), appended to each frame's features: for key p and
 * channel c, row[inF + p·C + c] = max(0, b[c] + Σ_i row[bins[i]] · w[rows[i] + c]) over the key's taps
 * i from starts[p] to starts[p + 1] (only those inside the spectrum: the loader leaves the others
 * out). x rows are `ld` floats apart; rows[] are byte offsets of weight rows; C a multiple of 4.
 */
export function harmonic(x: usize, ld: i32, frames: i32, inF: i32, keys: i32, starts: usize, bins: usize,
  rows: usize, w: usize, b: usize, C: i32): void {
  for (let f = 0; f < frames; f++) {
    const row = x + (<usize>(f * ld) << 2);
    for (let p = 0; p < keys; p++) {
      const out = row + (<usize>(inF + p * C) << 2);
      const s0 = load<i32>(starts + (<usize>p << 2)), s1 = load<i32>(starts + (<usize>(p + 1) << 2));
      for (let c = 0; c < C; c += 4) {
        let acc = v128.load(b + (<usize>c << 2));
        for (let i = s0; i < s1; i++) {
          const v = splat(load<f32>(row + (<usize>load<i32>(bins + (<usize>i << 2)) << 2)));
          acc = madd(v, v128.load(w + <usize>load<i32>(rows + (<usize>i << 2)) + (<usize>c << 2)), acc);
        }
        v128.store(out + (<usize>c << 2), f32x4.pmax(acc, splat(0)));
      }
    }
  }
}

/**
 * The recurrence over `frames` frames. `xg`: frames × G, each row the gates' input part W·e + b
 * (from `gemm`); `u`: the recurrent kernel, hp × G; `h` and `c` the state carried from call to call;
 * `z` scratch of G floats (and for the GRU hp more, for r ⊙ h); `hs` receives h after each frame
 * (frames × hp). `hp` is the width padded to 16; the padded units stay at 0 because their weights
 * and biases are 0. Gate maths are tfjs': LSTM i, f, c, o (G = 4·hp), its columns interleaved four
 * units at a time (i, f, c, o of units 4k … 4k+3 in columns 16k … 16k+15) so that one pass of the
 * recurrent product yields whole units; GRU z, r, h in blocks of hp with the candidate from
 * U_h·(r ⊙ h) (reset_after false; G = 3·hp).
 */
export function recur(lstm: bool, xg: usize, frames: i32, u: usize, hp: i32, h: usize, c: usize,
  z: usize, hs: usize): void {
  const G = lstm ? 4 * hp : 3 * hp;
  const gBytes = <usize>G << 2, hBytes = <usize>hp << 2;
  for (let t = 0; t < frames; t++) {
    const x = xg + <usize>t * gBytes;
    const hOut = hs + <usize>t * hBytes;
    if (lstm) {
      // h of the last frame stays where it is until every unit's gates have read it.
      const hIn = t == 0 ? h : hOut - hBytes;
      lstmStep(x, hIn, u, hp, c, z, hOut);
    } else {
      const rh = z + gBytes; // r ⊙ h
      memory.copy(z, x, gBytes);
      matvecAdd(h, hp, u, G, 0, 2 * hp, z);
      for (let j = 0; j < hp; j += 4) {
        const jb = <usize>j << 2;
        v128.store(rh + jb, f32x4.mul(vsigmoid(v128.load(z + jb + hBytes)), v128.load(h + jb)));
      }
      matvecAdd(rh, hp, u, G, 2 * hp, G, z);
      for (let j = 0; j < hp; j += 4) {
        const jb = <usize>j << 2;
        const zg = vsigmoid(v128.load(z + jb));
        const hh = vtanh(v128.load(z + jb + 2 * hBytes));
        v128.store(h + jb, f32x4.add(f32x4.mul(zg, v128.load(h + jb)), f32x4.mul(f32x4.sub(splat(1), zg), hh)));
      }
      memory.copy(hOut, h, hBytes);
    }
  }
  if (lstm && frames > 0) memory.copy(h, hs + <usize>(frames - 1) * hBytes, hBytes);
}

/** One LSTM frame: gates = x + U·hIn, four units (one interleaved group) per pass over hIn, their four
 *  sums in registers, into z (G floats); then c and h of every unit. Writes h to hOut, c in place. U is in panels of
 *  16 columns, each hp rows × 16 contiguous, so a pass streams through memory. Four sums and four
 *  rows a step: eight would not fit V8's sixteen vector registers with the weights in flight. */
function lstmStep(x: usize, hIn: usize, u: usize, hp: i32, c: usize, z: usize, hOut: usize): void {
  const G = 4 * hp;
  let wp = u;
  for (let j = 0; j < G; j += 32) {
    const jb = <usize>j << 2;
    let a0 = v128.load(x + jb), a1 = v128.load(x + jb, 16), a2 = v128.load(x + jb, 32), a3 = v128.load(x + jb, 48);
    let a4 = v128.load(x + jb, 64), a5 = v128.load(x + jb, 80), a6 = v128.load(x + jb, 96), a7 = v128.load(x + jb, 112);
    for (let i = 0; i < hp; i += 2) {
      const hi = hIn + (<usize>i << 2);
      let s = v128.load32_splat(hi);
      a0 = madd(s, v128.load(wp), a0); a1 = madd(s, v128.load(wp, 16), a1);
      a2 = madd(s, v128.load(wp, 32), a2); a3 = madd(s, v128.load(wp, 48), a3);
      a4 = madd(s, v128.load(wp, 64), a4); a5 = madd(s, v128.load(wp, 80), a5);
      a6 = madd(s, v128.load(wp, 96), a6); a7 = madd(s, v128.load(wp, 112), a7);
      s = v128.load32_splat(hi, 4);
      a0 = madd(s, v128.load(wp, 128), a0); a1 = madd(s, v128.load(wp, 144), a1);
      a2 = madd(s, v128.load(wp, 160), a2); a3 = madd(s, v128.load(wp, 176), a3);
      a4 = madd(s, v128.load(wp, 192), a4); a5 = madd(s, v128.load(wp, 208), a5);
      a6 = madd(s, v128.load(wp, 224), a6); a7 = madd(s, v128.load(wp, 240), a7);
      wp += 256;
    }
    v128.store(z + jb, a0); v128.store(z + jb, a1, 16); v128.store(z + jb, a2, 32); v128.store(z + jb, a3, 48);
    v128.store(z + jb, a4, 64); v128.store(z + jb, a5, 80); v128.store(z + jb, a6, 96); v128.store(z + jb, a7, 112);
  }
  // Then the units: each group's arithmetic is independent of the others', so the core overlaps them
  // (interleaved with the sums, each group's long chain of dependent operations would stall them).
  for (let j = 0; j < G; j += 16) {
    const jb = <usize>j << 2;
    lstmUnits(v128.load(z + jb), v128.load(z + jb, 16), v128.load(z + jb, 32), v128.load(z + jb, 48),
      c + <usize>j, hOut + <usize>j); // unit j / 4, in bytes
  }
}

// @ts-ignore: decorator
@inline function lstmUnits(i: v128, f: v128, g: v128, o: v128, c: usize, h: usize): void {
  const cj = f32x4.add(f32x4.mul(vsigmoid(f), v128.load(c)), f32x4.mul(vsigmoid(i), vtanh(g)));
  v128.store(c, cj);
  v128.store(h, f32x4.mul(vsigmoid(o), vtanh(cj)));
}

/**
 * The heads over `frames` rows of logits (frames × ld, from `gemm`): softmax over the first
 * `classes` columns into `probs` (frames × classes, packed) and the sigmoid of column `classes`
 * into `onsets`. Each row is overwritten with its exponentials; `ld` ≥ classes + 1, a multiple of 4.
 */
export function heads(logits: usize, frames: i32, ld: i32, classes: i32, probs: usize, onsets: usize): void {
  const whole = classes & ~3; // columns in whole vectors; the rest (and the onset column) one by one
  for (let t = 0; t < frames; t++) {
    const row = logits + (<usize>(t * ld) << 2);
    const out = probs + (<usize>(t * classes) << 2);
    let vmax = splat(-Infinity);
    for (let k = 0; k < whole; k += 4) vmax = f32x4.max(vmax, v128.load(row + (<usize>k << 2)));
    let max = Mathf.max(Mathf.max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)),
      Mathf.max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (let k = whole; k < classes; k++) max = Mathf.max(max, load<f32>(row + (<usize>k << 2)));
    const m = splat(max);
    let vsum = splat(0);
    for (let k = 0; k < whole; k += 4) {
      const e = vexp(f32x4.sub(v128.load(row + (<usize>k << 2)), m));
      v128.store(row + (<usize>k << 2), e);
      vsum = f32x4.add(vsum, e);
    }
    let sum = (f32x4.extract_lane(vsum, 0) + f32x4.extract_lane(vsum, 1)) +
      (f32x4.extract_lane(vsum, 2) + f32x4.extract_lane(vsum, 3));
    for (let k = whole; k < classes; k++) {
      const e = Mathf.exp(load<f32>(row + (<usize>k << 2)) - max);
      store<f32>(row + (<usize>k << 2), e);
      sum += e;
    }
    const s = splat(sum);
    for (let k = 0; k < whole; k += 4) v128.store(out + (<usize>k << 2), f32x4.div(v128.load(row + (<usize>k << 2)), s));
    for (let k = whole; k < classes; k++) store<f32>(out + (<usize>k << 2), load<f32>(row + (<usize>k << 2)) / sum);
    store<f32>(onsets + (<usize>t << 2), sigmoid(load<f32>(row + (<usize>classes << 2))));
  }
}
