import t from 'tap';
import { parseMidi } from 'midi-file';
import { NoteTracker } from '../lib/pipeline/decoder.js';
import {
  BINS_PER_SEMITONE, LOWEST_MIDI, ONSET_RISE_DB, RANGE_DB, SEMITONES, SPECTRUM_BINS,
} from '../lib/pipeline/features.js';
import { NUM_CLASSES, CLASS_MIDI_OFFSET, DECODER_DEFAULTS } from '../lib/model/card.js';
import { buildMidi, TICKS_PER_BEAT } from '../lib/midi-file.js';
import { renderSvg } from '../lib/writers/svg.js';
import { type Note, type NoteEvent } from '../lib/notes.js';
import { midiName, parseNoteName } from '../lib/music.js';

// The defaults' tracker (every later setting off), with the thresholds and strike rule these tests use.
const CFG = { ...DECODER_DEFAULTS, threshold: 0.5, onsetThreshold: 0.5, strikeRiseDb: 0,
  hopSamples: 256, windowSamples: 2048, frontEnd: 'spectrum' as const, modelRate: 16000, minNoteMs: 40,
  lowMidi: 21, highMidi: 108 };
const HOP = 256 / 16000;

/** Frames described as [pitch or 0, probability, onset, rise in dB of that pitch's semitone (none if
 *  absent)]; runs the tracker over them. */
function track(frames: ([number, number, number] | [number, number, number, number])[], cfg = CFG) {
  const notes: Note[] = [];
  const events: NoteEvent[] = [];
  const tr = new NoteTracker(cfg, { note: (n) => notes.push(n) });
  const ev = new NoteTracker(cfg, { event: (e) => events.push(e) });
  const probs = new Float32Array(NUM_CLASSES);
  const rises = new Float32Array(SEMITONES);
  frames.forEach(([pitch, p, onset, rise], k) => {
    probs.fill((1 - p) / (NUM_CLASSES - 1));
    probs[pitch ? pitch - CLASS_MIDI_OFFSET : 0] = p;
    rises.fill(0);
    if (pitch && rise !== undefined) rises[pitch - LOWEST_MIDI] = rise / ONSET_RISE_DB; // the features' unit
    tr.push(k, probs, 0, onset, -20, rise === undefined ? undefined : rises);
    ev.push(k, probs, 0, onset, -20, rise === undefined ? undefined : rises);
  });
  tr.flush(frames.length - 1, frames.length * HOP);
  ev.flush(frames.length - 1, frames.length * HOP);
  return { notes, events };
}

const run = (pitch: number, n: number, p = 0.9, onsetFirst = true): [number, number, number][] =>
  Array.from({ length: n }, (_, i) => [pitch, p, onsetFirst && i === 0 ? 0.9 : 0.05]);
const silence = (n: number) => run(0, n, 0.95, false);

t.test('a held key becomes one note with boundary times half a hop before its frames', async (t) => {
  const { notes } = track([...silence(5), ...run(60, 20), ...silence(10)]);
  t.equal(notes.length, 1);
  t.equal(notes[0].pitch, 60); t.equal(notes[0].name, 'C4');
  t.ok(Math.abs(notes[0].start - 4.5 * HOP) < 1e-12);
  t.ok(Math.abs(notes[0].end - 24.5 * HOP) < 1e-12);
  t.ok(notes[0].confidence > 0.85);
});

t.test('a single frame of a key is noise, not a note', async (t) => {
  t.equal(track([...silence(5), [64, 0.9, 0.9], ...silence(5)]).notes.length, 0);
});

t.test('a repeated key with an onset splits into two notes', async (t) => {
  const { notes } = track([...silence(3), ...run(62, 15), ...run(62, 15), ...silence(5)]);
  t.equal(notes.length, 2);
  t.ok(Math.abs(notes[1].start - 17.5 * HOP) < 1e-12);
});

