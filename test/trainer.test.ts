// The PyTorch trainer's side of the house: scene kinds, shards, and (where /usr/bin/python3 has torch)
// a tiny training run, resuming, and parity between PyTorch and the fast kernel / tfjs on the export.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeRng } from '../lib/synth/random.js';
import { makeKindExample, type SceneKind } from '../lib/train/scenes.js';
import { decodeShard, encodeShard, toFloat16, writeShard } from '../lib/train/shards.js';
import { findPython } from '../lib/train/command.js';
import { trainingSpec } from '../lib/train/spec.js';
import { NETWORKS, type Network, type NetworkName } from '../lib/model/networks.js';
import { FastClassifier } from '../lib/model/fast-kernel.js';
import { readWeightFile } from '../lib/model/files.js';
import { NUM_CLASSES, SILENCE, NEW_MODEL_WINDOW, newCard } from '../lib/model/card.js';
import { loadModel, TfjsClassifier } from '../lib/model/tfjs.js';
import { useBackend } from '../lib/model/backend.js';
import { loadEngine, transcribe } from '../lib/pipeline/transcriber.js';
import { MODEL_RATE } from '../lib/music.js';
import { noiseBed, noiseKindList, randomNoiseBed, rms } from '../lib/synth/noise.js';
import { EVAL_VOICES, TRAIN_VOICES, trainingVoices } from '../lib/synth/speech.js';
import { FRONT_ENDS, type FrontEnd, type FrontEndName } from '../lib/pipeline/frontends.js';
import { FeatureExtractor, FEATURE_SIZE, SPECTRUM_BINS } from '../lib/pipeline/features.js';
import { ROOT, runCli, encodePcm, sine } from './helpers.js';
import { resolveConfig } from '../lib/config.js';

// Several Python start-ups (torch loads in seconds) and scene renders: more than tap's default.
t.setTimeout(900_000);
const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-trainer-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const cardOf = (frontEnd: FrontEndName) => ({ frontEnd, modelRate: MODEL_RATE, ...NEW_MODEL_WINDOW });
const example = (kind: SceneKind, seed: number, frames = 128, frontEnd: FrontEndName = 'spectrum') =>
  makeKindExample(makeRng(seed), kind, frames, 48, { fluidShare: 0 }, [], [], cardOf(frontEnd));

t.test('float16: exact where half is exact, rounded to nearest elsewhere', async (t) => {
  const x = new Float32Array([0, 1, -2, 0.5, 65504, 1e-8, 1 / 3, 70000, -0.1]);
  const h = new Uint16Array(x.length);
  toFloat16(x, h);
  t.same([...h.subarray(0, 5)], [0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff]);
  t.equal(h[5], 0, 'below the smallest subnormal: 0');
  t.equal(h[6], 0x3555, '1/3 rounds to 0x3555');
  t.equal(h[7], 0x7c00, 'overflow: infinity');
  t.equal(h[8], 0xae66, '-0.1');
});

t.test('scene kinds: noise alone before the first note, long pauses, close repeats', async (t) => {
  let leadInSilent = 0, pauseSilent = 0;
  for (let s = 0; s < 4; s++) {
    const lead = example('lead-in', 10 + s);
    const first = lead.classes.findIndex((c) => c !== SILENCE);
    // At least 0.3 s (19 frames) of noise alone from the stream's first window.
    if (first === -1 || first >= 18) leadInSilent++;
    const pause = example('pause', 20 + s);
    let run = 0, best = 0;
    for (const c of pause.classes) { run = c === SILENCE ? run + 1 : 0; best = Math.max(best, run); }
    if (best >= 30) pauseSilent++;
  }
  t.equal(leadInSilent, 4, 'every lead-in starts with noise alone');
  t.equal(pauseSilent, 4, 'every pause holds at least 30 frames (0.5 s) of noise alone');
  const lead = example('lead-in', 3);
  t.ok(lead.features.some((v) => v !== 0), 'the lead-in is not digital silence: noise is in it');
  for (let s = 0; s < 6; s++) {
    const noise = example('noise', 40 + s);
    t.ok(noise.classes.every((c) => c === SILENCE) && noise.onsets.every((o) => o === 0), `noise ${s}: all silence`);
    t.ok(noise.features.some((v) => v !== 0), `noise ${s}: something to hear`);
  }
});

t.test('noise beds: the asked RMS level, steps that climb and fall back', async (t) => {
  const x = new Float32Array(16000 * 8);
  noiseBed({ kind: 'pink', levelDbfs: -30 }, x, 16000, makeRng(1));
  t.ok(Math.abs(20 * Math.log10(rms(x)) + 30) < 0.05, `pink at ${(20 * Math.log10(rms(x))).toFixed(2)} dBFS`);
  noiseBed({ kind: 'white', levelDbfs: -20, stepped: { stepDb: 10, stepSeconds: 2, steps: 3 } }, x, 16000, makeRng(2));
  const db = [0, 1, 2, 3].map((k) => 20 * Math.log10(rms(x, k * 32000, (k + 1) * 32000)));
  t.ok(Math.abs(db[1] - db[0] - 10) < 0.5 && Math.abs(db[2] - db[1] - 10) < 0.5,
    `steps up: ${db.map((d) => d.toFixed(1))}`);
  t.ok(Math.abs(db[3] - db[1]) < 0.5, 'then down again');
  t.ok(Math.abs(20 * Math.log10(rms(x)) + 20) < 0.05, 'the whole bed at the asked level');
  for (let i = 0; i < 12; i++) {
    const o = randomNoiseBed(makeRng(i));
    t.ok(o.levelDbfs >= -70 && o.levelDbfs <= -5, `random bed ${i} at ${o.levelDbfs.toFixed(1)} dBFS`);
  }
});

