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

/** Where the static data ends: the loader places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * y[t][j] = b[j] + Σ_i x[t][i] · w[i][j] for t < frames, j < nOut, then max(0, ·) when `relu`.
 * x rows are `ldx` floats apart; w is nIn × nOut and y is frames × nOut, nOut a multiple of 16.
 * Four frames at a time share each load of weights: the Dense layer's 200 KB of weights stream
 * through the cache once per four frames instead of once per frame.
 */
export function gemm(x: usize, ldx: i32, frames: i32, nIn: i32, w: usize, b: usize, nOut: i32,
  y: usize, relu: bool): void {
  const xStride = <usize>ldx << 2, wStride = <usize>nOut << 2;
  let t = 0;
  for (; t + 4 <= frames; t += 4) {
    const x0 = x + <usize>t * xStride, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
    const y0 = y + <usize>t * wStride, y1 = y0 + wStride, y2 = y1 + wStride, y3 = y2 + wStride;
    for (let j = 0; j < nOut; j += 8) {
      const jb = <usize>j << 2;
      const bA = v128.load(b + jb), bB = v128.load(b + jb, 16);
      let a0 = bA, a1 = bA, a2 = bA, a3 = bA;
      let c0 = bB, c1 = bB, c2 = bB, c3 = bB;
      let wp = w + jb;
      for (let i = 0; i < nIn; i++) {
        const wA = v128.load(wp), wB = v128.load(wp, 16);
        const ib = <usize>i << 2;
        const s0 = f32x4.splat(load<f32>(x0 + ib)), s1 = f32x4.splat(load<f32>(x1 + ib));
        const s2 = f32x4.splat(load<f32>(x2 + ib)), s3 = f32x4.splat(load<f32>(x3 + ib));
        a0 = madd(s0, wA, a0); c0 = madd(s0, wB, c0);
        a1 = madd(s1, wA, a1); c1 = madd(s1, wB, c1);
        a2 = madd(s2, wA, a2); c2 = madd(s2, wB, c2);
        a3 = madd(s3, wA, a3); c3 = madd(s3, wB, c3);
        wp += wStride;
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
      const s = f32x4.splat(load<f32>(v + (<usize>i << 2)));
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
 * The recurrence over `frames` frames. `xg`: frames × G, each row the gates' input part W·e + b
 * (from `gemm`); `u`: the recurrent kernel, hp × G; `h` and `c` the state carried from call to call;
 * `z` scratch of G floats (and for the GRU hp more, for r ⊙ h); `hs` receives h after each frame
 * (frames × hp). `hp` is the width padded to 16; the padded units stay at 0 because their weights
 * and biases are 0. Gate order and maths are tfjs': LSTM i, f, c, o (G = 4·hp); GRU z, r, h with the
 * candidate from U_h·(r ⊙ h) (reset_after false; G = 3·hp).
 */
export function recur(lstm: bool, xg: usize, frames: i32, u: usize, hp: i32, h: usize, c: usize,
  z: usize, hs: usize): void {
  const G = lstm ? 4 * hp : 3 * hp;
  const gBytes = <usize>G << 2, hBytes = <usize>hp << 2;
  for (let t = 0; t < frames; t++) {
    const x = xg + <usize>t * gBytes;
    if (lstm) {
      memory.copy(z, x, gBytes);
      matvecAdd(h, hp, u, G, 0, G, z);
      for (let j = 0; j < hp; j++) {
        const jb = <usize>j << 2;
        const ig = sigmoid(load<f32>(z + jb)), fg = sigmoid(load<f32>(z + jb + hBytes));
        const g = Mathf.tanh(load<f32>(z + jb + 2 * hBytes)), og = sigmoid(load<f32>(z + jb + 3 * hBytes));
        const cj = fg * load<f32>(c + jb) + ig * g;
        store<f32>(c + jb, cj);
        store<f32>(h + jb, og * Mathf.tanh(cj));
      }
    } else {
      const rh = z + gBytes; // r ⊙ h
      memory.copy(z, x, gBytes);
      matvecAdd(h, hp, u, G, 0, 2 * hp, z);
      for (let j = 0; j < hp; j++) {
        const jb = <usize>j << 2;
        store<f32>(rh + jb, sigmoid(load<f32>(z + jb + hBytes)) * load<f32>(h + jb));
      }
      matvecAdd(rh, hp, u, G, 2 * hp, G, z);
      for (let j = 0; j < hp; j++) {
        const jb = <usize>j << 2;
        const zg = sigmoid(load<f32>(z + jb));
        const hh = Mathf.tanh(load<f32>(z + jb + 2 * hBytes));
        store<f32>(h + jb, zg * load<f32>(h + jb) + (1 - zg) * hh);
      }
    }
    memory.copy(hs + <usize>t * hBytes, h, hBytes);
  }
}

/**
 * The heads over `frames` rows of logits (frames × ld, from `gemm`): softmax over the first
 * `classes` columns into `probs` (frames × classes, packed) and the sigmoid of column `classes`
 * into `onsets`.
 */
export function heads(logits: usize, frames: i32, ld: i32, classes: i32, probs: usize, onsets: usize): void {
  for (let t = 0; t < frames; t++) {
    const row = logits + (<usize>(t * ld) << 2);
    const out = probs + (<usize>(t * classes) << 2);
    let max = -Infinity as f32;
    for (let k = 0; k < classes; k++) max = Mathf.max(max, load<f32>(row + (<usize>k << 2)));
    let sum: f32 = 0;
    for (let k = 0; k < classes; k++) {
      const e = Mathf.exp(load<f32>(row + (<usize>k << 2)) - max);
      store<f32>(out + (<usize>k << 2), e);
      sum += e;
    }
    for (let k = 0; k < classes; k++) store<f32>(out + (<usize>k << 2), load<f32>(out + (<usize>k << 2)) / sum);
    store<f32>(onsets + (<usize>t << 2), sigmoid(load<f32>(row + (<usize>classes << 2))));
  }
}
