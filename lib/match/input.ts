// melodyfilter's JSON lines, read back: notes ({"pitch","start","end",…}) or --events lines
// ({"event":"on"|"off","pitch","time"}). Anything else is reported, never guessed at.
import type { PlayedNote } from './melody.js';

/** A parsed line: a note, nothing to use (a note-off), or why the line is not one. */
export type LineResult = { note: PlayedNote | null } | { error: string };

export function parseNoteLine(line: string): LineResult {
  let v: unknown;
  try {
    // A byte-order mark before the first line (Windows editors write one) is not part of the JSON.
    v = JSON.parse(line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);
  } catch {
    return { error: `not JSON: ${JSON.stringify(line.length > 40 ? line.slice(0, 40) + '…' : line)}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  const pitch = o.pitch;
  if (typeof pitch !== 'number' || !Number.isInteger(pitch) || pitch < 0 || pitch > 127) {
    return { error: `no "pitch" 0-127 (got ${JSON.stringify(pitch)})` };
  }
  if (o.event === 'off') return { note: null };
  const start = o.event === 'on' ? o.time : o.start;
  if (typeof start !== 'number' || !Number.isFinite(start)) {
    return { error: `no ${o.event === 'on' ? '"time"' : '"start"'} in seconds (got ${JSON.stringify(start)})` };
  }
  if (o.event !== undefined && o.event !== 'on') return { error: `unknown "event" ${JSON.stringify(o.event)}` };
  const end = typeof o.end === 'number' && Number.isFinite(o.end) ? o.end : undefined;
  return { note: { pitch, start, end } };
}
