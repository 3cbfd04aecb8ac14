// Real FFTs by PFFFT (@echogarden/pffft-wasm, its SIMD build): 2048 points in a few microseconds,
// several times faster than fft.js. Its Emscripten glue only loads asynchronously (and a top-level
// await would keep `require('melodyfilter')` from working), so the .wasm is instantiated here,
// synchronously, with the three imports the glue would give it; the glue's minified names for them
// and for the exports are read from the glue itself. One instance per process, created on first
// use, and one transform per size, shared by every extractor: transforms run one at a time, to
// completion, on JavaScript's single thread.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

interface Pffft {
  memory: WebAssembly.Memory;
  newSetup(n: number, transform: number): number;
  alignedMalloc(bytes: number): number;
  transformOrdered(setup: number, input: number, output: number, work: number, direction: number): void;
}

const REAL = 0, FORWARD = 0; // pffft_transform_t PFFFT_REAL, pffft_direction_t PFFFT_FORWARD
let pffft: Pffft | null = null;

function load(): Pffft {
  const dir = path.dirname(createRequire(import.meta.url).resolve('@echogarden/pffft-wasm/simd'));
  const glue = readFileSync(path.join(dir, 'pffft.js'), 'utf8');
  const name = (re: RegExp, what: string) => {
    const m = re.exec(glue);
    if (!m) throw new Error(`@echogarden/pffft-wasm: cannot find ${what} in its glue (an unexpected version)`);
    return m[1];
  };
  const exported = (fn: string) => name(new RegExp(`Module\\["_${fn}"\\]=[^;]*?wasmExports\\["(\\w+)"\\]`), fn);
  const imports = name(/wasmImports=\{([^}]*)\}/, 'its imports');
  const importName = (fn: string) => {
    const m = new RegExp(`(\\w+):${fn}\\b`).exec(imports);
    if (!m) throw new Error(`@echogarden/pffft-wasm: cannot find the import ${fn} (an unexpected version)`);
    return m[1];
  };
  const module = new WebAssembly.Module(readFileSync(path.join(dir, 'pffft.wasm')));
  let memory: WebAssembly.Memory | null = null;
  const env: Record<string, (...a: number[]) => unknown> = {
    [importName('___assert_fail')]: () => { throw new Error('PFFFT: assertion failed'); },
    [importName('__emscripten_memcpy_js')]: (dest, src, num) =>
      new Uint8Array(memory!.buffer).copyWithin(dest, src, src + num),
    [importName('_emscripten_resize_heap')]: (requested) => {
      const have = memory!.buffer.byteLength;
      if (requested > have) memory!.grow(Math.ceil((requested - have) / 65536));
      return 1;
    },
  };
  const ex = new WebAssembly.Instance(module, { a: env }).exports as Record<string, unknown>;
  memory = ex[name(/wasmMemory=wasmExports\["(\w+)"\]/, 'its memory')] as WebAssembly.Memory;
  (ex[name(/addOnInit\(wasmExports\["(\w+)"\]\)/, 'its constructors')] as () => void)();
  const fn = <T>(f: string) => ex[exported(f)] as T;
  return {
    memory,
    newSetup: fn('pffft_new_setup'), alignedMalloc: fn('pffft_aligned_malloc'),
    transformOrdered: fn('pffft_transform_ordered'),
  };
}

export interface RealFft {
  readonly size: number;
  /** Fill input() with `size` samples, call forward(), read output(): bin 0's real part, the Nyquist
   *  bin's real part, then re, im of bins 1 … size/2 − 1. Views are valid until the next forward(). */
  input(): Float32Array;
  output(): Float32Array;
  forward(): void;
}

const transforms = new Map<number, RealFft>();

/** The forward real FFT of `size` points (a multiple of 32, PFFFT's SIMD requirement). */
export function realFft(size: number): RealFft {
  let f = transforms.get(size);
  if (f) return f;
  if (size % 32 !== 0) throw new Error(`FFT size must be a multiple of 32, got ${size}`);
  const p = pffft ??= load();
  const setup = p.newSetup(size, REAL);
  if (!setup) throw new Error(`PFFFT cannot transform ${size} points`);
  const bytes = size * 4;
  const inAt = p.alignedMalloc(bytes), outAt = p.alignedMalloc(bytes), workAt = p.alignedMalloc(bytes);
  // The memory's buffer is replaced when it grows (only malloc grows it): views are remade when it was.
  let buffer: ArrayBuffer | null = null;
  let inView: Float32Array = new Float32Array(0), outView: Float32Array = inView;
  const views = () => {
    if (buffer !== p.memory.buffer) {
      buffer = p.memory.buffer;
      inView = new Float32Array(buffer, inAt, size);
      outView = new Float32Array(buffer, outAt, size);
    }
  };
  f = {
    size,
    input: () => { views(); return inView; },
    output: () => { views(); return outView; },
    forward: () => p.transformOrdered(setup, inAt, outAt, workAt, FORWARD),
  };
  transforms.set(size, f);
  return f;
}
