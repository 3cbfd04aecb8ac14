// Where notes end, on the validation set (VALIDATION_SEED, never the eval seed): for each matched
// note, estimated end minus reference end, split by what follows the reference note (the next note at
// once, or a gap: the key released into silence), so decoder work on offsets goes where the error is.
//   node dist/scripts/offset-analysis.js [MODEL_DIR] [SCALE] [DECODER_JSON]  (e.g. '{"releaseFallDb":6}')
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { resolveConfig } from '../lib/config.js';
import { evaluate, VALIDATION_SEED } from '../lib/eval/evaluate.js';
import { endMatches, matchNotes } from '../lib/eval/metrics.js';

const modelDir = process.argv[2];
const scale = Number(process.argv[3] ?? 0.15);
const decoder = JSON.parse(process.argv[4] ?? '{}');
const engine = await loadEngine(resolveConfig(modelDir ? { modelDir } : {}));
const errors = new Map<string, { ms: number[]; within: number }>();

await evaluate(engine, {
  scale, seed: VALIDATION_SEED, decoder,
  onMelody: ({ ref, est }) => {
    for (const [i, j] of matchNotes(ref, est)) {
      const r = ref[i], e = est[j];
      const next = ref.filter((o) => o.start >= r.start && o !== r).sort((a, b) => a.start - b.start)[0];
      const gap = next ? next.start - r.end : Infinity;
      const kind = gap < 0.02 ? 'next note at once' : gap < 0.3 ? 'gap < 300 ms' : 'gap ≥ 300 ms or last';
      const bucket = errors.get(kind) ?? { ms: [], within: 0 };
      bucket.ms.push((e.end - r.end) * 1000);
      if (endMatches(r, e)) bucket.within++;
      errors.set(kind, bucket);
    }
  },
});
const q = (a: number[], p: number) => a[Math.min(a.length - 1, Math.floor(p * a.length))].toFixed(0);
console.log(`model ${engine.card.name}, validation set at scale ${scale}\n`);
console.log('| after the note | matched | end within tolerance | end error ms p10 / p50 / p90 |\n|---|---|---|---|');
for (const [kind, { ms, within }] of errors) {
  ms.sort((a, b) => a - b);
  const share = (within / ms.length).toFixed(3);
  console.log(`| ${kind} | ${ms.length} | ${share} | ${q(ms, 0.1)} / ${q(ms, 0.5)} / ${q(ms, 0.9)} |`);
}
