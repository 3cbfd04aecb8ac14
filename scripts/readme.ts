// The README's generated parts, so that it agrees with the tool: the flags table comes from the
// transcribe command's option table (whose help lines carry the code's defaults), and the tour's and
// the match section's output from running them with the shipped model. `npm run readme-check`
// (`node dist/scripts/readme.js`) checks every block (exit 1 and a diff line when stale); `--write`
// rewrites them between their markers. test/readme.test.ts checks only the blocks that do not depend
// on the shipped model's output, so that a retrain does not fail the unit tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transcribeOptions } from '../lib/cli/args.js';
import { helpOf } from '../lib/cli/options.js';
import { DECODER_DEFAULTS } from '../lib/model/card.js';

export const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const README = `${ROOT}README.md`;

/** The flags table, one row per option, in the option table's order. The decoder settings shown are
 *  the built-in ones (a model card without its own has them); the shipped model's card holds the same
 *  (`melodyfilter --help` shows the loaded model's). */
export function flagsTable(): string {
  const rows = Object.entries(transcribeOptions()).map(([long, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${long}${o.value ? ` ${o.value}` : ''}`;
    const help = helpOf(long, o, { ...DECODER_DEFAULTS }).replace(/\n/g, ' ').replace(/\|/g, '\\|');
    return `| \`${flag}\` | ${help} |`;
  });
  return ['| flag | meaning |', '|---|---|', ...rows].join('\n');
}

/** The tour: its commands and what they print with the shipped model. */
export function tour(): string {
  const bin = `${ROOT}bin/melodyfilter`;
  const env = { ...process.env, NODE_OPTIONS: '' };
  const lines = execFileSync(bin, ['examples/melody.wav'], { cwd: ROOT, env }).toString().trim().split('\n');
  const names = lines.map((l) => (JSON.parse(l) as { name: string }).name).join(' ');
  return ['```sh', '$ bin/melodyfilter examples/melody.wav | head -3', ...lines.slice(0, 3),
    "$ bin/melodyfilter examples/melody.wav | jq -r .name | paste -sd' '", names, '```'].join('\n');
}

/** The match section's first pipeline, run on references made from examples/tunes.txt as the README
 *  says (`npm run tunes`): its last three lines, the ranking. */
export function matchResults(): string {
  const work = mkdtempSync(path.join(tmpdir(), 'melodyfilter-readme-'));
  try {
    const env = { ...process.env, NODE_OPTIONS: '' };
    const makeTunes = `${ROOT}dist/scripts/make-tunes.js`;
    execFileSync('node', [makeTunes, `${ROOT}examples/tunes.txt`, 'tunes'], { cwd: work, env });
    const bin = `${ROOT}bin/melodyfilter`;
    const notes = execFileSync(bin, [`${ROOT}examples/melody.wav`], { env });
    const out = execFileSync(bin, ['match', 'tunes/'], { cwd: work, env, input: notes }).toString().trim().split('\n');
    return ['```', ...out.filter((l) => l.includes('"event":"result"')), '```'].join('\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Each generated block: how to make it, and whether it shows the shipped model's output (and so
 *  changes when the model is retrained). */
export const BLOCKS: Readonly<Record<string, { make: () => string; shippedModel: boolean }>> = {
  flags: { make: flagsTable, shippedModel: false },
  tour: { make: tour, shippedModel: true },
  match: { make: matchResults, shippedModel: true },
};

const BLOCK = /(<!-- generated: (\w+) \(scripts\/readme\.ts\) -->\n)[\s\S]*?(\n<!-- end generated -->)/g;

/** The names of the generated blocks `text` has, in order. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(BLOCK)].map((m) => m[2]);
}

/** README with its generated blocks replaced by what the code makes now: every block, or with
 *  `codeOnly` those that do not show the shipped model's output (the others are left as they are). */
export function regenerated(text: string, opts: { codeOnly?: boolean } = {}): string {
  return text.replace(BLOCK, (whole: string, open: string, name: string, close: string) => {
    const block = BLOCKS[name];
    if (!block) throw new Error(`README names an unknown generated block: ${name}`);
    return opts.codeOnly && block.shippedModel ? whole : open + block.make() + close;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = readFileSync(README, 'utf8');
  const fresh = regenerated(text);
  if (process.argv.includes('--write')) writeFileSync(README, fresh);
  else if (fresh !== text) {
    const a = text.split('\n'), b = fresh.split('\n');
    const at = a.findIndex((l, i) => l !== b[i]);
    process.stderr.write(`README.md is stale from line ${at + 1}: ${JSON.stringify(a[at])} ` +
      `should be ${JSON.stringify(b[at])}\n(node dist/scripts/readme.js --write)\n`);
    process.exitCode = 1;
  }
}
