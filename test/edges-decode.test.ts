// Issue 13, the decoder's rough edges: streamed WAV sizes, headers split at every byte, things that
// are not PCM, concatenated WAVs, inconsistent headers. Each test failed before its fix.
import t from 'tap';
import { identifyNonPcm, isStreamedDataSize, newDecodeReport, type DecodeOptions } from '../lib/pipeline/pcm.js';
import { decodePieces, encodePcm, sine } from './helpers.js';

const RAW: DecodeOptions = { sampleRate: 44100, channels: 2, encoding: 's16le' };

function decodeAll(pieces: Uint8Array[], opts: DecodeOptions = RAW, report = newDecodeReport()) {
  return decodePieces(pieces, opts, report);
}

interface WavSpec {
  bits: 8 | 16 | 24 | 32;
  channels: number;
  rate: number;
  float?: boolean;
  /** fmt chunk as WAVE_FORMAT_EXTENSIBLE (40 bytes) with the PCM or float sub-format. */
  extensible?: boolean;
  /** Chunks between fmt and data, e.g. fact or LIST. */
  before?: [string, Buffer][];
  /** The data chunk's size field; default the real size. */
  dataSize?: number;
  blockAlign?: number;
}

function chunk(id: string, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1'); h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** A WAV of any header kind around `data`. */
function wav(spec: WavSpec, data: Buffer): Buffer {
  const bytesPer = spec.bits / 8;
  const tag = spec.float ? 3 : 1;
  const fmt = Buffer.alloc(spec.extensible ? 40 : 16);
  fmt.writeUInt16LE(spec.extensible ? 0xfffe : tag, 0);
  fmt.writeUInt16LE(spec.channels, 2);
  fmt.writeUInt32LE(spec.rate, 4);
  fmt.writeUInt32LE(spec.rate * spec.channels * bytesPer, 8);
  fmt.writeUInt16LE(spec.blockAlign ?? spec.channels * bytesPer, 12);
  fmt.writeUInt16LE(spec.bits, 14);
  if (spec.extensible) {
    fmt.writeUInt16LE(22, 16); fmt.writeUInt16LE(spec.bits, 18); fmt.writeUInt32LE(0, 20);
    fmt.writeUInt16LE(tag, 24); // the sub-format GUID's first two bytes; the rest is the fixed KSDATAFORMAT suffix
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 26);
  }
  const dataHeader = Buffer.alloc(8);
  dataHeader.write('data', 0); dataHeader.writeUInt32LE(spec.dataSize ?? data.length, 4);
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt),
    ...(spec.before ?? []).map(([id, b]) => chunk(id, b)), dataHeader, data]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0); riff.writeUInt32LE(Math.min(0xffffffff, body.length), 4);
  return Buffer.concat([riff, body]);
}

const mono = sine(440, 0.02, 8000, 0.5);
const HEADER_KINDS: { name: string; spec: WavSpec; encoding: 'u8' | 's16le' | 's24le' | 's32le' | 'f32le' }[] = [
  { name: '16-bit PCM, canonical 44 bytes', spec: { bits: 16, channels: 1, rate: 8000 }, encoding: 's16le' },
  { name: '8-bit PCM stereo', spec: { bits: 8, channels: 2, rate: 8000 }, encoding: 'u8' },
  { name: '24-bit PCM', spec: { bits: 24, channels: 1, rate: 8000 }, encoding: 's24le' },
  { name: '32-bit PCM', spec: { bits: 32, channels: 1, rate: 8000 }, encoding: 's32le' },
  { name: '32-bit float with a fact chunk',
    spec: { bits: 32, channels: 1, rate: 8000, float: true, before: [['fact', Buffer.alloc(4)]] }, encoding: 'f32le' },
  { name: 'EXTENSIBLE 24-bit, 3 channels (sox)',
    spec: { bits: 24, channels: 3, rate: 8000, extensible: true }, encoding: 's24le' },
  { name: 'EXTENSIBLE float',
    spec: { bits: 32, channels: 2, rate: 8000, float: true, extensible: true }, encoding: 'f32le' },
  { name: '16-bit with an odd-sized LIST chunk before data',
    spec: { bits: 16, channels: 2, rate: 8000, before: [['LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00')]] },
    encoding: 's16le' },
  { name: 'sox streaming size 0x7ffff000',
    spec: { bits: 16, channels: 2, rate: 8000, dataSize: 0x7ffff000 }, encoding: 's16le' },
];

