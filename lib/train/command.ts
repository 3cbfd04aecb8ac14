// `melodyfilter train`: data workers (TS, this process) write shards; trainer/train.py (PyTorch)
// trains on them and writes models/<name>/ in the tfjs layers format the CLI loads. Python is needed
// only here: transcription, the library and the npm package never use it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UsageError } from '../config.js';
import type { Invocation } from '../args.js';
import { ARCHS, type Arch } from '../kernel.js';
import { generateShards, type GenerateOptions } from './shards.js';

/** The shipped model's recipe (models/melody-lstm/README.md). */
export const TRAIN_DEFAULTS = {
  name: 'melody-lstm', arch: 'lstm' as Arch, seed: 1, seconds: 4700, batch: 16, frames: 128, warmupFrames: 48,
  learningRate: 2e-3, renders: 20, fluidShare: 0.4, pool: 16384, reuse: 1.5, shardSize: 64,
  /** Shards each data worker keeps on disk (64 examples, 6.4 MB each): the trainer reads them long before. */
  keep: 400,
};
/** Validation shards (seed VAL_SEED, never a training seed): the trainer's loss and accuracy at each checkpoint. */
const VAL_SEED = 999;
const VAL_SHARDS = 6;

const PYTHON_HELP = 'melodyfilter train needs Python 3 with PyTorch and numpy (Debian: apt-get install python3-torch ' +
  'python3-numpy libopenblas0-pthread); set MELODYFILTER_PYTHON to use another Python';

/** The Python that has torch: MELODYFILTER_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
export function findPython(): string | null {
  const set = process.env.MELODYFILTER_PYTHON;
  const candidates = set ? [set] : ['/usr/bin/python3', 'python3'];
  for (const py of candidates) {
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

export async function trainCommand(inv: Invocation): Promise<number> {
  const r = inv.rest;
  const n = (name: string, fallback: number) => {
    const v = r[name];
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) throw new UsageError(`--${name} must be a non-negative number, got ${v}`);
    return x;
  };
  const name = (r.name as string | undefined) ?? TRAIN_DEFAULTS.name;
  const arch = (r.arch as string | undefined) ?? TRAIN_DEFAULTS.arch;
  if (!(ARCHS as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${ARCHS.join(', ')}, got ${arch}`);
  const fluidShare = n('fluid-share', TRAIN_DEFAULTS.fluidShare);
  if (fluidShare > 1) throw new UsageError(`--fluid-share is a share of examples, 0 to 1; got ${fluidShare}`);
  const python = findPython();
  if (!python) throw new InputError(PYTHON_HELP);
  const outDir = r.model ? String(r.model) : path.resolve('models', name);
  const runDir = r.run ? String(r.run) : path.resolve('runs', name);
  const seed = n('seed', TRAIN_DEFAULTS.seed);
  const resume = Boolean(r.resume);
  const frames = n('frames', TRAIN_DEFAULTS.frames);
  const frontEnd = arch === 'raw-lstm' ? 'raw' : 'spectrum';
  const workers = n('workers', Math.max(1, availableParallelism() - 1));
  const log = (l: string) => process.stderr.write(`melodyfilter: train: ${l}\n`);
  const common: Omit<GenerateOptions, 'outDir' | 'seed' | 'workers' | 'shards' | 'keep'> = {
    shardSize: TRAIN_DEFAULTS.shardSize, frames, warmupFrames: TRAIN_DEFAULTS.warmupFrames, frontEnd, fluidShare,
    renders: n('renders', TRAIN_DEFAULTS.renders), renderSeconds: 60, log,
  };
  // Given --data, the shards are made elsewhere (scripts/make-shards.ts): train on those alone.
  let dataDir = r.data ? String(r.data) : '';
  let gen: ReturnType<typeof generateShards> | null = null;
  const valDir = path.join(runDir, `val-${frontEnd}`);
  const valShards = n('val-shards', VAL_SHARDS);
  if (!existsSync(valDir) || readdirSync(valDir).filter((f) => f.endsWith('.shard')).length < valShards) {
    log(`making the validation set in ${valDir}`);
    await generateShards({ ...common, renders: Math.min(common.renders, 10), outDir: valDir, seed: VAL_SEED, workers: 1, shards: valShards, keep: 0 }).done;
  }
  if (!dataDir) {
    // A resumed run gets new data: another seed for its workers, so their shards are not the ones
    // the trainer has already read (it remembers them by name).
    const dataSeed = resume ? seed * 1000 + (Math.floor(Date.now() / 1000) % 997) + 1 : seed;
    dataDir = path.join(runDir, `data-${frontEnd}`);
    mkdirSync(dataDir, { recursive: true });
    gen = generateShards({ ...common, outDir: dataDir, seed: dataSeed, workers, shards: Infinity, keep: TRAIN_DEFAULTS.keep });
    log(`${workers} data workers writing shards to ${dataDir} (seed ${dataSeed})`);
  }
  const args = [
    trainerScript(), '--data', dataDir, '--val', valDir, '--run', runDir, '--out', outDir, '--name', name, '--arch', arch,
    '--seconds', String(n('seconds', TRAIN_DEFAULTS.seconds)), '--batch', String(n('batch', TRAIN_DEFAULTS.batch)),
    '--frames', String(frames), '--lr', String(n('learning-rate', TRAIN_DEFAULTS.learningRate)), '--seed', String(seed),
    '--pool', String(n('pool', TRAIN_DEFAULTS.pool)), '--reuse', String(TRAIN_DEFAULTS.reuse),
    '--data-info', `lib/train/scenes.ts scene mix, seed ${seed}, FluidR3 share ${fluidShare}`,
  ];
  if (r.steps !== undefined) args.push('--steps', String(n('steps', 0)));
  if (r.units !== undefined) args.push('--units', String(n('units', 0)));
  if (resume) args.push('--resume');
  log(`${python} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(python, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => { log(`cannot start ${python}: ${err.message}`); resolve(1); });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  gen?.stop();
  if (code !== 0) throw new InputError(`trainer exited with status ${code} (see its output above)`);
  log(`model written to ${outDir}`);
  return 0;
}
