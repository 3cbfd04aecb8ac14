// `melodyfilter eval`: prints the accuracy table (markdown) for the model given by --model.
import { UsageError } from '../config.js';
import { engineOptions, ENGINE_OPTIONS } from '../cli/args.js';
import { numberOption, type OptionTable, type Parsed } from '../cli/options.js';
import type { Subcommand } from '../cli/commands.js';
import { checkedStdout } from '../cli/output.js';
import type { PianoSet } from './evaluate.js';

const SCALES: Record<string, number> = { smoke: 0.05, quick: 0.5, full: 2 };

const OPTIONS: OptionTable = {
  set: { type: 'string', value: 'SET', help: 'smoke, quick (default) or full', section: 'Evaluation' },
  seed: { type: 'string', value: 'N', help: 'seed of the melodies (default: the eval seed)', section: 'Evaluation' },
  json: { type: 'boolean', help: 'the report as JSON instead of a table', section: 'Evaluation' },
  pianos: {
    type: 'string', value: 'SET', section: 'Evaluation',
    help: 'standard (default: FluidR3 and held-out synth voices) or freepats (pianos never trained on)',
  },
  ...ENGINE_OPTIONS,
};

async function run({ values: v }: Parsed): Promise<number> {
  const set = String(v.set ?? 'quick');
  // Own keys only: `--set toString` once scored 0 melodies as F1 1.000.
  if (!Object.hasOwn(SCALES, set)) {
    throw new UsageError(`--set must be one of ${Object.keys(SCALES).join(', ')}, got ${set}`);
  }
  const seed = numberOption('seed', v.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed must be an integer, got ${v.seed}`);
  }
  const pianos = String(v.pianos ?? 'standard');
  const { loadEngine } = await import('../pipeline/transcriber.js');
  const { evaluate, formatReport, EVAL_SEED, PIANO_SETS } = await import('./evaluate.js');
  if (!(PIANO_SETS as readonly string[]).includes(pianos)) {
    throw new UsageError(`--pianos must be one of ${PIANO_SETS.join(', ')}, got ${pianos}`);
  }
  const engine = await loadEngine(engineOptions(v));
  const log = (s: string) => process.stderr.write(`melodyfilter: eval: ${s}\n`);
  const { noiseCondition, formatNoiseReport } = await import('./noise.js');
  const report = await evaluate(engine, { scale: SCALES[set], seed, log, pianos: pianos as PianoSet });
  const started = Date.now();
  const noise = await noiseCondition(engine, { seed: seed ?? EVAL_SEED, scale: SCALES[set] });
  const phantoms = noise.alone.reduce((s, x) => s + x.notes, 0);
  log(`noise alone: ${phantoms} notes (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const stdout = checkedStdout();
  if (v.json) stdout.write(JSON.stringify({ ...report, noise }, null, 1) + '\n');
  else {
    const head = `Model ${engine.card.name}, set ${set}, ${report.seconds.toFixed(0)} s`;
    stdout.write(`${head}\n\n${formatReport(report)}\n${formatNoiseReport(noise)}`);
  }
  await stdout.close();
  return 0;
}

export const evalCommand: Subcommand = {
  name: 'eval', summary: 'score a model on held-out melodies (accuracy table)', options: OPTIONS, run,
};