t.test('noise kinds and voices a user names: weighted draws, evaluation kept apart', async (t) => {
  const kinds = noiseKindList(['babble', 'babble', 'babble', 'white']);
  const drawn = Array.from({ length: 400 }, (_, i) => randomNoiseBed(makeRng(100 + i), kinds).kind);
  const babble = drawn.filter((k) => k === 'babble').length;
  t.ok(babble > 250 && babble < 350, `babble named 3 times in 4: drawn ${babble} of 400`);
  t.ok(drawn.every((k) => k === 'babble' || k === 'white'), 'only the kinds named');
  t.throws(() => noiseKindList(['pink', 'fan']), /unknown noise kind 'fan'/);
  t.throws(() => noiseKindList([]), /no noise kind/);
  t.same(trainingVoices(['en', 'de+f2', 'es-419']), ['en', 'de+f2', 'es-419']);
  for (const v of EVAL_VOICES) {
    t.throws(() => trainingVoices(['en', `${v}+f3`]), /kept for evaluation/, `${v} with a variant refused`);
  }
  t.throws(() => trainingVoices(['en; rm']), /not an espeak-ng voice/);
  for (const v of ['pt-br', 'PT', 'ru-lv']) t.throws(() => trainingVoices([v]), /kept for evaluation/, `${v} refused`);
  t.throws(() => trainingVoices(['en', 'xx-nope']), /espeak-ng has no voice 'xx-nope'/);
  t.equal(TRAIN_VOICES.filter((v) => EVAL_VOICES.includes(v)).length, 0, 'the default voices are not evaluation\'s');
  const r = await runCli(
    ['train', '--voices', 'en,pt', '--run', path.join(dir, 'nope'), '--model', path.join(dir, 'nm')], null);
  t.equal(r.code, 2);
  t.match(r.stderr, /^melodyfilter: --voices: voice 'pt' is kept for evaluation/);
});

t.test('shards: what is written reads back (features to float16 precision)', async (t) => {
  const exs = [example('plain', 1, 16), example('repeats', 2, 16)];
  const bytes = encodeShard(exs, { frames: 16, featureSize: FRONT_ENDS.spectrum.size, frontEnd: 'spectrum', seed: 1 });
  const back = decodeShard(bytes);
  t.equal(back.header.count, 2);
  t.same([...back.classes], [...exs[0].classes, ...exs[1].classes]);
  t.same([...back.onsets], [...exs[0].onsets, ...exs[1].onsets]);
  t.same([...back.kinds], [0, 4]);
  let err = 0;
  exs.forEach((ex, i) =>
    ex.features.forEach((v, j) => { err = Math.max(err, Math.abs(v - back.features[i * ex.features.length + j])); }));
  t.ok(err < 2e-3, `features within float16 precision (max error ${err})`);
});

t.test('melodyfilter train without PyTorch: one clear line, exit 1', async (t) => {
  const r = await runCli(
    ['train', '--steps', '1', '--run', path.join(dir, 'nope'), '--model', path.join(dir, 'nope-model')],
    null, { env: { ...process.env, MELODYFILTER_PYTHON: '/bin/false' } });
  t.equal(r.code, 1);
  t.match(r.stderr,
    /^melodyfilter: melodyfilter train needs Python 3 with PyTorch and numpy .*apt-get install python3-torch/);
  t.equal(r.stderr.trim().split('\n').length, 1);
});

