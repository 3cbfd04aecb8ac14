// Decoder: bytes on stdin → mono Float32Array chunks. The only stage that sees Buffers.
import { InputError, MAX_RATE, MIN_INPUT_RATE, UsageError, type Config, type Encoding } from '../config.js';
import { highestKeyBelow, midiName } from '../music.js';
import { s16ToMono, s16ToMonoCopy } from '../wasm/pcm.js';

const BYTES_PER_SAMPLE: Record<Encoding, number> = { s16le: 2, s24le: 3, s32le: 4, f32le: 4, u8: 1, s16be: 2 };
/** A RIFF header is at most a few hundred bytes; refuse to buffer more than this looking for 'data'. */
const MAX_WAV_HEADER_BYTES = 1 << 20;

export interface PcmFormat {
  sampleRate: number;
  channels: number;
  encoding: Encoding;
}

/** What the decoder yields: mono samples and the rate they are at (from a WAV header, or as given). */
export interface DecodedChunk {
  samples: Float32Array;
  inputRate: number;
}

export type FormatField = 'sampleRate' | 'channels' | 'encoding';

/** A WAV header that contradicts a format the caller gave explicitly. A UsageError (the caller asked
 *  for something the input is not); the CLI rewords it in its flags' names. */
export class FormatMismatchError extends UsageError {
  constructor(readonly field: FormatField, readonly given: string | number, readonly header: string | number) {
    const unit = field === 'sampleRate' ? ' Hz' : field === 'channels' ? (header === 1 ? ' channel' : ' channels') : '';
    super(`${field} ${given} contradicts the WAV header's ${header}${unit}`);
  }
}

export interface DecodeReport {
  /** Format actually decoded (from a WAV header when there was one). */
  format?: PcmFormat;
  wav: boolean;
  /** Bytes dropped at end of input because they did not make a whole frame. */
  trailingBytes: number;
  /** NaN or infinite f32 samples, decoded as 0. */
  nonFiniteSamples: number;
  /** Data bytes the WAV header promised; null when unknown (raw input, or a streamed WAV). */
  expectedDataBytes: number | null;
  /** Data bytes read after a WAV header. */
  dataBytesRead: number;
  /** Bytes in further data chunks of a WAV: only its first is audio (its size is authoritative). */
  extraDataBytes: number;
  /** Bytes after a WAV's data chunk that are not chunks (the audio beyond a data size set too small,
   *  or garbage), including a chunk cut off by the end of input. Metadata chunks (LIST, id3) are not
   *  counted: they are meant to be skipped. */
  strayBytes: number;
}

export function bytesPerSample(encoding: Encoding): number {
  return BYTES_PER_SAMPLE[encoding];
}

/**
 * Decode whole interleaved frames from `bytes` into mono samples (mean of the channels). f32 samples
 * beyond ±1 are clipped there. Returns how many non-finite f32 samples were replaced by silence.
 */
export function decodeFrames(bytes: Uint8Array, frames: number, format: PcmFormat, out: Float32Array): number {
  const ch = format.channels;
  // The default input (and sox's): SIMD wasm, same values.
  if (format.encoding === 's16le' && (ch === 1 || ch === 2)) { s16ToMono(bytes, frames, ch, out); return 0; }
  const bps = BYTES_PER_SAMPLE[format.encoding];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scale = 1 / ch;
  let nonFinite = 0;
  let p = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < ch; c++, p += bps) {
      let v: number;
      switch (format.encoding) {
        case 's16le': v = view.getInt16(p, true) / 32768; break;
        case 's16be': v = view.getInt16(p, false) / 32768; break;
        case 's24le': v = ((bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) << 8 >> 8) / 8388608; break;
        case 's32le': v = view.getInt32(p, true) / 2147483648; break;
        case 'u8': v = (bytes[p] - 128) / 128; break;
        default: // f32le
          v = view.getFloat32(p, true);
          if (!Number.isFinite(v)) { v = 0; nonFinite++; }
          // Clip at full scale, as every integer encoding does: one stray 1e30 would otherwise hold
          // the features' running peak far above the music for minutes (3e38: for good).
          else if (v > 1) v = 1;
          else if (v < -1) v = -1;
      }
      sum += v;
    }
    out[f] = sum * scale;
  }
  return nonFinite;
}

