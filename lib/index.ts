// Public API of melodyfilter.
export {
  createTranscriber, transcribe, loadEngine, noteStages, type TranscriberOptions, type Engine, type Transcriber,
} from './pipeline/transcriber.js';
export {
  DEFAULTS, resolveConfig, UsageError, InputError, ConfigError, type Config, type Encoding, type OutputFormat,
} from './config.js';
export { FormatMismatchError } from './pipeline/pcm.js';
export { MODEL_RATE, midiName, parseNoteName } from './music.js';
export { DECODER_DEFAULTS, type ModelCard, type DecoderSettings } from './model/card.js';
export { type Note, type NoteEvent, type NoteOutput } from './notes.js';
export { buildMidi } from './midi-file.js';
export { renderSvg } from './writers/svg.js';
export {
  createMatcher, MATCHER_DEFAULTS, type Matcher, type MatcherOptions, type MatchResult,
} from './match/identify.js';
export {
  createFollower, FOLLOWER_DEFAULTS, Follower, type FollowerOptions, type FollowEvent, type NoteVerdict,
  type JumpEvent, type FollowSummary, type Verdict,
} from './match/follow.js';
export { loadReference, loadReferences, ReferenceFileError, type MelodySelection } from './match/reference.js';
export { melodyOf, type Melody, type PlayedNote } from './match/melody.js';
export { readScore, type Score, type ScoreOptions, type TimedPitch } from './score/score.js';
export { findKey, parseKey, spell, type Key, type Spelling } from './score/key.js';
export type { Measure, Meter, ScoreEvent, WrittenNote } from './score/notate.js';
export { renderAbc } from './writers/abc.js';
export { renderMusicXml } from './writers/musicxml.js';
export { renderLilypond } from './writers/lilypond.js';