t.test('a WAV header split at every byte decodes as in one piece, for every header kind', async (t) => {
  for (const kind of HEADER_KINDS) {
    const data = encodePcm(mono, kind.spec.channels, kind.encoding);
    const file = wav(kind.spec, data);
    const whole = await decodeAll([file]);
    t.equal(whole.out.length, mono.length, `${kind.name}: whole`);
    const headerBytes = file.length - data.length;
    let bad = 0;
    for (let split = 1; split <= headerBytes + 2; split++) {
      try {
        const { out, report } = await decodeAll([file.subarray(0, split), file.subarray(split)]);
        if (out.length !== whole.out.length || out.some((v, i) => v !== whole.out[i]) || !report.wav) bad++;
      } catch (err) {
        bad++;
        t.fail(`${kind.name}: split at ${split}: ${(err as Error).message}`);
      }
    }
    t.equal(bad, 0, `${kind.name}: all ${headerBytes + 2} split points agree with one piece`);
  }
});

t.test('streamed WAV sizes (sox, ffmpeg, espeak-ng) mean "read to end", never a truncation', async (t) => {
  for (const size of [0, 0xffffffff, 0x7ffff000, 0x7fffefff /* sox, 24-bit 3 ch */])
    t.ok(isStreamedDataSize(size), `0x${size.toString(16)}`);
  for (const size of [4, 1000, 0x7ffe0000, 0x80000000])
    t.notOk(isStreamedDataSize(size), `0x${size.toString(16)} is a real size`);
  const data = encodePcm(mono, 2, 's16le');
  const { out, report } = await decodeAll([wav({ bits: 16, channels: 2, rate: 8000, dataSize: 0x7ffff000 }, data)]);
  t.equal(out.length, mono.length);
  t.equal(report.expectedDataBytes, null, 'no promised size, so no "truncated?" warning');
});

t.test('two concatenated WAVs: both are read; a different rate is an error', async (t) => {
  const a = wav({ bits: 16, channels: 1, rate: 8000 }, encodePcm(mono, 1, 's16le'));
  const b = wav({ bits: 24, channels: 2, rate: 8000 }, encodePcm(mono, 2, 's24le'));
  const split = [a.subarray(0, 50), Buffer.concat([a.subarray(50), b.subarray(0, 7)]), b.subarray(7)];
  for (const pieces of [[Buffer.concat([a, b])], split]) {
    const { out, report } = await decodeAll([...pieces]);
    t.equal(out.length, 2 * mono.length, 'the second WAV is not dropped');
    t.equal(report.expectedDataBytes, mono.length * 2 + mono.length * 6);
    t.equal(report.trailingBytes, 0);
  }
  // A LIST chunk after the first WAV's data (odd-sized data with its pad byte) is skipped too.
  const odd = wav({ bits: 8, channels: 1, rate: 8000, before: [] },
    Buffer.concat([encodePcm(mono, 1, 'u8'), Buffer.from([128])]));
  const withList = Buffer.concat([odd, chunk('LIST', Buffer.from('INFOxyz')), a]);
  t.equal((await decodeAll([withList])).out.length, 2 * mono.length + 1);
  const c = wav({ bits: 16, channels: 1, rate: 16000 }, encodePcm(mono, 1, 's16le'));
  await t.rejects(decodeAll([Buffer.concat([a, c])]),
    /second WAV follows at byte 364, at 16000 Hz where the first was 8000 Hz/);
});

t.test('inconsistent WAV headers are refused', async (t) => {
  const data = encodePcm(mono, 2, 's16le');
  await t.rejects(decodeAll([wav({ bits: 16, channels: 2, rate: 8000, blockAlign: 2 }, data)]),
    /block align 2 bytes, but 2 channel\(s\) of 16-bit samples make 4/);
  const twoFmt = wav({ bits: 16, channels: 2, rate: 8000,
    before: [['fmt ', wav({ bits: 16, channels: 1, rate: 8000 }, Buffer.alloc(0)).subarray(20, 36)]] }, data);
  await t.rejects(decodeAll([twoFmt]), /two fmt chunks/);
  const absurd = wav({ bits: 16, channels: 1, rate: 8000 }, data);
  absurd.writeUInt16LE(24932, 34);
  await t.rejects(decodeAll([absurd]), /WAV header is corrupt: it says 24932 bits per sample/);
});