interface WavHeader extends PcmFormat {
  headerBytes: number;
  dataBytes: number | null;
}

/**
 * Whether a data chunk's size is a placeholder from a writer that could not seek back to fix it,
 * meaning "read to end of input": 0 and 0xFFFFFFFF (ffmpeg, and the RIFF convention), and sox's
 * and espeak-ng's 0x7FFFF000, which sox rounds down to whole frames (0x7FFFEFFF for 24-bit 3 ch):
 * anything within 64 KiB under 2 GiB. Taken as exact, sox's value cut a long live session at
 * 3 h 23 min of 44.1 kHz stereo without a word.
 */
export function isStreamedDataSize(size: number): boolean {
  return size === 0 || size === 0xffffffff || (size >= 0x7fff0000 && size <= 0x7fffffff);
}

/** Parse a RIFF/WAVE header. Returns null if more bytes are needed; throws if it is not usable. */
export function parseWavHeader(buf: Uint8Array): WavHeader | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 12) return null;
  let p = 12;
  let fmt: PcmFormat | null = null;
  while (true) {
    if (p + 8 > buf.length) return null;
    const id = String.fromCharCode(buf[p], buf[p + 1], buf[p + 2], buf[p + 3]);
    const size = view.getUint32(p + 4, true);
    if (id === 'data') {
      if (!fmt) throw new InputError('WAV header has a data chunk before its fmt chunk');
      return { ...fmt, headerBytes: p + 8, dataBytes: isStreamedDataSize(size) ? null : size };
    }
    if (p + 8 + size > MAX_WAV_HEADER_BYTES) throw new InputError('WAV header has no data chunk in its first 1 MiB');
    if (id === 'fmt ') {
      if (fmt) throw new InputError('WAV header has two fmt chunks: which format holds is ambiguous');
      if (size < 16) throw new InputError(`WAV fmt chunk is ${size} bytes, shorter than the 16 of any format`);
      // The whole chunk, not just its first 16 bytes: an EXTENSIBLE one keeps its sub-format at 24.
      if (p + 8 + size > buf.length) return null;
      fmt = parseFmtChunk(view, p + 8, size);
    }
    p += 8 + size + (size & 1);
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function parseFmtChunk(view: DataView, p: number, size: number): PcmFormat {
  let tag = view.getUint16(p, true);
  const channels = view.getUint16(p + 2, true);
  const sampleRate = view.getUint32(p + 4, true);
  const blockAlign = view.getUint16(p + 12, true);
  const bits = view.getUint16(p + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = view.getUint16(p + 24, true); // sub-format GUID
  // A sample size no writer uses is a damaged header, not a format to ask for.
  if (bits === 0 || bits > 64 || bits % 8 !== 0) {
    throw new InputError(`WAV header is corrupt: it says ${bits} bits per sample`);
  }
  let encoding: Encoding | null = null;
  if (tag === WAVE_FORMAT_PCM) {
    encoding = bits === 8 ? 'u8' : bits === 16 ? 's16le' : bits === 24 ? 's24le' : bits === 32 ? 's32le' : null;
  } else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) {
    encoding = 'f32le';
  }
  if (!encoding) {
    const what = tag === WAVE_FORMAT_PCM ? `${bits}-bit PCM`
      : tag === WAVE_FORMAT_IEEE_FLOAT ? `${bits}-bit float` : `format tag 0x${tag.toString(16)}`;
    throw new InputError(`unsupported WAV format: ${what} (expected 8/16/24/32-bit PCM or 32-bit float)`);
  }
  if (channels < 1) throw new InputError('WAV header says 0 channels');
  if (sampleRate < 1 || sampleRate > MAX_RATE) {
    throw new InputError(`WAV header has an unusable sample rate: ${sampleRate} Hz`);
  }
  if (sampleRate < MIN_INPUT_RATE) {
    const top = sampleRate / 2 > 27.5 ? ` (${midiName(highestKeyBelow(sampleRate / 2))})` : '';
    throw new InputError(`WAV is at ${sampleRate} Hz, too low to transcribe: it holds nothing above ` +
      `${sampleRate / 2} Hz${top}; melodyfilter needs ${MIN_INPUT_RATE} Hz or more`);
  }
  // Frames are read by the format's own size; a header that disagrees would mis-frame every sample.
  const frameBytes = channels * BYTES_PER_SAMPLE[encoding];
  if (blockAlign !== frameBytes) {
    throw new InputError(`WAV header is inconsistent: block align ${blockAlign} bytes, ` +
      `but ${channels} channel(s) of ${bits}-bit samples make ${frameBytes}`);
  }
  return { sampleRate, channels, encoding };
}

/** What the converting command line is for inputs ffmpeg can decode; sox, often at hand already, reads
 *  the formats marked `sox` (FLAC, Ogg, AIFF, AU and the WAV relatives; MP3 with libsox-fmt-mp3). */
const FFMPEG_HINT = 'convert it first: ffmpeg -i FILE -f wav - | melodyfilter';
const SOX_HINT = ' (or sox FILE -t wav - | melodyfilter)';

const ascii = (buf: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...buf.subarray(from, Math.min(to, buf.length)));

/**
 * What an input that is neither WAV nor raw PCM is, by its magic bytes, or null. `ended`: these are
 * all the bytes there are. Audio and video containers get the ffmpeg line; other files are named.
 * Bare MP3 frames look too much like PCM noise to refuse.
 */
export function identifyNonPcm(buf: Uint8Array, ended: boolean): string | null {
  const tag = ascii(buf, 0, 4);
  const media = (what: string, sox = false) => `input is ${what}, not PCM or WAV; ${FFMPEG_HINT}${sox ? SOX_HINT : ''}`;
  const other = (what: string) => `input is ${what}, not audio`;
  if (tag === 'fLaC') return media('FLAC audio', true);
  if (tag === 'OggS') return media('Ogg audio (Vorbis, Opus or FLAC)', true);
  if (tag === 'RF64' || tag === 'BW64') return media(`${tag} (a 64-bit WAV)`, true);
  if (tag === 'RIFX') return media('RIFX (a big-endian WAV)', true);
  const form = ascii(buf, 8, 12);
  if (tag === 'RIFF' && buf.length >= 12 && form !== 'WAVE') return media(`a RIFF '${printable(form)}' file`);
  if (tag === 'FORM' && buf.length >= 12 && /^AIF[FC]$/.test(ascii(buf, 8, 12))) return media('AIFF audio', true);
  if (tag.startsWith('ID3')) return media('MP3 audio', true);
  if (ascii(buf, 4, 8) === 'ftyp') return media('MP4/M4A (AAC, ALAC) or QuickTime');
  if (buf[0] === 0x1a && buf[1] === 0x45 && buf[2] === 0xdf && buf[3] === 0xa3) return media('WebM/Matroska');
  if (tag === '.snd') return media('Sun/NeXT AU audio', true);
  if (tag === 'caff') return media('Apple CAF audio');
  if (tag === 'wvpk') return media('WavPack audio');
  if (tag === 'MAC ') return media("Monkey's Audio");
  if (ascii(buf, 0, 5) === '#!AMR') return media('AMR audio');
  if (tag === 'MThd') return other('a MIDI file (notes already)');
  if (buf[0] === 0x89 && ascii(buf, 1, 4) === 'PNG') return other('a PNG image');
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return other('a JPEG image');
  if (tag === 'GIF8') return other('a GIF image');
  if (tag === '%PDF') return other('a PDF document');
  if (buf[0] === 0x7f && ascii(buf, 1, 4) === 'ELF') return other('an ELF executable');
  if (tag === 'PK\x03\x04') return other('a ZIP archive');
  if (buf[0] === 0x1f && buf[1] === 0x8b) return other('gzip-compressed');
  if (buf[0] === 0xfd && ascii(buf, 1, 6) === '7zXZ\x00') return other('xz-compressed');
  if (buf[0] === 0x28 && buf[1] === 0xb5 && buf[2] === 0x2f && buf[3] === 0xfd) return other('zstd-compressed');
  if (looksLikeText(buf, ended)) return other(`text ("${printable(ascii(buf, 0, 24))}…")`);
  return null;
}

/** Bytes that must all be printable before input counts as text: audio samples that happen to all
 *  fall in printable ASCII this long are vanishingly rare ((95/256)^64 ≈ 1e-28), silence never does. */
const MIN_TEXT_BYTES = 64;

/** Printable ASCII or UTF-8 text, with tabs and line ends, at least MIN_TEXT_BYTES long (or all of a
 *  shorter input with a line end in it: `echo hello |`). */
function looksLikeText(buf: Uint8Array, ended: boolean): boolean {
  const n = Math.min(buf.length, SNIFF_BYTES);
  if (n < MIN_TEXT_BYTES && !(ended && n >= 2 && buf.includes(0x0a))) return false;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f)) { i++; continue; }
    // A UTF-8 sequence: a lead byte and its continuation bytes (one cut off at the sniff's end is fine).
    const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!len) return false;
    for (let k = 1; k < len; k++) {
      if (i + k >= n) return true;
      if ((buf[i + k] & 0xc0) !== 0x80) return false;
    }
    i += len;
  }
  return true;
}

