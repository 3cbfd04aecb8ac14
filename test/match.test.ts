// melodyfilter match: identification, invariances, practice verdicts, references, input lines, CLI.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeMidi, type MidiData } from 'midi-file';
import {
  buildMidi, createFollower, createMatcher, loadReference, loadReferences, melodyOf, midiName,
  type FollowEvent, type Melody, type NoteVerdict, type PlayedNote,
} from '../lib/index.js';
import { parseTunes } from '../lib/match/notation.js';
import { MAX_REFERENCE_BYTES } from '../lib/match/reference.js';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT, jsonLines, runCli, spawnCli } from './helpers.js';
import { DEFAULT_FOLLOW_MIN_SCORE } from '../lib/match/command.js';

const TUNES = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'));
const REFS: Melody[] = TUNES.map((tune) => melodyOf(tune.name, tune.notes));
const ref = (name: string) => REFS.find((r) => r.name === name)!;

/** A reference played: transposed, at `speed` (2 = twice as fast) drifting by `drift` over it. */
function play(m: Melody,
  opts: { transpose?: number; speed?: number; drift?: number; count?: number } = {}): PlayedNote[] {
  const { transpose = 0, speed = 1, drift = 0, count = m.pitches.length } = opts;
  const out: PlayedNote[] = [];
  let t = 1;
  for (let i = 0; i < Math.min(count, m.pitches.length); i++) {
    if (i) t += (m.onsets[i] - m.onsets[i - 1]) / (speed * (1 + (drift * i) / m.pitches.length));
    out.push({ pitch: m.pitches[i] + transpose, start: t });
  }
  for (let i = 0; i < out.length; i++) out[i].end = i + 1 < out.length ? out[i + 1].start - 0.05 : out[i].start + 0.4;
  return out;
}

function follow(m: Melody, notes: PlayedNote[]) {
  const f = createFollower(m);
  const events: FollowEvent[] = [];
  for (const n of notes) events.push(...f.push(n));
  events.push(...f.end());
  return { events, summary: f.summary(), notes: events.filter((e): e is NoteVerdict => e.event === 'note') };
}
const reports = (evs: NoteVerdict[]) => evs.filter((e) => e.verdict !== 'ok');

t.test('identification: every tune from its first 8 notes, among the tunes and random distractors', async (t) => {
  const distractors: Melody[] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let d = 0; d < 300; d++) {
    let p = 60 + Math.floor(rnd() * 12), time = 0;
    const notes = [];
    for (let i = 0; i < 40; i++) {
      p += Math.round((rnd() - 0.5) * 6);
      notes.push({ pitch: p, start: time });
      time += 0.25 * (1 + Math.floor(rnd() * 3));
    }
    distractors.push(melodyOf(`distractor-${d}`, notes));
  }
  const matcher = createMatcher([...REFS, ...distractors]);
  const wrongs: string[] = [];
  for (const m of REFS) {
    matcher.reset();
    let ranking = matcher.push(play(m)[0]);
    t.same(ranking, [], 'no ranking from one note');
    for (const n of play(m, { count: 8 }).slice(1)) ranking = matcher.push(n);
    if (ranking[0].ref !== m.name) wrongs.push(`${m.name} → ${ranking[0].ref}`);
  }
  t.same(wrongs, [], `top-1 after 8 notes for all ${REFS.length} tunes`);
});

t.test('transposition and tempo invariance: the same answer in any key, at half or double speed, drifting',
  async (t) => {
  const matcher = createMatcher(REFS);
  const m = ref('greensleeves');
  for (const transpose of [-7, 0, 5, 12]) {
    for (const [speed, drift] of [[0.5, 0], [1, 0.3], [2, -0.3]]) {
      matcher.reset();
      let ranking = matcher.results();
      for (const n of play(m, { transpose, speed, drift, count: 12 })) ranking = matcher.push(n);
      t.equal(ranking[0].ref, 'greensleeves', `top-1 at ${transpose} semitones, ${speed}× drifting ${drift}`);
      t.equal(ranking[0].transpose, transpose, 'transposition found');
      t.ok(ranking[0].score > 0.95, `score ${ranking[0].score.toFixed(3)}`);
      t.equal(ranking[0].position, 12, 'position: the 12th note');
      if (drift === 0) t.ok(Math.abs(ranking[0].tempo - speed) < 0.01 * speed,
        `tempo ${ranking[0].tempo} for ${speed}×`);
    }
  }
});

