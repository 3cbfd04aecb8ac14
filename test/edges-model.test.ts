// Issue 13, model files (items 6, 7, 8, 13, 15): only regular files inside the model directory, of
// the size the manifest says, with shapes that match the topology and finite weights; training
// that diverges saves nothing.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../lib/model/tf.js';
import { makeToneModel, runCli, wavFile, tones } from './helpers.js';
import { buildModel, saveModel } from '../lib/model/tfjs.js';
import { newCard } from '../lib/model/card.js';
import { resolveConfig } from '../lib/config.js';
import { useBackend } from '../lib/model/backend.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-edges-model-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const GOOD = path.join(dir, 'deep', 'er', 'good');
await makeToneModel(GOOD);
const modelJson = JSON.parse(readFileSync(path.join(GOOD, 'model.json'), 'utf8'));
const weightsBin = readFileSync(path.join(GOOD, 'weights.bin'));
const audio = wavFile(tones([[440, 0.05, 0.5]], 0.6, 16000), 16000, 1);
/** Every run must end on its own well inside this: a hang is killed and fails. */
const TIMEOUT_MS = 30_000;

let n = 0;
/** A copy of the tone model with model.json edited by `edit`; `weights` replaces weights.bin (null: none). */
function variant(edit: (j: typeof modelJson) => void = () => {}, weights: Buffer | null = weightsBin): string {
  const d = path.join(dir, 'deep', 'er', `m${n++}`);
  mkdirSync(d, { recursive: true });
  const j = structuredClone(modelJson);
  edit(j);
  writeFileSync(path.join(d, 'model.json'), JSON.stringify(j));
  if (weights) writeFileSync(path.join(d, 'weights.bin'), weights);
  return d;
}

async function refused(t: Test, model: string, pattern: RegExp, extra: string[] = []) {
  const started = Date.now();
  const r = await runCli(['-m', model, ...extra], audio, { timeoutMs: TIMEOUT_MS });
  t.equal(r.signal, null, `ends on its own (${Date.now() - started} ms)`);
  t.equal(r.code, 1, 'exit 1');
  t.match(r.stderr, pattern);
  t.equal(r.stderr.split('\n').filter((l) => l).length, 1, `one line: ${JSON.stringify(r.stderr)}`);
  return r;
}

t.test('the tone model itself loads (the variants below differ in one thing)', async (t) => {
  const r = await runCli(['-m', variant()], audio, { timeoutMs: TIMEOUT_MS });
  t.equal(r.code, 0);
  t.match(r.stdout.toString(), /"name":"A4"/);
});

t.test('6, 7: manifest paths stay inside the model directory and name regular files', async (t) => {
  await refused(t, variant((j) => { j.weightsManifest[0].paths = ['../../../../../../../../dev/zero']; }),
    /weights path "\.\.\/.*dev\/zero" leaves the model directory/);
  await refused(t, variant((j) => { j.weightsManifest[0].paths = ['../../../../../../../../dev/stdin']; }),
    /leaves the model directory/);
  await refused(t, variant((j) => { j.weightsManifest[0].paths = ['/dev/urandom']; }), /leaves the model directory/);
  writeFileSync(path.join(dir, 'deep', 'outside.bin'), weightsBin);
  await refused(t, variant((j) => { j.weightsManifest[0].paths = ['../../outside.bin']; }),
    /leaves the model directory/);
  const passwd = await refused(t,
    variant((j) => { j.weightsManifest[0].paths = ['../../../../../../../../etc/passwd']; }),
    /leaves the model directory/);
  t.notMatch(passwd.stderr, /\d+ bytes/, 'says nothing of the outside file');
  const zero = variant(undefined, null);
  symlinkSync('/dev/zero', path.join(zero, 'weights.bin'));
  await refused(t, zero, /weights.bin is a link out of the model directory/);
  const inside = variant(undefined, null);
  writeFileSync(path.join(inside, 'real.bin'), weightsBin);
  symlinkSync('real.bin', path.join(inside, 'weights.bin'));
  t.equal((await runCli(['-m', inside], audio, { timeoutMs: TIMEOUT_MS })).code, 0,
    'a link inside the directory is fine');
  const fifo = variant(undefined, null);
  execFileSync('mkfifo', [path.join(fifo, 'weights.bin')]);
  await refused(t, fifo, /weights.bin is not a regular file/);
  const fifoJson = path.join(dir, 'deep', 'er', 'fifo-json');
  mkdirSync(fifoJson);
  execFileSync('mkfifo', [path.join(fifoJson, 'model.json')]);
  await refused(t, fifoJson, /model.json is not a regular file/);
});

t.test('8: a layer bigger than its weights is refused before anything is allocated', async (t) => {
  const huge = variant((j) => {
    const layer = j.modelTopology.config.layers.find((l: { config: { name: string } }) => l.config.name === 'embed');
    layer.config.units = 1 << 20;
  });
  for (const kernel of ['tfjs', 'fast']) {
    await refused(t, huge,
      /layer embed declares 1048576 units on an input of \d+, but its kernel is shaped \[\d+,\d+\]/,
      ['--kernel', kernel, '--backend', 'cpu'].slice(0, kernel === 'tfjs' ? 4 : 2));
  }
  await refused(t, variant((j) => { j.weightsManifest[0].weights[0].shape = [1 << 20, 1 << 20]; }),
    /lists more than \d+ bytes of weights/);
  await refused(t, variant((j) => { j.weightsManifest[0].weights[1].shape = [-10]; }),
    /weight "embed\/bias" has no name or no shape of whole numbers/);
});

