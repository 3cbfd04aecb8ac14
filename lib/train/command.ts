// `melodyfilter train`: data workers (TS, this process) write shards; trainer/train.py (PyTorch)
// trains on them and writes models/<name>/ in the tfjs layers format the CLI loads. Python is needed
// only here: transcription, the library and the npm package never use it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UsageError, errnoWords } from '../config.js';
import { NETWORK_NAMES, NETWORKS, type NetworkName } from '../model/networks.js';
import { newCard, type ModelCard } from '../model/card.js';
import { FRONT_ENDS, type FrontEndName } from '../pipeline/frontends.js';
import { checkRange, commaList, type OptionTable, type Parsed } from '../cli/options.js';
import type { Subcommand } from '../cli/commands.js';
import { makeDirectory } from '../cli/dirs.js';
import { noiseKindList } from '../synth/noise.js';
import { trainingVoices } from '../synth/speech.js';

/** The shipped model's recipe (models/melody-lstm/README.md). */
export const TRAIN_DEFAULTS = {
  name: 'melody-lstm', network: 'lstm', seed: 1, seconds: 4700, batch: 16, frames: 128, warmupFrames: 48,
  learningRate: 2e-3, renders: 20, fluidShare: 0.4, noiseShare: 0.15, pool: 16384, reuse: 1.5, shardSize: 64,
  /** Shards each data worker keeps on disk (64 examples, 6.4 MB each): the trainer reads them long before. */
  keep: 400,
  valShards: 6,
} as const;
/** Validation shards (seed VAL_SEED, never a training seed): the trainer's loss and accuracy at each checkpoint. */
const VAL_SEED = 999;

const PYTHON_HELP = 'melodyfilter train needs Python 3 with PyTorch and numpy (Debian: apt-get install python3-torch ' +
  'python3-numpy libopenblas0-pthread); set MELODYFILTER_PYTHON to use another Python';

/** Data workers at most: each holds its FluidR3 renders (~90 MB) and writes shards; more than this
 *  only eats memory on any machine this trains on. */
const MAX_WORKERS = 16;