t.test('interleave.py: two shard folders alternate by mtime; clashing names are refused', {
  skip: existsSync('/usr/bin/python3') ? false : 'no /usr/bin/python3',
}, async (t) => {
  const interleave = path.join(ROOT, 'trainer', 'interleave.py');
  const root = path.join(dir, 'interleave');
  const folder = (name: string, shards: string[]) => {
    mkdirSync(path.join(root, name), { recursive: true });
    shards.forEach((f, k) => { // oldest first, as make-shards writes them
      writeFileSync(path.join(root, name, f), name);
      utimesSync(path.join(root, name, f), 1e9 + k, 1e9 + k);
    });
  };
  folder('a', ['a0.shard', 'a1.shard', 'a2.shard']);
  folder('b', ['b0.shard', 'b1.shard', 'b2.shard']);
  const run = (...args: string[]) => spawnSync('/usr/bin/python3', [interleave, ...args], { encoding: 'utf8' });
  const r = run(path.join(root, 'out'), `${path.join(root, 'a')}:2`, `${path.join(root, 'b')}:2`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /4 shards in/);
  const order = readdirSync(path.join(root, 'out'))
    .sort((x, y) => statSync(path.join(root, 'out', x)).mtimeMs - statSync(path.join(root, 'out', y)).mtimeMs)
    .map((f) => readFileSync(path.join(root, 'out', f), 'utf8'));
  t.same(order, ['a', 'b', 'a', 'b'], 'the sources alternate, oldest first');
  folder('c', ['x0.shard']);
  folder('d', ['x0.shard']);
  const clash = run(path.join(root, 'out2'), `${path.join(root, 'c')}:1`, `${path.join(root, 'd')}:1`);
  t.not(clash.status, 0, `exit status ${clash.status}: ${clash.stdout} ${clash.stderr}`);
  t.match(clash.stderr, /two sources hold a shard named x0\.shard/);
});

