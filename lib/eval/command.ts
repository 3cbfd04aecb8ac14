// `melodyfilter eval`: prints the accuracy table (markdown) for the model given by --model.
import { engineConfig, ENGINE_OPTIONS } from '../cli/args.js';
import type { OptionTable, Parsed } from '../cli/options.js';
import type { Subcommand } from '../cli/commands.js';
import { checkedStdout } from '../cli/output.js';
import type { PianoSet } from './evaluate.js';

const SCALES: Record<string, number> = { smoke: 0.05, quick: 0.5, full: 2 };
/** evaluate.ts' PIANO_SETS (not imported: --help must not load the evaluator). */
const PIANOS: readonly PianoSet[] = ['standard', 'freepats'];

const OPTIONS: OptionTable = {
  set: {
    kind: 'choice', choices: Object.keys(SCALES), default: 'quick', value: 'SET', section: 'Evaluation',
    help: 'smoke, {default} (default) or full',
  },
  seed: { kind: 'integer', value: 'N', help: 'seed of the melodies (default: the eval seed)', section: 'Evaluation' },
  json: { kind: 'boolean', help: 'the report as JSON instead of a table', section: 'Evaluation' },
  pianos: {
    kind: 'choice', choices: PIANOS, default: 'standard', value: 'SET', section: 'Evaluation',
    help: '{default} (FluidR3, held-out synth voices) or freepats (unseen unless trained with --freepats-share)',
  },
  ...ENGINE_OPTIONS,
};

async function run({ options: o }: Parsed): Promise<number> {
  const set = o.set as string;
  const seed = o.seed as number | undefined;
  const { loadEngine } = await import('../pipeline/transcriber.js');
  const { evaluate, formatReport, EVAL_SEED } = await import('./evaluate.js');
  const engine = await loadEngine(engineConfig(o));
  const log = (s: string) => process.stderr.write(`melodyfilter: eval: ${s}\n`);
  const { noiseCondition, formatNoiseReport } = await import('./noise.js');
  const report = await evaluate(engine, { scale: SCALES[set], seed, log, pianos: o.pianos as PianoSet });
  const started = Date.now();
  const noise = await noiseCondition(engine, { seed: seed ?? EVAL_SEED, scale: SCALES[set] });
  const phantoms = noise.alone.reduce((s, x) => s + x.notes, 0);
  log(`noise alone: ${phantoms} notes (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const stdout = checkedStdout();
  if (o.json) stdout.write(JSON.stringify({ ...report, noise }, null, 1) + '\n');
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