t.test('with strikeRiseDb, a weak onset splits a sounding key only where its semitone rises that much', async (t) => {
  const cfg = { ...CFG, onsetThreshold: 0.4, strikeRiseDb: 3 }; // onsets of 0.8 and up are strong
  const struck = (onset: number, rise: number) => run(62, 15)
    .map(([p, q], i) => [p, q, i === 0 ? onset : 0.05, i < 2 ? rise : 0] as [number, number, number, number]);
  const weak = (rise: number) => struck(0.6, rise);
  const held = run(62, 15).map(([p, q, o]) => [p, q, o, 0] as [number, number, number, number]);
  t.equal(track([...silence(3), ...held, ...weak(1), ...silence(5)], cfg).notes.length, 1,
    'a weak onset, 1 dB rise: one note');
  t.equal(track([...silence(3), ...held, ...weak(6), ...silence(5)], cfg).notes.length, 2,
    'a weak onset, 6 dB rise: two notes');
  t.equal(track([...silence(3), ...held, ...struck(0.9, 0), ...silence(5)], cfg).notes.length, 2,
    'an onset twice the threshold splits alone');
  t.equal(track([...silence(3), ...held, ...weak(1), ...silence(5)], { ...cfg, strikeRiseDb: 0 }).notes.length, 2,
    'strikeRiseDb 0: the onset alone decides');
});

t.test('a fading note that dips and returns without an onset stays one note', async (t) => {
  const dip: [number, number, number][] = [[0, 0.8, 0], [0, 0.8, 0], [0, 0.8, 0]];
  const { notes } = track([...silence(3), ...run(67, 20), ...dip, ...run(67, 10, 0.9, false), ...silence(10)]);
  t.equal(notes.length, 1);
  t.ok(Math.abs(notes[0].end - 35.5 * HOP) < 1e-12);
});

t.test('a dip followed by a re-strike is two notes, the first ending where it faded', async (t) => {
  const dip: [number, number, number][] = [[0, 0.8, 0], [0, 0.8, 0], [0, 0.8, 0]];
  const { notes } = track([...silence(3), ...run(67, 20), ...dip, ...run(67, 10), ...silence(10)]);
  t.equal(notes.length, 2);
  t.ok(Math.abs(notes[0].end - 22.5 * HOP) < 1e-12);
});

t.test('a pitch change ends one note and starts the next at the change', async (t) => {
  const { notes } = track([...silence(2), ...run(60, 10), ...run(64, 10, 0.9, false), ...silence(5)]);
  t.same(notes.map((n) => n.pitch), [60, 64]);
  t.ok(Math.abs(notes[0].end - notes[1].start) < 1e-12);
});

t.test('a new key struck while the old one still leads: no phantom note, the new one starts at its onset',
  async (t) => {
  const frames: [number, number, number][] = [...silence(2), ...run(60, 10), [60, 0.6, 0.9], [60, 0.5, 0.3],
    ...run(64, 10, 0.9, false), ...silence(5)];
  {
    const { notes, events } = track(frames);
    t.same(notes.map((n) => n.pitch), [60, 64]);
    t.ok(Math.abs(notes[1].start - 11.5 * HOP) < 1e-12, `64 starts at the onset (${notes[1].start / HOP} hops)`);
    t.ok(notes[0].end <= notes[1].start + 1e-12, 'no overlap');
    t.same(events.map((e) => `${e.event} ${e.pitch}`), ['on 60', 'off 60', 'on 64', 'off 64']);
  }
});

t.test('a note sounding at end of input ends at the end of input', async (t) => {
  const frames = [...silence(2), ...run(72, 10)];
  const { notes } = track(frames);
  t.equal(notes.length, 1);
  t.equal(notes[0].end, frames.length * HOP);
});

t.test('events: note-on as soon as confirmed, note-off at the end', async (t) => {
  const { events } = track([...silence(2), ...run(60, 10), ...silence(10)]);
  t.same(events.map((e) => e.event), ['on', 'off']);
  t.ok(Math.abs(events[0].time - 1.5 * HOP) < 1e-12);
});

t.test('onsetConfirmFrames 1: note-on a window sooner where the onset output agrees, not without it', async (t) => {
  /** The frame whose push announced the note-on, feeding a key struck at frame 3 (onset or not). */
  const announcedAt = (onsetConfirmFrames: number, onset: number) => {
    let at = -1;
    const ev = new NoteTracker({ ...CFG, onsetConfirmFrames }, { event: (e) => { if (e.event === 'on') at = frame; } });
    const probs = new Float32Array(NUM_CLASSES);
    let frame = 0;
    for (; frame < 10; frame++) {
      const key = frame >= 3;
      probs.fill(0.01); probs[key ? 60 - CLASS_MIDI_OFFSET : 0] = 0.9;
      ev.push(frame, probs, 0, key && frame === 3 ? onset : 0.05, -20);
    }
    return at;
  };
  t.equal(announcedAt(2, 0.9), 4, 'two windows by default');
  t.equal(announcedAt(1, 0.9), 3, 'one window when the onset fired with it');
  t.equal(announcedAt(1, 0.05), 4, 'two windows still without an onset');
});

