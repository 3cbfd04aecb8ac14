// The README's match pipelines as a new user runs them: references made by the README's recipe
// from examples/tunes.txt, the bundled recording transcribed and matched. The recording stands in
// for the microphone (sox reads it instead of `-d`).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, jsonLines } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mf-readme-'));
const sh = (cmd: string) => spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const hasSox = spawnSync('sox', ['--version']).status === 0;

t.test('recipe: MIDI references from examples/tunes.txt', async (t) => {
  const r = sh(`node dist/scripts/make-tunes.js examples/tunes.txt ${dir}/tunes`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /: 57 MIDI files from examples\/tunes.txt/);
});

t.test('which of my tunes is this?', async (t) => {
  const r = sh(`bin/melodyfilter examples/melody.wav | bin/melodyfilter match ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr); t.equal(r.stderr, '');
  const results = jsonLines<{ event: string; ref: string; score: number; transpose: number }>(r.stdout).filter((o) => o.event === 'result');
  t.match(results[0], { ref: `${dir}/tunes/ode-to-joy.mid`, transpose: 0 });
  t.ok(results[0].score > 0.9, `score ${results[0].score}`);
});

t.test('live: the answer firms up as I play', { skip: !hasSox && 'sox not installed' }, async (t) => {
  const r = sh(`sox examples/melody.wav -t raw -r 44100 -c 2 -e signed -b 16 - | bin/melodyfilter | bin/melodyfilter match ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr);
  const lines = jsonLines<{ event: string; ref: string; rank: number }>(r.stdout);
  const matches = lines.filter((o) => o.event === 'match' && o.rank === 1);
  t.ok(matches.length >= 10, `${matches.length} rankings while playing`);
  t.match(matches[matches.length - 1].ref, /ode-to-joy\.mid$/);
});

t.test('practice: what did I get wrong?', { skip: !hasSox && 'sox not installed' }, async (t) => {
  const r = sh(`sox examples/melody.wav -t raw -r 44100 -c 2 -e signed -b 16 - | bin/melodyfilter | bin/melodyfilter match --follow ${dir}/tunes/ode-to-joy.mid`);
  t.equal(r.status, 0, r.stderr);
  const lines = jsonLines<{ event: string; verdict?: string; counts?: Record<string, number>; played?: number }>(r.stdout);
  const summary = lines[lines.length - 1];
  t.match(summary, { event: 'summary', played: 15 });
  t.equal(lines.filter((o) => o.event === 'note').length, 15, 'a verdict per note');
  t.ok(summary.counts!.ok >= 14, `right notes ${JSON.stringify(summary.counts)}`);
});

t.test('a reference recorded by playing it (JSON lines) works too', async (t) => {
  const r = sh(`bin/melodyfilter examples/melody.wav > ${dir}/ode.jsonl && bin/melodyfilter examples/melody.wav | bin/melodyfilter match --final ${dir}/ode.jsonl ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr);
  t.match(jsonLines(r.stdout)[0], { event: 'result', rank: 1, ref: `${dir}/ode.jsonl`, score: 1 });
});
