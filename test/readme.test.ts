// Issue 13, item 18: the README agrees with the tool. Its flags table is the option table (with the
// code's defaults); scripts/readme.ts makes it. The tour's and the match section's output are the
// shipped model's, so they change with every retrain: `npm run readme-check` checks those, not this.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';
import { BLOCKS, blockNames, flagsTable, regenerated } from '../scripts/readme.js';
import { DEFAULTS } from '../lib/config.js';
import { DECODER_DEFAULTS } from '../lib/model/card.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

t.test('the flags table is generated from the option table, defaults included', async (t) => {
  t.ok(readme.includes(flagsTable()), 'README has the current table (node dist/scripts/readme.js --write)');
  const defaults = [
    ['threshold', DECODER_DEFAULTS.threshold], ['min-note', DEFAULTS.minNoteMs], ['tempo', DEFAULTS.tempo],
  ] as const;
  for (const [flag, value] of defaults) {
    const row = readme.split('\n').find((l) => l.includes(`--${flag} `));
    t.match(row, new RegExp(`default[^|]*\\b${value}\\b`), `--${flag}'s default ${value} as the code has it`);
  }
});

t.test('the README names only blocks scripts/readme.ts makes, each once', async (t) => {
  const names = blockNames(readme);
  t.same([...names].sort(), Object.keys(BLOCKS).sort());
});

t.test('every generated block that does not show the shipped model is what the code makes now', async (t) => {
  const fresh = regenerated(readme, { codeOnly: true });
  const a = readme.split('\n'), b = fresh.split('\n');
  const at = a.findIndex((l, i) => l !== b[i]);
  t.equal(at, -1, at < 0 ? 'README up to date' : `line ${at + 1}: ${a[at]} → ${b[at]}`);
});
