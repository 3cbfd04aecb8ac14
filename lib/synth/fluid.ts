// Renders scores with fluidsynth and the FluidR3 GM soundfont (Debian fluid-soundfont-gm): sampled
// pianos and keyboards to train beside our own synthesizer.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildMidi } from '../midi-file.js';
import type { Note } from '../notes.js';
import type { ScoreNote } from './melody.js';

export const FLUID_SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
/** General MIDI keyboards: grand, bright, electric grand, honky-tonk, two e-pianos, harpsichord, clavinet. */
export const KEYBOARD_PROGRAMS = [0, 1, 2, 3, 4, 5, 6, 7];

export function fluidAvailable(): boolean {
  return existsSync(FLUID_SOUNDFONT) && spawnSync('fluidsynth', ['--version']).status === 0;
}

/** Mono Float32Array at `sampleRate` of `notes` played by GM `program`. */
export function renderFluid(
  notes: readonly ScoreNote[], program: number, sampleRate: number, opts: { reverb?: boolean; chorus?: boolean } = {},
): Float32Array {
  const bytes = renderMidi('fluidsynth', notes, program, (mid, raw) => [
    '-ni', '-q', '-F', raw, '-T', 'raw', '-O', 's16', '-E', 'little', '-r', String(sampleRate), '-g', '0.5',
    '-R', opts.reverb ? '1' : '0', '-C', opts.chorus ? '1' : '0', FLUID_SOUNDFONT, mid,
  ]);
  const frames = Math.floor(bytes.length / 4);
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = (bytes.readInt16LE(4 * i) + bytes.readInt16LE(4 * i + 2)) / 65536;
  return out;
}

/** The raw bytes a MIDI synthesizer (`program`: fluidsynth, timidity) writes for `notes` as a
 *  one-channel Standard MIDI File; `args` names its input and output files. */
export function renderMidi(
  tool: string, notes: readonly ScoreNote[], program: number, args: (mid: string, raw: string) => string[],
): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), `melodyfilter-${tool}-`));
  try {
    const mid = path.join(dir, 'score.mid'), raw = path.join(dir, 'out.raw');
    const asNotes = notes.map((n) => ({ ...n, name: '', confidence: 1 }) as Note);
    writeFileSync(mid, buildMidi(asNotes, { tempo: 120, program, midiChannel: 1 }));
    const r = spawnSync(tool, args(mid, raw), { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr?.toString().trim()}`);
    return readFileSync(raw);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
