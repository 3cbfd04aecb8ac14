// The model card: everything a model fixes about how it is fed and read (rates, window, hop, front
// end, network, classes, decoder defaults), read once from its model.json (userDefinedMetadata).
// Stages and training take the card; none of it is a user flag.
import { InputError } from '../config.js';
import { ONSET_RISE_DB, RANGE_DB } from '../pipeline/features.js';
import { MODEL_RATE } from '../music.js';
import { FRONT_ENDS, isFrontEndName, type FrontEndName } from '../pipeline/frontends.js';
import { isNetworkName, NETWORKS, type NetworkName } from './networks.js';
import { HARMONIC_GEOMETRY, sameGeometry, type HarmonicGeometry } from './harmonic.js';

/** Class 0: silence or noise; class k: MIDI 20 + k (A0 = 21 … C8 = 108). */
export const NUM_CLASSES = 89;
export const SILENCE = 0;
export const CLASS_MIDI_OFFSET = 20;

/** Window and hop of a newly trained model, in samples at MODEL_RATE. 2048 = 128 ms: enough to split
 *  semitones from ~C2 up and to see the harmonics that identify lower notes. 256 = 16 ms: the time
 *  resolution of notes. */
export const NEW_MODEL_WINDOW = { windowSamples: 2048, hopSamples: 256 } as const;

/** The note tracker's settings a model comes with; flags override them per run. */
export interface DecoderSettings {
  /** Probability a key must reach to start a note; it ends below half of this (hysteresis). */
  threshold: number;
  /** Onset probability at which a key that is already sounding counts as struck again. */
  onsetThreshold: number;
  /** A re-strike inside a sounding note must also raise its semitone by this many dB over the
   *  quietest of the three windows before it (0: the onset output alone decides). */
  strikeRiseDb: number;
  /** A sounding key ends once it falls below threshold × this (hysteresis): lower holds a decaying
   *  note longer, higher ends it nearer the key's release. */
  releaseRatio: number;
  /** A key whose own partials fall this many dB in one unbroken run of falling windows was released
   *  there: a note that fades, or that another key takes over, soon after ends where the fall began,
   *  not where the tail dies away or the next key starts (decoder.ts). 0: off. */
  releaseFallDb: number;
  /** Windows a new key must lead when the onset output fires with it (otherwise two, decoder.ts
   *  CONFIRM_FRAMES): 1 says note-on a window sooner. */
  onsetConfirmFrames: number;
  /** A key starting out of silence needs the onset output at least this high in the windows just
   *  before (decoder.ts SILENCE_ONSET_FRAMES); 0: off. A piano key is struck; a rumble or a voice
   *  that the network takes for a low or middle key swells without a strike. */
  silenceOnset: number;
  /** A key starting out of silence must also reach this probability (more than `threshold`) in a
   *  window of its run before its note starts: the note waits for that window; 0: off. Voices and
   *  noise steps that the network takes for a key, onset and all, rarely convince it: the phantoms
   *  of noise pauses sat at 0.2–0.6. */
  silenceThreshold: number;
  /** Windows the network holds a key released into silence before it lets go: a note that fades with
   *  no steep fall (releaseFallDb) or offset peak found ends this many windows sooner. 0: where the
   *  key faded. */
  fadeHoldFrames: number;
  /** Where the model has the offset head: a peak of it at least this high inside a note marks the key's
   *  release, and the note ends there when it fades or another key takes over soon after (decoder.ts).
   *  0: off (and always off for a model without the head). */
  offsetThreshold: number;
}

/** For a model.json without a `decoder` section: the shipped melody-gru's, chosen on the validation
 *  set (scripts/tune-decoder.ts, README). The onset head is trained on a 1-then-0.5 target around
 *  each strike; with the timing jitter of real strikes its peaks sit well below 1, so the split
 *  threshold is lower than the note one. strikeRiseDb 2 gave +0.019 mean F1 over 0. */
export const DECODER_DEFAULTS: Readonly<DecoderSettings> = Object.freeze({
  threshold: 0.4, onsetThreshold: 0.3, strikeRiseDb: 2, releaseRatio: 0.5, releaseFallDb: 0, onsetConfirmFrames: 2,
  silenceOnset: 0, silenceThreshold: 0, fadeHoldFrames: 0, offsetThreshold: 0,
});

/** What each decoder setting may be, from a model card or a flag alike. Thresholds: the --threshold
 *  flag's range; at 0 every key is on, at 1 none ever is. strikeRiseDb: the rise features stop at
 *  ONSET_RISE_DB, so a higher value would need a rise no frame can show. */
export const DECODER_RANGES: Readonly<Record<keyof DecoderSettings, readonly [number, number]>> = Object.freeze({
  threshold: [0.01, 0.99], onsetThreshold: [0.01, 0.99], strikeRiseDb: [0, ONSET_RISE_DB],
  releaseRatio: [0.05, 1], releaseFallDb: [0, RANGE_DB], onsetConfirmFrames: [1, 2], silenceOnset: [0, 0.99],
  silenceThreshold: [0, 0.99], fadeHoldFrames: [0, 8], offsetThreshold: [0, 0.99],
});

