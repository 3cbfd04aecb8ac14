// CSV: onset,offset,pitch per line (seconds, seconds, MIDI), the layout transcription evaluations read.
import type { NoteOutput } from '../notes.js';

export const CSV_HEADER = 'onset,offset,pitch\n';

export function csvWriter(opts: { header: boolean }) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    if (opts.header) yield CSV_HEADER;
    for await (const batch of src) {
      let text = '';
      for (const o of batch) if (o.kind === 'note') text += `${o.note.start},${o.note.end},${o.note.pitch}\n`;
      if (text) yield text;
    }
  };
}
