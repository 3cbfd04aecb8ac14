// The packed tarball installs globally in a clean prefix and works: --help and a real transcription.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers.js';

t.test('npm pack → npm install -g → melodyfilter runs', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-pack-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'a tarball');
  const prefix = path.join(dir, 'prefix');
  execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--silent', path.join(dir, tarball!)], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bin = path.join(prefix, 'bin', 'melodyfilter');
  // As a user's shell runs it: without the test runner's loaders in NODE_OPTIONS.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const help = execFileSync(bin, ['--help'], { cwd: dir, env }).toString();
  t.match(help, /Usage:/);
  const wav = readFileSync(path.join(ROOT, 'examples', 'melody.wav'));
  const out = execFileSync(bin, [], { input: wav, cwd: dir, env }).toString().trim().split('\n');
  t.ok(out.length >= 5, `${out.length} notes from the installed copy`);
  t.match(JSON.parse(out[0]), { pitch: Number, name: String, start: Number, end: Number });
});