t.test('identification survives a wrong, a missing and an extra note', async (t) => {
  const matcher = createMatcher(REFS);
  for (const m of REFS) {
    const notes = play(m, { transpose: 3, speed: 1.2, count: 17 });
    notes[4] = { ...notes[4], pitch: notes[4].pitch + 1 };
    notes.splice(9, 1);
    notes.splice(12, 0, { pitch: notes[12].pitch + 4, start: (notes[11].start + notes[12].start) / 2 });
    matcher.reset();
    let ranking = matcher.results();
    for (const n of notes) ranking = matcher.push(n);
    t.equal(ranking[0]?.ref, m.name, `${m.name} with three mistakes in 16 notes`);
  }
});

t.test('practice: an exact performance gets no report, in any key and tempo, for every tune', async (t) => {
  let falseReports = 0, notes = 0;
  for (const m of REFS) {
    for (const [transpose, speed, drift] of [[0, 1, 0], [-5, 0.7, 0.2], [6, 1.4, -0.15]]) {
      const r = follow(m, play(m, { transpose, speed, drift }));
      falseReports += reports(r.notes).length + r.events.filter((e) => e.event === 'jump').length;
      notes += r.notes.length;
      if (reports(r.notes).length) t.fail(`${m.name} ${transpose} ${speed}: ${JSON.stringify(reports(r.notes))}`);
      t.equal(r.summary.transpose, transpose);
    }
  }
  t.equal(falseReports, 0, `no report on ${notes} right notes`);
});

t.test('practice: each kind of mistake is reported where it happened', async (t) => {
  const m = ref('ode-to-joy');
  const base = play(m, { transpose: 2, speed: 0.9 });
  const k = (n: PlayedNote) => n; // keep types
  // wrong: note 6 a semitone high
  let notes = base.map(k);
  notes[5] = { ...notes[5], pitch: notes[5].pitch + 1 };
  let r = follow(m, notes);
  t.match(reports(r.notes), [{ verdict: 'wrong', position: 6, pitch: m.pitches[5] + 3, expected: m.pitches[5] + 2 }],
    'wrong, with the expected pitch');
  // missed: note 11 left out
  notes = base.filter((_, i) => i !== 10);
  r = follow(m, notes);
  t.match(reports(r.notes), [{ verdict: 'missed', position: 11, expected: m.pitches[10] + 2 }], 'missed');
  t.equal(r.summary.counts.missed, 1);
  // extra: a stray note between 15 and 16
  notes = base.map(k);
  notes.splice(15, 0, { pitch: base[15].pitch + 5, start: (base[14].start + base[15].start) / 2,
    end: base[15].start - 0.05 });
  r = follow(m, notes);
  t.match(reports(r.notes), [{ verdict: 'extra', position: 15 }], 'extra');
  // late and early: 0.35 s off, on a tune at ~0.55 s a beat
  notes = base.map(k);
  notes[20] = { ...notes[20], start: notes[20].start + 0.35 };
  notes[25] = { ...notes[25], start: notes[25].start - 0.3 };
  r = follow(m, notes);
  t.match(reports(r.notes), [{ verdict: 'late', position: 21 }, { verdict: 'early', position: 26 }],
    'late, then early');
  t.ok(r.notes[20].timingMs! > 250, `late by ${r.notes[20].timingMs} ms`);
  // all at once, with the summary
  notes = base.map(k);
  notes[5] = { ...notes[5], pitch: notes[5].pitch - 2 };
  notes.splice(10, 1);
  notes.splice(17, 0, { pitch: 40, start: (notes[16].start + notes[17].start) / 2 });
  r = follow(m, notes);
  t.same(r.summary.counts, { ok: 28, wrong: 1, extra: 1, missed: 1, early: 0, late: 0, prelude: 0 });
  t.equal(r.summary.right, 0.903, '28 of the 31 notes judged (30 played, 1 missed) right');
  t.same(r.summary.trouble, [{ from: 1, to: 8, mistakes: 1 }, { from: 9, to: 16, mistakes: 1 },
    { from: 17, to: 24, mistakes: 1 }]);
  // Two mistakes in one passage put it first.
  notes = base.map(k);
  notes[20] = { ...notes[20], pitch: notes[20].pitch + 1 };
  notes[22] = { ...notes[22], pitch: notes[22].pitch - 1 };
  notes[3] = { ...notes[3], pitch: notes[3].pitch + 2 };
  t.same(follow(m, notes).summary.trouble[0], { from: 17, to: 24, mistakes: 2 }, 'the worst passage first');
});

