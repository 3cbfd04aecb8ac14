import t from 'tap';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '../lib/model/tf.js';
import { buildModel, saveModel, loadModel, weightsOf, TfjsClassifier } from '../lib/model/tfjs.js';
import { FastClassifier } from '../lib/model/fast-kernel.js';
import { readWeightFile, writeCard } from '../lib/model/files.js';
import { makeToneModel } from './helpers.js';
import { NUM_CLASSES, newCard, readCard, storedCard } from '../lib/model/card.js';
import { HARMONIC_GEOMETRY, KEYS, TAPS, tapBin } from '../lib/model/harmonic.js';
import { useBackend } from '../lib/model/backend.js';
import { BINS_PER_SEMITONE, FEATURE_SIZE, LOWEST_MIDI } from '../lib/pipeline/features.js';
import { randomFeatures, runAll, maxDiff } from './fixtures/classifier-runs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-model-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const CARD = newCard('test', 'lstm');


t.test('save and load keep weights and metadata', async (t) => {
  await useBackend('cpu');
  const model = buildModel({ network: 'lstm', featureSize: FEATURE_SIZE, embedUnits: 16, hiddenUnits: 12 });
  const decoder = { threshold: 0.55, onsetThreshold: 0.35, strikeRiseDb: 1, releaseRatio: 0.5, releaseFallDb: 0,
    onsetConfirmFrames: 2, silenceOnset: 0, silenceThreshold: 0, fadeHoldFrames: 0, offsetThreshold: 0 };
  await saveModel(model, dir, { ...CARD, decoder });
  const loaded = await loadModel(dir);
  t.same(loaded.shape, { network: 'lstm', featureSize: FEATURE_SIZE, embedUnits: 16, hiddenUnits: 12 });
  t.equal(loaded.card.windowSamples, 2048);
  t.same(loaded.card.decoder, decoder, 'decoder settings round-trip');
  const a = model.getWeights().map((w) => Array.from(w.dataSync()));
  const b = loaded.model.getWeights().map((w) => Array.from(w.dataSync()));
  t.same(b, a);
});

for (const backend of ['cpu', 'wasm'] as const) {
  t.test(`fast kernel matches tfjs (${backend}) to 1e-5, state carried across uneven batches`, async (t) => {
    await useBackend(backend);
    const lstm = (await loadModel(dir)).model;
    const gru = buildModel({ network: 'gru', featureSize: FEATURE_SIZE, embedUnits: 16, hiddenUnits: 12 });
    for (const [arch, model] of [['lstm', lstm], ['gru', gru]] as const) {
      // Random weights are small: scale them up so the test would catch a wrong gate order.
      model.setWeights(model.getWeights().map((w) => tf.mul(w, 3)));
      const frames = 40;
      const x = randomFeatures(frames, 7);
      const fast = await runAll(new FastClassifier(weightsOf(model), arch), x, frames, [1, 7, 13, 19]);
      const slow = await runAll(new TfjsClassifier(model, arch), x, frames, [40]);
      const slowChunked = await runAll(new TfjsClassifier(model, arch), x, frames, [3, 3, 34]);
      t.ok(maxDiff(fast.probs, slow.probs) < 1e-5, `${arch}: probs differ by ${maxDiff(fast.probs, slow.probs)}`);
      t.ok(maxDiff(fast.onsets, slow.onsets) < 1e-5, `${arch}: onsets differ by ${maxDiff(fast.onsets, slow.onsets)}`);
      t.ok(maxDiff(slow.probs, slowChunked.probs) < 1e-5, `${arch}: tfjs carries its state across calls`);
      t.ok(maxDiff(fast.probs, new Float32Array(fast.probs.length).fill(1 / NUM_CLASSES)) > 0.01,
        `${arch}: the test has teeth (outputs are not uniform)`);
    }
  });
}

t.test('corrupt models are clear errors', async (t) => {
  const bad = mkdtempSync(path.join(tmpdir(), 'melodyfilter-bad-'));
  t.teardown(() => rmSync(bad, { recursive: true, force: true }));
  await t.rejects(loadModel(bad), /no model at .* \(model\.json not found\)/);
  writeFileSync(path.join(bad, 'model.json'), '{not json');
  await t.rejects(loadModel(bad), /is not valid JSON/);
  writeFileSync(path.join(bad, 'model.json'), readFileSync(path.join(dir, 'model.json')));
  writeFileSync(path.join(bad, 'weights.bin'), readFileSync(path.join(dir, 'weights.bin')).subarray(0, 100));
  await t.rejects(loadModel(bad),
    /model weights .*weights.bin are 100 bytes, but model.json lists \d+ bytes of weights/);
});


t.test('writeCard changes the card and nothing else; a directory that is not a model is refused', async (t) => {
  const out = path.join(dir, 'card');
  await makeToneModel(out);
  const weights = readFileSync(path.join(out, 'weights.bin'));
  const before = await readWeightFile(out);
  const decoder = { threshold: 0.55, onsetThreshold: 0.25, strikeRiseDb: 3, releaseRatio: 0.7, releaseFallDb: 6,
    onsetConfirmFrames: 1, silenceOnset: 0.2, silenceThreshold: 0.5, fadeHoldFrames: 2, offsetThreshold: 0.3 };
  await writeCard(out, (card) => ({ ...card, decoder }));
  const after = await readWeightFile(out);
  t.same(after.card.decoder, decoder);
  t.same({ ...after.card, decoder: before.card.decoder }, before.card, 'the rest of the card as it was');
  t.same(after.topology, before.topology);
  t.same(readFileSync(path.join(out, 'weights.bin')), weights, 'weights untouched');
  await t.rejects(writeCard(path.join(dir, 'nothing'), (card) => card), /no model at/);
});

t.test('the harmonic layer: its card carries the taps, a card with other taps is refused', async (t) => {
  const card = newCard('h', 'harmonic-lstm');
  t.same(card.harmonic, HARMONIC_GEOMETRY, 'a new card has the geometry');
  t.same(readCard(storedCard(card), 'h').harmonic, HARMONIC_GEOMETRY, 'stored and read back');
  const other = { ...storedCard(card), harmonic: { ...HARMONIC_GEOMETRY, spread: [0] } };
  t.throws(() => readCard(other, 'h'), /harmonic layer's taps are not the ones/);
  const none = { ...storedCard(card), harmonic: undefined };
  t.throws(() => readCard(none, 'h'), /harmonic layer's taps/);
  t.equal(newCard('l', 'lstm').harmonic, undefined, 'an LSTM has none');
  // Where the taps lie: a key's own bin, and its 2nd partial on the key an octave up.
  const S = HARMONIC_GEOMETRY.spread.length, own = HARMONIC_GEOMETRY.shifts.indexOf(0) * S + 1;
  const a4 = 69 - LOWEST_MIDI, second = (HARMONIC_GEOMETRY.shifts.indexOf(36)) * S + 1;
  t.equal(tapBin(a4, own), BINS_PER_SEMITONE * a4 + 1, 'A4 hears its own bin');
  t.equal(tapBin(a4, second), tapBin(a4 + 12, own), 'its 2nd partial is A5\'s own bin');
  t.equal(tapBin(KEYS - 1, TAPS - 1), -1, 'C8\'s 8th partial is past the spectrum');
});
