import t from 'tap';
import { decodePcm, newDecodeReport } from '../lib/pipeline/pcm.js';
import type { Encoding } from '../lib/config.js';
import { decodePieces, encodePcm, sine, wavFile } from './helpers.js';

function decodeAll(bytes: Buffer, opts: Parameters<typeof decodePcm>[0], chunk = 0, report = newDecodeReport()) {
  const pieces: Uint8Array[] = [];
  if (!chunk) pieces.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  return decodePieces(pieces, opts, report);
}

const ENCODINGS: [Encoding, number][] = [['s16le', 1 / 32767], ['s16be', 1 / 32767], ['s24le', 1e-6], ['s32le', 1e-6],
  ['f32le', 1e-7], ['u8', 1 / 127]];

for (const [encoding, tol] of ENCODINGS) {
  t.test(`decodes ${encoding} stereo to mono, whole and in odd chunks`, async (t) => {
    const mono = sine(440, 0.05, 8000, 0.6);
    const bytes = encodePcm(mono, 2, encoding);
    const whole = await decodeAll(bytes, { sampleRate: 8000, channels: 2, encoding });
    t.equal(whole.out.length, mono.length);
    let maxErr = 0;
    for (let i = 0; i < mono.length; i++) maxErr = Math.max(maxErr, Math.abs(whole.out[i] - mono[i]));
    t.ok(maxErr <= tol * 1.5 + 1e-7, `max error ${maxErr} within ${tol}`);
    const odd = await decodeAll(bytes, { sampleRate: 8000, channels: 2, encoding }, 7);
    t.same(Array.from(odd.out), Array.from(whole.out), 'chunking does not change samples');
  });
}

t.test('a trailing partial frame is counted, not decoded', async (t) => {
  const bytes = Buffer.concat([encodePcm(sine(440, 0.01, 8000), 2, 's16le'), Buffer.from([1, 2, 3])]);
  const { out, report } = await decodeAll(bytes, { sampleRate: 8000, channels: 2, encoding: 's16le' }, 5);
  t.equal(out.length, 80);
  t.equal(report.trailingBytes, 3);
});

t.test('NaN and Inf in f32 input decode as silence and are counted', async (t) => {
  const b = Buffer.alloc(16);
  b.writeFloatLE(NaN, 0); b.writeFloatLE(Infinity, 4); b.writeFloatLE(0.5, 8); b.writeFloatLE(-Infinity, 12);
  const { out, report } = await decodeAll(b, { sampleRate: 8000, channels: 1, encoding: 'f32le' });
  t.same(Array.from(out), [0, 0, 0.5, 0]);
  t.equal(report.nonFiniteSamples, 3);
});

t.test('WAV header is detected and sets the format, even split across chunks', async (t) => {
  const mono = sine(440, 0.02, 22050, 0.5);
  const file = wavFile(mono, 22050, 1);
  for (const chunk of [0, 1, 3, 50]) {
    const { out, report } = await decodeAll(file, { sampleRate: 44100, channels: 2, encoding: 's16le' }, chunk);
    t.equal(report.wav, true);
    t.same(report.format, { sampleRate: 22050, channels: 1, encoding: 's16le' });
    t.equal(out.length, mono.length, `chunk ${chunk}`);
  }
});

t.test('WAV data beyond the data chunk size is not audio', async (t) => {
  const mono = sine(440, 0.01, 8000);
  const file = Buffer.concat([wavFile(mono, 8000, 1), Buffer.from('LIST\x04\x00\x00\x00abcd')]);
  const { out } = await decodeAll(file, { sampleRate: 8000, channels: 1, encoding: 's16le' });
  t.equal(out.length, mono.length);
});

t.test('WAV problems are clear errors', async (t) => {
  const mono = sine(440, 0.01, 8000);
  await t.rejects(decodeAll(wavFile(mono, 8000, 1, { formatTag: 2 }),
    { sampleRate: 8000, channels: 1, encoding: 's16le' }), /unsupported WAV format: format tag 0x2/);
  await t.rejects(decodeAll(wavFile(mono, 8000, 1, { formatTag: 3, bits: 64 }),
    { sampleRate: 8000, channels: 1, encoding: 's16le' }), /64-bit float/);
  await t.rejects(decodeAll(wavFile(mono, 8000, 1).subarray(0, 30),
    { sampleRate: 8000, channels: 1, encoding: 's16le' }), /truncated WAV header/);
  // The decoder names its own options; the CLI rewords them as flags (reliability.test.ts).
  const channels = { sampleRate: 8000, channels: 1, encoding: 's16le',
    explicit: new Set(['channels'] as const) } as const;
  t.match(await decodeAll(wavFile(mono, 8000, 2), channels).catch((e: unknown) => e),
    { field: 'channels', given: 1, header: 2, message: "channels 1 contradicts the WAV header's 2 channels" });
  const rate = { sampleRate: 44100, channels: 1, encoding: 's16le',
    explicit: new Set(['sampleRate'] as const) } as const;
  t.match(await decodeAll(wavFile(mono, 8000, 1), rate).catch((e: unknown) => e),
    { field: 'sampleRate', given: 44100, header: 8000 });
});

t.test('fewer than 12 bytes starting like RIFF are raw audio', async (t) => {
  const { out } = await decodeAll(Buffer.from('RIFF'), { sampleRate: 8000, channels: 1, encoding: 's16le' });
  t.equal(out.length, 2);
});
