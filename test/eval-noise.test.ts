// Eval's noise condition (lib/eval/noise.ts) with the hand-set tone model: every file is counted, and
// each note reported from noise alone is listed (name, time, confidence) for the error analysis.
import t from 'tap';
import { loadEngine, resolveConfig } from '../lib/index.js';
import { EVAL_NOISES, NOISE_LEVELS_DBFS, noiseAlone, noisePauses, formatNoiseReport } from '../lib/eval/noise.js';
import { makeRng } from '../lib/synth/random.js';
import { toneModelWorkspace } from './helpers.js';

t.test('noise alone: one result per noise and level, its phantoms listed', async (t) => {
  const { model } = await toneModelWorkspace(t, 'mf-noise-');
  const engine = await loadEngine(resolveConfig({ modelDir: model }));
  const seconds = 1;
  const alone = await noiseAlone(engine, makeRng(5), seconds, []);
  t.equal(alone.length, EVAL_NOISES.length * NOISE_LEVELS_DBFS.length);
  for (const r of alone) {
    t.equal(r.seconds, seconds);
    t.equal(r.phantoms.length, r.notes, `${r.noise} at ${r.levelDbfs} dBFS: a phantom per note`);
    for (const p of r.phantoms) {
      t.match(p.name, /^[A-G]#?-?\d$/);
      t.ok(p.start >= 0 && p.start < seconds, 'inside the file');
      t.ok(p.confidence >= 0 && p.confidence <= 1);
    }
  }
  const table = formatNoiseReport({ alone, pauses: [] });
  const total = alone.reduce((s, r) => s + r.notes, 0);
  t.match(table, `Notes from noise alone: ${total} in ${alone.length} files of ${seconds} s.`);
});

t.test('lead-ins and pauses: each counted note listed, with the true note before it', async (t) => {
  const { model } = await toneModelWorkspace(t, 'mf-noise-');
  const engine = await loadEngine(resolveConfig({ modelDir: model }));
  const pauses = await noisePauses(engine, makeRng(6), 1, []);
  t.same(pauses.map((p) => p.noise), [...EVAL_NOISES]);
  for (const p of pauses) {
    t.equal(p.melodies, 1);
    t.equal(p.phantoms.length, p.before + p.inPause, `${p.noise}: a phantom per note counted`);
    for (const x of p.phantoms) t.ok(x.after === null || /^[A-G]#?-?\d$/.test(x.after));
  }
});
