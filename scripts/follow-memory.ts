// Inputs for measuring --follow's memory and time against a long reference (issue 22, item 9): a
// MIDI file of Ode to Joy's first phrase repeated to about --bytes, and its first 15 notes played.
// Usage: npm run build && node dist/scripts/follow-memory.js DIR [--bytes N]
//   /usr/bin/time -v bin/melodyfilter match --follow DIR/ref.mid < DIR/notes.jsonl
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Ode to Joy's first phrase (examples/tunes.txt), as quarter notes. */
const PHRASE = [64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, 64, 62, 62];
/** 480 ticks a beat at MIDI's default 120 bpm: a note every 0.5 s, held 460 ticks. */
const TICKS_PER_BEAT = 480, HELD_TICKS = 460;

const { values, positionals } = parseArgs({
  allowPositionals: true, options: { bytes: { type: 'string', default: '1000000' } },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: follow-memory.js DIR [--bytes N]');
const bytes = Number(values.bytes);
const vlq = (n: number) => { const b = [n & 0x7f]; while ((n >>= 7)) b.unshift((n & 0x7f) | 0x80); return b; };
// One track, running status: note-on, then the same key at velocity 0 (off), 20 ticks of rest.
const body: number[] = [0, 0x90];
let notes = 0;
while (body.length < bytes - 40) {
  for (const p of PHRASE) {
    if (notes) body.push(...vlq(TICKS_PER_BEAT - HELD_TICKS));
    body.push(p, 80, ...vlq(HELD_TICKS), p, 0);
    notes++;
  }
}
body.push(0, 0xff, 0x2f, 0);
// MThd, 6 bytes: format 0, one track, ticks per beat.
const header = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, TICKS_PER_BEAT >> 8, TICKS_PER_BEAT & 0xff]);
const track = Buffer.alloc(8);
track.write('MTrk'); track.writeUInt32BE(body.length, 4);
mkdirSync(dir, { recursive: true });
const midi = Buffer.concat([header, track, Buffer.from(body)]);
writeFileSync(path.join(dir, 'ref.mid'), midi);
writeFileSync(path.join(dir, 'notes.jsonl'),
  PHRASE.map((p, i) => JSON.stringify({ pitch: p, start: 1 + i * 0.5, end: 1.45 + i * 0.5 })).join('\n') + '\n');
console.log(`${path.join(dir, 'ref.mid')}: ${midi.length} bytes, ${notes} notes`);
