// The key of a melody and the spelling of its notes in that key. Key finding is the key-profile
// method (Krumhansl & Schmuckler): correlate the melody's pitch-class durations with a profile of
// each of the 24 keys. The profiles are Aarden and Essen's, measured on folk melodies (the Essen
// collection) rather than on chords, so they suit a single line; music21 ships the same numbers.

export type Mode = 'major' | 'minor';

export interface Key {
  /** Pitch class of the tonic, 0 = C. */
  tonic: number;
  mode: Mode;
  /** The key signature on the line of fifths: sharps positive, flats negative (MusicXML's fifths). */
  fifths: number;
}

/** A written pitch: letter, alteration in semitones, octave (scientific: C4 = MIDI 60). */
export interface Spelling {
  step: 'C' | 'D' | 'E' | 'F' | 'G' | 'A' | 'B';
  alter: number;
  octave: number;
}

const MAJOR_PROFILE = [5, 2, 3.5, 2, 4.5, 4, 2, 4.5, 2, 3.5, 1.5, 4];
const MINOR_PROFILE = [5, 2, 3.5, 4.5, 2, 4, 2, 4.5, 3.5, 2, 1.5, 4];

/** Pitch class → position on the line of fifths within -5..6 (C 0, G 1, F -1; D♭ rather than C♯). */
function fifthsOfPitchClass(pc: number): number {
  const q = (((pc * 7) % 12) + 12) % 12;
  return q > 6 ? q - 12 : q;
}

export function keyOf(tonic: number, mode: Mode): Key {
  const t = ((tonic % 12) + 12) % 12;
  const fifths = fifthsOfPitchClass(mode === 'major' ? t : t + 3);
  // Six sharps or six flats: F♯ major, but E♭ minor (not D♯ minor), as they are usually written.
  return { tonic: t, mode, fifths: mode === 'minor' && fifths === 6 ? -6 : fifths };
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** The most likely key of notes given as pitch and weight (duration in beats or seconds). */
export function findKey(notes: readonly { pitch: number; weight: number }[]): Key {
  const histogram = new Array<number>(12).fill(0);
  for (const n of notes) histogram[((n.pitch % 12) + 12) % 12] += n.weight;
  let best = keyOf(0, 'major'), bestR = -Infinity;
  for (const mode of ['major', 'minor'] as const) {
    const profile = mode === 'major' ? MAJOR_PROFILE : MINOR_PROFILE;
    for (let tonic = 0; tonic < 12; tonic++) {
      const rotated = histogram.map((_, pc) => histogram[(pc + tonic) % 12]);
      const r = correlation(rotated, profile);
      if (r > bestR + 1e-12) { bestR = r; best = keyOf(tonic, mode); }
    }
  }
  return best;
}

const STEPS_BY_FIFTHS: Record<number, Spelling['step']> = { [-1]: 'F', 0: 'C', 1: 'G', 2: 'D', 3: 'A', 4: 'E', 5: 'B' };
const NATURAL_PITCH_CLASS: Record<Spelling['step'], number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** Where a key's notes sit on the line of fifths: a major key's diatonic set spans fifths-1 …
 *  fifths+5, centre fifths+2. The centres lean a little flat for major (A♭ as ♭6 of C, not G♯) and
 *  sharp for minor (G♯, the leading note of A minor, not A♭). */
function spellingCentre(key: Key): number {
  return key.fifths + (key.mode === 'major' ? 1.9 : 2.6);
}

/** The letter name a pitch takes in a key: the one nearest the key on the line of fifths. */
export function spell(pitch: number, key: Key): Spelling {
  const pc = ((pitch % 12) + 12) % 12;
  const centre = spellingCentre(key);
  const q0 = (pc * 7) % 12; // C 0, G 1 … as sharps
  let q = q0;
  // Single sharps and flats only (F♭ at -8 … B♯ at 12 on the line of fifths): a chromatic note far
  // from the key reads better as A than as B𝄫.
  for (const cand of [q0 - 12, q0 + 12]) {
    if (cand >= -8 && cand <= 12 && Math.abs(cand - centre) < Math.abs(q - centre)) q = cand;
  }
  const base = ((((q + 1) % 7) + 7) % 7) - 1; // -1 (F) … 5 (B)
  const step = STEPS_BY_FIFTHS[base];
  const alter = (q - base) / 7;
  const octave = Math.floor((pitch - alter - NATURAL_PITCH_CLASS[step]) / 12) - 1;
  return { step, alter, octave };
}

/** The tonic's name in its key, e.g. 'F#' or 'Bb'. */
export function tonicName(key: Key): string {
  const s = spell(60 + key.tonic, key);
  return s.step + (s.alter > 0 ? '#'.repeat(s.alter) : 'b'.repeat(-s.alter));
}

/** The key signature's alteration of a letter: F → 1 in D major. */
export function signatureAlter(step: Spelling['step'], fifths: number): number {
  const sharpsOrder = ['F', 'C', 'G', 'D', 'A', 'E', 'B'];
  const i = sharpsOrder.indexOf(step);
  if (fifths > 0) return i < fifths ? 1 : 0;
  return 6 - i < -fifths ? -1 : 0;
}

/** A key given by the user, e.g. `D`, `F#m`, `Bb minor`, `Eb major`, `c#` (lower case: minor). */
export function parseKey(text: string): Key | null {
  const m = /^\s*([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|maj|major)?\s*$/.exec(text);
  if (!m) return null;
  const letter = m[1].toUpperCase() as Spelling['step'];
  const alter = m[2] === '#' || m[2] === '♯' ? 1 : m[2] === 'b' || m[2] === '♭' ? -1 : 0;
  const minor = m[3] ? m[3].startsWith('m') && m[3] !== 'maj' && m[3] !== 'major' : m[1] === m[1].toLowerCase();
  const key = keyOf(NATURAL_PITCH_CLASS[letter] + alter, minor ? 'minor' : 'major');
  // Keep the user's spelling where the signature allows it (C# major has 7 sharps, not 5 flats).
  const tonicFifths = base(letter) + 7 * alter;
  const fifths = minor ? tonicFifths - 3 : tonicFifths;
  return Math.abs(fifths) <= 7 ? { ...key, fifths } : key;
}

function base(step: Spelling['step']): number {
  return Number(Object.keys(STEPS_BY_FIFTHS).find((k) => STEPS_BY_FIFTHS[Number(k)] === step));
}
