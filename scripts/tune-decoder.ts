// Chooses the note tracker's thresholds on a validation set (VALIDATION_SEED, never the eval seed):
// prints F1 for each combination so a model card's decoder settings (scripts/set-decoder.ts) can be
// set from evidence.
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { resolveConfig } from '../lib/config.js';
import { evaluateDecoders, VALIDATION_SEED } from '../lib/eval/evaluate.js';

const modelDir = process.argv[2];
const scale = Number(process.argv[3] ?? 0.15);
const engine = await loadEngine(resolveConfig(modelDir ? { modelDir } : {}));
console.log('| threshold | onset threshold | strike rise dB | mean F1 | F1 per condition | onset bias ms |');
console.log('|---|---|---|---|---|---|');
// [threshold, onset threshold, strike rise dB]; a grid given as JSON in argv[4] replaces this one.
const GRID: [number, number, number][] = process.argv[4] ? JSON.parse(process.argv[4]) : [
  [0.3, 0.3, 0], [0.3, 0.3, 1], [0.3, 0.3, 2], [0.3, 0.3, 4], [0.3, 0.2, 2], [0.3, 0.4, 0],
  [0.4, 0.3, 0], [0.4, 0.3, 2],
];
// One rendering of the validation melodies, decoded with every setting of the grid.
const reports = await evaluateDecoders(engine, {
  scale, seed: VALIDATION_SEED,
  decoders: GRID.map(([threshold, onsetThreshold, strikeRiseDb]) => ({ threshold, onsetThreshold, strikeRiseDb })),
});
GRID.forEach(([threshold, onsetThreshold, strikeRiseDb], k) => {
  const r = reports[k];
  const f1s = r.conditions.map((c) => c.scores.f1);
  const mean = f1s.reduce((a, b) => a + b, 0) / f1s.length;
  const bias = r.conditions.reduce((a, c) => a + c.counts.onsetBiasSum, 0) /
    r.conditions.reduce((a, c) => a + c.counts.matched, 0);
  console.log(`| ${threshold} | ${onsetThreshold} | ${strikeRiseDb} | ${mean.toFixed(4)} | ` +
    `${f1s.map((f) => f.toFixed(3)).join(' ')} | ${(bias * 1000).toFixed(1)} |`);
});
