// Option tables: each command declares its options once — kind, range, default, the field the value
// sets (target), short name, value name, help line, help section — and parsing (util.parseArgs,
// strict), the value checks and the --help text all come from that table. One reader turns text into
// values for every command, so `--seconds ''`, `--top 0x10` and `--rate nan` get the same answer.
import { parseArgs } from 'node:util';
import { UsageError } from '../config.js';

export type OptionKind = 'boolean' | 'string' | 'number' | 'integer' | 'choice';

export interface OptionSpec {
  /** boolean: a switch; string: text (or what `parse` makes of it); number, integer: a decimal
   *  number within `range`; choice: one of `choices`. */
  kind: OptionKind;
  short?: string;
  /** Value placeholder in --help (options that take a value): `-r, --rate HZ`. */
  value?: string;
  /** Help text; further lines are indented under the first. `{default}` is replaced by the default
   *  (the loaded model's, for the settings a model card holds). */
  help: string;
  /** Section heading in --help; options without one go under 'Options'. */
  section?: string;
  /** number, integer: the least and greatest value taken (either may be infinite). */
  range?: readonly [number, number];
  /** number, integer: sox's `16k`, `44.1k` (thousands) are taken too. */
  kilo?: boolean;
  /** choice: the names taken. A function is read when parsing, so that an entry a registry gains
   *  later (a writer, a kernel) is taken too. */
  choices?: readonly string[] | (() => readonly string[]);
  /** The value when the flag is not given (absent: none, the field's own default applies). */
  default?: string | number | boolean;
  /** The field the value sets (a Config field, or the command's own); absent: the flag's name. */
  target?: string;
  /** string: the text → its value; throws a UsageError naming the flag (a metre, a key, a range). */
  parse?: (text: string) => unknown;
}

export type OptionTable = Record<string, OptionSpec>;

export type ParsedValues = Record<string, string | boolean | undefined>;

/** Values read from a table: target → number, string, boolean or what `parse` made; defaults filled in. */
export type OptionValues = Record<string, unknown>;

export interface Parsed {
  /** The flags as typed (flag → text), for the few checks that ask whether one was given. */
  values: ParsedValues;
  /** The flags' values by target, read and checked. */
  options: OptionValues;
  positionals: string[];
}

const takesValue = (o: OptionSpec) => o.kind !== 'boolean';

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
    const spec = long === undefined ? undefined : table[long];
    if (spec && takesValue(spec) && /^-\.?\d/.test(argv[i + 1] ?? '')) out.push(`--${long}=${argv[++i]}`);
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

/** Parse `argv` against `table` and read every value; every error is a one-line UsageError. */
export function parseOptions(table: OptionTable, argv: string[]): Parsed {
  const shorts = shortToLong(table);
  const options = Object.fromEntries(Object.entries(table).map(([long, o]) =>
    [long, { type: takesValue(o) ? 'string' as const : 'boolean' as const, ...(o.short ? { short: o.short } : {}) }]));
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
  const values = parsed.values as ParsedValues;
  return { values, options: readOptions(table, values), positionals: parsed.positionals };
}

/** Decimal numbers only: Number() would also take '0x10', '0b1', 'Infinity' and '' (as 0). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function rangeWords(int: boolean, [lo, hi]: readonly [number, number]): string {
  const what = int ? 'a whole number' : 'a number';
  if (Number.isFinite(lo) && Number.isFinite(hi)) return `${what} from ${lo} to ${hi}`;
  if (Number.isFinite(lo)) return `${what} >= ${lo}`;
  if (Number.isFinite(hi)) return `${what} <= ${hi}`;
  return what;
}

/** The one number reader: a flag's text → a number in the spec's range, whole for kind 'integer'. */
/** A comma-separated flag value as its entries, spaces and empty entries dropped. */
export function commaList(text: string): string[] {
  return text.split(',').map((x) => x.trim()).filter(Boolean);
}

export function parseNumber(flag: string, text: string, spec: Pick<OptionSpec, 'kind' | 'range' | 'kilo'>): number {
  const trimmed = text.trim();
  const thousands = spec.kilo ? /^(.*[0-9.])k$/i.exec(trimmed) : null;
  const digits = thousands ? thousands[1] : trimmed;
  let n = DECIMAL.test(digits) ? Number(digits) : NaN;
  if (thousands) n = Math.round(n * 1000);
  if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(text)}`);
  return checkRange(flag, n, spec.kind, spec.range, trimmed);
}

/** `n` if it is in `range` (and whole, for kind 'integer'), else the UsageError that says so. For a
 *  range that depends on another flag (train's --batch on --pool) too. */
export function checkRange(
  flag: string, n: number, kind: OptionKind, range: readonly [number, number] = [-Infinity, Infinity],
  text = String(n),
): number {
  const int = kind === 'integer';
  if ((int && !Number.isSafeInteger(n)) || n < range[0] || n > range[1]) {
    throw new UsageError(`--${flag} must be ${rangeWords(int, range)}, got ${text}`);
  }
  return n;
}

export function choicesOf(spec: OptionSpec): readonly string[] {
  return typeof spec.choices === 'function' ? spec.choices() : spec.choices ?? [];
}

/** One flag's text → its value, by its kind. */
export function readValue(flag: string, spec: OptionSpec, given: string | boolean): unknown {
  if (spec.kind === 'boolean' || typeof given === 'boolean') return given;
  switch (spec.kind) {
    case 'number': case 'integer': return parseNumber(flag, given, spec);
    case 'choice': {
      const names = choicesOf(spec);
      // Own names only: `--set toString` once scored 0 melodies as F1 1.000.
      if (!names.includes(given)) throw new UsageError(`--${flag} must be one of ${names.join(', ')}, got ${given}`);
      return given;
    }
    default: return spec.parse ? spec.parse(given) : given;
  }
}

/** Every option of `table` as its target's value: read, checked, defaults filled in. */
export function readOptions(table: OptionTable, values: ParsedValues): OptionValues {
  const out: OptionValues = {};
  for (const [flag, spec] of Object.entries(table)) {
    const given = values[flag];
    const value = given === undefined ? spec.default : readValue(flag, spec, given);
    if (value !== undefined) out[spec.target ?? flag] = value;
  }
  return out;
}

const HELP_COLUMN = 26;

/** An option's help text with its default in place of `{default}`; `defaults` (by target) are those a
 *  run would get that no spec can declare: the loaded model card's decoder settings. */
export function helpOf(flag: string, spec: OptionSpec, defaults: Record<string, unknown> = {}): string {
  return spec.help.replace('{default}', String(defaults[spec.target ?? flag] ?? spec.default));
}

/** The option lines of --help, grouped by section in table order; `defaults` as helpOf's. */
export function optionHelp(table: OptionTable, defaults: Record<string, unknown> = {}): string {
  const sections = new Map<string, string[]>();
  for (const [long, o] of Object.entries(table)) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${long}${o.value ? ` ${o.value}` : ''}`;
    const [first, ...more] = helpOf(long, o, defaults).split('\n');
    const pad = flag.length + 3 <= HELP_COLUMN ? ' '.repeat(HELP_COLUMN - 2 - flag.length) : ' ';
    const lines = [`  ${flag}${pad}${first}`, ...more.map((l) => ' '.repeat(HELP_COLUMN) + l)];
    const name = o.section ?? 'Options';
    sections.set(name, [...(sections.get(name) ?? []), ...lines]);
  }
  return [...sections].map(([name, lines]) => `${name}:\n${lines.join('\n')}`).join('\n');
}
