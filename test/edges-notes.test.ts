// Issue 13, items 19 and 22: a range drops notes and never moves them; the SVG fits the take; the
// velocity scale is calibrated (MIDI's amplitude ∝ velocity², not a squeezed linear map of dB).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NoteTracker, levelOfVelocity, velocityOf } from '../lib/pipeline/decoder.js';
import { NUM_CLASSES, CLASS_MIDI_OFFSET, DECODER_DEFAULTS } from '../lib/model/card.js';
import { renderSvg, MAX_WIDTH_PX } from '../lib/writers/svg.js';
import { loadEngine, transcribe } from '../lib/pipeline/transcriber.js';
import { resolveConfig } from '../lib/config.js';
import type { Note, NoteEvent } from '../lib/notes.js';
import { encodePcm, makeToneModel, tones } from './helpers.js';

// The defaults' tracker (every later setting off), with the thresholds and strike rule these tests use.
const CFG = { ...DECODER_DEFAULTS, threshold: 0.3, onsetThreshold: 0.5, strikeRiseDb: 0,
  hopSamples: 256, windowSamples: 2048, frontEnd: 'spectrum' as const, modelRate: 16000, minNoteMs: 40,
  lowMidi: 21, highMidi: 108 };

/** 30 frames where C6 leads (0.6) and C5, an octave below, follows (0.35): a C6 was played. */
function octaveFrames(cfg: typeof CFG) {
  const notes: Note[] = [], events: NoteEvent[] = [];
  const tr = new NoteTracker(cfg, { note: (n) => notes.push(n) });
  const ev = new NoteTracker(cfg, { event: (e) => events.push(e) });
  const probs = new Float32Array(NUM_CLASSES);
  for (let k = 0; k < 40; k++) {
    probs.fill(0);
    if (k >= 5 && k < 35) {
      probs[84 - CLASS_MIDI_OFFSET] = 0.6; probs[72 - CLASS_MIDI_OFFSET] = 0.35; probs[0] = 0.05;
    } else probs[0] = 1;
    tr.push(k, probs, 0, k === 5 ? 0.9 : 0, -20);
    ev.push(k, probs, 0, k === 5 ? 0.9 : 0, -20);
  }
  tr.flush(39, 40 * 256 / 16000); ev.flush(39, 40 * 256 / 16000);
  return { notes, events };
}

t.test('19: --range only drops notes, never moves them', async (t) => {
  t.same(octaveFrames(CFG).notes.map((n) => n.name), ['C6'], 'the whole keyboard: C6');
  const narrow = octaveFrames({ ...CFG, lowMidi: 60, highMidi: 72 });
  t.same(narrow.notes.map((n) => n.name), [], 'C4-C5: nothing, not a C5');
  t.same(narrow.events, [], 'no events either');
  t.same(octaveFrames({ ...CFG, lowMidi: 72, highMidi: 84 }).notes.map((n) => n.name), ['C6'], 'C5-C6: the C6');
});

t.test('22: the SVG fits a long take into a page, or a given width', async (t) => {
  const take: Note[] = Array.from({ length: 720 }, (_, i) =>
    ({ pitch: 60 + (i % 12), name: '', start: i * 0.5, end: i * 0.5 + 0.4, velocity: 80, confidence: 1 }));
  const width = (svg: string) => Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
  const svg = renderSvg(take);
  t.ok(width(svg) <= MAX_WIDTH_PX, `6-minute take ${width(svg)} px wide`);
  const xs = [...svg.matchAll(/class="note" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)]
    .map((m) => Number(m[1]) + Number(m[2]));
  t.ok(Math.max(...xs) <= width(svg), 'every note inside the picture');
  t.ok((svg.match(/<text [^>]*>\d+:\d\d</g) ?? []).length <= 40, 'minute labels, not 360 second labels');
  t.equal(width(renderSvg(take, 't', { widthPx: 900 })), 900, 'a width asked for');
  const short = renderSvg(take.slice(0, 4));
  t.equal(width(short), 40 + 2 * 100 + 10, 'a short take keeps 100 px per second');
});

t.test('22: velocity follows MIDI\'s amplitude ∝ velocity², not a squeezed line', async (t) => {
  for (let v = 1; v <= 127; v++) if (velocityOf(levelOfVelocity(v)) !== v) t.fail(`velocity ${v} does not round-trip`);
  // 12 dB quieter is half the velocity (10^(12/40) ≈ 2), whatever the level.
  for (const level of [-26, -30, -36]) {
    const ratio = velocityOf(level) / velocityOf(level - 12);
    t.ok(Math.abs(ratio - 10 ** (12 / 40)) < 0.06, `${level} dB vs ${level - 12} dB: ratio ${ratio.toFixed(2)}`);
  }
  // End to end on the hand-set tone model: sines struck at the level of velocity 114 and 40.
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-velocity-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await makeToneModel(dir);
  const cfg = resolveConfig({ modelDir: dir, sampleRate: 16000, channels: 1, encoding: 'f32le' });
  const engine = await loadEngine(cfg);
  for (const v of [114, 40]) {
    const amplitude = Math.SQRT2 * 10 ** (levelOfVelocity(v) / 20); // a sine's power is A²/2
    const pcm = encodePcm(tones([[440, 0.1, 0.6]], 0.8, 16000, amplitude), 1, 'f32le');
    const notes = await transcribe(pcm, { ...cfg, engine });
    t.equal(notes.length, 1);
    t.ok(Math.abs(notes[0].velocity - v) <= 3, `struck at ${v}, reported ${notes[0].velocity}`);
  }
});
