// `melodyfilter train`: flags → train(). tfjs and the trainer load only when it runs.
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

async function run({ values: v }: Parsed): Promise<number> {
  const n = (name: string, fallback: number) => {
    const x = v[name];
    if (x === undefined) return fallback;
    const y = Number(x);
    if (!Number.isFinite(y) || y < 0) throw new UsageError(`--${name} must be a non-negative number, got ${x}`);
    return y;
  };
  const { backend } = engineOptions(v);
  const { train, TRAIN_DEFAULTS: D } = await import('./train.js');
  const name = (v.name as string | undefined) ?? D.name;
  const network = (v.arch as string | undefined) ?? D.network;
  if (!isNetworkName(network)) {
    throw new UsageError(`--arch must be one of ${NETWORK_NAMES.join(', ')}, got ${network}`);
  }
  const fluidShare = n('fluid-share', D.fluidShare);
  if (fluidShare > 1) throw new UsageError(`--fluid-share is a share of examples, 0 to 1; got ${fluidShare}`);
  const result = await train({
    name,
    network,
    fluidShare,
    outDir: v.model ? String(v.model) : path.resolve('models', name),
    seconds: n('seconds', D.seconds),
    steps: n('steps', Infinity),
    seed: n('seed', D.seed),
    workers: n('workers', D.workers),
    batchSize: n('batch', D.batchSize),
    frames: n('frames', D.frames),
    learningRate: n('learning-rate', D.learningRate),
    renders: n('renders', D.renders),
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
