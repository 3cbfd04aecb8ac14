// Sheet music out (ABC, MusicXML, LilyPond) and in (ABC and MusicXML references for match), checked
// with the programs people open them in where they are installed: abc2midi and abcm2ps (abcmidi,
// abcm2ps), lilypond, MuseScore 3. Each reads back what we wrote; pitches and durations must be the
// score's.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseMidi } from 'midi-file';
import { parseTunes, tuneBook, tuneScore } from '../lib/match/notation.js';
import { parseAbc } from '../lib/match/abc.js';
import { parseMusicXml } from '../lib/match/musicxml.js';
import { loadReference, loadReferences } from '../lib/match/reference.js';
import { parseKey } from '../lib/score/key.js';
import { readScore, type Score } from '../lib/score/score.js';
import { renderAbc } from '../lib/writers/abc.js';
import { renderLilypond } from '../lib/writers/lilypond.js';
import { renderMusicXml } from '../lib/writers/musicxml.js';
import { ROOT, jsonLines, runCli, tones, toneModelWorkspace, wavFile } from './helpers.js';

const TUNES = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'));
const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-notation-'));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A score with what the tunes lack: triplets, a tie over the bar line, accidentals, a low part. */
function trickyScore(): Score {
  const q = 0.5; // seconds a quarter at 120
  const notes: { pitch: number; start: number; end: number }[] = [];
  const add = (pitch: number, beat: number, beats: number) =>
    notes.push({ pitch, start: beat * q, end: (beat + beats * 0.95) * q });
  add(60, 0, 1); add(61, 1, 1 / 3); add(62, 4 / 3, 1 / 3); add(63, 5 / 3, 1 / 3); add(66, 2, 1); add(68, 3, 2); // tie
  add(61, 5, 1); add(60, 6, 0.5); add(61, 6.5, 0.5); add(70, 7, 0.75); add(71, 7.75, 0.25); add(48, 8, 4);
  return readScore(notes, { title: 'tricky "one" & <two>', meter: { beats: 4, beatType: 4 }, key: parseKey('D')! });
}

const SCORES: Score[] = [
  ...['ode-to-joy', 'amazing-grace', 'row-row-row', 'away-in-a-manger', 'greensleeves', 'the-entertainer']
    .map((name, i) => tuneScore(TUNES.find((x) => x.name === name)!, i - 2)),
  trickyScore(),
];

/** The notes a score means: pitch, onset and length in quarter notes, ties joined. */
function meant(score: Score) {
  return score.events.filter((e) => e.pitch !== null)
    .map((e) => ({ pitch: e.pitch!, start: e.start / 12, length: e.duration / 12 }));
}

/** The notes of a MIDI file, in quarter notes from its first note. */
function midiNotes(file: string) {
  const midi = parseMidi(readFileSync(file));
  const tpq = midi.header.ticksPerBeat!;
  const out: { pitch: number; start: number; length: number }[] = [];
  for (const track of midi.tracks) {
    let tick = 0;
    const open = new Map<number, number>();
    for (const e of track) {
      tick += e.deltaTime;
      if (e.type !== 'noteOn' && e.type !== 'noteOff') continue;
      const s = open.get(e.noteNumber);
      if (s !== undefined) {
        out.push({ pitch: e.noteNumber, start: s / tpq, length: (tick - s) / tpq }); open.delete(e.noteNumber);
      }
      if (e.type === 'noteOn' && e.velocity > 0) open.set(e.noteNumber, tick);
    }
  }
  out.sort((a, b) => a.start - b.start);
  const first = out[0]?.start ?? 0;
  return out.map((n) => ({ ...n, start: n.start - first }));
}

