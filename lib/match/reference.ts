// Reference melodies from files: Standard MIDI Files (the melody line of one track/channel, by
// default the highest voice), JSON lines of notes (melodyfilter's own output), ABC tunes and tune
// books (one melody per tune: abc.ts) and MusicXML scores (the top voice of one part: musicxml.ts).
// A folder is searched recursively. A file that cannot be a reference is an error naming the file.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseMidi, type MidiData } from 'midi-file';
import { InputError } from '../config.js';
import type { TimedNote } from '../notes.js';
import { melodyOf, type Melody } from './melody.js';
import { parseNoteLine } from './input.js';
import { looksLikeAbc, parseAbc } from './abc.js';
import { parseMusicXml } from './musicxml.js';
import { argPath, shownPath } from '../argv-bytes.js';

/** File names a folder search picks up; anything else in a folder (READMEs, audio) is left alone. */
export const REFERENCE_EXTENSIONS = [
  '.mid', '.midi', '.smf', '.jsonl', '.ndjson', '.json', '.abc', '.musicxml', '.xml',
];
/** General MIDI's percussion channel (10, 0-based 9): drums are never the melody. */
const DRUM_CHANNEL = 9;
/** The MIDI default before any setTempo: 120 beats per minute. */
const DEFAULT_US_PER_BEAT = 500_000;
/** A lower note that starts while a higher one has sounded at least this long is accompaniment. */
const SKYLINE_OVERLAP_SECONDS = 0.05;
/** Largest reference file read: 2 MiB. Real song files are rarely past a few hundred KB, and a tune
 *  book of JSON lines at ~60 bytes a note is far below this; parsing holds every MIDI event as an
 *  object (~40x the file), so the cap bounds the reader's memory (--follow's is bounded by its
 *  window of reference positions, follow.ts). */
export const MAX_REFERENCE_BYTES = 2 * 1024 * 1024;

export interface MelodySelection {
  /** Track index (0-based, as in the file); undefined: all tracks. */
  track?: number;
  /** MIDI channel 1–16; undefined: every channel but drums. */
  channel?: number;
  /** MusicXML: the part by id (P1), name or 1-based number; undefined: the first part. */
  part?: string;
  /** ABC: the tune of a tune book by its X: number; undefined: every tune. */
  tune?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A reference that cannot be read: the message starts with the file name. */
export class ReferenceFileError extends InputError {}

/** The melody of a parsed MIDI file: notes of the chosen track/channel, then the highest voice. */
export function midiMelody(midi: MidiData, sel: MelodySelection = {}): TimedNote[] {
  const ticksPerBeat = midi.header.ticksPerBeat;
  const { framesPerSecond = 25, ticksPerFrame = 40 } = midi.header; // SMPTE time, when not in beats
  const smpteSecondsPerTick = ticksPerBeat ? 0 : 1 / (framesPerSecond * ticksPerFrame);
  // Tempo map from every track (format 1 keeps it in track 0), as [tick, µs per beat].
  const tempos: [number, number][] = [];
  for (const track of midi.tracks) {
    let tick = 0;
    for (const e of track) {
      tick += e.deltaTime;
      if (e.type === 'setTempo') tempos.push([tick, e.microsecondsPerBeat]);
    }
  }
  tempos.sort((a, b) => a[0] - b[0]);
  const seconds = (tick: number): number => {
    if (!ticksPerBeat) return tick * smpteSecondsPerTick;
    let s = 0, lastTick = 0, us = DEFAULT_US_PER_BEAT;
    for (const [t, u] of tempos) {
      if (t >= tick) break;
      s += ((t - lastTick) * us) / 1e6 / ticksPerBeat; lastTick = t; us = u;
    }
    return s + ((tick - lastTick) * us) / 1e6 / ticksPerBeat;
  };
  const notes: TimedNote[] = [];
  midi.tracks.forEach((track, t) => {
    if (sel.track !== undefined && t !== sel.track) return;
    let tick = 0;
    const open = new Map<number, number>(); // channel*128 + pitch → start tick
    const close = (key: number, end: number) => {
      const start = open.get(key);
      if (start === undefined) return;
      open.delete(key);
      notes.push({ pitch: key % 128, start: seconds(start), end: seconds(Math.max(end, start + 1)) });
    };
    for (const e of track) {
      tick += e.deltaTime;
      if (e.type !== 'noteOn' && e.type !== 'noteOff') continue;
      if (sel.channel !== undefined ? e.channel !== sel.channel - 1 : e.channel === DRUM_CHANNEL) continue;
      const key = e.channel * 128 + e.noteNumber;
      if (e.type === 'noteOn' && e.velocity > 0) { close(key, tick); open.set(key, tick); } else close(key, tick);
    }
    for (const key of [...open.keys()]) close(key, tick);
  });
  return skyline(notes);
}

/** The highest voice: the top note of each chord, and no note that starts under a held higher one. */
export function skyline(notes: TimedNote[]): TimedNote[] {
  const sorted = [...notes].sort((a, b) => a.start - b.start || b.pitch - a.pitch);
  const out: TimedNote[] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n.start - last.start < 0.001) continue; // same onset, lower pitch: chord below the tune
    if (last && last.pitch > n.pitch && last.end - n.start > SKYLINE_OVERLAP_SECONDS) continue;
    out.push(n);
  }
  return out;
}

