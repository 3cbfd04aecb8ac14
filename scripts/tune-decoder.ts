// Chooses the note tracker's settings on a validation set (VALIDATION_SEED, never the eval seed):
// prints F1 for each combination so a model card's decoder settings (scripts/set-decoder.ts) can be
// set from evidence.
//   node dist/scripts/tune-decoder.js [MODEL_DIR] [SCALE] [GRID]
// GRID is JSON: rows of [threshold, onset threshold, strike rise dB], or objects of named settings
// (card.ts DecoderSettings); what a row leaves out is the card's.
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { resolveConfig } from '../lib/config.js';
import type { DecoderSettings } from '../lib/model/card.js';
import { evaluateDecoders, VALIDATION_SEED } from '../lib/eval/evaluate.js';

const modelDir = process.argv[2];
const scale = Number(process.argv[3] ?? 0.15);
const engine = await loadEngine(resolveConfig(modelDir ? { modelDir } : {}));
type Row = [number, number, number] | Partial<DecoderSettings>;
const GRID: Row[] = process.argv[4] ? JSON.parse(process.argv[4]) : [
  [0.3, 0.3, 0], [0.3, 0.3, 1], [0.3, 0.3, 2], [0.3, 0.3, 4], [0.3, 0.2, 2], [0.3, 0.4, 0],
  [0.4, 0.3, 0], [0.4, 0.3, 2],
];
const settings: DecoderSettings[] = GRID.map((row) => ({
  ...engine.card.decoder,
  ...(Array.isArray(row) ? { threshold: row[0], onsetThreshold: row[1], strikeRiseDb: row[2] } : row),
}));
const columns = Object.keys(engine.card.decoder) as (keyof DecoderSettings)[];
console.log(`| ${columns.join(' | ')} | mean F1 | F1 per condition | mean F1 (offsets) | onset bias ms |`);
console.log(`|${'---|'.repeat(columns.length + 4)}`);
// One rendering of the validation melodies, decoded with every setting of the grid.
const reports = await evaluateDecoders(engine, { scale, seed: VALIDATION_SEED, decoders: settings });
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
settings.forEach((decoder, k) => {
  const r = reports[k];
  const f1s = r.conditions.map((c) => c.scores.f1);
  const withOffsets = meanOf(r.conditions.map((c) => c.scores.f1WithOffsets));
  const bias = r.conditions.reduce((a, c) => a + c.counts.onsetBiasSum, 0) /
    r.conditions.reduce((a, c) => a + c.counts.matched, 0);
  console.log(`| ${columns.map((c) => decoder[c]).join(' | ')} | ${meanOf(f1s).toFixed(4)} | ` +
    `${f1s.map((f) => f.toFixed(3)).join(' ')} | ${withOffsets.toFixed(4)} | ${(bias * 1000).toFixed(1)} |`);
});
