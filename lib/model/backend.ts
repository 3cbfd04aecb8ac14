// Which TensorFlow.js backend runs: tfjs-node when it loads, else WebAssembly, else plain JS.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from './tf.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { InputError, type Backend } from '../config.js';

const require = createRequire(import.meta.url);

/** tfjs-node is an optional dependency: its install downloads libtensorflow, which fails offline, and
 *  npm then leaves it out. Only that absence falls back; a broken install is reported. */
function loadTfjsNode(): boolean {
  try {
    require('@tensorflow/tfjs-node');
    return true;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes("'@tensorflow/tfjs-node'")) return false;
    const why = e.message.split('\n')[0];
    throw new InputError(`@tensorflow/tfjs-node is installed but does not load (${why}); try --backend wasm`);
  }
}

let wasmPathsSet = false;

/** Sets the tfjs backend and returns the name of the one in use. */
export async function useBackend(wanted: Backend): Promise<string> {
  // PROD silences tfjs' console banners (stderr is for our diagnostics) and skips its debug checks.
  tf.env().set('PROD', true);
  const order: Exclude<Backend, 'auto'>[] = wanted === 'auto' ? ['node', 'wasm', 'cpu'] : [wanted];
  for (const name of order) {
    if (name === 'node') {
      if (!loadTfjsNode()) {
        if (wanted === 'node') {
          throw new InputError('--backend node needs @tensorflow/tfjs-node, which is not installed');
        }
        continue;
      }
      if (await tf.setBackend('tensorflow')) return 'tensorflow';
    } else if (name === 'wasm') {
      if (!wasmPathsSet) {
        // The .wasm files ship inside the package: point tfjs at them so nothing is fetched.
        const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        setWasmPaths(dir + path.sep);
        wasmPathsSet = true;
      }
      if (await quietly(() => tf.setBackend('wasm'))) return 'wasm';
    } else if (await tf.setBackend('cpu')) {
      return 'cpu';
    }
    if (wanted !== 'auto') throw new InputError(`tfjs backend ${name} failed to start`);
  }
  throw new InputError('no TensorFlow.js backend could start');
}

/** tfjs logs backend registration failures with console.warn; keep stdout/stderr ours. */
async function quietly<T>(fn: () => Promise<T>): Promise<T | false> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await fn();
  } catch {
    return false;
  } finally {
    console.warn = warn;
  }
}
