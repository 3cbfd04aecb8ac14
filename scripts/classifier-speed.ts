// Classifier speed per model, for the model comparison: windows per second through the classifier
// alone (fresh state, batches of 23 windows: what one 64 KiB read of 44.1 kHz stereo s16le makes),
// plus parameters and size on disk. Median of 3 runs of `--windows` windows each.
//   node dist/scripts/classifier-speed.js [--kernel fast|tfjs] [--backend wasm|cpu] [--windows N] MODEL_DIR ...
import { readWeightFile } from '../lib/model/files.js';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resolveConfig, type Backend, type Kernel } from '../lib/config.js';
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { NUM_CLASSES } from '../lib/model/card.js';
import { makeRng } from '../lib/synth/random.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kernel: { type: 'string', default: 'fast' }, backend: { type: 'string', default: 'wasm' },
    windows: { type: 'string', default: '4000' },
  },
});
const BATCH = 23;
const total = Number(values.windows);
console.log('| model | arch | kernel | parameters | weights on disk | windows/s (median of 3) ' +
  '| × real time (62.5 windows/s) |');
console.log('|---|---|---|---|---|---|---|');
for (const dir of positionals) {
  const engine = await loadEngine({ ...resolveConfig({ modelDir: dir }), kernel: values.kernel as Kernel,
    backend: values.backend as Backend });
  const F = engine.card.featureSize;
  const rng = makeRng(5);
  const x = new Float32Array(BATCH * F).map(() => (rng() < 0.3 ? rng() : 0));
  const probs = new Float32Array(BATCH * NUM_CLASSES), onsets = new Float32Array(BATCH);
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    const c = engine.newClassifier();
    await c.run(x, BATCH, probs, onsets); // warm-up: first calls compile kernels
    const t0 = performance.now();
    for (let done = 0; done < total; done += BATCH) await c.run(x, BATCH, probs, onsets);
    rates.push(total / ((performance.now() - t0) / 1000));
    c.dispose();
  }
  rates.sort((a, b) => a - b);
  const bytes = (await readWeightFile(dir)).weightData.byteLength;
  const kernel = engine.backend === 'none' ? 'fast' : `tfjs ${engine.backend}`;
  console.log(`| ${engine.card.name} | ${engine.card.network} | ${kernel} | ${bytes / 4} | ` +
    `${(bytes / 1024).toFixed(0)} KiB | ${rates[1].toFixed(0)} | ${(rates[1] / 62.5).toFixed(0)} |`);
}
