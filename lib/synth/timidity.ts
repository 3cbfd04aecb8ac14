// Renders scores with TiMidity++ and Debian's freepats (Gravis patches): pianos sampled from other
// instruments than FluidR3's, for training data with more pianos in it (issue 19). Never used by
// `melodyfilter eval`: its sets stay FluidR3 and the held-out synthesizer voices.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildMidi } from '../midi-file.js';
import type { Note } from '../notes.js';
import type { ScoreNote } from './melody.js';

export const FREEPATS_CONFIG = '/etc/timidity/freepats.cfg';
/** The freepats keyboards (bank 0): acoustic grand, bright, electric grand, Rhodes, DX piano.
 *  Program 3 (honky-tonk) has no patch there. */
export const FREEPATS_PROGRAMS = [0, 1, 2, 4, 5];

export function timidityAvailable(): boolean {
  return existsSync(FREEPATS_CONFIG) && spawnSync('timidity', ['--version']).status === 0;
}

/** Mono Float32Array at `sampleRate` of `notes` played by GM `program` from freepats. */
export function renderFreepats(notes: readonly ScoreNote[], program: number, sampleRate: number): Float32Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-timidity-'));
  try {
    const mid = path.join(dir, 'score.mid'), raw = path.join(dir, 'out.raw');
    const asNotes = notes.map((n) => ({ ...n, name: '', confidence: 1 }) as Note);
    writeFileSync(mid, buildMidi(asNotes, { tempo: 120, program, midiChannel: 1 }));
    // -OrM1sl: raw, mono, 16-bit, signed, linear; -idqq: no interface, quiet. No reverb or chorus:
    // the scene adds its own room.
    const r = spawnSync('timidity', [
      '-c', FREEPATS_CONFIG, '-idqq', '-s', String(sampleRate), '-OrM1sl', '-EFreverb=0', '-EFchorus=0',
      '-o', raw, mid,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`timidity failed: ${r.stderr?.toString().trim()}`);
    const bytes = readFileSync(raw);
    const out = new Float32Array(bytes.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(2 * i) / 32768;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