t.test('practice: what the transcriber does to repeats and starts is not held against the player', async (t) => {
  const m = ref('ode-to-joy'); // E E F G G F E D C C D E E D D …
  const base = play(m, { speed: 1.1 });
  // Notes 4 and 5 (G G) heard as one held note: no report. Left out with a gap: missed.
  const merged = base.filter((_, i) => i !== 4);
  merged[3] = { ...merged[3], end: merged[4].start };
  t.same(reports(follow(m, merged).notes), [], 'a repeat held through');
  const gap = base.filter((_, i) => i !== 4);
  gap[3] = { ...gap[3], end: gap[3].start + 0.3 };
  t.match(reports(follow(m, gap).notes), [{ verdict: 'missed', position: 5 }], 'a repeat left out');
  // One note split in two with no release between: the reference's one note.
  const split = base.map((n) => ({ ...n }));
  split.splice(7, 0, { pitch: split[6].pitch, start: split[6].start + 0.2, end: split[6].end });
  split[6].end = split[6].start + 0.2;
  const r = follow(m, split);
  t.same(reports(r.notes), [], 'a split note');
  t.match(r.notes.filter((e) => e.held), [{ verdict: 'ok', position: 7, held: true }]);
  // A click before the first note: a prelude, not a mistake.
  const click = [{ pitch: 30, start: 0.02, end: 0.1 }, ...base];
  const c = follow(m, click);
  t.match(c.events[0], { event: 'prelude', pitch: 30 });
  t.same(reports(c.notes), []);
  t.equal(c.summary.counts.prelude, 1);
});

t.test('practice: a restarted phrase is followed, not counted wrong', async (t) => {
  const m = ref('amazing-grace');
  const first = play(m, { count: 14 });
  const again = play(m)
    .map((n) => ({ ...n, start: n.start + first[13].start + 1.5, end: n.end! + first[13].start + 1.5 }));
  const r = follow(m, [...first, ...again]);
  t.same(reports(r.notes), [], 'no mistakes');
  t.match(r.events.filter((e) => e.event === 'jump'), [{ event: 'jump', from: 14, to: 1 }]);
  // Not a mistake, but the note it lands on is not in order: one of the notes judged.
  const judged = r.notes.length;
  t.match(r.summary, { jumps: 1, right: Math.round((1000 * (judged - 1)) / judged) / 1000 });
});

// Issue 22, item 10: the follower finds snatches of any tune in the reference, and a summary that
// counted those (extras free, jumps free) passed Twinkle as Ode to Joy (0.92, exit 0).
t.test('practice: the share right counts extra notes and jumps, and another tune falls short', async (t) => {
  const m = ref('ode-to-joy');
  const notes = play(m);
  for (const i of [20, 12, 6]) notes.splice(i, 0, { pitch: notes[i].pitch + 5, start: notes[i].start - 0.25 });
  const r = follow(m, notes);
  t.match(r.summary, { counts: { ok: 30, extra: 3 }, right: 0.909 }, 'three extras: 30 of 33 notes right');
  const twinkle = follow(m, play(ref('twinkle-twinkle')));
  t.ok(twinkle.summary.right < 0.6, `Twinkle as Ode to Joy: right ${twinkle.summary.right}`);
  t.ok(twinkle.summary.jumps > 0, 'the follower hopped about');
  // Every other tune against Ode to Joy: the New World Largo shares its opening (E G G E D C D E),
  // little else comes near.
  const passing = REFS.filter((x) => x !== m).map((x) => [x.name, follow(m, play(x)).summary.right] as const)
    .filter(([, right]) => right >= DEFAULT_FOLLOW_MIN_SCORE);
  t.ok(passing.length <= 2, `other tunes passing as Ode to Joy: ${JSON.stringify(passing)}`);
});