t.test('silenceOnset: a key out of silence needs the onset output behind it; a key after a note does not', async (t) => {
  /** Notes from a key held 10 windows at 0.9 after `before` (silence, or another key), its onset at
   *  `onsetAt` windows from the key's first window (null: the onset output stays at 0.02). */
  const notesOf = (silenceOnset: number, onsetAt: number | null, before: 'silence' | 'note') => {
    const notes: Note[] = [];
    const tr = new NoteTracker({ ...CFG, silenceOnset }, { note: (n) => notes.push(n) });
    const probs = new Float32Array(NUM_CLASSES);
    for (let k = 0; k < 40; k++) {
      const pitch = k >= 20 && k < 30 ? 64 : before === 'note' && k >= 5 && k < 20 ? 60 : 0;
      probs.fill(0.01); probs[pitch ? pitch - CLASS_MIDI_OFFSET : 0] = 0.9;
      const onset = (onsetAt !== null && k === 20 + onsetAt) || (before === 'note' && k === 5) ? 0.9 : 0.02;
      tr.push(k, probs, 0, onset, -20);
    }
    tr.flush(39, 40 * HOP);
    return notes.map((n) => n.name);
  };
  t.same(notesOf(0, null, 'silence'), ['E4'], 'off: every confirmed key');
  t.same(notesOf(0.15, null, 'silence'), [], 'no onset out of silence: no note');
  t.same(notesOf(0.15, 0, 'silence'), ['E4'], 'struck with its first window');
  t.same(notesOf(0.15, -6, 'silence'), ['E4'], 'struck up to SILENCE_ONSET_FRAMES before');
  t.same(notesOf(0.15, -12, 'silence'), [], 'but not longer before');
  t.same(notesOf(0.15, 1, 'silence'), ['E4'], 'or a window after: the key waits for it');
  t.same(notesOf(0.15, null, 'note'), ['C4', 'E4'], 'a key taking over from another is not asked');
});

t.test('silenceThreshold: a key out of silence must reach it once; a key after a note is not asked', async (t) => {
  /** Notes and the note-on window from a struck key held 10 windows at `levels` (the last repeats)
   *  after `before` (silence, or another key at 0.9). */
  const run = (silenceThreshold: number, levels: number[], before: 'silence' | 'note') => {
    const notes: Note[] = [];
    let onAt = -1;
    const tr = new NoteTracker({ ...CFG, silenceOnset: 0.15, silenceThreshold }, {
      event: (e) => { if (e.event === 'on' && e.pitch === 64 && onAt < 0) onAt = frame; },
      note: (n) => notes.push(n),
    });
    const probs = new Float32Array(NUM_CLASSES);
    let frame = 0;
    for (; frame < 40; frame++) {
      const inKey = frame >= 20 && frame < 30;
      const pitch = inKey ? 64 : before === 'note' && frame >= 5 && frame < 20 ? 60 : 0;
      probs.fill(0.01);
      probs[pitch ? pitch - CLASS_MIDI_OFFSET : 0] = inKey ? levels[Math.min(frame - 20, levels.length - 1)] : 0.9;
      tr.push(frame, probs, 0, frame === 20 || (before === 'note' && frame === 5) ? 0.9 : 0.02, -20);
    }
    tr.flush(39, 40 * HOP);
    return { names: notes.map((n) => n.name), onAt };
  };
  t.same(run(0, [0.5], 'silence').names, ['E4'], 'off: the threshold alone');
  t.same(run(0.7, [0.5], 'silence').names, [], 'never sure: no note');
  const late = run(0.7, [0.5, 0.5, 0.5, 0.8, 0.5], 'silence');
  t.same(late.names, ['E4'], 'sure in its fourth window: a note');
  t.equal(late.onAt, 23, 'its note-on waits for that window');
  t.same(run(0.7, [0.5], 'note').names, ['C4', 'E4'], 'a key taking over from another is not asked');
});

