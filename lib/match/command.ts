// `melodyfilter match`: which reference is being played (JSON lines of notes on stdin), or with
// --follow, how well one reference is being played. Exit status as grep's: 0 matched, 1 nothing
// matched, 2 trouble (usage, unreadable reference).
import { createInterface } from 'node:readline';
import { UsageError, errnoWords } from '../config.js';
import type { OptionTable, Parsed } from '../cli/options.js';
import type { Subcommand } from '../cli/commands.js';
import { checkedStdout } from '../cli/output.js';
import { createMatcher, MATCHER_DEFAULTS, type MatchResult } from './identify.js';
import { createFollower, FOLLOWER_DEFAULTS, type FollowEvent } from './follow.js';
import { loadReference, loadReferences, ReferenceFileError, type MelodySelection } from './reference.js';
import { parseNoteLine } from './input.js';

export const EXIT_MATCHED = 0, EXIT_NO_MATCH = 1, EXIT_TROUBLE = 2;
/** Score a ranking needs to count as a match. Half the played window right is far above what
 *  another tune scores by chance (the README's match section: distractor figures). */
export const DEFAULT_MIN_SCORE = 0.5;
/** Share right in order a practice run needs. Following one reference, jumps and all, finds more
 *  of it in another tune than a ranking does: scripts/follow-check.ts puts wrong tunes at median
 *  0.37, 11.7% of them ≥ 0.5 and 0.1% ≥ 0.7; right runs with up to 3 errors at ≥ 0.81. */
export const DEFAULT_FOLLOW_MIN_SCORE = 0.7;

const MATCHING = 'Matching', PRACTICE = 'Practice (--follow)', REFERENCES = 'MIDI references';

/** Every flag of the subcommand, once: parsing, the value checks and --help all come from here
 *  (lib/cli/options.ts). */
export const MATCH_OPTIONS: OptionTable = {
  follow: {
    kind: 'string', value: 'REF', section: PRACTICE, help: 'follow one reference and judge every played note',
  },
  lag: {
    kind: 'integer', value: 'N', section: PRACTICE, range: [0, 16], default: FOLLOWER_DEFAULTS.lag,
    help: 'notes a verdict waits for, to tell wrong from extra (default {default})',
  },
  'timing-tolerance': {
    kind: 'number', value: 'MS', section: PRACTICE, range: [0.1, 60_000], default: FOLLOWER_DEFAULTS.timingToleranceMs,
    target: 'timingToleranceMs', help: 'onset error that makes a note early or late (default {default})',
  },
  'min-score': {
    // No default here: it depends on --follow (matchInvocation).
    kind: 'number', value: 'X', section: MATCHING, range: [0, 1], target: 'minScore',
    help: `score 0-1 that counts as a match, for the exit status (default ${DEFAULT_MIN_SCORE}; `
      + `--follow: ${DEFAULT_FOLLOW_MIN_SCORE})`,
  },
  top: {
    kind: 'integer', value: 'N', section: MATCHING, range: [1, 1000], default: MATCHER_DEFAULTS.top,
    help: 'references in each ranking (default {default})',
  },
  'min-notes': {
    kind: 'integer', value: 'N', section: MATCHING, range: [2, 1000], default: MATCHER_DEFAULTS.minNotes,
    target: 'minNotes', help: 'notes before the first ranking (default {default})',
  },
  window: {
    kind: 'integer', value: 'N', section: MATCHING, range: [4, 10_000], default: MATCHER_DEFAULTS.window,
    help: 'played notes a ranking looks back over (default {default})',
  },
  final: { kind: 'boolean', section: MATCHING, help: 'only the final ranking, no live match lines' },
  track: {
    kind: 'integer', value: 'N', section: REFERENCES, range: [0, 65535],
    help: 'the melody is in track N (0-based; default: all tracks)',
  },
  channel: {
    kind: 'integer', value: 'N', section: REFERENCES, range: [1, 16],
    help: 'the melody is on channel N (1-16; default: all but drums)',
  },
  part: {
    kind: 'string', value: 'P', section: REFERENCES,
    help: 'MusicXML: the melody is part P (its id, name or number from 1;\ndefault: the first part)',
  },
  tune: {
    kind: 'string', value: 'X', section: REFERENCES,
    help: 'ABC tune books: only the tune numbered X: X (default: every tune)',
  },
};

const EPILOGUE = `REFs are Standard MIDI Files (the melody: by default the highest voice), ABC tunes and tune
books (each X: tune a reference), MusicXML scores (.musicxml, .xml: the top voice of one part),
melodyfilter's JSON lines, or folders of them (searched recursively). Input: melodyfilter's JSON
lines on stdin (notes, or --events lines).

Output (JSON lines): identification writes {"event":"match","rank":1,...} lines for the best
references after each note and {"event":"result","rank":1,...} lines at the end; --follow writes
{"event":"note","verdict":"ok|wrong|extra|missed|early|late",...} per note and a summary.
Exit status: 0 matched (score, or for --follow the share right, >= --min-score), 1 nothing matched,
2 usage error or bad reference.

Examples:
  melodyfilter take.wav | melodyfilter match tunes/
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter | melodyfilter match tunes/
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter | melodyfilter match --follow tunes/ode.mid
`;

export interface MatchInvocation {
  refs: string[];
  follow: string | null;
  minScore: number;
  top?: number; minNotes?: number; window?: number; lag?: number; timingToleranceMs?: number;
  final: boolean;
  selection: MelodySelection;
  verbose: boolean;
}

