// Writes one Standard MIDI File per tune of a tunes file (examples/tunes.txt): references for
// `melodyfilter match`. Usage: node dist/scripts/make-tunes.js [TUNES.txt] [OUT-DIR]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildMidi } from '../lib/midi-file.js';
import { parseTunes } from '../lib/match/notation.js';
import { midiName } from '../lib/notes.js';

const [src = 'examples/tunes.txt', out = 'tunes'] = process.argv.slice(2);
try {
  const tunes = parseTunes(readFileSync(src, 'utf8'));
  mkdirSync(out, { recursive: true });
  for (const tune of tunes) {
    const notes = tune.notes.map((n) => ({ ...n, name: midiName(n.pitch), velocity: 80, confidence: 1 }));
    writeFileSync(path.join(out, `${tune.name}.mid`), buildMidi(notes, { tempo: tune.bpm, program: 0, midiChannel: 1 }));
  }
  console.log(`${out}/: ${tunes.length} MIDI files from ${src}`);
} catch (err) {
  process.stderr.write(`make-tunes: ${src}: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