const TRAINING = 'Training';
const DATA = 'Data';
const D = TRAIN_DEFAULTS;
const OPTIONS: OptionTable = {
  seconds: {
    kind: 'number', value: 'N', section: TRAINING, range: [0, 7 * 86400], default: D.seconds,
    help: "the trainer's wall-time budget, earlier stages of a resumed run included; the validation set\n" +
      'and the first shards are made before it starts (default {default})',
  },
  steps: {
    kind: 'integer', value: 'N', section: TRAINING, range: [1, Number.MAX_SAFE_INTEGER],
    help: 'stop after N batches (default: none)',
  },
  name: {
    kind: 'string', value: 'NAME', section: TRAINING, default: D.name,
    help: 'model name; written to models/NAME (default {default})',
  },
  model: {
    kind: 'string', short: 'm', value: 'DIR', section: TRAINING,
    help: 'write the model here instead of models/NAME',
  },
  run: {
    kind: 'string', value: 'DIR', section: TRAINING,
    help: 'run directory: checkpoint, latest export, shards (default runs/NAME)',
  },
  resume: { kind: 'boolean', help: 'continue from the run directory\'s checkpoint', section: TRAINING },
  init: {
    kind: 'string', value: 'DIR', section: TRAINING,
    help: 'start from this model\'s weights (same network): a fine-tune',
  },
  overwrite: {
    kind: 'boolean', help: 'start afresh over a model already there (default: refuse)', section: TRAINING,
  },
  arch: {
    kind: 'choice', choices: NETWORK_NAMES, value: 'NET', section: TRAINING, default: D.network, target: 'network',
    help: `network: ${NETWORK_NAMES.join(' ')} (default {default})`,
  },
  units: {
    kind: 'integer', value: 'N', section: TRAINING, range: [1, 4096],
    help: 'width of the recurrent (or second) layer (default: the network\'s)',
  },
  'front-end': {
    kind: 'choice', choices: Object.keys(FRONT_ENDS), value: 'NAME', section: TRAINING, target: 'frontEnd',
    help: `what the network hears: ${Object.keys(FRONT_ENDS).join(' ')};\n` +
      'spectrum-newest weighs each window\'s newest samples, for a lower latency\n' +
      '(default: the --init model\'s, else the network\'s own)',
  },
  'offset-head': {
    kind: 'boolean', section: TRAINING, target: 'offsetHead',
    help: 'add an offset output (a sigmoid at each release); with --init, the\nold outputs start as they were',
  },
  batch: {
    // At most a quarter of --pool too (run() checks that): the trainer draws each batch from the pool.
    kind: 'integer', value: 'N', section: TRAINING, range: [1, 1 << 18], default: D.batch,
    help: 'sequences per batch (default {default})',
  },
  frames: {
    kind: 'integer', value: 'N', section: TRAINING, range: [8, 4096], default: D.frames,
    help: 'frames per sequence (default {default})',
  },
  'learning-rate': {
    kind: 'number', value: 'X', section: TRAINING, range: [1e-7, 1], default: D.learningRate, target: 'learningRate',
    help: 'Adam learning rate (default {default})',
  },
  pool: {
    kind: 'integer', value: 'N', section: TRAINING, range: [64, 1 << 20], default: D.pool,
    help: 'examples the trainer keeps in memory (default {default})',
  },
  seed: {
    kind: 'integer', value: 'N', section: DATA, range: [0, 2 ** 31 - 1], default: D.seed,
    help: 'random seed of the data and the weights (default {default})',
  },
  workers: {
    kind: 'integer', value: 'N', section: DATA, range: [1, MAX_WORKERS],
    help: 'data worker threads (default: one per core but one)',
  },
  renders: {
    kind: 'integer', value: 'N', section: DATA, range: [1, 1000], default: D.renders,
    help: 'FluidR3 renders per worker (default {default})',
  },
  'fluid-share': {
    kind: 'number', value: 'X', section: DATA, range: [0, 1], default: D.fluidShare, target: 'fluidShare',
    help: 'share of FluidR3 examples, 0 to 1 (default {default})',
  },
  'noise-share': {
    kind: 'number', value: 'X', section: DATA, range: [0, 1], default: D.noiseShare, target: 'noiseShare',
    help: 'share of noise-only scenes, 0 to 1 (default {default})',
  },
  'freepats-share': {
    kind: 'number', value: 'X', section: DATA, range: [0, 1], default: 0, target: 'freepatsShare',
    help: 'share of sampled renders by freepats, not FluidR3 (default {default})',
  },
  colour: {
    kind: 'number', value: 'P', section: DATA, range: [0, 1], default: 0, target: 'colour',
    help: 'odds of a ±1–2-key render, of a mic curve per example (default {default})',
  },
  'augment-shift': {
    kind: 'number', value: 'P', section: DATA, range: [0, 1], default: 0, target: 'augmentShift',
    help: "draws shifted ±1–2 keys in feature space (default {default})",
  },
  'augment-eq': {
    kind: 'number', value: 'P', section: DATA, range: [0, 1], default: 0, target: 'augmentEq',
    help: "draws given an EQ curve in feature space (default {default})",
  },
  'noise-kinds': {
    kind: 'string', value: 'KINDS', section: DATA, target: 'noiseKinds',
    help: 'kinds of noise drawn, alone and under music, comma-separated; one named\n' +
      'twice is drawn twice as often (default: each once)',
  },
  voices: {
    kind: 'string', value: 'VOICES', section: DATA,
    help: 'espeak-ng voices of the babble, comma-separated, e.g. en,de+f2 (default:\n' +
      "eight languages; evaluation's are refused)",
  },
  data: {
    kind: 'string', value: 'DIR', section: DATA,
    help: 'train on shards made ahead (scripts/make-shards.ts) instead',
  },
  'val-shards': {
    kind: 'integer', value: 'N', section: DATA, range: [1, 10000], default: D.valShards, target: 'valShards',
    help: 'validation shards of 64 examples (default {default})',
  },
};

