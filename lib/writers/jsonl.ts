// JSON lines: one note (or event) per line, written as soon as it is known.
import type { NoteOutput } from '../notes.js';

export function formatJsonLine(o: NoteOutput, file?: string): string {
  const body = o.kind === 'note' ? o.note : o.event;
  return JSON.stringify(file === undefined ? body : { file, ...body }) + '\n';
}

export function jsonlWriter(file?: string) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    for await (const batch of src) {
      let text = '';
      for (const o of batch) text += formatJsonLine(o, file);
      yield text;
    }
  };
}