/** A name from the input, safe to print on a terminal. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

function isRiff(buf: Uint8Array): boolean {
  return buf.length >= 12 && buf[0] === 0x52 && buf[1] === 0x49 && buf[2] === 0x46 && buf[3] === 0x46 &&
    buf[8] === 0x57 && buf[9] === 0x41 && buf[10] === 0x56 && buf[11] === 0x45;
}

/** Bytes held back at the start of input to tell what it is: every magic number above, and enough
 *  to call it text. 512 bytes is 3 ms of 44.1 kHz stereo: no delay anyone hears. */
const SNIFF_BYTES = 512;

export type DecodeOptions = Pick<Config, 'sampleRate' | 'channels' | 'encoding'> & {
  /** Which of sampleRate/channels/encoding the user gave explicitly: a WAV header must agree with them. */
  explicit?: ReadonlySet<FormatField>;
};

/**
 * Stream stage: Buffers → mono Float32Array chunks at the input rate. A RIFF/WAVE header at the start
 * is detected and its format used; its data size is authoritative. Chunks after its data are skipped
 * (further data chunks and bytes that are not chunks are counted in `report`: the CLI says how many),
 * and a second WAV right after them (`cat a.wav b.wav`) is read on, at the same rate. Other
 * containers, images, executables and text are refused by their magic bytes. A trailing partial frame
 * is dropped and counted in `report`.
 */