t.test('references: MIDI melody (highest voice, track, channel), JSON lines, folders', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-'));
  // Two tracks: melody on channel 1 over a lower accompaniment on channel 2, plus drums.
  const m = ref('twinkle-twinkle');
  const ev = (pitch: number, ch: number, on: number, off: number) => [
    { deltaTime: on, type: 'noteOn' as const, channel: ch, noteNumber: pitch, velocity: 80 },
    { deltaTime: off, type: 'noteOff' as const, channel: ch, noteNumber: pitch, velocity: 0 },
  ];
  const melody = Array.from(m.pitches).flatMap((p) => ev(p, 0, 0, 480));
  const bass = Array.from(m.pitches).flatMap((_, i) => ev(i % 2 ? 43 : 36, 1, 0, 480));
  const drums = Array.from(m.pitches).flatMap(() => ev(38, 9, 0, 480));
  const end = { deltaTime: 0, type: 'endOfTrack' as const, meta: true as const };
  const data = { header: { format: 1, numTracks: 3, ticksPerBeat: 480 },
    tracks: [[...bass, end], [...melody, end], [...drums, end]] } as MidiData;
  writeFileSync(path.join(dir, 'two.mid'), Buffer.from(writeMidi(data)));
  t.same(Array.from(loadReference(path.join(dir, 'two.mid')).pitches), Array.from(m.pitches),
    'highest voice: the melody');
  t.same(Array.from(loadReference(path.join(dir, 'two.mid'), { track: 0 }).pitches).slice(0, 3),
    [36, 43, 36], 'track 0');
  t.same(Array.from(loadReference(path.join(dir, 'two.mid'), { channel: 2 }).pitches).slice(0, 3),
    [36, 43, 36], 'channel 2');
  const onsets = loadReference(path.join(dir, 'two.mid')).onsets;
  t.ok(Math.abs(onsets[1] - 0.5) < 1e-9, 'ticks to seconds at the default 120 bpm');
  // melodyfilter's own JSON lines, and a folder of both.
  const lines = Array.from(m.pitches).map((p, i) => JSON.stringify({ pitch: p, name: midiName(p), start: i * 0.5,
    end: i * 0.5 + 0.4, velocity: 60, confidence: 0.9 }));
  writeFileSync(path.join(dir, 'played.jsonl'), lines.join('\n') + '\n');
  t.same(Array.from(loadReference(path.join(dir, 'played.jsonl')).pitches), Array.from(m.pitches), 'JSON lines');
  writeFileSync(path.join(dir, 'notes.txt'), 'not a reference: skipped by the folder search');
  t.same(loadReferences([dir]).map((r) => path.basename(r.name)), ['played.jsonl', 'two.mid'],
    'folder: references only');
});

t.test('bad references: one-line errors naming the file, exit 2', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-bad-'));
  const notMidi = path.join(dir, 'song.mid'), empty = path.join(dir, 'empty.mid'), drums = path.join(dir, 'drums.mid');
  writeFileSync(notMidi, 'RIFF....WAVEfmt this is not MIDI');
  writeFileSync(empty, '');
  const drum = { header: { format: 0, numTracks: 1, ticksPerBeat: 480 }, tracks: [[
    { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 38, velocity: 90 },
    { deltaTime: 240, type: 'noteOff', channel: 9, noteNumber: 38, velocity: 0 },
    { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 42, velocity: 90 },
    { deltaTime: 240, type: 'noteOff', channel: 9, noteNumber: 42, velocity: 0 },
    { deltaTime: 0, type: 'endOfTrack', meta: true }]] } as MidiData;
  writeFileSync(drums, Buffer.from(writeMidi(drum)));
  const truncated = path.join(dir, 'cut.mid');
  const c4 = { pitch: 60, name: 'C4', start: 0, end: 1, velocity: 80, confidence: 1 };
  writeFileSync(truncated, Buffer.from(buildMidi([c4], { tempo: 120, program: 0, midiChannel: 1 })).subarray(0, 30));
  const cases: [string, RegExp][] = [
    [notMidi, /song\.mid: not a Standard MIDI File/],
    [empty, /empty\.mid: empty file/],
    [drums, /drums\.mid: no melody track/],
    [truncated, /cut\.mid: corrupt MIDI file/],
    [path.join(dir, 'nope.mid'), /nope\.mid: cannot read \(no such file/],
  ];
  for (const [file, message] of cases) {
    t.throws(() => loadReference(file), message, `library: ${path.basename(file)}`);
    for (const args of [['match', file], ['match', '--follow', file]]) {
      const r = await runCli(args, Buffer.from(''));
      t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
      t.match(r.stderr, message);
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
      t.equal(r.stdout.length, 0);
    }
  }
  const r = await runCli(['match', dir], Buffer.from(''));
  t.equal(r.code, 2, 'a folder holding a bad reference');
  t.match(r.stderr, /^melodyfilter: .*(cut|drums|empty|song)\.mid: /);
});