/** Why a MIDI file's chunks or events run past where they end, or null when they all fit.
 *  midi-file reads past the end as `undefined` and keeps going, so a file cut short (or a length
 *  field that claims more than is there) parses into events with missing notes; mido rejects it. */
function midiStructureError(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredTracks = view.getUint16(10);
  let at = 8 + view.getUint32(4), tracks = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) return `${bytes.length - at} stray bytes at the end, not a chunk`;
    const id = String.fromCharCode(...bytes.subarray(at, at + 4)), length = view.getUint32(at + 4);
    const have = bytes.length - at - 8;
    if (length > have) return `chunk ${id} at byte ${at} declares ${length} bytes, the file has ${have} after it`;
    if (id === 'MTrk') {
      const why = trackEventsError(bytes.subarray(at + 8, at + 8 + length));
      if (why) return `track ${tracks}: ${why}`;
      tracks++;
    }
    at += 8 + length;
  }
  if (tracks < declaredTracks) return `the header declares ${declaredTracks} tracks, the file has ${tracks}`;
  return null;
}

/** Walks one track's events without building them: every length must end inside the track. */
function trackEventsError(track: Uint8Array): string | null {
  let at = 0, running = 0;
  const varInt = (): number => {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      if (at >= track.length) return -1;
      const b = track[at++];
      v = v * 128 + (b & 0x7f);
      if (!(b & 0x80)) return v;
    }
    return -1; // a variable-length quantity has at most 4 bytes
  };
  while (at < track.length) {
    const eventAt = at;
    if (varInt() < 0 || at >= track.length) return `event at byte ${eventAt} is cut short`;
    let status = track[at];
    if (status & 0x80) at++;
    else if (running) status = running; // running status: the data byte comes first
    else return `data byte with no status at byte ${at}`;
    if (status === 0xff || status === 0xf0 || status === 0xf7) {
      if (status === 0xff) at++; // meta type
      const length = varInt();
      if (length < 0 || at + length > track.length) {
        const what = status === 0xff ? 'meta event' : 'sysex';
        const declared = length < 0 ? 'a length' : `${length} bytes`;
        return `${what} at byte ${eventAt} declares ${declared} past the track's end`;
      }
      at += length;
      continue;
    }
    if (status >= 0xf0) return null; // system common: midi-file reports it as unrecognised
    running = status;
    at += (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
    if (at > track.length) return `event at byte ${eventAt} is cut short`;
  }
  return null;
}