export function decodePcm(opts: DecodeOptions, report: DecodeReport = newDecodeReport()) {
  return async function* decode(src: AsyncIterable<Uint8Array | string>): AsyncGenerator<DecodedChunk> {
    const decoder = new PcmDecoder(opts, report);
    for await (const piece of src) {
      if (typeof piece === 'string') throw new InputError('expected bytes on stdin, got text');
      for (const mono of decoder.push(piece)) yield { samples: mono, inputRate: decoder.format!.sampleRate };
    }
    for (const mono of decoder.flush()) yield { samples: mono, inputRate: decoder.format!.sampleRate };
  };
}

/** What the decoder is reading: deciding what the input is; a WAV header; samples; chunk headers past
 *  a WAV's data chunk; bytes that are not chunks any more. */
type DecodeState = 'sniff' | 'header' | 'audio' | 'after' | 'ignore';

/**
 * The decoder's state machine over pieces of input of any size: `push` each piece, then `flush` at
 * the end of input; each returns the mono samples it completed. What it found (format, counts of
 * bytes it did not use) goes into `report`.
 */
export class PcmDecoder {
  format: PcmFormat | null = null;
  private frameBytes = 0;
  private state: DecodeState = 'sniff';
  private held: Uint8Array = EMPTY; // bytes not yet used: sniffed, a header, a chunk header, a partial frame
  private remaining: number | null = null; // data bytes left in the WAV's data chunk; null: to end of input
  private skip = 0; // bytes of a chunk after the data still to pass over
  private skipStart = 0; // `consumed` where that chunk began
  private skipIsData = false; // that chunk is a further data chunk: its bytes are counted as ignored
  private consumed = 0; // input bytes before `held` (for messages)
  private streamed = false; // some WAV had a placeholder data size
  private oddData = false; // the data chunk's size is odd: a pad byte may follow it
  private padByte = false;
  private out = new Float32Array(0);

