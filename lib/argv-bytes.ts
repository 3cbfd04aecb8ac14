// File names from the command line as the bytes the user gave. Node decodes argv as UTF-8, so a
// name in another encoding (Latin-1's é is the byte 0xE9) arrives with U+FFFD in place of the
// byte and names no file. On Linux /proc/self/cmdline still has the bytes; fs takes a Buffer path.
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

const REPLACEMENT = '\uFFFD';
let rawArgs: Buffer[] | null = null;

/** The process's arguments as bytes, NUL-separated in /proc; none where there is no /proc. */
function raw(): Buffer[] {
  if (rawArgs) return rawArgs;
  rawArgs = [];
  try {
    const bytes = readFileSync('/proc/self/cmdline');
    for (let at = 0; at < bytes.length;) {
      const end = bytes.indexOf(0, at);
      const stop = end < 0 ? bytes.length : end;
      rawArgs.push(bytes.subarray(at, stop));
      at = stop + 1;
    }
  } catch {
    // Not Linux (or /proc not mounted): names stay as Node decoded them.
  }
  return rawArgs;
}

/** A path for fs from a command-line argument: the argument's own bytes where they are not UTF-8
 *  (and so were decoded with U+FFFD), else the string. */
export function argPath(arg: string): string | Buffer {
  if (!arg.includes(REPLACEMENT)) return arg;
  return raw().find((b) => !isUtf8(b) && b.toString('utf8') === arg) ?? arg;
}

/** A path readable in a message: UTF-8 as text, any other byte as \xHH (caf\xe9.wav). */
export function shownPath(p: string | Buffer): string {
  if (typeof p === 'string') {
    const bytes = argPath(p);
    if (typeof bytes === 'string') return p;
    p = bytes;
  }
  let out = '';
  for (let i = 0; i < p.length;) {
    const b = p[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const seq = len ? p.subarray(i, i + len) : null;
    if (seq && seq.length === len && isUtf8(seq)) { out += seq.toString('utf8'); i += len; }
    else { out += `\\x${b.toString(16).padStart(2, '0')}`; i++; }
  }
  return out;
}
