// A hand-set model that hears steady sine tones, for tests and the soak run: its notes follow the
// input whatever state the trained model is in, and no training is needed to make it.
//
// It is calibrated on the feature extractor itself, so it keeps working as the features change: for
// each key from C3 to C6 a sine is run through FeatureExtractor, the spectrum feature where it peaks
// becomes that key's detector, and the detector's threshold sits halfway between the feature's value
// with the key sounding and its highest value with any other key (or silence) sounding. The LSTM is
// a pass-through (input and output gates open, forget gate shut, no recurrence) and the class head
// turns each detector into its key's logit against a fixed silence logit. Onsets are never reported,
// so a key held through a gap shorter than the tracker's merge time is one note.
import * as tf from '../lib/tf.js';
import { DEFAULTS, MODEL_RATE } from '../lib/config.js';
import { FeatureExtractor, FEATURE_SIZE, SPECTRUM_BINS, midiToHz } from '../lib/features.js';
import { buildModel, saveModel, CLASS_MIDI_OFFSET, NUM_CLASSES, SILENCE } from '../lib/model.js';
import { useBackend } from '../lib/backend.js';

/** C3–C6: where the feature bins of neighbouring semitones are well apart at a 2048-sample window. */
export const TONE_LOW_MIDI = 48, TONE_HIGH_MIDI = 84;
const KEYS = TONE_HIGH_MIDI - TONE_LOW_MIDI + 1;
/** Level of the calibration sines; the features are relative to a running peak, so any level works. */
const CALIBRATION_AMPLITUDE = 0.5;
/** Hops of a steady tone before its features are read: the running peak has settled by then. */
const SETTLE_HOPS = 12;
/** A detector gives this at the key's own level: tanh(tanh(3)) ≈ 0.76 after the LSTM's two tanhs. */
const DETECTOR_AT_KEY = 3;
/** Gate biases that pin sigmoid(±10) to 1 and 0 within 5e-5. */
const GATE_OPEN = 10, GATE_SHUT = -10;
/** Key logit per unit of LSTM output (0.76 → 15) against silence's fixed 5: a key sounding wins with
 *  p > 0.99; with nothing sounding, silence wins with p ≈ 0.8. */
const KEY_LOGIT_GAIN = 20;
const SILENCE_LOGIT = 5;

/** Features of the last window of a steady input (a sine at `hz`, or silence for 0). */
function steadyFeatures(hz: number): Float32Array {
  const { windowSamples, hopSamples } = DEFAULTS;
  const samples = new Float32Array(windowSamples + SETTLE_HOPS * hopSamples);
  for (let i = 0; i < samples.length; i++) samples[i] = CALIBRATION_AMPLITUDE * Math.sin((2 * Math.PI * hz * i) / MODEL_RATE);
  const fx = new FeatureExtractor(windowSamples);
  const out = new Float32Array(FEATURE_SIZE);
  for (let at = 0; at + windowSamples <= samples.length; at += hopSamples) fx.compute(samples.subarray(at, at + windowSamples), out);
  return out;
}

interface Detector { bin: number; threshold: number; gain: number }

/** One detector per key, from the features of every key's sine and of silence. */
function calibrate(): Detector[] {
  const feats = Array.from({ length: KEYS }, (_, k) => steadyFeatures(midiToHz(TONE_LOW_MIDI + k)));
  const silence = steadyFeatures(0);
  return feats.map((own, k) => {
    let bin = 0;
    for (let j = 1; j < SPECTRUM_BINS; j++) if (own[j] > own[bin]) bin = j;
    let off = silence[bin];
    feats.forEach((other, n) => { if (n !== k) off = Math.max(off, other[bin]); });
    const on = own[bin];
    if (!(on > off)) throw new Error(`tone model: the features do not tell MIDI ${TONE_LOW_MIDI + k} from its neighbours (${on} at its peak bin, up to ${off} without it)`);
    const threshold = (on + off) / 2;
    return { bin, threshold, gain: DETECTOR_AT_KEY / (on - threshold) };
  });
}

/** Writes the tone model to `dir` (model.json + weights.bin), as `saveModel` writes any model. */
export async function writeToneModel(dir: string): Promise<void> {
  await useBackend('wasm'); // the cpu backend greets stderr with advice to install tfjs-node
  const detectors = calibrate();
  const E = KEYS, H = KEYS;
  const embedW = new Float32Array(FEATURE_SIZE * E), embedB = new Float32Array(E);
  const lstmW = new Float32Array(E * 4 * H), lstmU = new Float32Array(H * 4 * H), lstmB = new Float32Array(4 * H);
  const noteW = new Float32Array(H * NUM_CLASSES), noteB = new Float32Array(NUM_CLASSES);
  detectors.forEach(({ bin, threshold, gain }, k) => {
    embedW[bin * E + k] = gain; // tfjs layout: input-major
    embedB[k] = -gain * threshold;
    lstmW[k * 4 * H + 2 * H + k] = 1; // cell input g = tanh(detector k); gates i, f, c, o in that order
    noteW[k * NUM_CLASSES + (TONE_LOW_MIDI + k - CLASS_MIDI_OFFSET)] = KEY_LOGIT_GAIN;
  });
  for (let j = 0; j < H; j++) { lstmB[j] = GATE_OPEN; lstmB[H + j] = GATE_SHUT; lstmB[3 * H + j] = GATE_OPEN; }
  noteB[SILENCE] = SILENCE_LOGIT;
  const onsetW = new Float32Array(H), onsetB = new Float32Array([GATE_SHUT]);
  const weights: [Float32Array, number[]][] = [
    [embedW, [FEATURE_SIZE, E]], [embedB, [E]], [lstmW, [E, 4 * H]], [lstmU, [H, 4 * H]], [lstmB, [4 * H]],
    [noteW, [H, NUM_CLASSES]], [noteB, [NUM_CLASSES]], [onsetW, [H, 1]], [onsetB, [1]],
  ];
  const model = buildModel({ featureSize: FEATURE_SIZE, embedUnits: E, lstmUnits: H });
  model.setWeights(weights.map(([values, shape]) => tf.tensor(values, shape)));
  await saveModel(model, dir, {
    name: 'tone (hand-set: hears steady sines C3-C6)',
    windowSamples: DEFAULTS.windowSamples, hopSamples: DEFAULTS.hopSamples, sampleRate: MODEL_RATE, featureSize: FEATURE_SIZE,
  });
  model.dispose();
}