  constructor(private readonly opts: DecodeOptions, private readonly report: DecodeReport) {}

  push(data: Uint8Array): Float32Array[] {
    return this.step(data, false);
  }

  flush(): Float32Array[] {
    const got = this.step(EMPTY, true);
    if (this.state === 'audio') this.report.trailingBytes += this.held.length;
    // A chunk that runs past the end of input was no chunk, most likely: audio beyond a data size set
    // too small whose bytes happened to read as a chunk id.
    if (this.skip && !this.skipIsData) this.report.strayBytes += this.consumed - this.skipStart;
    return got;
  }

  private decided(f: PcmFormat, wav: boolean): void {
    this.format = f; this.frameBytes = f.channels * BYTES_PER_SAMPLE[f.encoding];
    this.report.format = f; this.report.wav = wav;
  }

  /** Decode whole frames of `data` after any held partial frame; keep the rest. */
  private frames(data: Uint8Array): Float32Array | null {
    const chunk = this.held.length ? concat(this.held, data) : data;
    const n = Math.floor(chunk.length / this.frameBytes);
    const used = n * this.frameBytes;
    this.held = used < chunk.length ? chunk.slice(used) : EMPTY;
    if (n === 0) return null;
    // Downstream may hold what it is given: each chunk is a new array.
    const f = this.format!;
    if (f.encoding === 's16le' && (f.channels === 1 || f.channels === 2)) return s16ToMonoCopy(chunk, n, f.channels);
    if (this.out.length < n) this.out = new Float32Array(n);
    this.report.nonFiniteSamples += decodeFrames(chunk, n, f, this.out);
    return this.out.slice(0, n);
  }

  /** Run the state machine over `data` (empty at end of input); returns decoded samples. Each named
   *  step returns the data left for the next turn, or null when it needs more input. */
  private step(data: Uint8Array, ended: boolean): Float32Array[] {
    const got: Float32Array[] = [];
    let left: Uint8Array | null = data;
    while (left !== null) {
      if (this.state === 'audio') { left = this.audio(left, got); continue; }
      if (this.skip) {
        left = this.skipChunk(left);
        if (left === null) break;
      }
      if (this.state === 'ignore') {
        this.consumed += left.length; this.report.strayBytes += left.length;
        break;
      }
      this.held = this.held.length ? concat(this.held, left) : left;
      if (this.state === 'sniff') left = this.sniff(ended);
      else if (this.state === 'header') left = this.header(ended);
      else left = this.after(ended);
    }
    return got;
  }

  /** Samples, up to the end of a WAV's data chunk; what follows it is chunks, not audio. */
  private audio(data: Uint8Array, got: Float32Array[]): Uint8Array | null {
    let audio = data;
    let rest = EMPTY;
    if (this.remaining !== null) {
      if (audio.length > this.remaining) {
        rest = audio.subarray(this.remaining);
        audio = audio.subarray(0, this.remaining);
      }
      this.remaining -= audio.length;
      this.report.dataBytesRead += audio.length;
    }
    this.consumed += audio.length;
    const mono = this.frames(audio);
    if (mono) got.push(mono);
    if (this.remaining !== 0) return null;
    // The data chunk is done: a partial frame left now is the WAV's, not the next chunk's.
    this.report.trailingBytes += this.held.length;
    this.held = EMPTY;
    this.state = 'after';
    this.padByte = this.oddData;
    return rest;
  }

  /** Pass over the rest of a chunk after the data; null while it goes on past this piece. */
  private skipChunk(data: Uint8Array): Uint8Array | null {
    const n = Math.min(this.skip, data.length);
    this.skip -= n; this.consumed += n;
    if (this.skipIsData) this.report.extraDataBytes += n;
    return this.skip ? null : data.subarray(n);
  }

