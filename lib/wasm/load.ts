// Finding and compiling the committed WebAssembly modules (wasm/, built from assembly/ by
// scripts/build-wasm.ts). Compiled once per process and synchronously: each is a few KB, compiled in
// well under a millisecond, and a synchronous compile keeps every stage's constructor synchronous.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, WebAssembly.Module | null>();

/** wasm/ beside lib/ (sources, as the tests run them) or beside dist/ (compiled). */
function wasmPath(name: string): string {
  for (const rel of ['../../wasm/', '../../../wasm/']) {
    const p = fileURLToPath(new URL(rel + name, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error(`wasm/${name} is missing from this installation`);
}

/** The compiled module, or null when this runtime does not validate it (a feature it lacks). */
export function wasmModule(name: string): WebAssembly.Module | null {
  let m = cache.get(name);
  if (m === undefined) {
    try {
      m = new WebAssembly.Module(readFileSync(wasmPath(name)));
    } catch (err) {
      if (!(err instanceof WebAssembly.CompileError)) throw err;
      m = null; // a feature this runtime lacks (validating first would compile twice)
    }
    cache.set(name, m);
  }
  return m;
}

/** The relaxed-SIMD build of a module where this runtime has relaxed SIMD (V8 ≥ 11.4: Node 22 on),
 *  else the plain SIMD build. `relaxed: false` forces the plain one (tests compare both). */
export function pickModule(base: string, relaxed = true): { module: WebAssembly.Module; relaxed: boolean } {
  const r = relaxed ? wasmModule(`${base}-relaxed.wasm`) : null;
  if (r) return { module: r, relaxed: true };
  const plain = wasmModule(`${base}.wasm`);
  if (!plain) throw new Error(`this Node.js lacks WebAssembly SIMD, which wasm/${base}.wasm needs (Node 20 has it)`);
  return { module: plain, relaxed: false };
}

/** Bump allocator over a module's linear memory: 16-byte aligned float arrays, never freed. */
export class Arena {
  private top: number;
  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = align16(base);
  }

  /** Byte offset of `floats` fresh floats; grows the memory when needed. */
  floats(floats: number): number {
    const at = this.top;
    this.top = align16(at + floats * 4);
    this.reserve(this.top);
    return at;
  }

  /** Ensure bytes [0, end) exist. Growing detaches old views of memory.buffer: take views after. */
  reserve(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }

  get end(): number {
    return this.top;
  }
}

export function align16(n: number): number {
  return (n + 15) & ~15;
}