/** Parsed flags → what to do; every mistake is a UsageError. */
export function matchInvocation({ options: o, positionals }: Parsed): MatchInvocation {
  const follow = (o.follow as string | undefined) ?? null;
  const n = (x: unknown) => x as number | undefined;
  const inv: MatchInvocation = {
    refs: positionals, follow,
    minScore: n(o.minScore) ?? (follow === null ? DEFAULT_MIN_SCORE : DEFAULT_FOLLOW_MIN_SCORE),
    top: n(o.top), minNotes: n(o.minNotes), window: n(o.window),
    lag: n(o.lag), timingToleranceMs: n(o.timingToleranceMs),
    final: Boolean(o.final),
    selection: {
      track: n(o.track), channel: n(o.channel), part: o.part as string | undefined, tune: o.tune as string | undefined,
    },
    verbose: Boolean(o.verbose),
  };
  if (inv.follow !== null && inv.refs.length) {
    throw new UsageError(`match --follow takes one reference and reads notes from stdin; got also ${inv.refs[0]}`);
  }
  if (inv.follow === null && !inv.refs.length) {
    throw new UsageError(
      'match needs references: MIDI, ABC, MusicXML or JSON-lines files or folders (or --follow REF)');
  }
  return inv;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const line = (o: object) =>
  JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? r3(v) : v)) + '\n';

function matchLine(event: 'match' | 'result', r: MatchResult, rank: number): string {
  return line({ event, rank, ref: r.ref, score: r.score, transpose: r.transpose, tempo: r.tempo,
    position: r.position, ...(event === 'result' ? { notes: r.notes } : {}) });
}

/** Lines of stdin as played notes; a line that is not one is reported and skipped. So is a note
 *  that starts before the one before it: the matcher and the follower take notes in onset order
 *  (a played note is a step forward in time), and a note from the past (two takes concatenated, an
 *  edited file) would be read as a wrong or extra note out of place. */
async function* notesFrom(input: NodeJS.ReadableStream, warn: (s: string) => void) {
  let n = 0, lastStart = -Infinity;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (!text.trim()) continue;
    const r = parseNoteLine(text);
    if ('error' in r) { warn(`stdin line ${n}: ${r.error}; skipped`); continue; }
    if (!r.note) continue;
    if (r.note.start < lastStart) {
      warn(`stdin line ${n}: starts at ${r.note.start} s, before the note before it (${lastStart} s); skipped`);
      continue;
    }
    lastStart = r.note.start;
    yield r.note;
  }
}

async function run(parsed: Parsed): Promise<number> {
  const inv = matchInvocation(parsed);
  const stdout = checkedStdout();
  const out = (s: string) => stdout.write(s);
  const warn = (s: string) => process.stderr.write(`melodyfilter: warning: ${s}\n`);
  // A producer upstream gets Ctrl-C too and ends its output: finish then, with the summary.
  if (!process.stdin.isTTY) process.on('SIGINT', () => {});
  try {
    const started = performance.now();
    if (inv.follow !== null) {
      const ref = loadReference(inv.follow, inv.selection);
      if (inv.verbose) process.stderr.write(`melodyfilter: ${ref.name}: ${ref.pitches.length} notes\n`);
      const follower = createFollower(ref, { lag: inv.lag, timingToleranceMs: inv.timingToleranceMs });
      const write = (evs: FollowEvent[]) => { for (const e of evs) out(line(e)); };
      for await (const note of notesFrom(process.stdin, warn)) write(follower.push(note));
      write(follower.end());
      const summary = follower.summary();
      out(line(summary));
      await stdout.close();
      return summary.played > 0 && summary.right >= inv.minScore ? EXIT_MATCHED : EXIT_NO_MATCH;
    }
    const refs = loadReferences(inv.refs, inv.selection);
    const matcher = createMatcher(refs, { top: inv.top, minNotes: inv.minNotes, window: inv.window });
    if (inv.verbose) {
      const ms = performance.now() - started;
      process.stderr.write(`melodyfilter: ${refs.length} references indexed in ${ms.toFixed(0)} ms\n`);
    }
    let notes = 0, matchMs = 0;
    for await (const note of notesFrom(process.stdin, warn)) {
      const t0 = performance.now();
      const ranking = matcher.push(note);
      matchMs += performance.now() - t0; notes++;
      if (!inv.final) ranking.forEach((r, i) => out(matchLine('match', r, i + 1)));
    }
    const results = matcher.results();
    results.forEach((r, i) => out(matchLine('result', r, i + 1)));
    if (inv.verbose) {
      process.stderr.write(`melodyfilter: ${notes} notes, ${(matchMs / Math.max(1, notes)).toFixed(2)} ms per note\n`);
    }
    await stdout.close();
    return results.length && results[0].score >= inv.minScore ? EXIT_MATCHED : EXIT_NO_MATCH;
  } catch (err) {
    // grep's convention: 1 is "nothing matched", so a reference that cannot be read, or output that
    // cannot be written, is 2, as usage.
    const errno = err as NodeJS.ErrnoException;
    if (errno.syscall === 'write' && errno.code && errno.code !== 'EPIPE') {
      process.stderr.write(`melodyfilter: cannot write the output: ${errnoWords(errno)}\n`);
      return EXIT_TROUBLE;
    }
    if (!(err instanceof ReferenceFileError)) throw err;
    process.stderr.write(`melodyfilter: ${err.message}\n`);
    return EXIT_TROUBLE;
  }
}

export const matchCommand: Subcommand = {
  name: 'match', summary: 'which tune the notes on stdin are, or (--follow) how well one is played',
  options: MATCH_OPTIONS, operands: 'REF...', epilogue: EPILOGUE, run,
};
