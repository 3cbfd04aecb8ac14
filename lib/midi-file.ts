// Notes → Standard MIDI File bytes (format 0, one track): the MIDI writer's core, and what the
// FluidR3 renders (synth/fluid.ts) feed to fluidsynth. Encoded here rather than by midi-writer-js: the
// format is a page of code, and that package's postinstall script is flagged by npm 11 on every
// install of ours.
import type { Config } from './config.js';
import type { Note } from './notes.js';

/** 960 ticks per quarter: at 120 bpm one tick is 0.52 ms, so note times survive without quantising. */
export const TICKS_PER_BEAT = 960;
const TRACK_NAME = 'melodyfilter';

export type MidiConfig = Pick<Config, 'tempo' | 'program' | 'midiChannel'>;

export function secondsToTicks(seconds: number, tempo: number): number {
  return Math.round((seconds * tempo * TICKS_PER_BEAT) / 60);
}

/** A MIDI variable-length quantity: 7 bits a byte, high bit set on all but the last. */
function varLength(n: number, out: number[]): void {
  const bytes = [n & 0x7f];
  for (n >>>= 7; n > 0; n >>>= 7) bytes.unshift((n & 0x7f) | 0x80);
  out.push(...bytes);
}

export function buildMidi(notes: readonly Note[], cfg: MidiConfig): Uint8Array {
  const ch = cfg.midiChannel - 1;
  // [tick, order, bytes]: at one tick a note-off comes before a note-on, so a repeated key is
  // released before it is struck again.
  const events: [number, number, number[]][] = [];
  for (const n of notes) {
    const on = secondsToTicks(n.start, cfg.tempo);
    const off = Math.max(secondsToTicks(n.end, cfg.tempo), on + 1);
    const velocity = Math.min(127, Math.max(1, Math.round(n.velocity)));
    events.push([on, 1, [0x90 | ch, n.pitch, velocity]], [off, 0, [0x80 | ch, n.pitch, 0]]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const usPerBeat = Math.round(60e6 / cfg.tempo);
  const track: number[] = [
    0, 0xff, 0x51, 3, (usPerBeat >> 16) & 0xff, (usPerBeat >> 8) & 0xff, usPerBeat & 0xff,
    0, 0xff, 0x03, TRACK_NAME.length, ...Buffer.from(TRACK_NAME, 'latin1'),
    0, 0xc0 | ch, cfg.program,
  ];
  let tick = 0;
  for (const [at, , bytes] of events) {
    varLength(at - tick, track);
    track.push(...bytes);
    tick = at;
  }
  track.push(0, 0xff, 0x2f, 0);
  const out = Buffer.alloc(14 + 8 + track.length);
  out.write('MThd', 0, 'latin1'); out.writeUInt32BE(6, 4);
  out.writeUInt16BE(0, 8); out.writeUInt16BE(1, 10); out.writeUInt16BE(TICKS_PER_BEAT, 12);
  out.write('MTrk', 14, 'latin1'); out.writeUInt32BE(track.length, 18);
  Buffer.from(track).copy(out, 22);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
