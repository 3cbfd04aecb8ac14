// `melodyfilter eval`: prints the accuracy table (markdown) for the model given by --model.
import { UsageError } from '../config.js';
import type { Invocation } from '../args.js';
import { loadEngine } from '../transcriber.js';
import { evaluate, formatReport } from './evaluate.js';

const SCALES: Record<string, number> = { smoke: 0.05, quick: 0.5, full: 2 };

export async function evalCommand(inv: Invocation): Promise<number> {
  const set = String(inv.rest.set ?? 'quick');
  if (!(set in SCALES)) throw new UsageError(`--set must be one of ${Object.keys(SCALES).join(', ')}, got ${set}`);
  const engine = await loadEngine(inv.cfg);
  const seed = inv.rest.seed === undefined ? undefined : Number(inv.rest.seed);
  const report = await evaluate(engine, { scale: SCALES[set], seed, log: (s) => process.stderr.write(`melodyfilter: eval: ${s}\n`) });
  if (inv.rest.json) process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  else process.stdout.write(`Model ${engine.info.name}, set ${set}, ${report.seconds.toFixed(0)} s\n\n` + formatReport(report));
  return 0;
}
