// File names that are not UTF-8 (issue 22, item 13): Node decodes argv as UTF-8, so a Latin-1 name
// (é as the byte 0xE9) reached fs with U+FFFD in it and was "no such file". Node's spawn cannot pass
// such an argument, so bash does ($'\xe9'); fs calls here take Buffer paths.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTunes } from '../lib/match/notation.js';
import { shownPath } from '../lib/argv-bytes.js';
import { BIN, ROOT } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mf-names-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
/** dir/caf<0xE9>.ext as fs takes it, and as bash writes it. */
const latin1 = (ext: string) => Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from(ext)]);
const inBash = (ext: string) => `"$DIR/caf"$'\\xe9'"${ext}"`;
const sh = (cmd: string, input = '') => spawnSync('bash', ['-c', cmd],
  { input, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', BIN, DIR: dir } });

t.test('a Latin-1 input name is transcribed', async (t) => {
  copyFileSync(path.join(ROOT, 'examples/melody.wav'), latin1('.wav'));
  copyFileSync(path.join(ROOT, 'examples/melody.wav'), path.join(dir, 'plain.wav'));
  const r = sh(`"$BIN" ${inBash('.wav')}`);
  t.equal(r.stderr, '');
  t.equal(r.status, 0);
  t.ok(r.stdout.length > 0, 'notes');
  t.equal(r.stdout, sh('"$BIN" "$DIR/plain.wav"').stdout, 'the same notes as from a plain name');
  const missing = sh(`"$BIN" "$DIR/gone"$'\\xe9'".wav"`);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /cannot read .*gone\\xe9\.wav: no such file/, 'the byte shown as \\xe9');
});

t.test('-d names the output after a Latin-1 input, byte for byte, and refuses to replace it', async (t) => {
  copyFileSync(path.join(ROOT, 'examples/melody.wav'), latin1('.wav'));
  const out = path.join(dir, 'out');
  const r = sh(`"$BIN" -o csv -d "$DIR/out" ${inBash('.wav')}`);
  t.equal(r.stderr, '');
  t.equal(r.status, 0);
  const written = readdirSync(out, { encoding: 'buffer' });
  const expected = Buffer.from([0x63, 0x61, 0x66, 0xe9, ...Buffer.from('.csv')]);
  t.same(written.map((b) => b.toString('hex')), [expected.toString('hex')], 'caf\\xe9.csv, not caf\uFFFD.csv');
  t.ok(readFileSync(Buffer.concat([Buffer.from(`${out}/`), written[0]])).length > 0, 'with the notes');
  const again = sh(`"$BIN" -o csv -d "$DIR/out" ${inBash('.wav')}`);
  t.equal(again.status, 1);
  t.match(again.stderr, /out\/caf\\xe9\.csv exists; not overwriting it/);
});

t.test('match and --follow find a reference with a Latin-1 name', async (t) => {
  const ode = parseTunes(readFileSync(path.join(ROOT, 'examples/tunes.txt'), 'utf8'))
    .find((x) => x.name === 'ode-to-joy')!.notes;
  const lines = ode.map((n) => JSON.stringify(n)).join('\n') + '\n';
  writeFileSync(latin1('.jsonl'), lines);
  const played = ode.slice(0, 15).map((n) => JSON.stringify({ ...n, start: n.start + 1, end: n.end + 1 })).join('\n');
  const m = sh(`"$BIN" match --final ${inBash('.jsonl')}`, played);
  t.equal(m.stderr, '');
  t.equal(m.status, 0, 'matched');
  t.match(JSON.parse(m.stdout.split('\n')[0]), { event: 'result', rank: 1, ref: `${dir}/caf\\xe9.jsonl` });
  const f = sh(`"$BIN" match --follow ${inBash('.jsonl')}`, played);
  t.equal(f.stderr, '');
  t.equal(f.status, 0, 'followed');
  t.match(JSON.parse(f.stdout.trim().split('\n').at(-1)!), { event: 'summary', right: 1 });
  const missing = sh(`"$BIN" match --follow "$DIR/gone"$'\\xe9'".mid"`, played);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /gone\\xe9\.mid: cannot read \(no such file\)/);
});

t.test('shownPath: UTF-8 as text, other bytes as \\xHH', async (t) => {
  t.equal(shownPath(Buffer.from([0x63, 0x61, 0x66, 0xe9])), 'caf\\xe9');
  t.equal(shownPath(Buffer.from('café ♪', 'utf8')), 'café ♪');
  t.equal(shownPath('plain.wav'), 'plain.wav');
});