t.test('13: NaN, infinite or absurd weights are refused on load', async (t) => {
  for (const [value, word] of [[NaN, 'not finite'], [Infinity, 'not finite'], [1e30, 'beyond']] as const) {
    const w = Buffer.from(weightsBin);
    w.writeFloatLE(value, 4 * 17);
    const shown = value === 1e30 ? '1\\.0000\\d+e\\+30' : value;
    await refused(t, variant(undefined, w),
      new RegExp(`weights.bin are damaged: value ${shown} at float 17 \\(${word}`));
  }
});

t.test('15: corrupt model.json gets a true message, not a JavaScript internal', async (t) => {
  await refused(t, variant((j) => { for (const k of Object.keys(j)) delete j[k]; }), /is not a melodyfilter model/);
  const nul = variant();
  writeFileSync(path.join(nul, 'model.json'), 'null');
  await refused(t, nul, /model .*model.json is not a melodyfilter model/);
  await refused(t, variant((j) => { j.weightsManifest[0].weights[0].dtype = 'int32'; }),
    /weight embed\/kernel is "int32", not float32/);
  await refused(t,
    variant((j) => { j.weightsManifest[0].weights[0].shape = j.weightsManifest[0].weights[0].shape.map(String); }),
    /no shape of whole numbers/);
  await refused(t, variant((j) => { j.userDefinedMetadata.sampleRate = 22050; }),
    /works at 22050 Hz; this melodyfilter computes features at 16000 Hz/);
  const r = await refused(t, variant((j) => {
    j.userDefinedMetadata.sampleRate = 22050; j.userDefinedMetadata.name = 'evil\x1b]0;pwned\x07\x1b[2J';
  }), /model evil\\u001b\]0;pwned\\u0007\\u001b\[2J works/);
  t.notMatch(r.stderr, /\x1b/, 'no escape reaches the terminal');
});

t.test('13: a model with non-finite weights is never saved (a diverging run: test/trainer.test.ts)', async (t) => {
  await useBackend('cpu');
  const model = buildModel({ network: 'gru', featureSize: 8, embedUnits: 4, hiddenUnits: 4 });
  const ws = model.getWeights();
  const poisoned = ws.map((w, i) => (i === 0 ? tf.fill(w.shape, NaN) : w));
  model.setWeights(poisoned);
  const out = path.join(dir, 'nan-model');
  await t.rejects(saveModel(model, out, { ...newCard('x', 'gru'), featureSize: 8 }),
    /not saving .*nan-model: weight 0 is NaN/);
});

t.test('21: the default kernel (wasm) never loads TensorFlow.js', async (t) => {
  const options = JSON.stringify({ sampleRate: 16000, channels: 1, modelDir: GOOD });
  const script = `
    const { transcribe } = await import(${JSON.stringify(new URL('../dist/lib/index.js', import.meta.url).href)});
    const notes = await transcribe(new Uint8Array(32000), ${options});
    process.stdout.write(JSON.stringify({ notes: notes.length, tfjs: globalThis._tfengine !== undefined }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script],
    { env: { ...process.env, NODE_OPTIONS: '' } }).toString();
  t.same(JSON.parse(out), { notes: 0, tfjs: false });
});

t.test('issue 22, 12: decoder settings in model.json are checked on load, in the ranges the flags allow', async (t) => {
  const decoder = (d: unknown) => variant((j) => { j.userDefinedMetadata.decoder = d; });
  await refused(t, decoder({ threshold: 5 }),
    /^melodyfilter: model tone .*: decoder\.threshold in model\.json must be a number from 0\.01 to 0\.99, got 5\n$/);
  await refused(t, decoder({ onsetThreshold: 0 }), /decoder\.onsetThreshold .* from 0\.01 to 0\.99, got 0\n/);
  await refused(t, decoder({ strikeRiseDb: -3 }), /decoder\.strikeRiseDb in model\.json .* from 0 to 20, got -3\n/);
  await refused(t, decoder({ strikeRiseDb: 40 }), /decoder\.strikeRiseDb .* from 0 to 20, got 40\n/);
  await refused(t, decoder({ threshold: '0.5' }), /decoder\.threshold .* got "0\.5"\n/);
  await refused(t, decoder(0.5), /decoder in model\.json must be an object of settings, got 0\.5\n/);
  // The edges of each range load, and so does a card with no decoder section (the defaults).
  const edgesModel = decoder({ threshold: 0.99, onsetThreshold: 0.01, strikeRiseDb: 20 });
  const edges = await runCli(['-m', edgesModel], audio, { timeoutMs: TIMEOUT_MS });
  t.equal(edges.code, 0, edges.stderr);
  t.equal((await runCli(['-m', decoder(undefined)], audio, { timeoutMs: TIMEOUT_MS })).code, 0);
  // The library's Config takes the same ranges (strikeRiseDb has no flag; it had no check at all).
  t.throws(() => resolveConfig({ strikeRiseDb: 40 }), /^strikeRiseDb must be a number from 0 to 20, got 40$/);
  t.throws(() => resolveConfig({ threshold: 5 }), /^threshold must be a number from 0\.01 to 0\.99, got 5$/);
});
