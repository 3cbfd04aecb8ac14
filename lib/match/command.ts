// `melodyfilter match`: which reference is being played (JSON lines of notes on stdin), or with
// --follow, how well one reference is being played. Exit status as grep's: 0 matched, 1 nothing
// matched, 2 trouble (usage, unreadable reference).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { UsageError } from '../config.js';
import { createMatcher, MATCHER_DEFAULTS, type MatchResult } from './identify.js';
import { createFollower, FOLLOWER_DEFAULTS, type FollowEvent } from './follow.js';
import { loadReference, loadReferences, type MelodySelection } from './reference.js';
import { parseNoteLine } from './input.js';

export const EXIT_MATCHED = 0, EXIT_NO_MATCH = 1, EXIT_TROUBLE = 2;
/** Score a ranking or a practice run needs to count as a match. Half the played window right is
 *  far above what another tune scores by chance (see README-match.md's distractor figures). */
export const DEFAULT_MIN_SCORE = 0.5;

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  arg?: string;
  default?: string;
  description: string;
}

/** Every flag of the subcommand, once: parsing and --help both come from here. */
export const MATCH_OPTIONS: Record<string, OptionSpec> = {
  follow: { type: 'string', arg: 'REF', description: 'practice: follow one reference and judge every played note' },
  'min-score': { type: 'string', arg: 'X', default: String(DEFAULT_MIN_SCORE), description: 'score 0-1 that counts as a match (exit 0)' },
  top: { type: 'string', arg: 'N', default: String(MATCHER_DEFAULTS.top), description: 'references in each ranking' },
  'min-notes': { type: 'string', arg: 'N', default: String(MATCHER_DEFAULTS.minNotes), description: 'notes before the first ranking' },
  window: { type: 'string', arg: 'N', default: String(MATCHER_DEFAULTS.window), description: 'played notes a ranking looks back over' },
  final: { type: 'boolean', description: 'identification: only the final ranking, no live match lines' },
  track: { type: 'string', arg: 'N', description: 'MIDI references: the melody is in track N (0-based; default: all)' },
  channel: { type: 'string', arg: 'N', description: 'MIDI references: the melody is on channel N (1-16; default: all but drums)' },
  lag: { type: 'string', arg: 'N', default: String(FOLLOWER_DEFAULTS.lag), description: '--follow: notes a verdict waits for, to tell wrong from extra' },
  'timing-tolerance': { type: 'string', arg: 'MS', default: String(FOLLOWER_DEFAULTS.timingToleranceMs), description: '--follow: onset error that makes a note early or late' },
  verbose: { type: 'boolean', short: 'v', description: 'references loaded and timings on stderr' },
  help: { type: 'boolean', short: 'h', description: 'this help' },
};

export function matchHelp(): string {
  const rows = Object.entries(MATCH_OPTIONS).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(26)}${o.description}${o.default !== undefined ? ` (default ${o.default})` : ''}`;
  });
  return `melodyfilter match: which tune is being played, or (--follow) how well.

Usage:
  melodyfilter match [options] REF...        identify: REFs are MIDI files, melodyfilter JSON-lines
                                             files, or folders of them (searched recursively)
  melodyfilter match --follow REF [options]  practice: judge each note against one reference
Input: melodyfilter's JSON lines on stdin (notes, or --events lines).

Options:
${rows.join('\n')}

Output (JSON lines): identification writes {"event":"match",...} lines for the best references
after each note and {"event":"result","rank":1,...} lines at the end; --follow writes
{"event":"note","verdict":"ok|wrong|extra|missed|early|late",...} per note and a summary.
Exit status: 0 matched (score >= --min-score), 1 nothing matched, 2 usage error or bad reference.

Examples:
  melodyfilter take.wav | melodyfilter match tunes/
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter | melodyfilter match tunes/
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter | melodyfilter match --follow tunes/ode-to-joy.mid
`;
}

function intOption(v: string | boolean | undefined, name: string, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${name} must be an integer ${lo}-${hi}, got ${JSON.stringify(v)}`);
  return n;
}

export interface MatchInvocation {
  refs: string[];
  follow: string | null;
  minScore: number;
  top?: number; minNotes?: number; window?: number; lag?: number; timingToleranceMs?: number;
  final: boolean;
  selection: MelodySelection;
  verbose: boolean;
  help: boolean;
}

