// Fixtures made here, not stored: sines, melodies, PCM encodings, and a tiny model trained in-process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Encoding } from '../lib/config.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/melodyfilter', import.meta.url));

export function sine(hz: number, seconds: number, rate: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Interleave `mono` into `channels` and encode. */
export function encodePcm(mono: Float32Array, channels: number, encoding: Encoding): Buffer {
  const bps = { s16le: 2, s16be: 2, s24le: 3, s32le: 4, f32le: 4, u8: 1 }[encoding];
  const buf = Buffer.alloc(mono.length * channels * bps);
  let p = 0;
  for (let i = 0; i < mono.length; i++) {
    const v = Math.max(-1, Math.min(1, mono[i]));
    for (let c = 0; c < channels; c++, p += bps) {
      switch (encoding) {
        case 's16le': buf.writeInt16LE(Math.round(v * 32767), p); break;
        case 's16be': buf.writeInt16BE(Math.round(v * 32767), p); break;
        case 's24le': buf.writeIntLE(Math.round(v * 8388607), p, 3); break;
        case 's32le': buf.writeInt32LE(Math.round(v * 2147483647), p); break;
        case 'f32le': buf.writeFloatLE(v, p); break;
        case 'u8': buf.writeUInt8(Math.round(v * 127) + 128, p); break;
      }
    }
  }
  return buf;
}

/** A canonical 44-byte WAV header + data. */
export function wavFile(mono: Float32Array, rate: number, channels = 1, opts: { bits?: number; formatTag?: number; dataSize?: number } = {}): Buffer {
  const bits = opts.bits ?? 16;
  const data = bits === 16 ? encodePcm(mono, channels, 's16le') : bits === 32 && opts.formatTag === 3 ? encodePcm(mono, channels, 'f32le') : Buffer.alloc(mono.length * channels * (bits / 8));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(opts.formatTag ?? 1, 20); h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * channels * (bits / 8), 28); h.writeUInt16LE(channels * (bits / 8), 32); h.writeUInt16LE(bits, 34);
  h.write('data', 36); h.writeUInt32LE(opts.dataSize ?? data.length, 40);
  return Buffer.concat([h, data]);
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

/** Spawn bin/melodyfilter with `args`, write `input` to stdin (in `chunk`-byte pieces if given). */
export function runCli(args: string[], input: Buffer | null, opts: { chunk?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => {});
    if (!input) { child.stdin.end(); return; }
    if (!opts.chunk) { child.stdin.end(input); return; }
    let i = 0;
    const step = opts.chunk;
    const write = () => {
      while (i < input.length) {
        const ok = child.stdin.write(input.subarray(i, i + step));
        i += step;
        if (!ok) { child.stdin.once('drain', write); return; }
      }
      child.stdin.end();
    };
    write();
  });
}
