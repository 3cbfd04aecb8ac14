// Writes one Standard MIDI File per tune of a tunes file (examples/tunes.txt), or with --abc one ABC
// tune book of them all: references for `melodyfilter match`.
// Usage: node dist/scripts/make-tunes.js [TUNES.txt] [OUT-DIR]
//        node dist/scripts/make-tunes.js --abc [TUNES.txt] [BOOK.abc]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildMidi } from '../lib/midi-file.js';
import { parseTunes, tuneBook } from '../lib/match/notation.js';
import { midiName } from '../lib/music.js';

const abc = process.argv[2] === '--abc';
const [src = 'examples/tunes.txt', out = abc ? 'tunes.abc' : 'tunes'] = process.argv.slice(abc ? 3 : 2);
try {
  const tunes = parseTunes(readFileSync(src, 'utf8'));
  if (abc) {
    writeFileSync(out, tuneBook(tunes));
    console.log(`${out}: an ABC tune book of ${tunes.length} tunes from ${src}`);
    process.exit(0);
  }
  mkdirSync(out, { recursive: true });
  for (const tune of tunes) {
    const notes = tune.notes.map((n) => ({ ...n, name: midiName(n.pitch), velocity: 80, confidence: 1 }));
    writeFileSync(path.join(out, `${tune.name}.mid`), buildMidi(notes,
      { tempo: tune.bpm, program: 0, midiChannel: 1 }));
  }
  console.log(`${out}/: ${tunes.length} MIDI files from ${src}`);
} catch (err) {
  process.stderr.write(`make-tunes: ${src}: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