export function parseMatchArgv(argv: string[]): MatchInvocation {
  let parsed;
  try {
    const options = Object.fromEntries(Object.entries(MATCH_OPTIONS).map(([k, o]) => [k, o.short ? { type: o.type, short: o.short } : { type: o.type }]));
    parsed = parseArgs({ args: argv, options: options as never, allowPositionals: true, strict: true });
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    const unknown = /^Unknown option '([^']+)'/.exec(first);
    throw new UsageError(unknown ? `match: unknown option ${unknown[1]}` : `match: ${first}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const minScore = v['min-score'] === undefined ? DEFAULT_MIN_SCORE : Number(v['min-score']);
  if (!(minScore >= 0 && minScore <= 1)) throw new UsageError(`--min-score must be a number 0-1, got ${JSON.stringify(v['min-score'])}`);
  const tol = v['timing-tolerance'] === undefined ? undefined : Number(v['timing-tolerance']);
  if (tol !== undefined && !(tol > 0)) throw new UsageError(`--timing-tolerance must be milliseconds > 0, got ${JSON.stringify(v['timing-tolerance'])}`);
  const inv: MatchInvocation = {
    refs: parsed.positionals, follow: (v.follow as string | undefined) ?? null, minScore,
    top: intOption(v.top, 'top', 1, 1000), minNotes: intOption(v['min-notes'], 'min-notes', 2, 1000),
    window: intOption(v.window, 'window', 4, 10000), lag: intOption(v.lag, 'lag', 0, 16), timingToleranceMs: tol,
    final: Boolean(v.final),
    selection: { track: intOption(v.track, 'track', 0, 65535), channel: intOption(v.channel, 'channel', 1, 16) },
    verbose: Boolean(v.verbose), help: Boolean(v.help),
  };
  if (inv.help) return inv;
  if (inv.follow !== null && inv.refs.length) throw new UsageError(`match --follow takes one reference and reads notes from stdin; got also ${inv.refs[0]}`);
  if (inv.follow === null && !inv.refs.length) throw new UsageError('match needs references: MIDI or JSON-lines files or folders (or --follow REF)');
  return inv;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const line = (o: object) => JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isInteger(v) ? r3(v) : v)) + '\n';

function matchLine(event: 'match' | 'result', r: MatchResult, rank: number): string {
  return line({ event, rank, ref: r.ref, score: r.score, transpose: r.transpose, tempo: r.tempo,
    position: r.position, ...(event === 'result' ? { notes: r.notes } : {}) });
}

/** Lines of stdin as played notes; a line that is not one is reported and skipped. */
async function* notesFrom(input: NodeJS.ReadableStream, warn: (s: string) => void) {
  let n = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (!text.trim()) continue;
    const r = parseNoteLine(text);
    if ('error' in r) { warn(`stdin line ${n}: ${r.error}; skipped`); continue; }
    if (r.note) yield r.note;
  }
}

export async function matchCommand(argv: string[]): Promise<number> {
  let verbose = argv.includes('-v') || argv.includes('--verbose');
  const out = (s: string) => { process.stdout.write(s); };
  const warn = (s: string) => process.stderr.write(`melodyfilter: warning: ${s}\n`);
  // A producer upstream gets Ctrl-C too and ends its output: finish then, with the summary.
  if (!process.stdin.isTTY) process.on('SIGINT', () => {});
  try {
    const inv = parseMatchArgv(argv);
    verbose = inv.verbose;
    if (inv.help) { out(matchHelp()); return EXIT_MATCHED; }
    const started = performance.now();
    if (inv.follow !== null) {
      const ref = loadReference(inv.follow, inv.selection);
      if (verbose) process.stderr.write(`melodyfilter: ${ref.name}: ${ref.pitches.length} notes\n`);
      const follower = createFollower(ref, { lag: inv.lag, timingToleranceMs: inv.timingToleranceMs });
      const write = (evs: FollowEvent[]) => { for (const e of evs) out(line(e)); };
      for await (const note of notesFrom(process.stdin, warn)) write(follower.push(note));
      write(follower.end());
      const summary = follower.summary();
      out(line(summary));
      return summary.played > 0 && summary.right >= inv.minScore ? EXIT_MATCHED : EXIT_NO_MATCH;
    }
    const refs = loadReferences(inv.refs, inv.selection);
    const matcher = createMatcher(refs, { top: inv.top, minNotes: inv.minNotes, window: inv.window });
    if (verbose) process.stderr.write(`melodyfilter: ${refs.length} references indexed in ${(performance.now() - started).toFixed(0)} ms\n`);
    let notes = 0, matchMs = 0;
    for await (const note of notesFrom(process.stdin, warn)) {
      const t0 = performance.now();
      const ranking = matcher.push(note);
      matchMs += performance.now() - t0; notes++;
      if (!inv.final) ranking.forEach((r, i) => out(matchLine('match', r, i + 1)));
    }
    const results = matcher.results();
    results.forEach((r, i) => out(matchLine('result', r, i + 1)));
    if (verbose) process.stderr.write(`melodyfilter: ${notes} notes, ${(matchMs / Math.max(1, notes)).toFixed(2)} ms per note\n`);
    return results.length && results[0].score >= inv.minScore ? EXIT_MATCHED : EXIT_NO_MATCH;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'EPIPE') return EXIT_MATCHED;
    process.stderr.write(`melodyfilter: ${(e.message ?? String(err)).split('\n')[0]}\n`);
    if (verbose && e.stack) process.stderr.write(e.stack + '\n');
    if (err instanceof UsageError) process.stderr.write("Try 'melodyfilter match --help' for more information.\n");
    return EXIT_TROUBLE; // grep's convention: 1 is kept for "nothing matched"

  }
}
