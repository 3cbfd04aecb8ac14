// Standard MIDI File, written when input ends (a MIDI file has its length up front).
import { buildMidi, type MidiConfig } from '../midi-file.js';
import { collectNotes, type NoteOutput } from '../notes.js';

export function midiWriter(cfg: MidiConfig) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<Uint8Array> {
    yield buildMidi(await collectNotes(src), cfg);
  };
}
