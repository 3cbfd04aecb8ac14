// End to end through bin/melodyfilter with the hand-set tone model (test/fixtures/tone-model.ts), so
// what these tests check is the CLI, not how far training has got: sine melodies in, notes out.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseMidi } from 'midi-file';
import type { ScoreNote } from '../lib/synth/melody.js';
import { intIn, makeRng, uniform } from '../lib/synth/random.js';
import { midiToHz } from '../lib/music.js';
import { matchNotes } from '../lib/eval/metrics.js';
import { encodePcm, makeToneModel, runCli, tones, wavFile } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const TONE = ['-m', path.join(dir, 'tone-model')];
await makeToneModel(TONE[1]);

/** Six seconds of sine notes in G3-G5 (inside the tone model's C3-C6), 0.25-0.6 s each with short
 *  gaps, no key twice in a row (the tone model reports no onsets, so a repeat would merge), at `rate`. */
function melody(seed: number, rate: number): { notes: ScoreNote[]; audio: Float32Array } {
  const rng = makeRng(seed);
  const notes: ScoreNote[] = [];
  for (let at = 0.2; at < 6; ) {
    let pitch = intIn(rng, 55, 79);
    while (pitch === notes.at(-1)?.pitch) pitch = intIn(rng, 55, 79);
    const end = at + uniform(rng, 0.25, 0.6);
    notes.push({ pitch, start: at, end, velocity: 90 });
    at = end + uniform(rng, 0.05, 0.15);
  }
  const spec = notes.map((n) => [midiToHz(n.pitch), n.start, n.end] as const);
  return { notes, audio: tones(spec, notes[notes.length - 1].end + 0.5, rate) };
}

/** Onset tolerance for the tone model: it reports no onsets, so a note starts once two windows have
 *  confirmed its key, 30-90 ms after the tone (the shipped model's onset head is what makes 50 ms). */
const TONE_ONSET_TOLERANCE_SECONDS = 0.1;

/** Note F1 (pitch and onset). */
function f1Of(ref: ScoreNote[], est: { pitch: number; start: number; end: number }[]) {
  const matched = matchNotes(ref, est, { onsetTolerance: TONE_ONSET_TOLERANCE_SECONDS }).length;
  return ref.length + est.length ? (2 * matched) / (ref.length + est.length) : 1;
}

t.test('raw s16le stereo at 44.1 kHz (the defaults) → JSON lines with the melody', async (t) => {
  const m = melody(1, 44100);
  const r = await runCli(TONE, encodePcm(m.audio, 2, 's16le'));
  t.equal(r.code, 0); t.equal(r.stderr, '');
  const notes = r.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const n of notes) {
    t.ok(Number.isInteger(n.pitch) && typeof n.name === 'string' && n.end >= n.start && n.velocity >= 1
      && n.velocity <= 127 && n.confidence <= 1, 'note fields');
  }
  const f1 = f1Of(m.notes, notes);
  t.ok(f1 >= 0.9, `note F1 ${f1.toFixed(3)} on ${m.notes.length} notes`);
});

t.test('a WAV on stdin and -o midi → a MIDI file with the same notes', async (t) => {
  const m = melody(2, 22050);
  const r = await runCli([...TONE, '-o', 'midi', '--tempo', '100'], wavFile(m.audio, 22050, 1));
  t.equal(r.code, 0);
  const midi = parseMidi(r.stdout);
  let tick = 0, usPerBeat = 500000;
  const starts: { pitch: number; start: number; end: number }[] = [];
  const open = new Map<number, number>();
  for (const e of midi.tracks[0]) {
    tick += e.deltaTime;
    const seconds = (tick * usPerBeat) / 1e6 / midi.header.ticksPerBeat!;
    if (e.type === 'setTempo') usPerBeat = e.microsecondsPerBeat;
    if (e.type === 'noteOn' && e.velocity > 0) open.set(e.noteNumber, seconds);
    if (e.type === 'noteOff' || (e.type === 'noteOn' && e.velocity === 0)) {
      starts.push({ pitch: e.noteNumber, start: open.get(e.noteNumber)!, end: seconds });
    }
  }
  starts.sort((a, b) => a.start - b.start);
  const f1 = f1Of(m.notes, starts);
  t.ok(f1 >= 0.9, `MIDI note F1 ${f1.toFixed(3)}`);
  const jsonl = await runCli(TONE, wavFile(m.audio, 22050, 1));
  t.equal(jsonl.stdout.toString().trim().split('\n').filter(Boolean).length, starts.length,
    'MIDI and JSON lines agree on the notes');
});

