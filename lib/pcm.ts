// Decoder: bytes on stdin → mono Float32Array chunks. The only stage that sees Buffers.
import { InputError, UsageError, type Config, type Encoding } from './config.js';


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
    const unit = field === 'sampleRate' ? ' Hz' : field === 'channels' ? ' channels' : '';
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
      // Streamed WAVs (sox/ffmpeg to a pipe) write 0 or 0xFFFFFFFF: read to end of input.
      const dataBytes = size === 0 || size === 0xffffffff ? null : size;
      return { ...fmt, headerBytes: p + 8, dataBytes };
    }
    if (id === 'fmt ') {
      if (p + 8 + 16 > buf.length) return null;
      fmt = parseFmtChunk(view, p + 8, size);
    }
    p += 8 + size + (size & 1);
    if (p > MAX_WAV_HEADER_BYTES) throw new InputError('WAV header has no data chunk in its first 1 MiB');
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function parseFmtChunk(view: DataView, p: number, size: number): PcmFormat {
  let tag = view.getUint16(p, true);
  const channels = view.getUint16(p + 2, true);
  const sampleRate = view.getUint32(p + 4, true);
  const bits = view.getUint16(p + 14, true);
  if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = view.getUint16(p + 24, true); // sub-format GUID
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
  if (sampleRate < 1000 || sampleRate > 768000) {
    throw new InputError(`WAV header has an unusable sample rate: ${sampleRate} Hz`);
  }
  return { sampleRate, channels, encoding };
}

/** Containers people pipe in by mistake, by their magic bytes (checked on the first chunk). */
function otherContainer(buf: Uint8Array): string | null {
  const tag = String.fromCharCode(...buf.subarray(0, 4));
  if (tag === 'fLaC') return 'FLAC';
  if (tag === 'OggS') return 'Ogg';
  if (tag === 'RF64') return 'RF64 (64-bit WAV)';
  const form = buf.length >= 12 ? String.fromCharCode(...buf.subarray(8, 12)) : '';
  if (tag === 'FORM' && /^AIF[FC]$/.test(form)) return 'AIFF';
  if (tag.startsWith('ID3')) return 'MP3';
  return null; // bare MP3 frames look too much like PCM noise to refuse

}

function isRiff(buf: Uint8Array): boolean {
  return buf.length >= 12 && buf[0] === 0x52 && buf[1] === 0x49 && buf[2] === 0x46 && buf[3] === 0x46 &&
    buf[8] === 0x57 && buf[9] === 0x41 && buf[10] === 0x56 && buf[11] === 0x45;
}

export type DecodeOptions = Pick<Config, 'sampleRate' | 'channels' | 'encoding'> & {
  /** Which of sampleRate/channels/encoding the user gave explicitly: a WAV header must agree with them. */
  explicit?: ReadonlySet<FormatField>;
};

/**
 * Stream stage: Buffers → mono Float32Array chunks at the input rate. A RIFF/WAVE header at the start
 * is detected and its format used. A trailing partial frame is dropped and counted in `report`.
 */
export function decodePcm(opts: DecodeOptions, report: DecodeReport = newDecodeReport()) {
  return async function* decode(src: AsyncIterable<Uint8Array | string>): AsyncGenerator<DecodedChunk> {
    let format: PcmFormat | null = null;
    let frameBytes = 0;
    let pending: Uint8Array = new Uint8Array(0); // bytes not yet decoded: a header being read, or a partial frame
    let remaining: number | null = null; // data bytes left per the WAV header
    let out = new Float32Array(0);
    const decided = (f: PcmFormat, wav: boolean) => {
      format = f; frameBytes = f.channels * BYTES_PER_SAMPLE[f.encoding];
      report.format = f; report.wav = wav;
    };
    let header: Uint8Array = new Uint8Array(0); // bytes seen while deciding whether a WAV header leads
    for await (const piece of src) {
      if (typeof piece === 'string') throw new InputError('expected bytes on stdin, got text');
      let data: Uint8Array = piece;
      if (!format) {
        const start = header.length ? concat(header, piece) : piece;
        if (start.length < 12 && looksLikeRiffPrefix(start)) { header = start; continue; }
        const other = otherContainer(start);
        if (other) {
          throw new InputError(`input looks like ${other}, not PCM or WAV; decode it first, ` +
            'e.g. ffmpeg -i FILE -f s16le -ac 1 -ar 44100 - | melodyfilter -c 1');
        }
        if (isRiff(start)) {
          const wav = parseWavHeader(start);
          if (!wav) {
            if (start.length > MAX_WAV_HEADER_BYTES) {
              throw new InputError('WAV header has no data chunk in its first 1 MiB');
            }
            header = start; continue;
          }
          checkAgainstFlags(wav, opts);
          decided({ sampleRate: wav.sampleRate, channels: wav.channels, encoding: wav.encoding }, true);
          remaining = wav.dataBytes;
          report.expectedDataBytes = wav.dataBytes;
          data = start.subarray(wav.headerBytes);
        } else {
          decided({ sampleRate: opts.sampleRate, channels: opts.channels, encoding: opts.encoding }, false);
          data = start;
        }
        header = new Uint8Array(0);
      }
      if (remaining !== null) { // bytes after the data chunk (LIST chunks etc.) are not audio
        if (data.length > remaining) data = data.subarray(0, remaining);
        remaining -= data.length;
        report.dataBytesRead += data.length;
      }
      const chunk = pending.length ? concat(pending, data) : data;
      const frames = Math.floor(chunk.length / frameBytes);
      const used = frames * frameBytes;
      pending = used < chunk.length ? chunk.slice(used) : new Uint8Array(0);
      if (frames === 0) continue;
      if (out.length < frames) out = new Float32Array(frames);
      report.nonFiniteSamples += decodeFrames(chunk, frames, format!, out);
      yield { samples: out.slice(0, frames), inputRate: format!.sampleRate }; // downstream may hold it: copy
    }
    if (!format && header.length) pending = header;
    if (!format && pending.length) {
      if (isRiff(pending)) throw new InputError('truncated WAV header: input ended before its data chunk');
      // Fewer than 12 bytes that began like "RIFF": that is raw audio after all.
      decided({ sampleRate: opts.sampleRate, channels: opts.channels, encoding: opts.encoding }, false);
      const frames = Math.floor(pending.length / frameBytes);
      if (frames) {
        const mono = new Float32Array(frames);
        decodeFrames(pending, frames, format!, mono);
        yield { samples: mono, inputRate: format!.sampleRate };
        pending = pending.slice(frames * frameBytes);
      }
    }
    report.trailingBytes = pending.length;
  };
}

export function newDecodeReport(): DecodeReport {
  return { wav: false, trailingBytes: 0, nonFiniteSamples: 0, expectedDataBytes: null, dataBytesRead: 0 };
}

function looksLikeRiffPrefix(chunk: Uint8Array): boolean {
  const riff = [0x52, 0x49, 0x46, 0x46];
  for (let i = 0; i < Math.min(4, chunk.length); i++) if (chunk[i] !== riff[i]) return false;
  return true;
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