  /** Raw PCM in the flags' format, or a WAV, or something that is not audio at all. */
  private sniff(ended: boolean): Uint8Array | null {
    const held = this.held;
    if (isRiff(held)) { this.state = 'header'; return EMPTY; }
    if (held.length < SNIFF_BYTES && !ended) return null;
    // Fewer than 12 bytes that began like "RIFF" at the end: raw audio after all.
    const other = identifyNonPcm(held, ended);
    if (other) throw new InputError(other);
    if (!held.length) return null;
    const { sampleRate, channels, encoding } = this.opts;
    this.decided({ sampleRate, channels, encoding }, false);
    this.state = 'audio';
    this.held = EMPTY;
    return held;
  }

  /** A WAV header up to its data chunk: the format, and how many data bytes follow. */
  private header(ended: boolean): Uint8Array | null {
    const wav = parseWavHeader(this.held);
    if (!wav) {
      const where = this.consumed ? ` at byte ${this.consumed}` : '';
      if (ended) throw new InputError(`truncated WAV header${where}: input ended before its data chunk`);
      if (this.held.length > MAX_WAV_HEADER_BYTES) {
        throw new InputError('WAV header has no data chunk in its first 1 MiB');
      }
      return null;
    }
    checkAgainstFlags(wav, this.opts);
    const f: PcmFormat = { sampleRate: wav.sampleRate, channels: wav.channels, encoding: wav.encoding };
    if (this.format && f.sampleRate !== this.format.sampleRate) {
      throw new InputError(`a second WAV follows at byte ${this.consumed}, at ${f.sampleRate} Hz ` +
        `where the first was ${this.format.sampleRate} Hz; transcribe them separately`);
    }
    this.decided(f, true);
    this.remaining = wav.dataBytes;
    this.oddData = (wav.dataBytes ?? 0) % 2 === 1;
    if (wav.dataBytes === null) this.streamed = true;
    else this.report.expectedDataBytes = (this.report.expectedDataBytes ?? 0) + wav.dataBytes;
    if (this.streamed) this.report.expectedDataBytes = null;
    this.consumed += wav.headerBytes;
    const rest = this.held.subarray(wav.headerBytes);
    this.held = EMPTY;
    this.state = 'audio';
    return rest;
  }

  /** Chunk headers after the data, or another WAV. An odd-sized data chunk is followed by a pad
   *  byte, which some writers leave out. */
  private after(ended: boolean): Uint8Array | null {
    if (this.padByte && this.held.length) {
      this.padByte = false;
      if (this.held[0] === 0) { this.held = this.held.subarray(1); this.consumed++; }
    }
    const held = this.held;
    if (held.length >= 12 && isRiff(held)) { this.state = 'header'; return EMPTY; }
    if (held.length < 12 && !ended) return null;
    if (held.length < 8) {
      this.consumed += held.length; this.report.strayBytes += held.length; this.held = EMPTY;
      return null;
    }
    this.held = EMPTY;
    const id = ascii(held, 0, 4);
    if (!/^[\x20-\x7e]{4}$/.test(id)) { this.state = 'ignore'; return held; }
    const size = new DataView(held.buffer, held.byteOffset + 4, 4).getUint32(0, true);
    this.skip = 8 + size + (size & 1);
    this.skipStart = this.consumed;
    this.skipIsData = id === 'data';
    return held;
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);

export function newDecodeReport(): DecodeReport {
  return {
    wav: false, trailingBytes: 0, nonFiniteSamples: 0, expectedDataBytes: null, dataBytesRead: 0, extraDataBytes: 0,
    strayBytes: 0,
  };
}

function checkAgainstFlags(h: PcmFormat, opts: DecodeOptions): void {
  const ex = opts.explicit;
  if (!ex) return;
  for (const field of ['sampleRate', 'channels', 'encoding'] as const) {
    if (ex.has(field) && h[field] !== opts[field]) throw new FormatMismatchError(field, opts[field], h[field]);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0); out.set(b, a.length);
  return out;
}
