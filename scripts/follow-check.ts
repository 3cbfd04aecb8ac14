// How well `match --follow`'s summary tells a practice run of the tune from some other tune (issue 22,
// item 10). Note lists only, no audio: the follower's own judgement, not the transcriber's.
//   right: every tune of examples/tunes.txt performed --per-tune times (random key ±6, tempo 0.7–1.4×
//     drifting ±15% over the tune, 10 ms onset jitter) with 0–3 realistic errors: a wrong note (a near
//     key), a missed note, an extra note, a repeated bar (4–8 notes played again), each performance one
//     kind (so each kind is seen alone) or, from the second error on, a mix;
//   wrong: every tune played cleanly (random key and tempo) against every other tune's reference,
//     and --random random tune-like melodies (lib/synth/melody.ts) against a random reference each.
// Prints, per group, the distribution of the summary's `right` and the share that passes (exit 0)
// at --min-score (default: the command's), then the closest calls on either side.
// Usage: npm run build && node dist/scripts/follow-check.js [--seed N] [--per-tune N] [--random N] [--min-score X]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTunes } from '../lib/match/notation.js';
import { melodyOf, type Melody, type PlayedNote } from '../lib/match/melody.js';
import { createFollower, type FollowSummary } from '../lib/match/follow.js';
import { DEFAULT_FOLLOW_MIN_SCORE } from '../lib/match/command.js';
import { randomMelody } from '../lib/synth/melody.js';
import { makeRng, pick, uniform } from '../lib/synth/random.js';
import { addError, ERRORS, perform, type ErrorKind } from '../lib/synth/performance.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: {
  seed: { type: 'string', default: '2210' },
  'per-tune': { type: 'string', default: '8' },
  random: { type: 'string', default: '300' },
  'min-score': { type: 'string', default: String(DEFAULT_FOLLOW_MIN_SCORE) },
} });
const PER_TUNE = Number(args['per-tune']), RANDOM = Number(args.random), MIN_SCORE = Number(args['min-score']);
interface Run { group: string; label: string; summary: FollowSummary }

function follow(m: Melody, notes: readonly PlayedNote[]): FollowSummary {
  const f = createFollower(m);
  for (const n of notes) f.push(n);
  f.end();
  return f.summary();
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function report(name: string, runs: Run[], passIsRight: boolean): void {
  const xs = runs.map((r) => r.summary.right).sort((a, b) => a - b);
  const pass = xs.filter((x) => x >= MIN_SCORE).length;
  const q = [0, 0.05, 0.25, 0.5, 0.75, 0.95].map((p) => quantile(xs, p).toFixed(2));
  console.log(`${name.padEnd(34)} ${String(xs.length).padStart(5)}  min ${q[0]}  p5 ${q[1]}  p25 ${q[2]}  `
    + `median ${q[3]}  `
    + `p75 ${q[4]}  p95 ${q[5]}  max ${xs[xs.length - 1].toFixed(2)}  pass ${(100 * pass / xs.length).toFixed(1)}%`
    + (passIsRight ? '' : ` (${pass})`));
}

function histogram(runs: Run[]): string {
  const bins = new Array<number>(10).fill(0);
  for (const r of runs) bins[Math.min(9, Math.floor(r.summary.right * 10))]++;
  return bins.map((b) => String(b).padStart(5)).join('');
}

const rng = makeRng(Number(args.seed));
const tunes = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'));
const refs = tunes.map((tune) => melodyOf(tune.name, tune.notes));
const runs: Run[] = [];

for (const m of refs) {
  for (let k = 0; k < PER_TUNE; k++) {
    const errors = k % 4; // 0, 1, 2, 3 errors
    const kinds: ErrorKind[] = [];
    // The first error's kind cycles over tunes and performances, so each kind is seen alone.
    for (let e = 0; e < errors; e++) {
      kinds.push(e === 0 ? ERRORS[Math.floor(k / 4 + m.pitches.length) % 4] : pick(rng, ERRORS));
    }
    const notes = perform(rng, m);
    for (const kind of kinds) addError(rng, notes, kind);
    runs.push({ group: `right, ${errors} error${errors === 1 ? '' : 's'}`, label: `${m.name} [${kinds.join(', ')}]`,
      summary: follow(m, notes) });
  }
}
for (const played of refs) {
  const notes = perform(rng, played);
  for (const m of refs) {
    if (m === played) continue;
    runs.push({ group: 'wrong: another tune', label: `${played.name} vs ${m.name}`, summary: follow(m, notes) });
  }
}
for (let k = 0; k < RANDOM; k++) {
  const score = randomMelody(rng, { seconds: uniform(rng, 10, 25), lowMidi: 55, highMidi: 84, minNoteSeconds: 0.15,
    maxNoteSeconds: 1.2, restProbability: 0.05,
    style: pick(rng, ['tune', 'tune', 'scale', 'walk', 'arpeggio', 'leaps'] as const) });
  const m = pick(rng, refs);
  runs.push({ group: 'wrong: random melody', label: `random ${k} (${score.length} notes) vs ${m.name}`,
    summary: follow(m, score.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end }))) });
}

console.log(`follow-check: seed ${args.seed}, --min-score ${MIN_SCORE}; right = summary.right\n`);
const groups = [...new Set(runs.map((r) => r.group))];
for (const g of groups) report(g, runs.filter((r) => r.group === g), g.startsWith('right'));
const right = runs.filter((r) => r.group.startsWith('right')), wrong = runs.filter((r) => r.group.startsWith('wrong'));
report('right, all', right, true);
report('wrong, all', wrong, false);
console.log(`\nhistogram of right, bins 0-0.1 … 0.9-1:\n  right ${histogram(right)}\n  wrong ${histogram(wrong)}`);
const show = (r: Run) => `  ${r.summary.right.toFixed(3)} ${r.label} ${JSON.stringify(r.summary.counts)}`;
console.log('\nlowest right performances:');
for (const r of [...right].sort((a, b) => a.summary.right - b.summary.right).slice(0, 5)) console.log(show(r));
console.log('highest wrong tunes:');
for (const r of [...wrong].sort((a, b) => b.summary.right - a.summary.right).slice(0, 5)) console.log(show(r));
