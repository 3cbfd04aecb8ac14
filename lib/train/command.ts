// `melodyfilter train`: flags → train(). tfjs and the trainer load only when it runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config.js';
import { NETWORK_NAMES, isNetworkName } from '../networks.js';
import { engineOptions } from '../args.js';
import type { OptionTable, Parsed } from '../options.js';
import type { Subcommand } from '../commands.js';

const TRAINING = 'Training';
const OPTIONS: OptionTable = {
  seconds: { type: 'string', value: 'N', help: 'stop after N seconds of wall time (default 3600)', section: TRAINING },
  steps: { type: 'string', value: 'N', help: 'stop after N batches (default: none)', section: TRAINING },
  name: {
    type: 'string', value: 'NAME', section: TRAINING,
    help: 'model name; written to models/NAME (default melody-gru)',
  },
  model: {
    type: 'string', short: 'm', value: 'DIR', section: TRAINING,
    help: 'write the model here instead of models/NAME',
  },
  resume: { type: 'boolean', help: 'continue training the model already there', section: TRAINING },
  overwrite: {
    type: 'boolean', section: TRAINING,
    help: 'start afresh over a model already there (default: refuse)',
  },
  seed: { type: 'string', value: 'N', help: 'random seed of the data (default 1)', section: TRAINING },
  workers: {
    type: 'string', value: 'N', section: TRAINING,
    help: 'data worker threads; 0 makes data in-process (default 1)',
  },
  batch: { type: 'string', value: 'N', help: 'sequences per batch (default 16)', section: TRAINING },
  frames: { type: 'string', value: 'N', help: 'frames per sequence (default 128)', section: TRAINING },
  'learning-rate': { type: 'string', value: 'X', help: 'Adam learning rate (default 0.002)', section: TRAINING },
  renders: { type: 'string', value: 'N', help: 'FluidR3 renders per worker (default 24)', section: TRAINING },
  arch: { type: 'string', value: 'NET', help: `network: ${NETWORK_NAMES.join(' ')} (default gru)`, section: TRAINING },
  'fluid-share': {
    type: 'string', value: 'X', section: TRAINING,
    help: 'share of FluidR3 examples, 0 to 1 (default 0.4)',
  },
  backend: { type: 'string', value: 'B', help: 'tfjs backend: auto node wasm cpu (default auto)', section: TRAINING },
};

/** Data workers at most: each holds its FluidR3 renders (24 one-minute clips, ~90 MB) and a share of
 *  the pool; more than this only eats memory on any machine this trains on. */
const MAX_WORKERS = 16;

async function run({ values: v }: Parsed): Promise<number> {
  /** A flag's number within [lo, hi] (whole if `int`), or its default. */
  const n = (name: string, fallback: number, lo: number, hi: number, int = false) => {
    const x = v[name];
    if (x === undefined) return fallback;
    const y = Number(x);
    if (!Number.isFinite(y) || y < lo || y > hi || (int && !Number.isInteger(y))) {
      throw new UsageError(`--${name} must be ${int ? 'a whole number' : 'a number'} from ${lo} to ${hi}, got ${x}`);
    }
    return y;
  };
  const { backend } = engineOptions(v);
  const { train, TRAIN_DEFAULTS: D, PREFETCH } = await import('./train.js');
  const name = (v.name as string | undefined) ?? D.name;
  const network = (v.arch as string | undefined) ?? D.network;
  if (!isNetworkName(network)) {
    throw new UsageError(`--arch must be one of ${NETWORK_NAMES.join(', ')}, got ${network}`);
  }
  if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`--name must be a plain name (letters, digits, . _ -), got ${JSON.stringify(name)}`);
  }
  const fluidShare = n('fluid-share', D.fluidShare, 0, 1);
  const workers = n('workers', D.workers, 0, MAX_WORKERS, true);
  // Training starts once the pool holds 4 batches; each worker makes PREFETCH examples up front and
  // then one per example drawn, so a larger batch would wait forever (--batch 129 with 1 worker).
  const maxBatch = workers ? Math.floor((workers * PREFETCH) / 4) : 1024;
  const batchSize = n('batch', D.batchSize, 1, maxBatch, true);
  const outDir = v.model ? String(v.model) : path.resolve('models', name);
  // Training never writes over a model unasked: `train --seconds 0` once replaced the shipped one.
  if (existsSync(path.join(outDir, 'model.json')) && !v.resume && !v.overwrite) {
    throw new UsageError(`${outDir} already holds a model; --resume continues it, --overwrite starts afresh ` +
      'over it, --name NAME trains another');
  }
  if (v.resume && v.overwrite) throw new UsageError('--resume and --overwrite contradict each other');
  const result = await train({
    name,
    network,
    fluidShare,
    outDir,
    seconds: n('seconds', D.seconds, 0, 7 * 86400),
    steps: n('steps', Infinity, 1, Number.MAX_SAFE_INTEGER, true),
    seed: n('seed', D.seed, 0, 2 ** 31 - 1, true),
    workers,
    batchSize,
    frames: n('frames', D.frames, 8, 4096, true),
    learningRate: n('learning-rate', D.learningRate, 1e-7, 1),
    renders: n('renders', D.renders, 1, 1000, true),
    resume: Boolean(v.resume),
    backend,
    progress: process.stderr.isTTY === true,
  });
  process.stderr.write(`melodyfilter: trained ${result.steps} steps, loss ${result.loss.toFixed(4)}, ` +
    `frame accuracy ${result.accuracy.toFixed(4)}\n`);
  return 0;
}

export const trainCommand: Subcommand = {
  name: 'train', summary: 'train a model on generated melodies (TensorFlow.js)', options: OPTIONS, run,
};
