// Units and music helpers shared by every room: the rate models hear, keys ↔ Hz ↔ names.

/** Rate the features and the model work at: 16 kHz keeps every piano fundamental (C8 = 4186 Hz)
 *  and its second partial while costing a third of 44.1 kHz. A model card must say this rate. */
export const MODEL_RATE = 16000;

export function midiToHz(midi: number): number {
  return 440 * Math.pow(2, (midi - 69) / 12);
}

const NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

export function midiName(midi: number): string {
  return NAMES[midi % 12] + (Math.floor(midi / 12) - 1);
}

/** The highest key whose fundamental lies below `hz` (a rate's Nyquist frequency): the top of what
 *  audio at twice that rate can hold. */
export function highestKeyBelow(hz: number): number {
  return Math.ceil(69 + 12 * Math.log2(hz / 440)) - 1;
}

const LETTER: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** 'C4' → 60, 'F#2' → 42, 'Bb3' → 58, '60' → 60; NaN if not a note. */
export function parseNoteName(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^([A-Ga-g])([#b]?)(-?\d)$/.exec(s);
  if (!m) return NaN;
  return LETTER[m[1].toUpperCase()] + (m[2] === '#' ? 1 : m[2] === 'b' ? -1 : 0) + (Number(m[3]) + 1) * 12;
}