t.test('non-PCM inputs are named by their magic bytes, with the ffmpeg line for media', async (t) => {
  const pad = (head: Buffer | string) => Buffer.concat([
    Buffer.from(head as string, typeof head === 'string' ? 'latin1' : undefined), Buffer.alloc(600, 0x11),
  ]);
  const cases: [string, Buffer, RegExp][] = [
    ['m4a', pad('\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00'), /MP4\/M4A .*ffmpeg -i FILE -f wav - \| melodyfilter/],
    ['webm', pad('\x1a\x45\xdf\xa3\x9f\x42\x86\x81'), /WebM\/Matroska.*ffmpeg/],
    ['RIFX', pad('RIFX\x00\x00\x01\x00WAVEfmt '), /RIFX \(a big-endian WAV\).*ffmpeg/],
    ['AVI', pad('RIFF\x00\x00\x01\x00AVI LIST'), /a RIFF 'AVI ' file.*ffmpeg/],
    ['PNG', pad('\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR'), /input is a PNG image, not audio/],
    ['ELF', pad('\x7fELF\x02\x01\x01\x00'), /input is an ELF executable, not audio/],
    ['text', Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(20)),
      /input is text \("The quick brown fox jum/],
    ['short text', Buffer.from('hello\n'), /input is text/],
    ['UTF-8 text',
      Buffer.from('Ода к радости — Freude, schöner Götterfunken\n'.repeat(5)), /input is text/],
  ];
  for (const [name, bytes, pattern] of cases) {
    await t.rejects(decodeAll([bytes]), pattern, name);
    await t.rejects(decodeAll(Array.from(bytes).map((b) => Uint8Array.of(b))), pattern, `${name}, one byte at a time`);
  }
  // Audio is never text, even loud noise or near-silence.
  const noise = encodePcm(Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i * 12.9898) * 0.9), 2, 's16le');
  t.equal(identifyNonPcm(noise, false), null, 'noise is audio');
  t.equal(identifyNonPcm(Buffer.alloc(600), false), null, 'silence is audio');
  t.equal((await decodeAll([Buffer.from([1, 2, 3, 4])])).out.length, 1, 'four bytes of raw audio');
});

// Issue 22, item 7: a WAV's data size is authoritative, but what it leaves out is counted, so the CLI
// can say how much (test/edges-cli.test.ts checks the warning itself).
t.test('bytes after a WAV data chunk that are not metadata are counted: too small a data size, a second data chunk',
  async (t) => {
  const tone = sine(440, 0.05, 8000, 0.5);
  const data = encodePcm(tone, 1, 's16le');
  const declared = 2 * Math.round(tone.length / 10); // 10% of the frames
  const small = wav({ bits: 16, channels: 1, rate: 8000, dataSize: declared }, data);
  const bytes = Array.from(small, (b) => Uint8Array.of(b));
  for (const [name, pieces] of [['whole', [small]], ['a byte at a time', bytes]] as const) {
    const { out, report } = await decodeAll([...pieces]);
    t.equal(out.length, declared / 2, `${name}: only the declared data is transcribed`);
    t.equal(report.strayBytes, data.length - declared, `${name}: the other 90% is counted`);
    t.equal(report.extraDataBytes, 0, name);
  }
  const second = Buffer.concat([wav({ bits: 16, channels: 1, rate: 8000 }, data), chunk('data', data)]);
  const two = await decodeAll([second]);
  t.equal(two.out.length, tone.length, 'a second data chunk is not read');
  t.equal(two.report.extraDataBytes, 8 + data.length, 'its bytes, header included, are counted');
  t.equal(two.report.strayBytes, 0);
  // Metadata after the data is what chunks after it are for: nothing to report.
  const info = Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00');
  const list = Buffer.concat([wav({ bits: 16, channels: 1, rate: 8000 }, data), chunk('LIST', info)]);
  const meta = await decodeAll([list]);
  t.equal(meta.report.extraDataBytes + meta.report.strayBytes, 0, 'a LIST chunk is not counted');
  // A chunk that runs past the end of input is no chunk: audio whose bytes read as one.
  const fake = Buffer.from('abcd\xff\xff\x00\x00', 'latin1'); // 'abcd', 65535 bytes: more than there are
  const cut = Buffer.concat([wav({ bits: 16, channels: 1, rate: 8000 }, data), fake, Buffer.alloc(100)]);
  t.equal((await decodeAll([cut])).report.strayBytes, 108, 'a chunk cut off by the end of input');
});

t.test('issue 22, 12: a WAV below 2000 Hz is refused, saying what it cannot hold', async (t) => {
  const at = (rate: number) => wav({ bits: 16, channels: 1, rate }, encodePcm(sine(300, 0.05, rate), 1, 's16le'));
  await t.rejects(decodeAll([at(1000)]),
    /^WAV is at 1000 Hz, too low to transcribe: it holds nothing above 500 Hz \(B4\); melodyfilter needs 2000 Hz or/);
  await t.rejects(decodeAll([at(1999)]), /^WAV is at 1999 Hz, too low/);
  const { out, report } = await decodeAll([at(2000)]);
  t.equal(out.length, 100, '2000 Hz is read');
  t.equal(report.format?.sampleRate, 2000);
});
