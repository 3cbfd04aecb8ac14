// Builds the committed WebAssembly in wasm/ from its AssemblyScript sources in assembly/.
//
//   npm run build:wasm            rebuild wasm/*.wasm
//   npm run build:wasm -- --check rebuild into a temporary folder and fail unless the bytes equal the
//                                 committed files (CI runs this through test/wasm.test.ts)
//
// Users never run this: the .wasm files are committed, so `npm ci && npm run demo` needs no compiler.
// The output depends on the AssemblyScript version, which package.json pins exactly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)); // dist/scripts/ → repository root
const ASC = path.join(ROOT, 'node_modules/.bin/asc');

/** Flags every module shares: no garbage collector (the code never allocates), optimised for speed,
 *  no runtime assertions (the loader checks sizes before it calls in). */
const COMMON = ['--runtime', 'stub', '--noAssert', '-O3', '--converge', '--noExportMemory', '--importMemory',
  '--initialMemory', '1'];

/** Each output: its source and the features it may use. The relaxed build differs only in madd(),
 *  which becomes a fused multiply-add (loaders pick it where the runtime validates it). */
export const TARGETS = [
  { out: 'kernel.wasm', src: 'assembly/kernel.ts', flags: ['--enable', 'simd'] },
  { out: 'kernel-relaxed.wasm', src: 'assembly/kernel.ts', flags: ['--enable', 'simd', '--enable', 'relaxed-simd'] },
  { out: 'features.wasm', src: 'assembly/features.ts', flags: ['--enable', 'simd'] },
  { out: 'resample.wasm', src: 'assembly/resample.ts', flags: ['--enable', 'simd'] },
  { out: 'pcm.wasm', src: 'assembly/pcm.ts', flags: ['--enable', 'simd'] },
];

function build(outDir: string): void {
  for (const t of TARGETS) {
    execFileSync(ASC, [t.src, '-o', path.join(outDir, t.out), ...COMMON, ...t.flags], { cwd: ROOT, stdio: 'inherit' });
  }
}

function main(): void {
  if (!existsSync(ASC)) {
    process.stderr.write('build-wasm: AssemblyScript is not installed (npm ci installs it as a dev dependency)\n');
    process.exitCode = 1;
    return;
  }
  if (!process.argv.includes('--check')) {
    build(path.join(ROOT, 'wasm'));
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'melodyfilter-wasm-'));
  try {
    build(tmp);
    const stale = TARGETS.filter((t) => {
      const committed = path.join(ROOT, 'wasm', t.out);
      return !existsSync(committed) || !readFileSync(committed).equals(readFileSync(path.join(tmp, t.out)));
    });
    if (stale.length) {
      process.stderr.write(`build-wasm: ${stale.map((t) => `wasm/${t.out}`).join(', ')} ` +
        'do not match their sources; run npm run build:wasm and commit the result\n');
      process.exitCode = 1;
    } else {
      process.stdout.write(`build-wasm: ${TARGETS.length} modules match their sources\n`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
