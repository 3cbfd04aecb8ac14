// Public API of melodyfilter.
export {
  createTranscriber, transcribe, loadEngine, noteStages, type TranscriberOptions, type Engine, type Transcriber,
} from './transcriber.js';
export {
  DEFAULTS, resolveConfig, UsageError, InputError, ConfigError, type Config, type Encoding, type OutputFormat,
} from './config.js';
export { MODEL_RATE } from './features.js';
export { DECODER_DEFAULTS, type ModelCard, type DecoderSettings } from './card.js';
export { midiName, parseNoteName, type Note, type NoteEvent, type NoteOutput } from './notes.js';
export { buildMidi } from './midi-file.js';
export { renderSvg } from './writers/svg.js';