/** The Python that has torch: MELODYFILTER_PYTHON if set, else Debian's /usr/bin/python3, else python3. */
export function findPython(): string | null {
  const set = process.env.MELODYFILTER_PYTHON;
  for (const py of set ? [set] : ['/usr/bin/python3', 'python3']) {
    if (py.includes('/') && !existsSync(py)) continue;
    if (spawnSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** trainer/train.py beside lib/ (sources) or beside dist/ (compiled). */
export function trainerScript(): string {
  for (const rel of ['../../trainer/train.py', '../../../trainer/train.py']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new InputError('trainer/train.py not found beside this melodyfilter');
}

/** --data must be a directory that already holds shards: the trainer would otherwise wait for
 *  shards that never come, for all of --seconds. */
function checkShardDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : code;
    throw new UsageError(`--data ${dir}: ${why}`);
  }
  if (!names.some((f) => f.endsWith('.shard'))) {
    throw new UsageError(`--data ${dir} holds no shards (node dist/scripts/make-shards.js DIR makes them)`);
  }
}

/** A directory training will write to, made now so that a path it cannot be is a message at once. */
async function makeDir(flag: string, dir: string): Promise<void> {
  try {
    await makeDirectory(dir);
  } catch (err) {
    throw new InputError(`${flag} ${dir}: cannot make that directory (${errnoWords(err as NodeJS.ErrnoException)})`);
  }
}

/** The --init model's card and whether it has the offset head, read by the model directory's one
 *  reader; what it cannot read is a usage error. */
async function readInit(dir: string): Promise<{ card: ModelCard; offsetHead: boolean }> {
  const { readWeightFile, hasOffsetHead } = await import('../model/files.js');
  try {
    const file = await readWeightFile(dir);
    return { card: file.card, offsetHead: hasOffsetHead(file.weights) };
  } catch (err) {
    throw new UsageError(`--init: ${(err as Error).message}`);
  }
}

/** The card of the run being resumed without --arch, from the run's latest export (read by the
 *  model directory's one reader): its network and front end; undefined where there is none to read. */
async function resumedCard(runDir: string, v: Parsed['values']): Promise<ModelCard | undefined> {
  if (!v.resume || v.arch !== undefined) return undefined;
  const { readWeightFile } = await import('../model/files.js');
  return readWeightFile(path.join(runDir, 'model')).then((file) => file.card, () => undefined);
}

/** A comma-separated flag, checked by `check` (which throws on a bad entry). */
function listFlag<T>(flag: string, text: unknown, check: (names: string[]) => T[]): T[] {
  try {
    return check(commaList(String(text)));
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
}

async function run({ values: v, options: o }: Parsed): Promise<number> {
  const num = (x: unknown) => x as number;
  const name = o.name as string;
  // A resumed run keeps its checkpoint's network (the trainer reads it) unless --arch says otherwise.
  const network = o.network as NetworkName;
  if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`--name must be a plain name (letters, digits, . _ -), got ${JSON.stringify(name)}`);
  }
  const { fluidShare, noiseShare, pool, seconds, learningRate } = o as Record<string, number>;
  const { freepatsShare, colour, augmentShift, augmentEq } = o as Record<string, number>;
  const batch = num(o.batch);
  checkRange('batch', batch, OPTIONS.batch.kind, [1, Math.floor(pool / 4)]);
  const steps = o.steps as number | undefined;
  const units = o.units as number | undefined;
  const noiseKinds = o.noiseKinds === undefined ? undefined : listFlag('noise-kinds', o.noiseKinds, noiseKindList);
  const voices = v.voices === undefined ? undefined : listFlag('voices', v.voices, trainingVoices);
  const workers = (o.workers as number | undefined) ?? Math.max(1, availableParallelism() - 1);
  const outDir = v.model ? String(v.model) : path.resolve('models', name);
  // Training never writes over a model unasked: `train --seconds 0` once replaced the shipped one.
  if (v.resume && v.overwrite) throw new UsageError('--resume and --overwrite contradict each other');
  if (existsSync(path.join(outDir, 'model.json')) && !v.resume && !v.overwrite) {
    throw new UsageError(`${outDir} already holds a model; --resume continues it, --overwrite starts afresh ` +
      'over it, --name NAME trains another');
  }
  const init = v.init === undefined ? undefined : String(v.init);
  if (init !== undefined && v.resume) throw new UsageError('--init and --resume contradict each other');
  if (init !== undefined && !existsSync(path.join(init, 'model.json'))) {
    throw new UsageError(`--init: no model.json in ${init}`);
  }
  const runDir = v.run ? String(v.run) : path.resolve('runs', name);
  if (v.resume && !existsSync(path.join(runDir, 'checkpoint.pt'))) {
    throw new UsageError(`nothing to resume: no checkpoint in ${runDir} (train without --resume to start one)`);
  }
  const seed = num(o.seed);
  const resume = Boolean(v.resume);
  const frames = num(o.frames);
  // The data workers must make what the network hears: a resumed run's latest export says which, and
  // a fine-tune hears what its --init model heard and keeps its outputs, unless the flags say otherwise.
  const resumed = await resumedCard(runDir, v);
  if (resumed && o.frontEnd !== undefined && o.frontEnd !== resumed.frontEnd) {
    throw new UsageError(`--front-end: the run being resumed hears ${resumed.frontEnd}; a resume keeps its network`);
  }
  if (v.resume && v.arch === undefined && o.offsetHead) {
    throw new UsageError('--offset-head: a resume keeps its network (start a run with --init to add the head)');
  }
  const initFile = init === undefined ? undefined : await readInit(init);
  const frontEnd = (o.frontEnd as FrontEndName | undefined) ?? resumed?.frontEnd ?? initFile?.card.frontEnd ??
    NETWORKS[resumed?.network ?? network].frontEnd;
  const offsetHead = Boolean(o.offsetHead) || initFile?.offsetHead === true;
  try {
    newCard(name, resumed?.network ?? network, frontEnd); // a front end with as many features as the network takes
  } catch (err) {
    throw new UsageError(`--front-end: ${(err as Error).message}`);
  }
  // Everything that can be checked is checked before any work starts: from an installed package
  // without trainer/, `train` once built its validation set, then failed and left its data workers
  // filling ./runs/ for good (issue 22).
  const python = findPython();
  if (!python) throw new InputError(PYTHON_HELP);
  const script = trainerScript();
  if (v.data !== undefined) checkShardDir(String(v.data));
  for (const [flag, dir] of [['--model', outDir], ['--run', runDir]] as const) await makeDir(flag, dir);
  const { generateShards } = await import('./shards.js');
  const log = (l: string) => process.stderr.write(`melodyfilter: train: ${l}\n`);
  const common = {
    shardSize: D.shardSize, frames, warmupFrames: D.warmupFrames, frontEnd, fluidShare, noiseShare,
    renders: num(o.renders), renderSeconds: 60, log, freepatsShare, colour, noiseKinds, voices,
  };
  const valDir = path.join(runDir, `val-${frontEnd}`);
  const valShards = num(o.valShards);
  if (!existsSync(valDir) || readdirSync(valDir).filter((f) => f.endsWith('.shard')).length < valShards) {
    log(`making the validation set in ${valDir}`);
    await generateShards({
      // The validation set stays the standard mix, whatever the training data adds.
      ...common, renders: Math.min(common.renders, 10), outDir: valDir, seed: VAL_SEED, workers: 1,
      shards: valShards, keep: 0, freepatsShare: 0, colour: 0, noiseKinds: undefined, voices: undefined,
    }).done;
  }
  // Given --data, the shards are made elsewhere (scripts/make-shards.ts): train on those alone.
  let dataDir = v.data ? String(v.data) : '';
  let gen: { stop(): void } | null = null;
  if (!dataDir) {
    // A resumed run gets new data: another seed for its workers, so their shards are not the ones
    // the trainer has already read (it remembers them by name).
    const dataSeed = resume ? seed * 1000 + (Math.floor(Date.now() / 1000) % 997) + 1 : seed;
    dataDir = path.join(runDir, `data-${frontEnd}`);
    mkdirSync(dataDir, { recursive: true });
    gen = generateShards({ ...common, outDir: dataDir, seed: dataSeed, workers, shards: Infinity, keep: D.keep });
    log(`${workers} data workers writing shards to ${dataDir} (seed ${dataSeed})`);
  }
  const args = [
    script, '--data', dataDir, '--val', valDir, '--run', runDir, '--out', outDir,
    '--seconds', String(seconds), '--batch', String(batch),
    '--frames', String(frames), '--lr', String(learningRate), '--seed', String(seed),
    '--pool', String(pool), '--reuse', String(D.reuse),
    '--data-info',
    `lib/train/scenes.ts scene mix, data seed ${seed}, FluidR3 share ${fluidShare}, noise share ${noiseShare}` +
      (freepatsShare ? `, freepats share ${freepatsShare}` : '') + (colour ? `, colour ${colour}` : '') +
      (noiseKinds ? `, noise kinds ${noiseKinds.join(',')}` : '') + (voices ? `, voices ${voices.join(',')}` : ''),
  ];
  if (augmentShift) args.push('--augment-shift', String(augmentShift));
  if (augmentEq) args.push('--augment-eq', String(augmentEq));
  if (steps !== undefined) args.push('--steps', String(steps));
  // What to train, made here from lib/model/networks.ts; a resume keeps its checkpoint's unless --arch says.
  if (!resume || v.arch !== undefined) {
    const { trainingSpec } = await import('./spec.js');
    const specFile = path.join(runDir, 'spec.json'); // runDir was made above
    const spec = await trainingSpec(name, network, { hiddenUnits: units, offsetHead, frontEnd });
    writeFileSync(specFile, JSON.stringify(spec, null, 1) + '\n');
    args.push('--spec', specFile);
  }
  if (resume) args.push('--resume');
  if (init !== undefined) args.push('--init', init);
  log(`${python} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  let code: number;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(python, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', (err) => { log(`cannot start ${python}: ${err.message}`); resolve(1); });
      child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  } finally {
    gen?.stop(); // whatever happened, the data workers stop with the trainer
  }
  if (code !== 0) throw new InputError(`trainer exited with status ${code} (see its output above)`);
  log(`model written to ${outDir}`);
  return 0;
}

export const trainCommand: Subcommand = {
  name: 'train', summary: 'train a model on generated melodies (PyTorch; data made here)', options: OPTIONS, run,
};
