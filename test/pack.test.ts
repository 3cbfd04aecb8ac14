// The packed tarball installs globally in a clean prefix and works: --help, the shipped model loads,
// and a real transcription. The transcription runs on the hand-set tone model (test/fixtures), so
// what is checked is the installed copy, not the shipped weights' hearing.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, sine, toneModelWorkspace, tones, wavFile } from './helpers.js';
import { findPython } from '../lib/train/command.js';

/** Two seconds of four tones with gaps (C4, G4, E4, C5) at 16 kHz: notes the tone model hears. */
const MELODY = tones([[261.63, 0.05, 0.45], [392, 0.55, 0.95], [329.63, 1.05, 1.45], [523.25, 1.55, 1.95]],
  2, 16000);

t.test('npm pack → npm install -g → melodyfilter runs', { timeout: 600_000 }, async (t) => {
  const { dir, model } = await toneModelWorkspace(t, 'melodyfilter-pack-');
  execFileSync('npm', ['pack', '--pack-destination', dir, '--silent'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  t.ok(tarball, 'a tarball');
  const prefix = path.join(dir, 'prefix');
  const listing = execFileSync('tar', ['tzf', path.join(dir, tarball!)]).toString().split('\n');
  t.ok(listing.includes('package/LICENSE'), 'the tarball has the LICENSE package.json names');
  t.ok(listing.includes('package/dist/bin/melodyfilter.js'),
    'and dist, built by prepack: nothing to build on install');
  t.ok(listing.includes('package/models/melody-lstm/weights.bin'), 'and the shipped model');
  t.ok(listing.includes('package/trainer/train.py'), 'and the PyTorch trainer `melodyfilter train` runs');
  const install = spawnSync('npm',
    ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=warn', path.join(dir, tarball!)],
    { encoding: 'utf8' });
  t.equal(install.status, 0, install.stderr);
  // npm 11 names every package with an install script (prepare, postinstall) on install. Ours has
  // none; midi-writer-js (the design's MIDI package) has a postinstall of its own, which npm names.
  t.notMatch(install.stderr, /melodyfilter@\S+ \((prepare|preinstall|install|postinstall)/,
    'no install script of ours');
  const modules = path.join(prefix, 'lib', 'node_modules', 'melodyfilter', 'node_modules');
  const tensorflow = readdirSync(path.join(modules, '@tensorflow')).sort();
  t.same(tensorflow, ['tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-core', 'tfjs-layers'],
    'the parts of tfjs used, not the umbrella');
  const mb = Number(execFileSync('du', ['-sm', prefix]).toString().split('\t')[0]);
  t.ok(mb < 150, `installed size ${mb} MB (the tfjs umbrella made it 317 MB)`);
  const bin = path.join(prefix, 'bin', 'melodyfilter');
  // As a user's shell runs it: without the test runner's loaders in NODE_OPTIONS.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const help = execFileSync(bin, ['--help'], { cwd: dir, env }).toString();
  t.match(help, /Usage:/);
  // The shipped model is installed and runs (exit 0 on a second of silence; what it hears is
  // npm run eval's to check, not this test's).
  const silence = wavFile(sine(440, 1, 16000, 0), 16000);
  const shipped = spawnSync(bin, [], { input: silence, cwd: dir, env, encoding: 'utf8' });
  t.equal(shipped.status, 0, shipped.stderr);
  const wav = wavFile(MELODY, 16000);
  const out = execFileSync(bin, ['-m', model], { input: wav, cwd: dir, env }).toString().trim().split('\n');
  t.same(out.map((l) => (JSON.parse(l) as { pitch: number }).pitch), [60, 67, 64, 72],
    'the installed copy hears the four tones');
  t.match(JSON.parse(out[0]), { pitch: Number, name: String, start: Number, end: Number });
  const tfjs = execFileSync(bin, ['-m', model, '--kernel', 'tfjs', '--backend', 'wasm'], { input: wav, cwd: dir, env })
    .toString().trim().split('\n');
  t.same(tfjs, out, 'tfjs on wasm, loaded on demand, gives the same notes');
  // `train` from the installed package finds its trainer (issue 22: it said "trainer/train.py not
  // found"); --data naming no shard directory stops it at its checks, before any work.
  const train = spawnSync(bin, ['train', '--name', 'm', '--data', path.join(dir, 'no-shards'), '--steps', '1'],
    { cwd: dir, env, encoding: 'utf8' });
  t.notMatch(train.stderr, /train\.py not found/, 'the installed train finds trainer/train.py');
  if (findPython()) t.match(train.stderr, /no-shards/, 'and stops at --data, the first check it fails');
  t.not(train.status, 0);
});
