// The notation formats' common stage: the notes of the whole take, read as a score (lib/score), then
// printed by one format's renderer.
import { collectNotes, type NoteOutput } from '../notes.js';
import { readScore, type Score, type ScoreOptions } from '../score/score.js';

export function notationWriter(render: (score: Score) => string, opts: ScoreOptions) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    yield render(readScore(await collectNotes(src), opts));
  };
}
