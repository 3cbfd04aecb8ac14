// Subcommands (`melodyfilter NAME ...`), registered here: each is one module that exports a
// Subcommand, with its own option table, loaded only when it runs (or for --help), so a
// transcription never loads the matcher, the trainer or their dependencies. Adding one is its module
// plus one SUBCOMMANDS entry. Transcribing is the default command (no name), of the same shape
// (transcribe-command.ts); main.ts runs whichever the command line names.
import { UsageError } from '../config.js';
import { optionHelp, parseOptions, type OptionTable, type Parsed } from './options.js';

export interface Subcommand {
  name: string;
  /** One line for the top-level --help. */
  summary: string;
  options: OptionTable;
  /** What it takes besides options (`REF...`), for commands that take any. */
  operands?: string;
  /** More --help after the options: output, exit status, examples. */
  epilogue?: string;
  /** Its --help, where subcommandHelp's layout does not fit (the default command's). */
  help?(parsed: Parsed): Promise<string>;
  /** Runs it and returns the exit code; `parsed` holds only this table's options. */
  run(parsed: Parsed): Promise<number>;
}

/** Options every subcommand takes. */
export const COMMON_OPTIONS: OptionTable = {
  verbose: { kind: 'boolean', short: 'v', help: 'stack traces on errors', section: 'Other' },
  help: { kind: 'boolean', short: 'h', help: 'this text', section: 'Other' },
};

/** A subcommand's name and where its module is. */
export interface SubcommandEntry {
  name: string;
  load(): Promise<Subcommand>;
}

export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  { name: 'train', load: async () => (await import('../train/command.js')).trainCommand },
  { name: 'eval', load: async () => (await import('../eval/command.js')).evalCommand },
  { name: 'match', load: async () => (await import('../match/command.js')).matchCommand },
];

/** What runs when no subcommand is named: transcription. */
export const DEFAULT_COMMAND: SubcommandEntry = {
  name: 'transcribe', load: async () => (await import('./transcribe-command.js')).transcribeCommand,
};

export function subcommandNamed(name: string | undefined): SubcommandEntry | undefined {
  return SUBCOMMANDS.find((c) => c.name === name);
}

/** Every subcommand, loaded (for the top-level --help). */
export function allSubcommands(): Promise<Subcommand[]> {
  return Promise.all(SUBCOMMANDS.map((c) => c.load()));
}

/** The command's options and the common ones it does not declare itself. */
export function tableOf(cmd: Subcommand): OptionTable {
  const own = cmd.options;
  const common = Object.entries(COMMON_OPTIONS).filter(([flag]) => !Object.hasOwn(own, flag));
  return { ...own, ...Object.fromEntries(common) };
}

/** `[--steps N] [--resume] ...`, wrapped under `melodyfilter NAME`. */
export function synopsisOf(cmd: Subcommand, width = 100): string {
  const head = `  melodyfilter ${cmd.name} `;
  const lines: string[] = [];
  let line = head;
  for (const [long, o] of Object.entries(cmd.options)) {
    const word = `[${o.short ? `-${o.short}|` : ''}--${long}${o.value ? ` ${o.value}` : ''}]`;
    if (line.length + word.length > width && line !== head) {
      lines.push(line.trimEnd());
      line = ' '.repeat(head.length);
    }
    line += word + ' ';
  }
  if (cmd.operands) line += cmd.operands;
  lines.push(line.trimEnd());
  return lines.join('\n');
}

export function subcommandHelp(cmd: Subcommand): string {
  const more = cmd.epilogue ? `\n${cmd.epilogue}` : '';
  const usage = `Usage:\n${synopsisOf(cmd)}\n\n${optionHelp(tableOf(cmd))}\n`;
  return `melodyfilter ${cmd.name}: ${cmd.summary}\n\n${usage}${more}`;
}

/** Parse a command's arguments; file arguments only where it names operands. */
export function parseSubcommand(cmd: Subcommand, argv: string[]): Parsed {
  const parsed = parseOptions(tableOf(cmd), argv);
  if (parsed.positionals.length && !parsed.values.help && !cmd.operands) {
    throw new UsageError(`${cmd.name} takes no file arguments, got ${parsed.positionals[0]}`);
  }
  return parsed;
}