function sameNotes(t: Test, got: ReturnType<typeof midiNotes>, want: ReturnType<typeof meant>, what: string) {
  t.same(got.map((n) => n.pitch), want.map((n) => n.pitch), `${what}: pitches`);
  const off = (a: number, b: number) => Math.abs(a - b) > 0.01;
  t.equal(got.filter((n, i) => want[i] && off(n.start, want[i].start - want[0].start)).length, 0, `${what}: onsets`);
  t.equal(got.filter((n, i) => want[i] && off(n.length, want[i].length)).length, 0, `${what}: lengths`);
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args,
    { encoding: 'utf8', env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' }, timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

t.test('ABC: the header, and accidentals only where the key and the bar do not already say them', async (t) => {
  const abc = renderAbc(trickyScore());
  t.match(abc, /^X:1\nT:tricky "one" & <two>\nM:4\/4\nL:1\/8\nQ:1\/4=120\n%%continueall 1\nK:D\n/);
  const body = abc.split('\n').slice(7).join('\n');
  t.notMatch(body, /\^F/, 'F♯ is in D major\'s signature');
  t.match(body, /=C/, 'C natural against the signature');
  t.match(body, /\(3/, 'a triplet');
  t.match(body, /\|\]\n$/, 'a final bar line');
});

t.test('our own readers get back what we wrote (no external programs)', async (t) => {
  for (const score of SCORES) {
    const want = meant(score);
    const abc = parseAbc(renderAbc(score))[0].notes;
    // Q: is a whole number of beats a minute (3/8=67 for 100 quarters): time by the ABC's own tempo.
    const compound = score.meter.beatType === 8;
    const q = compound ? 60 / (Math.round(score.tempo / 1.5) * 1.5) : 60 / Math.round(score.tempo);
    sameNotes(t,
      abc.map((n) => ({ pitch: n.pitch, start: (n.start - abc[0].start) / q, length: (n.end - n.start) / q })),
      want, `${score.title} ABC`);
    const q0 = 60 / score.tempo;
    const xml = parseMusicXml(renderMusicXml(score));
    t.equal(xml.problem, null);
    const part = xml.parts[0].notes;
    sameNotes(t,
      part.map((n) => ({ pitch: n.pitch, start: (n.start - part[0].start) / q0, length: (n.end - n.start) / q0 })),
      want, `${score.title} MusicXML`);
  }
});

t.test('abc2midi plays the ABC back as written; abcm2ps engraves it without a complaint',
  { skip: !has('abc2midi') || !has('abcm2ps') }, async (t) => {
  for (const [i, score] of SCORES.entries()) {
    const file = path.join(dir, `s${i}.abc`);
    writeFileSync(file, renderAbc(score));
    const midi = run('abc2midi', [file, '-o', `${file}.mid`]);
    t.notMatch(midi.output, /error|warning/i, `${score.title}: abc2midi`);
    sameNotes(t, midiNotes(`${file}.mid`), meant(score), `${score.title}: abc2midi`);
    const ps = run('abcm2ps', ['-g', file, '-O', `${file}.svg`]);
    t.equal(ps.status, 0);
    t.notMatch(ps.output, /error|warning/i, `${score.title}: abcm2ps`);
  }
});

t.test('lilypond compiles the .ly without a warning and its MIDI is the score',
  { skip: !has('lilypond') }, async (t) => {
  for (const [i, score] of SCORES.entries()) {
    const file = path.join(dir, `s${i}.ly`);
    writeFileSync(file, renderLilypond(score));
    const ly = run('lilypond', ['-s', '-o', path.join(dir, `s${i}`), file]);
    t.equal(ly.status, 0, `${score.title}: lilypond`);
    t.notMatch(ly.output, /error|warning/i, `${score.title}: lilypond`);
    sameNotes(t, midiNotes(path.join(dir, `s${i}.midi`)), meant(score), `${score.title}: lilypond`);
  }
});

t.test('MuseScore 3 opens the MusicXML, engraves it and plays it back as written',
  { skip: !has('musescore3') }, async (t) => {
  for (const [i, score] of SCORES.entries()) {
    const file = path.join(dir, `s${i}.musicxml`);
    writeFileSync(file, renderMusicXml(score));
    const ms = run('musescore3', ['-o', `${file}.mid`, file]);
    t.equal(ms.status, 0, `${score.title}: musescore3`);
    t.notMatch(ms.output, /error/i, `${score.title}: MuseScore reads it without an error`);
    sameNotes(t, midiNotes(`${file}.mid`), meant(score), `${score.title}: musescore3`);
    if (i === 0) t.equal(run('musescore3', ['-o', `${file}.pdf`, file]).status, 0, 'a PDF too');
  }
});

t.test('the CLI writes each notation, with the file name as title and the user\'s metre and key', async (t) => {
  const { model } = await toneModelWorkspace(t, 'melodyfilter-notation-cli-');
  // C D E F G at 120 bpm, a quarter each, as sine tones the hand-set model hears.
  const hz = [261.63, 293.66, 329.63, 349.23, 392.0];
  const wav = path.join(dir, 'scale.wav');
  writeFileSync(wav, wavFile(tones(hz.map((f, i) => [f, 0.5 + i * 0.5, 0.95 + i * 0.5] as const), 3.5, 16000), 16000));
  const abc = await runCli([wav, '-m', model, '-o', 'abc'], null);
  t.equal(abc.code, 0, abc.stderr);
  t.match(abc.stdout.toString(), /^X:1\nT:scale\n/);
  const body = abc.stdout.toString().split(/\nK:[^\n]*\n/)[1].replace(/[|\]\s]/g, '');
  t.match(body, /^C2D2E2F2G2/, 'the notes as quarters');
  const forced = await runCli([wav, '-m', model, '-o', 'abc', '--meter', '3/4', '--key', 'Am'], null);
  t.match(forced.stdout.toString(), /\nM:3\/4\n[\s\S]*\nK:Am\n/);
  const ly = await runCli([wav, '-m', model, '-o', 'ly'], null);
  t.match(ly.stdout.toString(), /\\header \{ title = "scale"/);
  const xml = await runCli([wav, '-m', model, '-o', 'musicxml'], null);
  t.match(xml.stdout.toString(), /<work-title>scale<\/work-title>/);
  for (const [args, message] of [
    [['--meter', '5'], /--meter must be BEATS\/UNIT/],
    [['--meter', '7/16'], /--meter must be/],
    [['--key', 'H'], /--key must be a tonic and mode/],
  ] as const) {
    const r = await runCli([wav, '-m', model, '-o', 'abc', ...args], null);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, message);
  }
  const wrongOutput = await runCli([wav, '-m', model, '--meter', '3/4'], null);
  t.equal(wrongOutput.code, 2);
  t.match(wrongOutput.stderr, /--meter is for -o musicxml, abc or ly, not --output jsonl/);
});

t.test('match: ABC tune books and MusicXML scores as references', async (t) => {
  const book = path.join(dir, 'book.abc');
  const two = ['ode-to-joy', 'greensleeves'].map((n) => TUNES.find((x) => x.name === n)!);
  writeFileSync(book, tuneBook(two));
  const refs = loadReferences([book]);
  t.same(refs.map((r) => r.name), [`${book}#1 ode-to-joy`, `${book}#2 greensleeves`]);
  t.same(Array.from(refs[1].pitches), two[1].written.map((w) => w.pitch), 'the written pitches');
  t.throws(() => loadReference(book), /a tune book of 2 tunes; choose one with --tune X/);
  const chosen = loadReference(book, { tune: '2' });
  t.same(Array.from(chosen.pitches), two[1].written.map((w) => w.pitch));
  t.equal(chosen.name, `${book}#2 greensleeves`, 'named as in the book, also when --tune keeps it alone');
  const xml = path.join(dir, 'greensleeves.musicxml');
  writeFileSync(xml, renderMusicXml(tuneScore(two[1])));
  t.same(Array.from(loadReference(xml).pitches), two[1].written.map((w) => w.pitch));
  t.throws(() => loadReference(xml, { part: '2' }), /no part 2 \(the score has 1: P1 \(Melody\)\)/);
  // Played notes on stdin, identified among the references.
  const spq = 60 / two[1].bpm;
  const played = two[1].written.slice(0, 12)
    .map((w) => JSON.stringify({ pitch: w.pitch + 2, start: 1 + w.beat * spq * 1.1,
    end: 1 + (w.beat + w.beats * 0.8) * spq * 1.1 })).join('\n');
  const r = await runCli(['match', '--final', book, xml], Buffer.from(played));
  t.equal(r.code, 0, r.stderr);
  const results = jsonLines<{ ref: string }>(r.stdout);
  t.ok([`${book}#2 greensleeves`, xml].includes(results[0].ref), `best: ${results[0].ref}`);
});

t.test('references that are not what they claim: one clear line, exit 2', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['notabc.abc', 'just some text\n', /notabc\.abc: not an ABC tune \(no X: and K: lines\)/],
    ['broken.musicxml', '<score-partwise><part id="P1"><measure>', /broken\.musicxml: not well-formed XML/],
    ['other.xml', '<?xml version="1.0"?><html><body/></html>', /other\.xml: not a MusicXML score/],
    ['time.musicxml', '<score-timewise version="4.0"></score-timewise>', /time\.musicxml: a timewise MusicXML score/],
    ['packed.mxl', 'PK\u0003\u0004', /packed\.mxl: compressed MusicXML \(\.mxl\) is not read/],
    ['silent.abc', 'X:1\nT:nothing\nK:C\nz4|]\n', /silent\.abc: no melody \(0 notes\)/],
  ];
  for (const [name, text, message] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    t.throws(() => loadReference(file), message, name);
    const r = await runCli(['match', file], Buffer.from(''));
    t.equal(r.code, 2, name);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});
