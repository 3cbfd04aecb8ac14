// What the errors are, on the validation set (VALIDATION_SEED: never the eval seed): each unmatched
// estimated note and each missed reference note put in one bucket, so decoder and training work
// goes where the errors are.  node dist/scripts/error-analysis.js [MODEL_DIR] [SCALE]
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { resolveConfig } from '../lib/config.js';
import { evaluate, VALIDATION_SEED } from '../lib/eval/evaluate.js';
import { matchNotes } from '../lib/eval/metrics.js';
import { type TimedNote } from '../lib/notes.js';

const modelDir = process.argv[2];
const scale = Number(process.argv[3] ?? 0.15);
const engine = await loadEngine(resolveConfig(modelDir ? { modelDir } : {}));
const extra = new Map<string, number>(), missed = new Map<string, number>();
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
let refTotal = 0, estTotal = 0;

function extraKind(e: TimedNote, ref: readonly TimedNote[], est: readonly TimedNote[]): string {
  const near = (r: TimedNote) => Math.abs(r.start - e.start) <= 0.05;
  if (ref.some((r) => r.pitch === e.pitch && e.start > r.start + 0.05 && e.start < r.end)) {
    // Split by an onset (the tracker ends one note and starts the next at once) or lost and found again.
    const before = est.filter((o) => o.pitch === e.pitch && o.start < e.start).sort((a, b) => b.start - a.start)[0];
    const gap = before ? e.start - before.end : Infinity;
    if (gap <= 0.02) return 'split inside a sounding note, by an onset';
    if (gap < 0.3) return `split inside a sounding note, lost ${gap < 0.1 ? '< 100' : '100–300'} ms`;
    return 'same pitch inside a sounding note, other';
  }
  if (ref.some((r) => r.pitch === e.pitch && e.start >= r.end && e.start < r.end + 0.5))
    return 'same pitch just after the note ended (release tail)';
  if (ref.some((r) => r.pitch === e.pitch && Math.abs(r.start - e.start) <= 0.15))
    return 'right pitch, onset 50–150 ms off';
  const d = ref.filter(near).map((r) => e.pitch - r.pitch);
  if (d.some((x) => Math.abs(x) === 12 || Math.abs(x) === 24)) return 'octave error at a true onset';
  if (d.some((x) => Math.abs(x) === 19 || Math.abs(x) === 7)) return 'fifth/twelfth error at a true onset';
  if (d.some((x) => Math.abs(x) <= 2)) return 'semitone/tone error at a true onset';
  if (d.length) return 'other pitch at a true onset';
  if (est.some((o) => o !== e && o.pitch !== e.pitch && o.start <= e.start && o.end > e.start))
    return 'during another estimated note';
  if (ref.some((r) => e.start >= r.start && e.start < r.end)) return 'during a reference note, other pitch';
  return 'in silence or noise';
}

function missedKind(r: TimedNote, ref: readonly TimedNote[], est: readonly TimedNote[]): string {
  const len = r.end - r.start;
  const prev = ref.filter((o) => o !== r && o.start < r.start).sort((a, b) => b.start - a.start)[0];
  if (prev && prev.pitch === r.pitch && r.start - prev.end < 0.1) return 'repeat of the previous note, merged';
  if (est.some((e) => e.pitch === r.pitch && Math.abs(e.start - r.start) <= 0.15))
    return 'found, onset 50–150 ms off';
  if (est.some((e) => Math.abs(e.start - r.start) <= 0.05 && Math.abs(e.pitch - r.pitch) % 12 === 0))
    return 'octave error';
  if (est.some((e) => Math.abs(e.start - r.start) <= 0.05)) return 'other pitch at its onset';
  if (len < 0.15) return 'short (< 150 ms), not found';
  if (r.pitch < 36) return 'below C2, not found';
  if (r.pitch > 96) return 'above C7, not found';
  return 'not found';
}

await evaluate(engine, {
  scale, seed: VALIDATION_SEED,
  onMelody: ({ ref, est }) => {
    const pairs = matchNotes(ref, est);
    const mr = new Set(pairs.map((p) => p[0])), me = new Set(pairs.map((p) => p[1]));
    refTotal += ref.length; estTotal += est.length;
    est.forEach((e, j) => { if (!me.has(j)) bump(extra, extraKind(e, ref, est)); });
    ref.forEach((r, i) => { if (!mr.has(i)) bump(missed, missedKind(r, ref, est)); });
  },
});
const table = (title: string, m: Map<string, number>, total: number) => {
  const of = title.includes('extra') ? 'estimated' : 'reference';
  console.log(`\n| ${title} | count | share of ${of} notes |\n|---|---|---|`);
  for (const [k, v] of [...m.entries()].sort((a, b) => b[1] - a[1]))
    console.log(`| ${k} | ${v} | ${(v / total).toFixed(3)} |`);
};
console.log(`model ${engine.card.name}, validation set at scale ${scale}: ${refTotal} reference notes, ` +
  `${estTotal} estimated`);
table('extra notes (false positives)', extra, estTotal);
table('missed notes (false negatives)', missed, refTotal);