t.test('usage errors exit 2 with the melodyfilter: prefix', async (t) => {
  const r = await runCli(['--channels', '6x'], null);
  t.equal(r.code, 2);
  t.match(r.stderr, /^melodyfilter: --channels must be a number, got "6x"\n/);
});

t.test('--help and --version', async (t) => {
  const h = await runCli(['--help'], null);
  t.equal(h.code, 0);
  t.match(h.stdout.toString(), /Usage:/);
  t.match(h.stdout.toString(), /sox -d -t raw/);
  const v = await runCli(['--version'], null);
  t.match(v.stdout.toString(), /^melodyfilter \d+\.\d+\.\d+\n$/);
});

t.test('review cases: contradictions, other containers, truncated WAV data, batches', async (t) => {
  const endian = await runCli(['-e', 's16le', '--endian', 'big'], null);
  t.equal(endian.code, 2);
  t.match(endian.stderr, /^melodyfilter: --encoding s16le contradicts --endian big\n/);

  const csv = await runCli(['-o', 'csv', 'a.wav', 'b.wav'], null);
  t.equal(csv.code, 2);
  t.match(csv.stderr, /--output csv with 2 input files needs --out-dir/);

  const flac = await runCli(TONE, Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(100)]));
  t.equal(flac.code, 1);
  t.match(flac.stderr, new RegExp('^melodyfilter: input is FLAC audio, not PCM or WAV; convert it first: ' +
    'ffmpeg -i FILE -f wav - \\| melodyfilter \\(or sox FILE -t wav - \\| melodyfilter\\)\n'));

  const m = melody(3, 16000);
  const wav = wavFile(m.audio, 16000, 1);
  const cut = await runCli(TONE, wav.subarray(0, Math.floor(wav.length / 2) & ~1));
  t.equal(cut.code, 0);
  t.match(cut.stderr, /warning: input: WAV data ended after \d+ of \d+ bytes \(truncated file\?\)/);
});

t.test('a batch skips an unreadable input, finishes the others, and exits 1', async (t) => {
  const { mkdtempSync, writeFileSync, readdirSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-batch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'good.wav'), wavFile(melody(4, 16000).audio, 16000, 1));
  const r = await runCli([...TONE, '-o', 'midi', '-d', path.join(dir, 'out'), path.join(dir, 'missing.wav'),
    path.join(dir, 'good.wav')], null);
  t.equal(r.code, 1);
  t.match(r.stderr, /cannot read .*missing\.wav: no such file/);
  t.same(readdirSync(path.join(dir, 'out')), ['good.mid'],
    'the good input was transcribed; nothing half-written for the missing one');
  const clash = await runCli([...TONE, '-d', path.join(dir, 'out'), path.join(dir, 'good.wav'),
    path.join(dir, 'out', '..', 'good.wav')], null);
  t.equal(clash.code, 2);
  t.match(clash.stderr, /would both be written to/);
});

t.test("sox-style rates: -r 16k and -r 44.1k are 16000 and 44100 Hz", async (t) => {
  const { parseArgv } = await import('../lib/cli/args.js');
  t.equal(parseArgv(['-r', '16k']).cfg.sampleRate, 16000);
  t.equal(parseArgv(['--rate', '44.1k']).cfg.sampleRate, 44100);
  t.equal(parseArgv(['-r', '22050']).cfg.sampleRate, 22050);
  t.throws(() => parseArgv(['-r', 'k']), /--rate must be a number/);
  t.throws(() => parseArgv(['-r', '16kk']), /--rate must be a number/);
});