t.test('references that are not regular files, or too large, are refused unread (issue 22, item 9)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-special-'));
  const fifo = path.join(dir, 'x.mid');
  spawnSync('mkfifo', [fifo]);
  const folder = path.join(dir, 'tunes');
  mkdirSync(folder);
  symlinkSync('/dev/zero', path.join(folder, 'zero.mid'));
  // Sparse: one byte over the cap, nothing written.
  const huge = path.join(dir, 'book.jsonl');
  writeFileSync(huge, '');
  truncateSync(huge, MAX_REFERENCE_BYTES + 1);
  const mib = (MAX_REFERENCE_BYTES / 1048576).toFixed(1).replace('.', '\\.'); // one byte over rounds to the cap
  const cases: [string[], RegExp][] = [
    [['match', fifo], /x\.mid: not a regular file \(a FIFO\)/],
    [['match', '--follow', fifo], /x\.mid: not a regular file \(a FIFO\)/],
    [['match', '/dev/zero'], /\/dev\/zero: not a regular file \(a device\)/],
    [['match', folder], /zero\.mid: not a regular file \(a device\)/],
    [['match', huge], new RegExp(`book\\.jsonl: too large for a reference \\(${mib} MiB; the limit is ${mib} MiB\\)`)],
  ];
  for (const [args, message] of cases) {
    // The old code hung on the FIFO and read /dev/zero until memory ran out: killed, it fails here.
    const r = await runCli(args, Buffer.from(''), { timeoutMs: 5000 });
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  t.throws(() => loadReference(huge), /too large/, 'library: the same check');
});

t.test('a MIDI file cut short, or with a length past its end, is corrupt (issue 22, item 11)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-cut-'));
  const tune = TUNES.find((x) => x.name === 'ode-to-joy')!;
  const whole = Buffer.from(buildMidi(tune.notes.map((n) => ({ ...n, name: '', velocity: 80, confidence: 1 })),
    { tempo: tune.bpm, program: 0, midiChannel: 1 }));
  const cut = path.join(dir, 'cut.mid');
  // The header, the tempo, name and program events, and two notes (one note on/off pair is 8 bytes).
  const firstNote = whole.indexOf(Buffer.from([0x90]), 22);
  writeFileSync(cut, whole.subarray(0, firstNote + 2 * 8));
  const end = { deltaTime: 0, type: 'endOfTrack' as const, meta: true as const };
  const notes = Array.from(ref('ode-to-joy').pitches).flatMap((p) => [
    { deltaTime: 0, type: 'noteOn' as const, channel: 0, noteNumber: p, velocity: 80 },
    { deltaTime: 480, type: 'noteOff' as const, channel: 0, noteNumber: p, velocity: 0 }]);
  const withEvent = (first: object) => Buffer.from(writeMidi({ header: { format: 0, numTracks: 1, ticksPerBeat: 480 },
    tracks: [[first, ...notes, end]] } as MidiData));
  // A track name (00 FF 03 len), then a sysex (00 F0 len), each length made a two-byte one that
  // reaches past the track's end (0x87 then the next byte: 7 × 128 + that byte).
  const meta = withEvent({ deltaTime: 0, type: 'trackName', meta: true, text: 'ode' });
  meta[22 + 3] = 0x87;
  const sysex = withEvent({ deltaTime: 0, type: 'sysEx', data: [0x7e, 0x7f, 0x09, 0x01, 0xf7] });
  sysex[22 + 2] = 0x87;
  const twoTracks = Buffer.from(whole);
  twoTracks.writeUInt16BE(2, 10); // the header promises a second track that is not there
  const files: [string, Buffer, RegExp][] = [
    ['meta.mid', meta, /track 0: meta event at byte 0 declares 1007 bytes past the track's end/],
    ['sysex.mid', sysex, /track 0: sysex at byte 0 declares 1022 bytes past the track's end/],
    ['two.mid', twoTracks, /the header declares 2 tracks, the file has 1/],
  ];
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes);
  for (const [file, message] of [[cut, /cut\.mid: corrupt MIDI file \(chunk MTrk at byte 14 declares \d+ bytes/],
    ...files.map(([name, , why]) => [path.join(dir, name), why] as const)] as const) {
    t.throws(() => loadReference(file), message, path.basename(file));
    const r = await runCli(['match', '--follow', file],
      Buffer.from(play(ref('ode-to-joy')).map((n) => JSON.stringify(n)).join('\n')));
    t.equal(r.code, 2, `${path.basename(file)}: --follow exits 2`);
    t.match(r.stderr, /corrupt MIDI file/);
  }
  writeFileSync(path.join(dir, 'whole.mid'), whole);
  t.equal(loadReference(path.join(dir, 'whole.mid')).pitches.length,
    ref('ode-to-joy').pitches.length, 'the whole file loads');
});

