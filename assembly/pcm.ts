// Decoding the CLI's default input, s16le, to mono in SIMD WebAssembly: eight samples per step.
// lib/pipeline/pcm.ts owns the formats and calls this for one or two channels of s16le only; each result is
// exactly what its plain loop gives ((L + R) / 65536 and L / 32768 are exact in f32).
// Built into wasm/pcm.wasm by scripts/build-wasm.ts.

/** Where the static data ends: the loader places its arrays from here on. */
export function heapBase(): usize {
  return __heap_base;
}

/** `frames` interleaved frames of 1 or 2 channels of s16le at `src` → mono f32 at `out`. */
export function s16ToMono(src: usize, frames: i32, channels: i32, out: usize): void {
  let f = 0;
  if (channels === 2) {
    const scale = f32x4.splat(1.0 / 65536);
    for (; f + 4 <= frames; f += 4) {
      const v = v128.load(src + (<usize>f << 2)); // L0 R0 L1 R1 L2 R2 L3 R3
      const pairs = i32x4.extadd_pairwise_i16x8_s(v); // L0+R0 … L3+R3
      v128.store(out + (<usize>f << 2), f32x4.mul(f32x4.convert_i32x4_s(pairs), scale));
    }
    for (; f < frames; f++) {
      const p = src + (<usize>f << 2);
      store<f32>(out + (<usize>f << 2), <f32>(<i32>load<i16>(p) + <i32>load<i16>(p, 2)) * (1.0 / 65536));
    }
  } else {
    const scale = f32x4.splat(1.0 / 32768);
    for (; f + 8 <= frames; f += 8) {
      const v = v128.load(src + (<usize>f << 1));
      v128.store(out + (<usize>f << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v)), scale));
      v128.store(out + (<usize>f << 2), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(v)), scale), 16);
    }
    for (; f < frames; f++) store<f32>(out + (<usize>f << 2), <f32>load<i16>(src + (<usize>f << 1)) * (1.0 / 32768));
  }
}
