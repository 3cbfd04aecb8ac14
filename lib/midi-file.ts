// Notes → Standard MIDI File bytes via midi-writer-js: the MIDI writer's core, and what the FluidR3
// renders (synth/fluid.ts) feed to fluidsynth.
import { createRequire } from 'node:module';
import type MidiWriterType from 'midi-writer-js';
import type { Config } from './config.js';
import type { Note } from './notes.js';

/** 960 ticks per quarter: at 120 bpm one tick is 0.52 ms, so note times survive without quantising. */
export const TICKS_PER_BEAT = 960;

export type MidiConfig = Pick<Config, 'tempo' | 'program' | 'midiChannel'>;

export function secondsToTicks(seconds: number, tempo: number): number {
  return Math.round((seconds * tempo * TICKS_PER_BEAT) / 60);
}

/** Loaded on first use: most runs write no MIDI, and loading it is a sixth of a run's start-up. */
let midiWriterLib: typeof MidiWriterType | null = null;

export function buildMidi(notes: readonly Note[], cfg: MidiConfig): Uint8Array {
  const MidiWriter = midiWriterLib ??= createRequire(import.meta.url)('midi-writer-js') as typeof MidiWriterType;
  const track = new MidiWriter.Track();
  track.setTempo(cfg.tempo, 0);
  track.addTrackName('melodyfilter');
  // ProgramChangeEvent takes the raw 0-based channel; NoteEvent takes 1–16.
  track.addEvent(new MidiWriter.ProgramChangeEvent({ instrument: cfg.program, channel: cfg.midiChannel - 1 } as never));
  for (const n of notes) {
    const startTick = secondsToTicks(n.start, cfg.tempo);
    const endTick = Math.max(secondsToTicks(n.end, cfg.tempo), startTick + 1);
    track.addEvent(new MidiWriter.NoteEvent({
      pitch: [n.pitch as never],
      startTick,
      duration: `T${endTick - startTick}`,
      velocity: n.velocity / 1.27, // midi-writer-js takes 1–100 and multiplies by 1.27
      channel: cfg.midiChannel,
    }));
  }
  const writer = new MidiWriter.Writer(track, { ticksPerBeat: TICKS_PER_BEAT } as never);
  return dropDuplicateEndOfTrack(writer.buildFile());
}

const END_OF_TRACK = [0x00, 0xff, 0x2f, 0x00];

/** midi-writer-js 3.2 ends a track twice when notes carry explicit ticks; readers tolerate it, but a
 *  track has one end. The file is one header chunk then one track chunk, whose length we fix. */
function dropDuplicateEndOfTrack(file: Uint8Array): Uint8Array {
  const n = file.length;
  const twice = n >= 8 && END_OF_TRACK.every((b, i) => file[n - 8 + i] === b && file[n - 4 + i] === b);
  if (!twice) return file;
  const out = file.slice(0, n - 4);
  const view = new DataView(out.buffer);
  const trackLengthAt = 14 + 4; // after the 14-byte header chunk and the 'MTrk' tag
  view.setUint32(trackLengthAt, view.getUint32(trackLengthAt) - 4);
  return out;
}
