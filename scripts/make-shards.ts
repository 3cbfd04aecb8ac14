// Writes training shards for trainer/train.py without training:
//   node dist/scripts/make-shards.js OUT_DIR [--seed N] [--workers N] [--shards N] [--shard-size N]
//     [--keep N] [--front-end spectrum|spectrum-newest|raw] [--fluid-share X] [--noise-share X] [--renders N]
//     [--freepats-share X] [--colour X] [--noise-kinds K,K,…] [--voices V,V,…]
// --fluid-share: share of examples cut from sampled renders (FluidR3, or freepats with --freepats-share:
// that share of the renders); --colour: probability of a pitch-shifted render and of a random microphone
// curve and compression per example (lib/synth/colour.ts). Both 0 by default: the recipes before issue 19.
// --noise-kinds: the kinds of noise drawn, alone and under music, a kind named twice drawn twice as
// often (default each of lib/synth/noise.ts NOISE_KINDS once); --voices: espeak-ng voices for babble
// (default lib/synth/speech.ts TRAIN_VOICES; evaluation's voices are refused).
// `melodyfilter train` runs the same generator beside the trainer; this is for making data ahead.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { generateShards } from '../lib/train/shards.js';
import { noiseKindList } from '../lib/synth/noise.js';
import { trainingVoices } from '../lib/synth/speech.js';
import { frontEndNamed } from '../lib/pipeline/frontends.js';
import { commaList } from '../lib/cli/options.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string', default: '1' }, workers: { type: 'string', default: String(availableParallelism()) },
    shards: { type: 'string', default: 'Infinity' }, 'shard-size': { type: 'string', default: '64' },
    keep: { type: 'string', default: '0' }, 'front-end': { type: 'string', default: 'spectrum' },
    'fluid-share': { type: 'string', default: '0.4' }, 'noise-share': { type: 'string', default: '0.15' },
    renders: { type: 'string', default: '20' },
    'freepats-share': { type: 'string', default: '0' }, colour: { type: 'string', default: '0' },
    frames: { type: 'string', default: '128' }, warmup: { type: 'string', default: '48' },
    'noise-kinds': { type: 'string' }, voices: { type: 'string' },
  },
});
if (!positionals[0]) {
  process.stderr.write('usage: make-shards.js OUT_DIR [--seed N] [--workers N] [--shards N] …\n');
  process.exit(2);
}
let noiseKinds, voices, frontEnd;
try {
  noiseKinds = values['noise-kinds'] === undefined ? undefined : noiseKindList(commaList(values['noise-kinds']));
  voices = values.voices === undefined ? undefined : trainingVoices(commaList(values.voices));
  frontEnd = frontEndNamed(values['front-end']);
} catch (err) {
  process.stderr.write(`make-shards: ${(err as Error).message}\n`);
  process.exit(2);
}
const { done } = generateShards({
  outDir: positionals[0], seed: Number(values.seed), workers: Number(values.workers), shards: Number(values.shards),
  shardSize: Number(values['shard-size']), keep: Number(values.keep), frames: Number(values.frames),
  warmupFrames: Number(values.warmup), frontEnd, fluidShare: Number(values['fluid-share']),
  noiseShare: Number(values['noise-share']), renders: Number(values.renders),
  freepatsShare: Number(values['freepats-share']), colour: Number(values.colour),
  noiseKinds, voices,
  renderSeconds: 60, log: (l) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${l}\n`),
});
await done;
