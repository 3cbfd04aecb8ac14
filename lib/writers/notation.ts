// The notation formats' common stage: the notes of the whole take, read as a score (lib/score), then
// printed by one format's renderer. Score reading and the renderers (fast-xml-parser's builder among
// them) load when a notation is asked for, not at every start-up.
import { collectNotes, type NoteOutput } from '../notes.js';
import type { Score, ScoreOptions } from '../score/score.js';

export type ScoreRenderer = (score: Score) => string;

export function notationWriter(loadRenderer: () => Promise<ScoreRenderer>, opts: ScoreOptions) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    const [render, { readScore }] = await Promise.all([loadRenderer(), import('../score/score.js')]);
    yield render(readScore(await collectNotes(src), opts));
  };
}
