// The README's model-comparison tables from scripts/compare-models.sh's output directory.
//   node dist/scripts/compare-table.js OUT_DIR
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EvalReport } from '../lib/eval/evaluate.js';
import { readWeightFile } from '../lib/model/files.js';

const out = process.argv[2];
if (!out) { console.error('usage: compare-table OUT_DIR'); process.exit(2); }
const RUNS = ['lstm', 'lstm-nofb', 'gru', 'mlp', 'raw-lstm', 'synth-only', 'fluid-only'];
const NAMES: Record<string, string> = {
  lstm: 'LSTM (Dense 128 → LSTM 128)', 'lstm-nofb': 'LSTM, forget bias 0 (tfjs default)',
    gru: 'GRU (Dense 128 → GRU 144, reset-after)',
  mlp: 'MLP (Dense 320 → Dense 160), per window', 'raw-lstm': "write-up's LSTM 128 over raw samples, per window",
};
const f = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));

interface Run {
  run: string; report: EvalReport; params: number; kib: number; seconds: number; steps: number; batch: number;
  acc: number; valAcc: number;
}
const runs: Run[] = [];
for (const run of RUNS) {
  const evalFile = path.join(out, `${run}.eval.json`);
  if (!existsSync(evalFile)) continue;
  const report = JSON.parse(readFileSync(evalFile, 'utf8')) as EvalReport;
  // compare-models.sh writes each model to OUT/RUN/model (the PyTorch trainer's run directory is OUT/RUN).
  const modelDir = existsSync(path.join(out, run, 'model', 'model.json'))
    ? path.join(out, run, 'model') : path.join(out, run);
  const model = await readWeightFile(modelDir);
  const bytes = model.weightData.byteLength;
  const info = model.card as { training: Record<string, any> };
  runs.push({
    run, report, params: bytes / 4, kib: bytes / 1024,
    seconds: Number(readFileSync(path.join(out, `${run}.train-seconds`), 'utf8')),
    steps: info.training.steps, batch: info.training.batchSize, acc: info.training.noteAccuracy,
    valAcc: info.training.validation?.noteAccuracy ?? NaN,
  });
}
const conds = runs[0]?.report.conditions.map((c) => c.name) ?? [];
const short = (name: string) => name.replace(/, 0\.3–0\.6 s/, '').replace('all keys, 80 ms–1.5 s, ', 'all keys ')
  .replace(' (50%), 10 dB', '');
const table = (rows: Run[], extra: { head: string; cell: (r: Run) => string }[]) => {
  console.log(`| model | ${conds.map(short).join(' | ')} | ${extra.map((e) => e.head).join(' | ')} |`);
  console.log(`|---|${conds.map(() => '---|').join('')}${extra.map(() => '---|').join('')}`);
  for (const r of rows) {
    const byCond = conds.map((c) => f(r.report.conditions.find((x) => x.name === c)!.scores.f1));
    console.log(`| ${NAMES[r.run] ?? r.run} | ${byCond.join(' | ')} | ${extra.map((e) => e.cell(r)).join(' | ')} |`);
  }
};
const source = (r: Run, name: string) =>
  f(r.report.breakdowns.find((b) => b.name === `source ${name}`)?.scores.f1 ?? NaN);
console.log('Note F1 per condition (eval --set quick); same seed and data stream for every model:\n');
table(runs.filter((r) => !r.run.includes('-only')), [
  { head: 'repeats found',
    cell: (r) => { const c = r.report.conditions.at(-1)!; return f(c.repeated.found / c.repeated.repeated); } },
  { head: 'parameters', cell: (r) => String(r.params) },
  { head: 'weights', cell: (r) => `${r.kib.toFixed(0)} KiB` },
  { head: 'steps × sequences', cell: (r) => `${r.steps} × ${r.batch}` },
  { head: 'train time', cell: (r) => `${(r.seconds / 60).toFixed(1)} min` },
  { head: 'frame acc. (train)', cell: (r) => f(r.acc) },
  { head: 'frame acc. (validation shards)', cell: (r) => f(r.valAcc) },
]);
const both = runs.find((r) => r.run === 'gru');
const holdouts = runs.filter((r) => r.run.includes('-only') || r.run === 'gru');
if (both && holdouts.length > 1) {
  console.log('\nHold one source out (GRU, same steps): F1 on each source of the eval set:\n');
  console.log('| trained on | F1 on FluidR3 GM | F1 on synth (held-out voices) | F1 all conditions (mean) |');
  console.log('|---|---|---|---|');
  const label: Record<string, string> = { gru: 'both (40% FluidR3)', 'synth-only': 'own synthesizer only',
    'fluid-only': 'FluidR3 only' };
  for (const r of holdouts) {
    const mean = r.report.conditions.reduce((a, c) => a + c.scores.f1, 0) / r.report.conditions.length;
    console.log(`| ${label[r.run]} | ${source(r, 'FluidR3 GM')} | ${source(r, 'synth, held-out voices')} | ` +
      `${f(mean)} |`);
  }
}
