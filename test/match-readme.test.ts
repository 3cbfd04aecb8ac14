// The README's match pipelines as a new user runs them: references made by the README's recipe
// from examples/tunes.txt, a recording transcribed and matched. The recording is Ode to Joy's first
// phrase as sine tones and the transcriber is the hand-set tone model (test/fixtures/tone-model.ts),
// so what is checked is the pipelines, not the shipped weights' hearing: that the shipped model
// hears examples/melody.wav as Ode to Joy is the README's generated match block, checked by
// `npm run readme-check`. sox reads the recording as it would the microphone (`-d`).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseTunes } from '../lib/match/notation.js';
import { MODEL_RATE, midiToHz } from '../lib/music.js';
import { ROOT, jsonLines, toneModelWorkspace, tones, wavFile } from './helpers.js';

/** Notes of Ode to Joy's first phrase, as examples/melody.wav plays them. */
const PHRASE_NOTES = 15;
/** Silence before each next note: the tone model reports no onsets, so a repeated key needs a gap
 *  longer than the tracker's merge time to be heard twice. */
const GAP_SECONDS = 0.15;
/** Played slower than written (80 bpm, not 120), so that the phrase's eighth note still sounds for
 *  more than a window (128 ms) after its gap. */
const STRETCH = 1.5;

const { dir, model } = await toneModelWorkspace(t, 'mf-readme-');
const tunes = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'));
const phrase = tunes.find((tune) => tune.name === 'ode-to-joy')!.notes.slice(0, PHRASE_NOTES)
  .map((n) => ({ pitch: n.pitch, start: 0.2 + STRETCH * n.start, end: 0.2 + STRETCH * n.end }));
const spec = phrase.map((n, i) => {
  const next = phrase[i + 1]?.start ?? n.end + GAP_SECONDS;
  return [midiToHz(n.pitch), n.start, Math.min(n.end, next - GAP_SECONDS)] as const;
});
const seconds = phrase.at(-1)!.end + 0.5;
writeFileSync(path.join(dir, 'ode.wav'), wavFile(tones(spec, seconds, MODEL_RATE), MODEL_RATE, 1));

const MF = `bin/melodyfilter -m ${model}`;
const sh = (cmd: string) => spawnSync('bash', ['-o', 'pipefail', '-c', cmd],
  { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
const hasSox = spawnSync('sox', ['--version']).status === 0;
/** The recording as a microphone gives it: raw CD-rate stereo on stdin. */
const live = `sox ${dir}/ode.wav -t raw -r 44100 -c 2 -e signed -b 16 -`;

t.test('recipe: MIDI references from examples/tunes.txt', async (t) => {
  const r = sh(`node dist/scripts/make-tunes.js examples/tunes.txt ${dir}/tunes`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /: 57 MIDI files from examples\/tunes.txt/);
});

t.test('the recording is heard note for note', async (t) => {
  const r = sh(`${MF} ${dir}/ode.wav`);
  t.equal(r.status, 0, r.stderr);
  t.same(jsonLines<{ pitch: number }>(r.stdout).map((n) => n.pitch), phrase.map((n) => n.pitch));
});

t.test('which of my tunes is this?', async (t) => {
  const r = sh(`${MF} ${dir}/ode.wav | bin/melodyfilter match ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr); t.equal(r.stderr, '');
  const results = jsonLines<{ event: string; ref: string; score: number; transpose: number }>(r.stdout)
    .filter((o) => o.event === 'result');
  t.match(results[0], { ref: `${dir}/tunes/ode-to-joy.mid`, transpose: 0 });
  t.ok(results[0].score > 0.9, `score ${results[0].score}`);
});

t.test('live: the answer firms up as I play', { skip: !hasSox && 'sox not installed' }, async (t) => {
  const r = sh(`${live} | ${MF} | bin/melodyfilter match ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr);
  const lines = jsonLines<{ event: string; ref: string; rank: number }>(r.stdout);
  const matches = lines.filter((o) => o.event === 'match' && o.rank === 1);
  t.ok(matches.length >= 10, `${matches.length} rankings while playing`);
  t.match(matches[matches.length - 1].ref, /ode-to-joy\.mid$/);
});

t.test('practice: what did I get wrong?', { skip: !hasSox && 'sox not installed' }, async (t) => {
  const r = sh(`${live} | ${MF} | bin/melodyfilter match --follow ${dir}/tunes/ode-to-joy.mid`);
  t.equal(r.status, 0, r.stderr);
  type Line = { event: string; verdict?: string; counts?: Record<string, number>; played?: number };
  const lines = jsonLines<Line>(r.stdout);
  const summary = lines[lines.length - 1];
  t.match(summary, { event: 'summary', played: PHRASE_NOTES });
  t.equal(lines.filter((o) => o.event === 'note').length, PHRASE_NOTES, 'a verdict per note');
  t.equal(summary.counts!.ok, PHRASE_NOTES, `right notes ${JSON.stringify(summary.counts)}`);
});

t.test('a reference recorded by playing it (JSON lines) works too', async (t) => {
  const r = sh(`${MF} ${dir}/ode.wav > ${dir}/ode.jsonl && ${MF} ${dir}/ode.wav | ` +
    `bin/melodyfilter match --final ${dir}/ode.jsonl ${dir}/tunes/`);
  t.equal(r.status, 0, r.stderr);
  t.match(jsonLines(r.stdout)[0], { event: 'result', rank: 1, ref: `${dir}/ode.jsonl`, score: 1 });
});