const python = findPython();
t.test('PyTorch trainer', {
  skip: python ? false : 'no Python with torch here (apt-get install python3-torch python3-numpy): ' +
    'trainer tests skipped',
}, async (t) => {
  const py = python!;
  const trainPy = path.join(ROOT, 'trainer', 'train.py'), predictPy = path.join(ROOT, 'trainer', 'predict.py');
  const shards = (name: string, frontEnd: FrontEndName, frames: number, n: number) => {
    const out = path.join(dir, name);
    const kinds: SceneKind[] = ['plain', 'lead-in', 'repeats', 'short'];
    const exs = Array.from({ length: n }, (_, i) =>
      makeKindExample(makeRng(100 + i), kinds[i % kinds.length], frames, 16, { fluidShare: 0 }, [], [],
        cardOf(frontEnd)));
    writeShard(out, 'test', encodeShard(exs, { frames, featureSize: FRONT_ENDS[frontEnd].size, frontEnd, seed: 1 }));
    return out;
  };
  const run = (args: string[]) => {
    const r = spawnSync(py, [trainPy, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`train.py failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const fail = (args: string[]) => spawnSync(py, [trainPy, ...args], { encoding: 'utf8' });
  const valLoss = (out: string) =>
    Number(/validation loss ([\d.]+)/.exec(out.split('\n').filter((l) => l.includes('checkpoint')).pop() ?? '')?.[1]);
  const spectrum = shards('spectrum', 'spectrum', 32, 16);
  const tiny = ['--data', spectrum, '--val', spectrum, '--frames', '32', '--batch', '8', '--pool', '16',
    '--min-pool', '16', '--lr', '0.01', '--seconds', '600'];
  // What to train, as `melodyfilter train` hands it over: a spec made from lib/model/networks.ts.
  const specOf = async (network: NetworkName, embedUnits: number, hiddenUnits: number) => {
    const file = path.join(dir, `spec-${network}-${embedUnits}-${hiddenUnits}.json`);
    writeFileSync(file, JSON.stringify(await trainingSpec(`tiny-${network}`, network, { embedUnits, hiddenUnits })));
    return ['--spec', file];
  };
  const lstm = await specOf('lstm', 24, 16), gru = await specOf('gru', 24, 16), mlp = await specOf('mlp', 24, 16);

  await t.test('a tiny run trains, checkpoints, resumes; loss falls', async (t) => {
    const runDir = path.join(dir, 'lstm');
    const first = run([...tiny, '--run', runDir, '--steps', '1', ...lstm]);
    const loadedFirst = ((await readWeightFile(path.join(runDir, 'model'))).card.training as { examplesLoaded: number })
      .examplesLoaded;
    const more = run([...tiny, '--run', runDir, '--steps', '40', ...lstm, '--resume']);
    t.match(more, /resuming .* at step 1/);
    t.ok(valLoss(more) < valLoss(first) - 0.5, `validation loss ${valLoss(first)} → ${valLoss(more)}`);
    const { card } = await readWeightFile(path.join(runDir, 'model'));
    const training = card.training as { steps: number; examplesLoaded: number; stages: { fromStep: number }[] };
    t.equal(training.steps, 40);
    t.equal(card.network, 'lstm');
    // The record covers both stages: where each began, and the examples the first one loaded too.
    t.same(training.stages.map((s) => s.fromStep), [0, 1]);
    t.ok(training.examplesLoaded > loadedFirst, `examples loaded ${loadedFirst} → ${training.examplesLoaded}`);
  });

  await t.test("a network of the 'newest' window trains on its own shards, refuses the Hann window's", async (t) => {
    const file = path.join(dir, 'spec-newest.json');
    const spec = await trainingSpec('tiny-newest', 'lstm',
      { embedUnits: 24, hiddenUnits: 16, frontEnd: 'spectrum-newest' });
    writeFileSync(file, JSON.stringify(spec));
    const refused = fail([...tiny, '--spec', file, '--run', path.join(dir, 'newest-on-hann'), '--steps', '1']);
    t.not(refused.status, 0);
    t.match(refused.stderr, /holds spectrum features; this network hears spectrum-newest/);
    const own = shards('newest', 'spectrum-newest', 32, 16);
    const runDir = path.join(dir, 'newest');
    const args = ['--data', own, '--val', own, ...tiny.slice(4), '--spec', file, '--run', runDir, '--steps', '2'];
    t.match(run(args), /done: 2 steps/);
    const engine = await loadEngine(resolveConfig({ modelDir: path.join(runDir, 'model') }));
    t.equal(engine.card.frontEnd, 'spectrum-newest', 'the card says which window the features need');
    t.throws(() => newCard('x', 'lstm', 'raw'), /takes 393 features; raw gives 1024/);
  });

  await t.test('a network added in this test alone (one NETWORKS entry) trains and runs in the kernel', async (t) => {
    const registry = NETWORKS as Record<string, Network>;
    const name = 'test-narrow-lstm' as NetworkName;
    registry[name] = { ...NETWORKS.lstm, widths: 'a test\'s own', units: { embedUnits: 20, hiddenUnits: 12 } };
    t.teardown(() => { delete registry[name]; });
    const file = path.join(dir, 'spec-added.json');
    writeFileSync(file, JSON.stringify(await trainingSpec('added', name)));
    const runDir = path.join(dir, 'added');
    t.match(run([...tiny, '--spec', file, '--run', runDir, '--steps', '2']), /done: 2 steps/);
    const engine = await loadEngine(resolveConfig({ modelDir: path.join(runDir, 'model') }));
    t.equal(engine.card.network, name, 'the card is the spec\'s, copied through');
    t.equal(engine.card.name, 'added');
    t.equal(engine.backend, 'none', 'the kernel runs it, no tfjs');
    t.match(engine.shape, { embedUnits: 20, hiddenUnits: 12 });
    const notes = await transcribe(encodePcm(sine(440, 1, 16000), 1, 's16le'), {
      engine, sampleRate: 16000, channels: 1, encoding: 's16le',
    });
    t.ok(Array.isArray(notes), `${notes.length} notes from a 2-step network`);
  });

  await t.test('a front end added in this test alone (one extractor, one FRONT_ENDS entry) trains and runs',
    async (t) => {
    // The spectrum without its onset and level features: an extractor module's whole contract.
    class SpectrumOnly {
      private readonly full = new FeatureExtractor(NEW_MODEL_WINDOW.windowSamples);
      private readonly scratch = new Float32Array(FEATURE_SIZE);
      get levelDb(): number { return this.full.levelDb; }
      reset(): void { this.full.reset(); }
      compute(samples: Float32Array, out: Float32Array, outOffset: number): void {
        this.full.compute(samples, this.scratch, 0);
        out.set(this.scratch.subarray(0, SPECTRUM_BINS), outOffset);
      }
    }
    const frontEnds = FRONT_ENDS as Record<string, FrontEnd>, networks = NETWORKS as Record<string, Network>;
    const frontEnd = 'test-spectrum-only' as FrontEndName, name = 'test-spectrum-only-lstm' as NetworkName;
    frontEnds[frontEnd] = { size: SPECTRUM_BINS, make: () => new SpectrumOnly(), reference: 3 / 4 };
    networks[name] = { ...NETWORKS.lstm, frontEnd, units: { embedUnits: 20, hiddenUnits: 12 } };
    t.teardown(() => { delete frontEnds[frontEnd]; delete networks[name]; });
    const file = path.join(dir, 'spec-front-end.json');
    writeFileSync(file, JSON.stringify(await trainingSpec('front-end', name)));
    const data = shards('spectrum-only', frontEnd, 32, 16);
    const runDir = path.join(dir, 'front-end');
    const args = ['--data', data, '--val', data, ...tiny.slice(4), '--spec', file, '--run', runDir, '--steps', '2'];
    t.match(run(args), /done: 2 steps/);
    const engine = await loadEngine(resolveConfig({ modelDir: path.join(runDir, 'model') }));
    t.equal(engine.card.frontEnd, frontEnd);
    t.equal(engine.card.featureSize, SPECTRUM_BINS, 'the card sizes the input by the new front end');
    const notes = await transcribe(encodePcm(sine(440, 1, 16000), 1, 's16le'), {
      engine, sampleRate: 16000, channels: 1, encoding: 's16le',
    });
    t.ok(Array.isArray(notes), `${notes.length} notes through the new front end`);
  });

  await t.test('feature-space augmentation moves the keys and their labels together', async (t) => {
    // One frame per example: a key's three bins and its rise at `key`, labelled key + 1 (class 1 is A0).
    const script = `
import json, sys, numpy as np
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'trainer'))})
from augment import shift_keys, eq_curves
S = 98; F = 4 * S + 1
keys = [40, 87, 0, 10]
x = np.zeros((4, 1, F), np.float32); c = np.zeros((4, 1), np.int64)
for i, k in enumerate(keys):
    x[i, 0, 3 * k:3 * k + 3] = [0.5, 1, 0.5]; x[i, 0, 3 * S + k] = 0.7; x[i, 0, 4 * S] = 0.3; c[i, 0] = k + 1
shift_keys(x, c, np.random.default_rng(1), 1.0)
out = [{'cls': int(c[i, 0]), 'spec': int(np.argmax(x[i, 0, :3 * S])) // 3, 'rise': int(np.argmax(x[i, 0, 3 * S:4 * S])),
        'level': float(x[i, 0, 4 * S])} for i in range(4)]
eq_curves(x, np.random.default_rng(2), 1.0)
print(json.dumps({'out': out, 'lo': float(x[:, :, :3 * S].min()), 'hi': float(x[:, :, :3 * S].max())}))
`;
    const r = spawnSync(py, ['-c', script], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    const { out, lo, hi } = JSON.parse(r.stdout) as { out: { cls: number; spec: number; rise: number; level: number }[];
      lo: number; hi: number };
    const keys = [40, 87, 0, 10];
    out.forEach((o, i) => {
      const s = o.cls - (keys[i] + 1);
      t.ok([-2, -1, 1, 2].includes(s), `example ${i}: shifted ${s}`);
      t.equal(o.spec, keys[i] + s, 'the spectrum moved with the label');
      t.equal(o.rise, keys[i] + s, 'the rises moved with it');
      t.ok(Math.abs(o.level - 0.3) < 1e-6, 'the level stays');
    });
    t.ok(out[1].cls <= 88 && out[2].cls >= 1, 'C8 and A0 stay on the piano');
    t.ok(lo >= 0 && hi <= 1, 'EQ keeps features in 0..1');
  });

  await t.test('--release-weight weighs the windows after a release into silence, not a change of key', async (t) => {
    const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'trainer'))})
from train import release_weights
c = torch.tensor([[0, 5, 5, 5, 0, 0, 0, 0, 0, 7, 9, 0, 0], [3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
print(json.dumps(release_weights(c, 4.0, 3).tolist()))
`;
    const r = spawnSync(py, ['-c', script], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.same(JSON.parse(r.stdout), [
      [1, 1, 1, 1, 4, 4, 4, 1, 1, 1, 1, 4, 4], // 5 released at 4, 9 at 11; 7 → 9 is no release
      [1, 1, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1],
    ]);
  });

  await t.test('a resume never replaces a model it cannot continue (issue 22)', async (t) => {
    const runDir = path.join(dir, 'lstm');
    const before = readFileSync(path.join(runDir, 'model', 'model.json'), 'utf8');
    // Nothing left to do: the checkpoint is at step 40 already. It once wrote "loss": NaN.
    const done = fail([...tiny, '--run', runDir, '--steps', '40', '--resume']);
    t.not(done.status, 0);
    t.match(done.stderr, /nothing to train: the checkpoint is at step 40/);
    t.equal(readFileSync(path.join(runDir, 'model', 'model.json'), 'utf8'), before, 'the model is as it was');
    // --seconds is the whole run's budget: one already spent trains nothing either (it said "done").
    const spent = fail([...tiny, '--run', runDir, '--steps', '80', '--seconds', '0', '--resume']);
    t.not(spent.status, 0);
    t.match(spent.stderr, /nothing to train: the run has used \d+ s and --seconds \(the whole run's budget\) is 0/);
    t.equal(readFileSync(path.join(runDir, 'model', 'model.json'), 'utf8'), before, 'still as it was');
    // No checkpoint: an error, not a fresh start over the model.
    const empty = path.join(dir, 'no-checkpoint');
    const none = fail([...tiny, '--run', empty, '--steps', '2', '--resume']);
    t.not(none.status, 0);
    t.match(none.stderr, /nothing to resume: no .*checkpoint\.pt/);
    t.notOk(existsSync(path.join(empty, 'model')), 'nothing written');
    // Without a spec a resume keeps the checkpoint's network (it once became a 2-step LSTM); with
    // another network's spec it is refused.
    const gruDir = path.join(dir, 'gru-resume');
    run([...tiny, '--run', gruDir, '--steps', '1', ...gru]);
    t.match(run([...tiny, '--run', gruDir, '--steps', '2', '--resume']), /resuming/);
    const other = fail([...tiny, '--run', gruDir, '--steps', '3', '--resume', ...lstm]);
    t.match(other.stderr, /trains another network than .*a resume keeps its network/);
    t.equal((await readWeightFile(path.join(gruDir, 'model'))).card.network, 'gru');
  });

  // Features of a scene the networks never saw, run from the stream's first frame.
  const frames = 150;
  const probe = async (src: string, features: Float32Array) => {
    const fin = path.join(dir, 'probe.f32'), fout = path.join(dir, 'probe.out.f32');
    writeFileSync(fin, Buffer.from(features.buffer, features.byteOffset, features.byteLength));
    const r = spawnSync(py, [predictPy, src, fin, String(frames), fout], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`predict.py failed: ${r.stderr}`);
    const out = new Float32Array(new Uint8Array(readFileSync(fout)).buffer);
    const onsetsAt = frames * NUM_CLASSES;
    return {
      probs: out.subarray(0, onsetsAt), onsets: out.subarray(onsetsAt, onsetsAt + frames),
      offsets: out.length > onsetsAt + frames ? out.subarray(onsetsAt + frames) : null,
    };
  };
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  await t.test('the fast kernel computes what PyTorch computes: LSTM, and PyTorch\'s reset-after GRU', async (t) => {
    run([...tiny, '--run', path.join(dir, 'gru'), '--steps', '5', ...gru]);
    const x = example('plain', 77, frames).features;
    for (const arch of ['lstm', 'gru'] as const) {
      const ref = await probe(path.join(dir, arch, 'checkpoint.pt'), x);
      const k = new FastClassifier((await readWeightFile(path.join(dir, arch, 'model'))).weights, arch);
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      await k.run(x.subarray(0, 70 * x.length / frames), 70, probs, onsets); // two calls: state carries over
      await k.run(x.subarray(70 * x.length / frames), frames - 70,
        probs.subarray(70 * NUM_CLASSES), onsets.subarray(70));
      t.ok(maxDiff(probs, ref.probs) < 1e-5,
        `${arch}: class probabilities agree (max difference ${maxDiff(probs, ref.probs)})`);
      t.ok(maxDiff(onsets, ref.onsets) < 1e-5,
        `${arch}: onset probabilities agree (max difference ${maxDiff(onsets, ref.onsets)})`);
      t.ok(maxDiff(ref.probs, new Float32Array(ref.probs.length).fill(1 / NUM_CLASSES)) > 0.01,
        `${arch}: the outputs are not uniform`);
    }
  });

  await t.test('--widen: a narrower network\'s weights start a wider one that computes the same function',
    async (t) => {
    const narrow = path.join(dir, 'lstm', 'model'), wideDir = path.join(dir, 'wide');
    const wide = await specOf('lstm', 32, 24);
    t.match(fail([...tiny, '--run', wideDir, '--steps', '1', ...wide, '--init', narrow]).stderr,
      /is another network .*--widen takes a narrower one/, 'not without --widen');
    // One step at learning rate 0: the export is the widened start itself.
    run([...tiny, '--run', wideDir, '--steps', '1', ...wide, '--init', narrow, '--widen', '--lr', '0']);
    const x = example('plain', 79, frames).features;
    const outputs = async (model: string) => {
      const k = new FastClassifier((await readWeightFile(model)).weights, 'lstm');
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      await k.run(x, frames, probs, onsets);
      return { probs, onsets };
    };
    const a = await outputs(narrow), b = await outputs(path.join(wideDir, 'model'));
    t.match((await readWeightFile(path.join(wideDir, 'model'))).card.training, { initialisedFrom: { widened: true } });
    t.ok(maxDiff(a.probs, b.probs) < 1e-5, `class probabilities agree (max difference ${maxDiff(a.probs, b.probs)})`);
    t.ok(maxDiff(a.onsets, b.onsets) < 1e-5, `onsets agree (max difference ${maxDiff(a.onsets, b.onsets)})`);
    const narrower = await specOf('lstm', 16, 8);
    t.match(fail([...tiny, '--run', path.join(dir, 'narrower'), '--steps', '1', ...narrower, '--init', narrow,
      '--widen']).stderr, /cannot be widened into the spec: .* does not fit in/, 'never narrowed');
  });

  await t.test('an offset head added to a trained network: its old outputs kept, every kernel agrees with PyTorch',
    async (t) => {
    const spec = path.join(dir, 'spec-offset.json');
    writeFileSync(spec, JSON.stringify(await trainingSpec('tiny-lstm', 'lstm',
      { embedUnits: 24, hiddenUnits: 16, offsetHead: true })));
    const base = path.join(dir, 'lstm', 'model'), startDir = path.join(dir, 'offset-start');
    // At learning rate 0 the export is the start itself: the old network, a new head beside it.
    run([...tiny, '--run', startDir, '--steps', '1', '--spec', spec, '--init', base, '--lr', '0']);
    const x = example('plain', 81, frames).features;
    const before = await probe(path.join(base, '..', 'checkpoint.pt'), x);
    const start = await probe(path.join(startDir, 'checkpoint.pt'), x);
    t.ok(maxDiff(before.probs, start.probs) < 1e-6 && maxDiff(before.onsets, start.onsets) < 1e-6,
      'classes and onsets as before the head was added');
    t.match((await readWeightFile(path.join(startDir, 'model'))).card.training,
      { initialisedFrom: { offsetHeadAdded: true } });
    const runDir = path.join(dir, 'offset');
    const out = run([...tiny, '--run', runDir, '--steps', '20', '--spec', spec, '--init', base]);
    t.match(out, /validation loss [\d.]+ accuracy [\d.]+ offset loss [\d.]+/, 'the offset loss is reported');
    const ref = await probe(path.join(runDir, 'checkpoint.pt'), x);
    t.ok(ref.offsets, 'PyTorch has the third output');
    const model = path.join(runDir, 'model');
    for (const kernel of ['wasm', 'fast', 'tfjs'] as const) {
      if (kernel === 'tfjs') await useBackend('cpu');
      const engine = await loadEngine({ modelDir: model, kernel, backend: 'cpu' });
      t.equal(engine.shape.offsetHead, true, `${kernel}: the shape has the head`);
      const k = engine.newClassifier();
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      const offsets = new Float32Array(frames).fill(NaN);
      await k.run(x, frames, probs, onsets, offsets);
      k.dispose();
      t.ok(maxDiff(offsets, ref.offsets!) < 1e-5,
        `${kernel}: offsets agree (max difference ${maxDiff(offsets, ref.offsets!)})`);
      t.ok(maxDiff(probs, ref.probs) < 1e-5, `${kernel}: class probabilities agree`);
    }
    t.ok(maxDiff(ref.offsets!, start.offsets!) > 1e-4, 'the head trained');
  });

  await t.test('the harmonic network: widened from the LSTM it computes the same; trained, every kernel ' +
    'agrees with PyTorch', async (t) => {
    const spec = path.join(dir, 'spec-harmonic.json');
    writeFileSync(spec, JSON.stringify(await trainingSpec('tiny-harmonic', 'harmonic-lstm',
      { embedUnits: 24, hiddenUnits: 16, harmonicChannels: 4 })));
    const base = path.join(dir, 'lstm', 'model'), startDir = path.join(dir, 'harmonic-start');
    t.match(fail([...tiny, '--run', startDir, '--steps', '1', '--spec', spec, '--init', base]).stderr,
      /is another network .*--widen takes a narrower one/, 'not without --widen');
    run([...tiny, '--run', startDir, '--steps', '1', '--spec', spec, '--init', base, '--widen', '--lr', '0']);
    const x = example('plain', 83, frames).features;
    const before = await probe(path.join(base, '..', 'checkpoint.pt'), x);
    const start = await probe(path.join(startDir, 'checkpoint.pt'), x);
    t.ok(maxDiff(before.probs, start.probs) < 1e-5 && maxDiff(before.onsets, start.onsets) < 1e-5,
      `widened: the LSTM's outputs (max difference ${maxDiff(before.probs, start.probs)})`);
    const runDir = path.join(dir, 'harmonic');
    run([...tiny, '--run', runDir, '--steps', '20', '--spec', spec, '--init', startDir + '/model']);
    const ref = await probe(path.join(runDir, 'checkpoint.pt'), x);
    t.ok(maxDiff(ref.probs, start.probs) > 1e-4, 'it trained');
    const model = path.join(runDir, 'model');
    const file = await readWeightFile(model);
    t.equal(file.card.network, 'harmonic-lstm');
    t.same(file.weights.get('harmonic/kernel')!.shape, [393, 88 * 4], 'model.json holds the layer as a Dense');
    for (const kernel of ['wasm', 'fast', 'tfjs'] as const) {
      if (kernel === 'tfjs') await useBackend('cpu');
      const engine = await loadEngine({ modelDir: model, kernel, backend: 'cpu' });
      t.equal(engine.shape.harmonicChannels, 4, `${kernel}: the shape has the harmonic layer`);
      const k = engine.newClassifier();
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      await k.run(x.subarray(0, 70 * x.length / frames), 70, probs, onsets); // two calls: state carries over
      await k.run(x.subarray(70 * x.length / frames), frames - 70,
        probs.subarray(70 * NUM_CLASSES), onsets.subarray(70));
      k.dispose();
      t.ok(maxDiff(probs, ref.probs) < 1e-5,
        `${kernel}: class probabilities agree (max difference ${maxDiff(probs, ref.probs)})`);
      t.ok(maxDiff(onsets, ref.onsets) < 1e-5, `${kernel}: onsets agree`);
    }
    // A kernel whose zeros are not zero is not the layer the kernels compute: refused, not misread.
    const weights = new Map(file.weights);
    const damaged = weights.get('harmonic/kernel')!;
    const data = damaged.data.slice();
    data[data.findIndex((v) => v === 0)] = 0.5;
    weights.set('harmonic/kernel', { shape: damaged.shape, data });
    t.throws(() => new FastClassifier(weights, 'lstm'), /not the shared taps/);
    // Its channels are key-major: more of them is not a widening (it would move channels between keys).
    const spec8 = path.join(dir, 'spec-harmonic8.json');
    writeFileSync(spec8, JSON.stringify(await trainingSpec('tiny-harmonic', 'harmonic-lstm',
      { embedUnits: 24, hiddenUnits: 16, harmonicChannels: 8 })));
    const more = fail([...tiny, '--run', path.join(dir, 'harmonic8'), '--steps', '1', '--spec', spec8,
      '--init', model, '--widen']);
    t.match(more.stderr, /cannot be widened into the spec: .*keeps its channels/, 'more channels refused, one line');
    t.notMatch(more.stderr, /Traceback/);
    // Another network is not a wider one, even with a layer the harmonic path may add.
    t.match(fail([...tiny, '--run', path.join(dir, 'from-gru'), '--steps', '1', '--spec', spec,
      '--init', path.join(dir, 'gru', 'model'), '--widen']).stderr, /cannot be widened into the spec/);
    // The kernels put the features first: a model that joins them the other way round is refused.
    const swapped = path.join(dir, 'harmonic-swapped');
    mkdirSync(swapped);
    copyFileSync(path.join(model, 'weights.bin'), path.join(swapped, 'weights.bin'));
    const doc = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8'));
    const join = doc.modelTopology.config.layers.find((l: { name: string }) => l.name === 'join');
    join.inbound_nodes[0].reverse();
    writeFileSync(path.join(swapped, 'model.json'), JSON.stringify(doc));
    await t.rejects(readWeightFile(swapped), /must join the input and the harmonic layer, in that order/);
  });

  await t.test('the default (wasm) kernel runs both exports as PyTorch computes them', async (t) => {
    const x = example('plain', 78, frames).features;
    for (const arch of ['lstm', 'gru'] as const) {
      const ref = await probe(path.join(dir, arch, 'checkpoint.pt'), x);
      const engine = await loadEngine({ modelDir: path.join(dir, arch, 'model'), kernel: 'wasm', backend: 'auto' });
      const k = engine.newClassifier();
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      await k.run(x, frames, probs, onsets);
      k.dispose();
      t.ok(maxDiff(probs, ref.probs) < 1e-5,
        `${arch}: class probabilities agree (max difference ${maxDiff(probs, ref.probs)})`);
    }
  });

  await t.test('tfjs loads the exports (LSTM, MLP, raw-sample LSTM) and agrees with PyTorch; the GRU is refused',
    async (t) => {
    await useBackend('cpu');
    run([...tiny, '--run', path.join(dir, 'mlp'), '--steps', '3', ...mlp]);
    const raw = shards('raw', 'raw', 8, 8);
    run(['--data', raw, '--frames', '8', '--batch', '2', '--pool', '8', '--min-pool', '8',
      ...await specOf('raw-lstm', 8, 8),
      '--run', path.join(dir, 'raw-lstm'), '--steps', '2', '--seconds', '600']);
    for (const arch of ['lstm', 'mlp', 'raw-lstm'] as const) {
      const x = example('plain', 78, frames, arch === 'raw-lstm' ? 'raw' : 'spectrum').features;
      const ref = await probe(path.join(dir, arch, 'checkpoint.pt'), x);
      const loaded = await loadModel(path.join(dir, arch, 'model'));
      const c = new TfjsClassifier(loaded.model, arch);
      const probs = new Float32Array(frames * NUM_CLASSES), onsets = new Float32Array(frames);
      await c.run(x, frames, probs, onsets);
      c.dispose();
      t.ok(maxDiff(probs, ref.probs) < 1e-5,
        `${arch}: tfjs agrees with PyTorch (max difference ${maxDiff(probs, ref.probs)})`);
      t.ok(maxDiff(onsets, ref.onsets) < 1e-5, `${arch}: onsets agree`);
    }
    await t.rejects(loadModel(path.join(dir, 'gru', 'model')), /reset_after/);
  });

  await t.test('each network transcribes through the pipeline, from fresh state for each stream', async (t) => {
    const audio = encodePcm(sine(440, 1.5, 16000), 1, 's16le');
    for (const arch of ['gru', 'mlp', 'raw-lstm'] as const) {
      const engine =
        await loadEngine({ ...resolveConfig({ modelDir: path.join(dir, arch, 'model') }), backend: 'wasm' });
      t.equal(engine.card.network, arch);
      // Kernels know the recurrent cells (PyTorch's GRU in plain TS); the window models run in tfjs.
      t.equal(engine.backend === 'none', arch === 'gru', `${arch}: ${arch === 'gru' ? 'a kernel' : 'runs in tfjs'}`);
      // A barely trained network hears anything; what must hold is that each stream starts from fresh
      // state (the same input twice gives the same notes) and that what comes out is well formed.
      const opts = { engine, sampleRate: 16000, channels: 1, encoding: 's16le' } as const;
      const notes = await transcribe(audio, opts);
      t.same(await transcribe(audio, opts), notes, `${arch}: a second stream starts from fresh state`);
      t.ok(notes.every((n) => n.pitch >= 21 && n.pitch <= 108 && n.start >= 0 && n.end > n.start && n.end <= 1.6),
        `${arch}: ${notes.length} well-formed notes inside the input`);
    }
  });

  await t.test('a diverging run stops and saves nothing', async (t) => {
    const runDir = path.join(dir, 'diverged');
    const r = spawnSync(py, [trainPy, ...tiny, ...lstm, '--run', runDir, '--steps', '5', '--lr', '1e308'],
      { encoding: 'utf8' });
    t.not(r.status, 0);
    t.match(r.stderr, /(loss is nan|not finite) at step \d+/);
    t.notOk(existsSync(path.join(runDir, 'model', 'model.json')), 'no model written');
    t.notOk(existsSync(path.join(runDir, 'checkpoint.pt')), 'no checkpoint written');
  });
});