t.test('releaseFallDb: a note that fades, or that another key follows, after a steep fall of its partials ends '
  + 'where the fall began', async (t) => {
  // C4 held 30 windows at a steady level, then its partials fall 4 dB a window for 8 windows while the
  // network still holds it (the ringing in the window), then it fades out; or E4, struck at frame 38,
  // takes over from it while it rings.
  const pitch = 60, bin = (pitch - LOWEST_MIDI) * BINS_PER_SEMITONE;
  const ends = (releaseFallDb: number, next = false, fall = true) => {
    const notes: Note[] = [];
    const tr = new NoteTracker({ ...CFG, releaseFallDb }, { note: (n) => notes.push(n) });
    const probs = new Float32Array(NUM_CLASSES), spectrum = new Float32Array(SPECTRUM_BINS);
    for (let k = 0; k < 50; k++) {
      const key = next && k >= 38 && k < 46 ? 64 : k >= 2 && k < 40 ? pitch : 0;
      probs.fill(0.01); probs[key ? key - CLASS_MIDI_OFFSET : 0] = 0.9;
      const db = k < 30 || !fall ? 60 : Math.max(0, 60 - 4 * (k - 29));
      spectrum.fill(0); spectrum[bin + 1] = db / RANGE_DB;
      tr.push(k, probs, 0, k === 2 || (next && k === 38) ? 0.9 : 0.05, -20, undefined, 0, spectrum, 0);
    }
    tr.flush(49, 50 * HOP);
    return notes.map((n) => Math.round(n.end / HOP + 0.5)); // boundary(k) = (k - 0.5) hops
  };
  t.same(ends(0), [40], 'off: where the key faded');
  t.same(ends(12), [31], 'on: a window after the fall began (frame 30)');
  t.same(ends(70), [40], 'a fall (60 dB) smaller than the setting changes nothing');
  t.same(ends(0, true), [38, 46], 'off: another key ends it where it starts');
  t.same(ends(12, true), [31, 46], 'on: where the fall began, before the next key');
  t.same(ends(12, true, false), [38, 46], 'no fall (legato): where the next key starts');
});


t.test('fadeHoldFrames: a note that fades with no steep fall ends that many windows before the key let go',
  async (t) => {
  /** Ends (in frames) of C4 held from frame 2 to `last`, then silence. */
  const ends = (fadeHoldFrames: number, last: number) => {
    const notes: Note[] = [];
    const tr = new NoteTracker({ ...CFG, fadeHoldFrames }, { note: (n) => notes.push(n) });
    const probs = new Float32Array(NUM_CLASSES);
    for (let k = 0; k < 50; k++) {
      probs.fill(0.01); probs[k >= 2 && k <= last ? 60 - CLASS_MIDI_OFFSET : 0] = 0.9;
      tr.push(k, probs, 0, k === 2 ? 0.9 : 0.05, -20);
    }
    tr.flush(49, 50 * HOP);
    return notes.map((n) => Math.round(n.end / HOP + 0.5)); // boundary(k) = (k - 0.5) hops
  };
  t.same(ends(0, 29), [30], 'off: where the key faded');
  t.same(ends(2, 29), [28], 'two windows sooner');
  t.same(ends(2, 4), [5], 'never shorter than minNoteMs (2.5 windows)');
});

t.test('offsetThreshold: the offset output\'s peak ends a note that fades, or that another key follows after a gap',
  async (t) => {
  // C4 from frame 2, its key held by the network until frame 40 (the ringing), the offset output
  // rising to a peak at frame 31; then silence, or E4 from frame 44.
  const ends = (offsetThreshold: number, next: boolean, peak = 0.6) => {
    const notes: Note[] = [];
    const tr = new NoteTracker({ ...CFG, offsetThreshold }, { note: (n) => notes.push(n) });
    const probs = new Float32Array(NUM_CLASSES);
    for (let k = 0; k < 60; k++) {
      const key = k >= 2 && k < 40 ? 60 : next && k >= 44 ? 64 : 0;
      probs.fill(0.01); probs[key ? key - CLASS_MIDI_OFFSET : 0] = 0.9;
      const offset = k === 31 ? peak : k === 30 || k === 32 ? peak / 2 : 0.02;
      tr.push(k, probs, 0, k === 2 || k === 44 ? 0.9 : 0.05, -20, undefined, 0, undefined, 0, offset);
    }
    tr.flush(59, 60 * HOP);
    return notes.map((n) => [n.name, Math.round(n.end / HOP + 0.5)]);
  };
  t.same(ends(0, false), [['C4', 40]], 'off: where the key faded');
  t.same(ends(0.3, false), [['C4', 31]], 'on: at the peak');
  t.same(ends(0.3, false, 0.25), [['C4', 40]], 'a peak below the setting changes nothing');
  t.same(ends(0, true), [['C4', 40], ['E4', 61]], 'off, another key after a gap (E4 to the end of input)');
  t.same(ends(0.3, true), [['C4', 31], ['E4', 61]], 'on, another key after a gap');
});
t.test('--range drops keys outside it; --min-note drops short notes', async (t) => {
  t.equal(track([...silence(2), ...run(50, 10), ...silence(5)], { ...CFG, lowMidi: 60 }).notes.length, 0);
  t.equal(track([...silence(2), ...run(50, 4), ...silence(5)], { ...CFG, minNoteMs: 100 }).notes.length, 0);
});

