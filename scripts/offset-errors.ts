// Where note ends go wrong: the signed end error (estimate − reference) of every onset-matched note
// on the validation melodies, split by what follows the reference note — another note within 30 ms
// (the next key ends it), a gap (the key is let go into silence), or nothing (the melody's last).
//   node dist/scripts/offset-errors.js MODEL_DIR [SCALE] [DECODER_JSON]
// SCALE of eval's melody counts (default 0.15); DECODER_JSON overrides the card's tracker settings,
// e.g. '{"releaseFallDb":12}'.
import { resolveConfig } from '../lib/config.js';
import { loadEngine } from '../lib/pipeline/transcriber.js';
import { evaluate, VALIDATION_SEED } from '../lib/eval/evaluate.js';
import { endMatches, matchNotes } from '../lib/eval/metrics.js';

const [dir, scale = '0.15', decoderJson = '{}'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: offset-errors.js MODEL_DIR [SCALE] [DECODER_JSON]\n');
  process.exit(2);
}
const LEGATO_SECONDS = 0.03;
const kinds = ['legato', 'gap', 'last'] as const;
const errors = { legato: [] as number[], gap: [] as number[], last: [] as number[] };
const within = { legato: 0, gap: 0, last: 0 };
const engine = await loadEngine(resolveConfig({ modelDir: dir }));
await evaluate(engine, {
  seed: VALIDATION_SEED, scale: Number(scale), decoder: JSON.parse(decoderJson), onMelody: ({ ref, est }) => {
    const byStart = [...ref].sort((a, b) => a.start - b.start);
    for (const [i, j] of matchNotes(ref, est)) {
      const r = ref[i];
      const next = byStart.find((n) => n.start > r.start + 1e-6);
      const kind = !next ? 'last' : next.start - r.end <= LEGATO_SECONDS ? 'legato' : 'gap';
      errors[kind].push(est[j].end - r.end);
      if (endMatches(r, est[j])) within[kind]++;
    }
  },
});
const ms = (xs: number[], p: number) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))] * 1000);
for (const k of kinds) {
  const xs = errors[k];
  if (!xs.length) continue;
  process.stdout.write(`${k}: ${xs.length} matched, end within tolerance ${(within[k] / xs.length).toFixed(3)}; ` +
    `end error ms p10 ${ms(xs, 0.1)} p25 ${ms(xs, 0.25)} median ${ms(xs, 0.5)} p75 ${ms(xs, 0.75)} p90 ${ms(xs, 0.9)}\n`);
}
