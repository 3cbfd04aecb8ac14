// SVG piano roll: keys down the left, seconds along the bottom, one bar per note.
import { type Note } from '../notes.js';
import { midiName } from '../music.js';
import { collectNotes, type NoteOutput } from '../notes.js';

/** Seconds are 100 px wide while the take fits MAX_WIDTH_PX; a longer take is scaled down to fit
 *  (a 6-minute take was 36,550 px wide): a browser window or a page shows it whole. */
const PX_PER_SECOND = 100;
export const MAX_WIDTH_PX = 1600;
/** Labels on the time axis at least this far apart. */
const MIN_LABEL_PX = 48;
const TICK_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const PX_PER_KEY = 10;
const KEYBOARD_PX = 40;
const AXIS_PX = 24;
const BLACK = new Set([1, 3, 6, 8, 10]);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

export interface SvgOptions {
  /** Total width in px; default: 100 px per second up to MAX_WIDTH_PX. */
  widthPx?: number;
}

function clock(s: number): string {
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function renderSvg(notes: readonly Note[], title = 'melodyfilter', opts: SvgOptions = {}): string {
  // A loop, not Math.min(...pitches): spreading an hour of notes overflows the call stack.
  let lowest = Infinity, highest = -Infinity;
  for (const n of notes) { lowest = Math.min(lowest, n.pitch); highest = Math.max(highest, n.pitch); }
  const low = notes.length ? Math.max(21, lowest - 2) : 57;
  const high = notes.length ? Math.min(108, highest + 2) : 72;
  const seconds = Math.max(1, Math.ceil(notes.reduce((m, n) => Math.max(m, n.end), 0)));
  const keys = high - low + 1;
  const width = Math.round(opts.widthPx ?? Math.min(MAX_WIDTH_PX, KEYBOARD_PX + seconds * PX_PER_SECOND + 10));
  const pxPerSecond = (width - KEYBOARD_PX - 10) / seconds;
  const tick = TICK_SECONDS.find((s) => s * pxPerSecond >= MIN_LABEL_PX) ?? TICK_SECONDS.at(-1)!;
  const height = keys * PX_PER_KEY + AXIS_PX;
  const y = (p: number) => (high - p) * PX_PER_KEY;
  const x = (t: number) => KEYBOARD_PX + t * pxPerSecond;
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
  for (let s = 0; s <= seconds; s += tick) {
    const at = x(s).toFixed(1);
    parts.push(`<line x1="${at}" y1="0" x2="${at}" y2="${keys * PX_PER_KEY}" stroke="#bbb" stroke-width="0.5"/>`);
    parts.push(`<text x="${(x(s) - 3).toFixed(1)}" y="${height - 8}" fill="#333">${clock(s)}</text>`);
  }
  for (const n of notes) {
    const w = Math.max(1, (n.end - n.start) * pxPerSecond);
    const shade = Math.round(200 - (n.velocity / 127) * 150);
    parts.push(`<rect class="note" x="${x(n.start).toFixed(1)}" y="${y(n.pitch) + 1}" width="${w.toFixed(1)}" ` +
      `height="${PX_PER_KEY - 2}" rx="2" fill="rgb(${shade},${shade},255)" stroke="#1a3d8f">` +
      `<title>${n.name} ${n.start}–${n.end} s</title></rect>`);
  }
  parts.push('</svg>\n');
  return parts.join('\n');
}

export function svgWriter(title?: string, opts: SvgOptions = {}) {
  return async function* (src: AsyncIterable<NoteOutput[]>): AsyncGenerator<string> {
    yield renderSvg(await collectNotes(src), title, opts);
  };
}
