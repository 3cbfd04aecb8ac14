// Renders scores with TiMidity++ and Debian's freepats (Gravis patches): pianos sampled from other
// instruments than FluidR3's, for training data with more pianos in it (issue 19). Never used by
// `melodyfilter eval`: its sets stay FluidR3 and the held-out synthesizer voices.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { renderMidi } from './fluid.js';
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
  // -OrM1sl: raw, mono, 16-bit, signed, linear; -idqq: no interface, quiet. --preserve-silence:
  // timidity drops the silence before the first note by default, which moves every note off its label.
  // No reverb or chorus: the scene adds its own room.
  const bytes = renderMidi('timidity', notes, program, (mid, raw) => [
    '-c', FREEPATS_CONFIG, '-idqq', '--preserve-silence', '-s', String(sampleRate), '-OrM1sl',
    '-EFreverb=0', '-EFchorus=0', '-o', raw, mid,
  ]);
  const out = new Float32Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(2 * i) / 32768;
  return out;
}