function checkMidi(bytes: Uint8Array, file: string): MidiData {
  if (bytes.length < 14 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'MThd') {
    throw new ReferenceFileError(`${file}: not a Standard MIDI File (no MThd header)`);
  }
  const corrupt = (why: string) =>
    new ReferenceFileError(`${file}: corrupt MIDI file (${why.replace(/\s+/g, ' ').trim()})`);
  const structure = midiStructureError(bytes);
  if (structure) throw corrupt(structure);
  try {
    return parseMidi(bytes);
  } catch (err) {
    // midi-file throws strings and RangeErrors for garbled chunks.
    throw corrupt(typeof err === 'string' ? err : (err as Error).message);
  }
}

/** The bytes of a reference file: a regular file within the size cap. Opened without blocking and
 *  checked before reading: a FIFO would block the read forever and a device (/dev/zero) never ends. */
function readReference(arg: string): Buffer {
  const file = shownPath(arg);
  let fd: number;
  try {
    fd = openSync(argPath(arg), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ReferenceFileError(
      `${file}: cannot read (${e.code === 'ENOENT' ? 'no such file' : e.code ?? e.message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device'
        : st.isSocket() ? 'a socket' : st.isDirectory() ? 'a folder' : 'a special file';
      throw new ReferenceFileError(
        `${file}: not a regular file (${kind}); a reference is a MIDI, ABC, MusicXML or JSON-lines file`);
    }
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    const tooLarge = (size: number) =>
      new ReferenceFileError(
        `${file}: too large for a reference (${mib(size)}; the limit is ${mib(MAX_REFERENCE_BYTES)})`);
    if (st.size > MAX_REFERENCE_BYTES) throw tooLarge(st.size);
    // One byte more than the cap is read, so a file that grew since the stat is still refused.
    const buf = Buffer.alloc(Math.min(st.size, MAX_REFERENCE_BYTES) + 1);
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, null)) > 0;) got += n;
    if (got > MAX_REFERENCE_BYTES) throw tooLarge(got);
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof ReferenceFileError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new ReferenceFileError(`${file}: cannot read (${e.code ?? e.message})`);
  } finally {
    closeSync(fd);
  }
}

/** The one melody of a reference file (a tune book's one tune: --tune picks it). */
export function loadReference(file: string, sel: MelodySelection = {}): Melody {
  const melodies = loadReferenceMelodies(file, sel);
  if (melodies.length > 1) {
    throw new ReferenceFileError(
      `${shownPath(file)}: a tune book of ${melodies.length} tunes; choose one with --tune X (its X: number)`);
  }
  return melodies[0];
}

function abcMelodies(file: string, text: string, sel: MelodySelection): Melody[] {
  if (!looksLikeAbc(text)) throw new ReferenceFileError(`${file}: not an ABC tune (no X: and K: lines)`);
  let tunes = parseAbc(text);
  // A tune of a book is named FILE#X TITLE, also when --tune kept it alone.
  const book = tunes.length > 1;
  if (sel.tune !== undefined) {
    tunes = tunes.filter((t) => t.number === sel.tune);
    if (!tunes.length) throw new ReferenceFileError(`${file}: no tune X:${sel.tune}`);
  }
  const melodies: Melody[] = [];
  for (const t of tunes) {
    const name = book ? `${file}#${t.number}${t.title ? ` ${t.title}` : ''}` : file;
    if (t.notes.length < 2) {
      const why = t.warnings.length ? `: ${t.warnings[0]}` : '';
      throw new ReferenceFileError(
        `${book ? `${file}: tune X:${t.number}` : file}: no melody (${plural(t.notes.length, 'note')})${why}`);
    }
    melodies.push(melodyOf(name, skyline(t.notes)));
  }
  return melodies;
}

function musicXmlMelody(file: string, text: string, sel: MelodySelection): Melody {
  const { parts, problem } = parseMusicXml(text);
  if (problem) throw new ReferenceFileError(`${file}: ${problem}`);
  const wanted = sel.part;
  const part = wanted === undefined ? parts[0]
    : parts.find((p) => p.id === wanted || p.name === wanted) ??
      (/^\d+$/.test(wanted) ? parts[Number(wanted) - 1] : undefined);
  if (!part) {
    const have = parts.map((p, i) => `${i + 1}: ${p.id}${p.name ? ` (${p.name})` : ''}`).join(', ');
    throw new ReferenceFileError(
      wanted === undefined ? `${file}: no parts` : `${file}: no part ${wanted} (the score has ${have || 'none'})`);
  }
  if (part.notes.length < 2) {
    throw new ReferenceFileError(`${file}: no melody in part ${part.id} (${plural(part.notes.length, 'note')})`);
  }
  return melodyOf(file, skyline(part.notes));
}

/** Every melody of one reference file: one, or a tune book's tunes. JSON lines are notes
 *  ({pitch,start,...}) or note-on events. */
export function loadReferenceMelodies(arg: string, sel: MelodySelection = {}): Melody[] {
  const bytes = readReference(arg);
  const file = shownPath(arg); // the name in messages and in results: a non-UTF-8 byte as \xHH
  if (bytes.length === 0) throw new ReferenceFileError(`${file}: empty file, not a reference`);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.mxl') {
    throw new ReferenceFileError(`${file}: compressed MusicXML (.mxl) is not read; export uncompressed .musicxml`);
  }
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
  const abcHead = ext !== '.xml' && ext !== '.musicxml' && /^X:/m.test(head);
  if (ext === '.abc' || (abcHead && /^K:/m.test(bytes.toString('utf8')))) {
    return abcMelodies(file, bytes.toString('utf8'), sel);
  }
  if (ext === '.musicxml' || ext === '.xml' || /<score-(partwise|timewise)\b/.test(head)) {
    return [musicXmlMelody(file, bytes.toString('utf8'), sel)];
  }
  const looksMidi = bytes.length >= 4 && bytes.toString('latin1', 0, 4) === 'MThd';
  if (looksMidi || ['.mid', '.midi', '.smf'].includes(ext)) {
    const midi = checkMidi(bytes, file);
    if (sel.track !== undefined && sel.track >= midi.tracks.length) {
      const n = midi.tracks.length;
      throw new ReferenceFileError(`${file}: no track ${sel.track} (the file has ${n}: 0-${n - 1})`);
    }
    const notes = midiMelody(midi, sel);
    if (notes.length < 2) {
      const chosen = [sel.track !== undefined ? `track ${sel.track}` : '',
        sel.channel !== undefined ? `channel ${sel.channel}` : ''];
      const where = chosen.some(Boolean) ? `in ${chosen.filter(Boolean).join(', ')}` : 'outside the drum channel';
      throw new ReferenceFileError(`${file}: no melody track (${plural(notes.length, 'note')} ${where})`);
    }
    return [melodyOf(file, notes)];
  }
  const text = bytes.toString('utf8');
  const notes: { pitch: number; start: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const r = parseNoteLine(lines[i]);
    if ('error' in r) {
      const why = `${r.error} (a reference is a MIDI, ABC or MusicXML file or melodyfilter's JSON lines)`;
      throw new ReferenceFileError(`${file}: line ${i + 1}: ${why}`);
    }
    if (r.note) notes.push(r.note);
  }
  if (notes.length < 2) throw new ReferenceFileError(`${file}: no melody (${plural(notes.length, 'note')})`);
  return [melodyOf(file, notes)];
}

/** Files a list of paths stands for: files as given, folders searched recursively (sorted). */
export function referenceFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (REFERENCE_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(argPath(p));
    } catch {
      throw new ReferenceFileError(`${shownPath(p)}: cannot read (no such file or folder)`);
    }
    if (st.isDirectory()) {
      const before = out.length;
      walk(p);
      if (out.length === before) {
        throw new ReferenceFileError(`${p}: no reference files in this folder (${REFERENCE_EXTENSIONS.join(' ')})`);
      }
    } else out.push(p);
  }
  return out;
}

/** Every reference the paths stand for. */
export function loadReferences(paths: readonly string[], sel: MelodySelection = {}): Melody[] {
  return referenceFiles(paths).flatMap((f) => loadReferenceMelodies(f, sel));
}
