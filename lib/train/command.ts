// `melodyfilter train`: flags → train().
import path from 'node:path';
import { UsageError } from '../config.js';
import type { Invocation } from '../args.js';
import { train, TRAIN_DEFAULTS } from './train.js';
import { ARCHS, type Arch } from '../kernel.js';

export async function trainCommand(inv: Invocation): Promise<number> {
  const r = inv.rest;
  const n = (name: string, v: unknown, fallback: number) => {
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) throw new UsageError(`--${name} must be a non-negative number, got ${v}`);
    return x;
  };
  const name = (r.name as string | undefined) ?? TRAIN_DEFAULTS.name;
  const arch = (r.arch as string | undefined) ?? TRAIN_DEFAULTS.arch;
  if (!(ARCHS as readonly string[]).includes(arch)) throw new UsageError(`--arch must be one of ${ARCHS.join(', ')}, got ${arch}`);
  const fluidShare = n('fluid-share', r['fluid-share'], TRAIN_DEFAULTS.fluidShare);
  if (fluidShare > 1) throw new UsageError(`--fluid-share is a share of examples, 0 to 1; got ${fluidShare}`);
  const result = await train({
    name,
    arch: arch as Arch,
    fluidShare,
    outDir: r.model ? String(r.model) : path.resolve('models', name),
    seconds: n('seconds', r.seconds, TRAIN_DEFAULTS.seconds),
    steps: n('steps', r.steps, Infinity),
    seed: n('seed', r.seed, TRAIN_DEFAULTS.seed),
    workers: n('workers', r.workers, TRAIN_DEFAULTS.workers),
    batchSize: n('batch', r.batch, TRAIN_DEFAULTS.batchSize),
    frames: n('frames', r.frames, TRAIN_DEFAULTS.frames),
    learningRate: n('learning-rate', r['learning-rate'], TRAIN_DEFAULTS.learningRate),
    renders: n('renders', r.renders, TRAIN_DEFAULTS.renders),
    resume: Boolean(r.resume),
    backend: inv.cfg.backend,
    progress: process.stderr.isTTY === true,
  });
  process.stderr.write(`melodyfilter: trained ${result.steps} steps, loss ${result.loss.toFixed(4)}, frame accuracy ${result.accuracy.toFixed(4)}\n`);
  return 0;
}
