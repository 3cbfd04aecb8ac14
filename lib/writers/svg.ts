// SVG piano roll: keys down the left, seconds along the bottom, one bar per note.
import { midiName, type Note } from '../notes.js';
import { collectNotes, type NoteOutput } from '../notes.js';

const PX_PER_SECOND = 100;
const PX_PER_KEY = 10;
const KEYBOARD_PX = 40;
const AXIS_PX = 24;
const BLACK = new Set([1, 3, 6, 8, 10]);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

export function renderSvg(notes: readonly Note[], title = 'melodyfilter'): string {
  // A loop, not Math.min(...pitches): spreading an hour of notes overflows the call stack.
  let lowest = Infinity, highest = -Infinity;
  for (const n of notes) { lowest = Math.min(lowest, n.pitch); highest = Math.max(highest, n.pitch); }
  const low = notes.length ? Math.max(21, lowest - 2) : 57;
  const high = notes.length ? Math.min(108, highest + 2) : 72;
  const seconds = Math.max(1, Math.ceil(notes.reduce((m, n) => Math.max(m, n.end), 0)));
  const keys = high - low + 1;
  const width = KEYBOARD_PX + seconds * PX_PER_SECOND + 10;
  const height = keys * PX_PER_KEY + AXIS_PX;
  const y = (p: number) => (high - p) * PX_PER_KEY;
  const x = (t: number) => KEYBOARD_PX + t * PX_PER_SECOND;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="8">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  for (let p = low; p <= high; p++) {
    const black = BLACK.has(p % 12);
    parts.push(`<rect x="0" y="${y(p)}" width="${width}" height="${PX_PER_KEY}" ` +
      `fill="${black ? '#eef' : '#fff'}" stroke="#ddd" stroke-width="0.5"/>`);
    parts.push(`<rect x="0" y="${y(p)}" width="${KEYBOARD_PX - 4}" height="${PX_PER_KEY}" ` +
      `fill="${black ? '#222' : '#fafafa'}" stroke="#999" stroke-width="0.5"/>`);
    if (p % 12 === 0) parts.push(`<text x="2" y="${y(p) + PX_PER_KEY - 2}" fill="#000">${midiName(p)}</text>`);
  }
  for (let s = 0; s <= seconds; s++) {
    parts.push(`<line x1="${x(s)}" y1="0" x2="${x(s)}" y2="${keys * PX_PER_KEY}" stroke="#bbb" stroke-width="0.5"/>`);
    parts.push(`<text x="${x(s) - 3}" y="${height - 8}" fill="#333">${s}s</text>`);
  }
  for (const n of notes) {
    const w = Math.max(1, (n.end - n.start) * PX_PER_SECOND);
    const shade = Math.round(200 - (n.velocity / 127) * 150);
    parts.push(`<rect class="note" x="${x(n.start).toFixed(1)}" y="${y(n.pitch) + 1}" width="${w.toFixed(1)}" ` +
      `height="${PX_PER_KEY - 2}" rx="2" fill="rgb(${shade},${shade},255)" stroke="#1a3d8f">` +
      `<title>${n.name} ${n.start}–${n.end} s</title></rect>`);
  }
  parts.push('</svg>\n');
  return parts.join('\n');
}

export function svgWriter(title?: string) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    yield renderSvg(await collectNotes(src), title);
  };
}
