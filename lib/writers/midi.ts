// Standard MIDI File via midi-writer-js, written when input ends (a MIDI file has its length up front).
import MidiWriter from 'midi-writer-js';
import type { Config } from '../config.js';
import type { Note } from '../notes.js';
import type { NoteOutput } from '../smooth.js';

/** 960 ticks per quarter: at 120 bpm one tick is 0.52 ms, so note times survive without quantising. */
export const TICKS_PER_BEAT = 960;

export type MidiConfig = Pick<Config, 'tempo' | 'program' | 'midiChannel'>;

export function secondsToTicks(seconds: number, tempo: number): number {
  return Math.round((seconds * tempo * TICKS_PER_BEAT) / 60);
}

export function buildMidi(notes: readonly Note[], cfg: MidiConfig): Uint8Array {
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
  return writer.buildFile();
}

export function midiWriter(cfg: MidiConfig) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<Uint8Array> {
    const notes: Note[] = [];
    for await (const batch of src) for (const o of batch) if (o.kind === 'note') notes.push(o.note);
    yield buildMidi(notes, cfg);
  };
}