t.test('MIDI file parses back to the same notes, times exact to a tick', async (t) => {
  const notes: Note[] = [
    { pitch: 60, name: 'C4', start: 0.008, end: 0.5, velocity: 100, confidence: 1 },
    { pitch: 60, name: 'C4', start: 0.5, end: 0.9, velocity: 64, confidence: 1 },
    { pitch: 108, name: 'C8', start: 1.234, end: 2.5, velocity: 1, confidence: 1 },
  ];
  const tempo = 90;
  const midi = parseMidi(buildMidi(notes, { tempo, program: 5, midiChannel: 3 }));
  t.equal(midi.header.ticksPerBeat, TICKS_PER_BEAT);
  let tick = 0;
  const on: { pitch: number; tick: number; velocity: number }[] = [];
  const off: { pitch: number; tick: number }[] = [];
  let usPerBeat = 0, program = -1;
  for (const e of midi.tracks[0]) {
    tick += e.deltaTime;
    if (e.type === 'setTempo') usPerBeat = e.microsecondsPerBeat;
    if (e.type === 'programChange') { program = e.programNumber; t.equal(e.channel, 2); }
    if (e.type === 'noteOn' && e.velocity > 0) on.push({ pitch: e.noteNumber, tick, velocity: e.velocity });
    if (e.type === 'noteOff' || (e.type === 'noteOn' && e.velocity === 0)) off.push({ pitch: e.noteNumber, tick });
  }
  t.equal(program, 5);
  t.equal(midi.tracks[0].filter((e) => e.type === 'endOfTrack').length, 1, 'one end of track');
  const secondsPerTick = usPerBeat / 1e6 / TICKS_PER_BEAT;
  t.equal(on.length, 3); t.equal(off.length, 3);
  on.forEach((o, i) => {
    t.equal(o.pitch, notes[i].pitch);
    t.equal(o.velocity, notes[i].velocity);
    t.ok(Math.abs(o.tick * secondsPerTick - notes[i].start) <= secondsPerTick / 2 + 1e-9,
      `start ${o.tick * secondsPerTick} vs ${notes[i].start}`);
    t.ok(Math.abs(off[i].tick * secondsPerTick - notes[i].end) <= secondsPerTick / 2 + 1e-9);
  });
});

t.test('an empty MIDI file is still a valid file', async (t) => {
  const midi = parseMidi(buildMidi([], { tempo: 120, program: 0, midiChannel: 1 }));
  t.equal(midi.tracks.length, 1);
});

t.test('SVG piano roll has one bar per note and names octaves', async (t) => {
  const svg = renderSvg([{ pitch: 60, name: 'C4', start: 0, end: 1, velocity: 80, confidence: 1 },
    { pitch: 64, name: 'E4', start: 1, end: 2, velocity: 80, confidence: 1 }]);
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.equal(svg.match(/class="note"/g)?.length, 2);
  t.match(svg, />C4</);
});

t.test('SVG piano roll spans the notes\' keys, however many notes there are', async (t) => {
  // 200,000 notes: spreading them into Math.min(...) overflows Node 20's stack from ~150,000.
  const notes = Array.from({ length: 200_000 }, (_, i) => ({
    pitch: 50 + (i % 20), name: '', start: i * 0.001, end: i * 0.001 + 0.0005, velocity: 80, confidence: 1,
  }));
  const svg = renderSvg(notes);
  t.match(svg, />C3</, 'lowest key shown: C3 (48, two below D3)');
  t.notMatch(svg, />C2</);
  t.ok(svg.endsWith('</svg>\n'));
});

t.test('note names round-trip', async (t) => {
  for (let m = 21; m <= 108; m++) t.equal(parseNoteName(midiName(m)), m);
  t.equal(parseNoteName('Bb3'), 58);
  t.ok(Number.isNaN(parseNoteName('H2')));
});