export interface ModelCard {
  name: string;
  /** Rate the model hears, Hz (the input is resampled to it). */
  modelRate: number;
  windowSamples: number;
  hopSamples: number;
  frontEnd: FrontEndName;
  network: NetworkName;
  /** Features per window (the front end's size). */
  featureSize: number;
  /** Outputs of the note head: NUM_CLASSES. */
  classes: number;
  decoder: DecoderSettings;
  /** Where the harmonic layer's taps lie (harmonic.ts), for networks that have one: the trainer
   *  builds the layer from it. */
  harmonic?: HarmonicGeometry;
  training?: Record<string, unknown>;
  eval?: Record<string, unknown>;
}

/** model.json's userDefinedMetadata as stored. Models from before the model comparison have no
 *  `arch` (an LSTM) and no `frontEnd` (the spectrum). */
export interface StoredCard {
  name: string;
  sampleRate: number;
  windowSamples: number;
  hopSamples: number;
  featureSize: number;
  arch?: string;
  frontEnd?: string;
  decoder?: Partial<DecoderSettings>;
  harmonic?: HarmonicGeometry;
  training?: Record<string, unknown>;
  eval?: Record<string, unknown>;
}

const hasHarmonic = (network: NetworkName) => 'harmonicChannels' in NETWORKS[network].units;

/** The card of a newly built model; `frontEnd` replaces the network's own by one with as many
 *  features (the spectrum through another window). */
export function newCard(
  name: string, network: NetworkName, frontEnd: FrontEndName = NETWORKS[network].frontEnd,
): ModelCard {
  const own = NETWORKS[network].frontEnd;
  if (FRONT_ENDS[frontEnd].size !== FRONT_ENDS[own].size) {
    throw new Error(`the ${network} network takes ${FRONT_ENDS[own].size} features; ` +
      `${frontEnd} gives ${FRONT_ENDS[frontEnd].size}`);
  }
  return {
    name, modelRate: MODEL_RATE, ...NEW_MODEL_WINDOW, frontEnd, network, featureSize: FRONT_ENDS[frontEnd].size,
    classes: NUM_CLASSES, decoder: { ...DECODER_DEFAULTS },
    ...(hasHarmonic(network) ? { harmonic: structuredClone(HARMONIC_GEOMETRY) } : {}),
  };
}

/** Read and check a stored card; `where` names the model in errors. */
export function readCard(stored: StoredCard | undefined, where: string): ModelCard {
  if (!stored?.windowSamples) throw new InputError(`model ${where} is not a melodyfilter model (no metadata)`);
  const network = stored.arch ?? 'lstm', frontEnd = stored.frontEnd ?? 'spectrum';
  if (!isNetworkName(network)) {
    throw new InputError(`model ${stored.name} is a ${network} network, which this melodyfilter does not know`);
  }
  if (!isFrontEndName(frontEnd)) {
    throw new InputError(`model ${stored.name} hears a ${frontEnd} front end, which this melodyfilter does not know`);
  }
  const expected = FRONT_ENDS[frontEnd].size;
  if (stored.featureSize !== undefined && stored.featureSize !== expected) {
    throw new InputError(`model ${stored.name} expects ${stored.featureSize} features per window; ` +
      `this melodyfilter computes ${expected} (a model from another version)`);
  }
  if (stored.sampleRate !== MODEL_RATE) {
    throw new InputError(
      `model ${stored.name} works at ${stored.sampleRate} Hz; this melodyfilter computes features at ${MODEL_RATE} Hz`);
  }
  if (hasHarmonic(network) && !sameGeometry(stored.harmonic)) {
    throw new InputError(`model ${stored.name}: its harmonic layer's taps are not the ones this melodyfilter ` +
      'computes (a model from another version)');
  }
  return {
    name: stored.name, modelRate: stored.sampleRate, windowSamples: stored.windowSamples, hopSamples: stored.hopSamples,
    frontEnd, network, featureSize: expected, classes: NUM_CLASSES, decoder: readDecoder(stored),
    ...(hasHarmonic(network) ? { harmonic: structuredClone(HARMONIC_GEOMETRY) } : {}),
    training: stored.training, eval: stored.eval,
  };
}

/** The card's decoder settings over the defaults, each in its range: a threshold of 5 made no note
 *  at all, without a word. */
function readDecoder(stored: StoredCard): DecoderSettings {
  const given: unknown = stored.decoder;
  if (given === undefined) return { ...DECODER_DEFAULTS };
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new InputError(`model ${stored.name}: decoder in model.json must be an object of settings, ` +
      `got ${JSON.stringify(given)}`);
  }
  const decoder = { ...DECODER_DEFAULTS, ...(given as Partial<DecoderSettings>) };
  for (const [field, [lo, hi]] of Object.entries(DECODER_RANGES) as [keyof DecoderSettings, [number, number]][]) {
    const v: unknown = decoder[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
      throw new InputError(`model ${stored.name}: decoder.${field} in model.json must be a number ` +
        `from ${lo} to ${hi}, got ${JSON.stringify(v) ?? String(v)}`);
    }
  }
  return decoder;
}

/** The card as model.json stores it (keys kept from the first format, so older versions read it). */
export function storedCard(card: ModelCard): StoredCard {
  const stored: StoredCard = {
    name: card.name, arch: card.network, frontEnd: card.frontEnd, windowSamples: card.windowSamples,
    hopSamples: card.hopSamples, sampleRate: card.modelRate, featureSize: card.featureSize, decoder: card.decoder,
  };
  if (card.harmonic) stored.harmonic = card.harmonic;
  if (card.training) stored.training = card.training;
  if (card.eval) stored.eval = card.eval;
  return stored;
}
