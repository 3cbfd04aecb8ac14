// Public API of melodyfilter.
export { createTranscriber, transcribe, loadEngine, noteStages, type TranscriberOptions, type Engine } from './transcriber.js';
export { DEFAULTS, MODEL_RATE, resolveConfig, UsageError, InputError, type Config, type Encoding, type OutputFormat } from './config.js';
export { midiName, parseNoteName, type Note, type NoteEvent } from './notes.js';
export { buildMidi } from './writers/midi.js';
export { renderSvg } from './writers/svg.js';