t.test('CLI: identification lines, exit 0/1, bad input lines skipped with a warning and nothing lost', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-cli-'));
  for (const tune of TUNES) {
    writeFileSync(path.join(dir, `${tune.name}.mid`),
      buildMidi(tune.notes.map((n) => ({ ...n, name: '', velocity: 80, confidence: 1 })),
        { tempo: tune.bpm, program: 0, midiChannel: 1 }));
  }
  const notes = play(ref('silent-night'), { transpose: -4, speed: 1.3, count: 12 });
  const clean = notes.map((n) => JSON.stringify({ pitch: n.pitch, name: midiName(n.pitch), start: n.start, end: n.end,
    velocity: 70, confidence: 0.9 }));
  const r = await runCli(['match', dir], Buffer.from(clean.join('\n') + '\n'));
  t.equal(r.code, 0); t.equal(r.stderr, '');
  const out = jsonLines<{ event: string; ref: string; rank?: number; transpose: number; position: number }>(r.stdout);
  t.equal(out.filter((o) => o.event === 'match').length, 3 * 9, 'the best 3 after each note from the 4th');
  const results = out.filter((o) => o.event === 'result');
  t.match(results[0], { rank: 1, ref: path.join(dir, 'silent-night.mid'), transpose: -4, position: 12 });
  // The same notes with junk between them: the same answer, a warning per bad line.
  const junk = [clean[0], 'not json', clean[1], '{"pitch":"C4","start":1}', clean[2], '[1,2]', ...clean.slice(3, 6),
    '{"pitch":60}', '', ...clean.slice(6)];
  const r2 = await runCli(['match', dir], Buffer.from(junk.join('\n')));
  t.equal(r2.code, 0);
  t.same(r2.stdout.toString(), r.stdout.toString(), 'nothing lost');
  // Issue 22, 6: output that cannot be written is trouble (2), not a match (0) with the lines lost.
  const full = spawnSync('sh', ['-c', `unset NODE_OPTIONS; "$BIN" match "$DIR" > /dev/full; echo "exit $?"`], {
    input: clean.join('\n') + '\n', encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', BIN, DIR: dir },
  });
  t.match(full.stdout, /exit 2/);
  t.match(full.stderr, /^melodyfilter: cannot write the output: no space left on device$/m);
  const follow = spawnSync('sh',
    ['-c', `unset NODE_OPTIONS; "$BIN" match --follow "$DIR/silent-night.mid" > /dev/full; echo "exit $?"`], {
    input: clean.join('\n') + '\n', encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', BIN, DIR: dir },
  });
  t.match(follow.stdout, /exit 2/, '--follow too');
  t.match(r2.stderr, /stdin line 2: not JSON/);
  t.match(r2.stderr, /stdin line 4: no "pitch" 0-127/);
  t.match(r2.stderr, /stdin line 6: not a JSON object/);
  t.match(r2.stderr, /stdin line 10: no "start"/);
  t.equal(r2.stderr.trim().split('\n').length, 4);
  // --events input works the same.
  const events = notes.flatMap((n) =>
    [JSON.stringify({ event: 'on', pitch: n.pitch, name: midiName(n.pitch), time: n.start, velocity: 70 }),
    JSON.stringify({ event: 'off', pitch: n.pitch, name: midiName(n.pitch), time: n.end, velocity: 70 })]);
  const r3 = await runCli(['match', '--final', dir], Buffer.from(events.join('\n')));
  t.match(jsonLines(r3.stdout)[0], { event: 'result', rank: 1, ref: path.join(dir, 'silent-night.mid') },
    '--events lines, --final');
  // Nothing like any tune: exit 1.
  const noise = Array.from({ length: 12 }, (_, i) => JSON.stringify({ pitch: 40 + ((i * 37) % 41), start: i * 0.13 }));
  const r4 = await runCli(['match', '--min-score', '0.8', dir], Buffer.from(noise.join('\n')));
  t.equal(r4.code, 1, 'nothing matched: exit 1');
  // Usage.
  for (const args of [['match'], ['match', '--bogus', dir], ['match', '--min-score', '2', dir],
    ['match', '--follow', 'a.mid', dir]]) {
    const u = await runCli(args, Buffer.from(''));
    t.equal(u.code, 2, args.join(' '));
    t.match(u.stderr, /^melodyfilter: /);
  }
  // Live: each note is answered as it arrives, before input ends.
  const live = spawnCli(['match', dir]);
  let seen = '';
  live.child.stdout.on('data', (d: Buffer) => { seen += d; });
  for (const l of clean.slice(0, 6)) live.child.stdin.write(l + '\n');
  for (let waited = 0; !seen.includes('silent-night') && waited < 30000; waited += 100)
    await new Promise((res) => setTimeout(res, 100));
  t.match(seen, /"event":"match","rank":1,"ref":"[^"]*silent-night\.mid"/, 'a match line before the input ends');
  live.child.stdin.end();
  t.equal((await live.result).code, 0);
  const help = await runCli(['match', '--help'], null);
  t.equal(help.code, 0);
  t.match(help.stdout.toString(), /--follow REF/);
});

