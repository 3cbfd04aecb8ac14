// The packed tarball installs globally in a clean prefix and works: --help and a real transcription.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
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
  const listing = execFileSync('tar', ['tzf', path.join(dir, tarball!)]).toString().split('\n');
  t.ok(listing.includes('package/LICENSE'), 'the tarball has the LICENSE package.json names');
  t.ok(listing.includes('package/dist/bin/melodyfilter.js'), 'and dist, built by prepack: nothing to build on install');
  const install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=warn', path.join(dir, tarball!)], { encoding: 'utf8' });
  t.equal(install.status, 0, install.stderr);
  // npm 11 names every dependency with an install script (prepare, postinstall) on install.
  t.notMatch(install.stderr, /install-scripts|prepare|postinstall/, 'no install script for npm to flag');
  const modules = path.join(prefix, 'lib', 'node_modules', 'melodyfilter', 'node_modules');
  const tensorflow = readdirSync(path.join(modules, '@tensorflow')).sort();
  t.same(tensorflow, ['tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-core', 'tfjs-layers'], 'the parts of tfjs used, not the umbrella');
  const mb = Number(execFileSync('du', ['-sm', prefix]).toString().split('\t')[0]);
  t.ok(mb < 150, `installed size ${mb} MB (the tfjs umbrella made it 317 MB)`);
  const bin = path.join(prefix, 'bin', 'melodyfilter');
  // As a user's shell runs it: without the test runner's loaders in NODE_OPTIONS.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const help = execFileSync(bin, ['--help'], { cwd: dir, env }).toString();
  t.match(help, /Usage:/);
  const wav = readFileSync(path.join(ROOT, 'examples', 'melody.wav'));
  const out = execFileSync(bin, [], { input: wav, cwd: dir, env }).toString().trim().split('\n');
  t.ok(out.length >= 5, `${out.length} notes from the installed copy`);
  t.match(JSON.parse(out[0]), { pitch: Number, name: String, start: Number, end: Number });
  const tfjs = execFileSync(bin, ['--kernel', 'tfjs', '--backend', 'wasm'], { input: wav, cwd: dir, env }).toString().trim().split('\n');
  t.same(tfjs, out, 'tfjs on wasm, loaded on demand, gives the same notes');
});
