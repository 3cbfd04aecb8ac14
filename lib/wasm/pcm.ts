// Loader for assembly/pcm.ts: s16le, one or two channels, to mono. One instance per process (the
// call is synchronous and keeps nothing between calls), its buffers grown to the largest chunk.
import { Arena, wasmModule } from './load.js';

interface PcmExports {
  heapBase(): number;
  s16ToMono(src: number, frames: number, channels: number, out: number): void;
}

let instance: { k: PcmExports; memory: WebAssembly.Memory; base: number } | null = null;
let capacity = 0; // frames
let srcAt = 0, outAt = 0;

/** Decodes `frames` frames of s16le (channels 1 or 2) from `bytes` into `out` as their mean. */
export function s16ToMono(bytes: Uint8Array, frames: number, channels: 1 | 2, out: Float32Array): void {
  out.set(decodeInWasm(bytes, frames, channels));
}

/** As s16ToMono, into a new array: one copy out of the module's memory where s16ToMono's `out` and
 *  a copy of it for downstream would be two. */
export function s16ToMonoCopy(bytes: Uint8Array, frames: number, channels: 1 | 2): Float32Array {
  return decodeInWasm(bytes, frames, channels).slice();
}

/** The decoded samples, a view of the module's memory valid until the next call. */
function decodeInWasm(bytes: Uint8Array, frames: number, channels: 1 | 2): Float32Array {
  if (!instance) {
    const module = wasmModule('pcm.wasm');
    if (!module) throw new Error('this Node.js lacks WebAssembly SIMD, which wasm/pcm.wasm needs');
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as PcmExports;
    instance = { k, memory, base: k.heapBase() };
  }
  const { k, memory, base } = instance;
  if (frames > capacity) {
    capacity = Math.max(frames, 2 * capacity, 16384);
    const arena = new Arena(memory, base);
    srcAt = arena.floats(capacity); // 4 bytes a frame: two s16 samples
    outAt = arena.floats(capacity);
  }
  new Uint8Array(memory.buffer, srcAt, frames * 2 * channels).set(bytes.subarray(0, frames * 2 * channels));
  k.s16ToMono(srcAt, frames, channels, outAt);
  return new Float32Array(memory.buffer, outAt, frames);
}