t.test('CLI --follow: verdict lines and a summary', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-match-follow-'));
  const tune = TUNES.find((x) => x.name === 'ode-to-joy')!;
  const file = path.join(dir, 'ode.mid');
  writeFileSync(file, buildMidi(tune.notes.map((n) => ({ ...n, name: '', velocity: 80, confidence: 1 })),
    { tempo: tune.bpm, program: 0, midiChannel: 1 }));
  const notes = play(ref('ode-to-joy'), { transpose: -3 });
  notes[7] = { ...notes[7], pitch: notes[7].pitch + 1 };
  const r = await runCli(['match', '--follow', file], Buffer.from(notes.map((n) => JSON.stringify(n)).join('\n')));
  t.equal(r.code, 0);
  const out = jsonLines<Record<string, unknown>>(r.stdout);
  t.equal(out.filter((o) => o.event === 'note').length, notes.length, 'a verdict per note');
  t.match(out.find((o) => o.verdict === 'wrong'), { position: 8, expected: ref('ode-to-joy').pitches[7] - 3 });
  t.match(out[out.length - 1], { event: 'summary', played: 30, counts: { ok: 29, wrong: 1 }, transpose: -3 });
  // Issue 22, item 12: a note from the past (a line pasted in from earlier) is warned about and skipped.
  const lines = notes.map((n) => JSON.stringify(n));
  const back = [...lines.slice(0, 10), JSON.stringify({ ...notes[2], pitch: notes[2].pitch + 5 }), ...lines.slice(10)];
  const r2 = await runCli(['match', '--follow', file], Buffer.from(back.join('\n')));
  t.equal(r2.code, 0);
  t.match(r2.stderr,
    /^melodyfilter: warning: stdin line 11: starts at [\d.]+ s, before the note before it \([\d.]+ s\); skipped\n$/);
  t.same(r2.stdout.toString(), r.stdout.toString(), 'the same verdicts as without it');
  // Another tune: exit 1 at the default --min-score, whatever the follower pieced together; a lower
  // --min-score is still the user's to set.
  const twinkle = Buffer.from(play(ref('twinkle-twinkle')).map((n) => JSON.stringify(n)).join('\n'));
  const wrong = await runCli(['match', '--follow', file], twinkle);
  t.equal(wrong.code, 1, `Twinkle as Ode to Joy: ${jsonLines<{ right?: number }>(wrong.stdout).at(-1)?.right}`);
  t.equal((await runCli(['match', '--follow', file, '--min-score', '0.3'], twinkle)).code, 0);
});
