// Option tables: each command declares its options once (type, short name, value name, help line,
// help section), and both parsing (util.parseArgs, strict) and the --help text come from that table.
import { parseArgs } from 'node:util';
import { UsageError } from '../config.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Value placeholder in --help (string options): `-r, --rate HZ`. */
  value?: string;
  /** Help text; further lines are indented under the first. */
  help: string;
  /** Section heading in --help; options without one go under 'Options'. */
  section?: string;
}

export type OptionTable = Record<string, OptionSpec>;

export type ParsedValues = Record<string, string | boolean | undefined>;

export interface Parsed {
  values: ParsedValues;
  positionals: string[];
}

function shortToLong(table: OptionTable): Map<string, string> {
  return new Map(Object.entries(table).flatMap(([long, o]) => (o.short ? [[o.short, long] as const] : [])));
}

/** `--rate -5`: a negative number after a flag that takes a value is that value, so the range checks
 *  can say what is wrong with it. parseArgs would only call it ambiguous. */
function joinNegativeValues(argv: string[], table: OptionTable, shorts: Map<string, string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { out.push(...argv.slice(i)); break; }
    const long = a.startsWith('--') ? a.slice(2) : /^-[A-Za-z]$/.test(a) ? shorts.get(a[1]) : undefined;
    const takesValue = long !== undefined && table[long]?.type === 'string';
    if (takesValue && /^-\.?\d/.test(argv[i + 1] ?? '')) out.push(`--${long}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

/** parseArgs' errors, made one short line: "unknown option --bogus", not a paragraph on '--'. */
function parseArgsMessage(err: NodeJS.ErrnoException, shorts: Map<string, string>): string {
  const first = err.message.split('\n')[0].replace(/^TypeError \[\w+\]: /, '');
  const option = /^(?:Unknown option|Option) '([^']+)'/.exec(first)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (/argument is ambiguous/.test(first) && option) {
    const long = option.startsWith('--') ? option : `--${shorts.get(option[1]) ?? option.slice(1)}`;
    return `${option} needs a value (write ${long}=VALUE for one that starts with '-')`;
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(first);
  if (missing) return `${missing[1]} needs a value`;
  return first;
}

/** Parse `argv` against `table`; every error is a one-line UsageError. */
export function parseOptions(table: OptionTable, argv: string[]): Parsed {
  const shorts = shortToLong(table);
  const options = Object.fromEntries(Object.entries(table).map(([long, o]) =>
    [long, o.short ? { type: o.type, short: o.short } : { type: o.type }]));
  let parsed;
  try {
    const args = joinNegativeValues(argv, table, shorts);
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as NodeJS.ErrnoException, shorts));
  }
  // `-d ""` or `--model=` is a value forgotten, not a request for the default: say so.
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string' && value.trim() === '') {
      throw new UsageError(`--${name} needs a value, got an empty one`);
    }
  }
  return { values: parsed.values as ParsedValues, positionals: parsed.positionals };
}

/** A number from a flag's text, or undefined when the flag was not given. */
export function numberOption(name: string, v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) {
    throw new UsageError(`--${name} must be a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

const HELP_COLUMN = 26;

/** The option lines of --help, grouped by section in table order. */
export function optionHelp(table: OptionTable): string {
  const sections = new Map<string, string[]>();
  for (const [long, o] of Object.entries(table)) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${long}${o.value ? ` ${o.value}` : ''}`;
    const [first, ...more] = o.help.split('\n');
    const pad = flag.length + 3 <= HELP_COLUMN ? ' '.repeat(HELP_COLUMN - 2 - flag.length) : ' ';
    const lines = [`  ${flag}${pad}${first}`, ...more.map((l) => ' '.repeat(HELP_COLUMN) + l)];
    const name = o.section ?? 'Options';
    sections.set(name, [...(sections.get(name) ?? []), ...lines]);
  }
  return [...sections].map(([name, lines]) => `${name}:\n${lines.join('\n')}`).join('\n');
}
