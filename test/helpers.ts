// Fixtures made here, not stored: sines and tone sequences, PCM and WAV encodings, the hand-set tone model
// (test/fixtures/tone-model.ts) written into a temporary folder, and runs of the CLI (spawned, fed, in a shell).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Encoding } from '../lib/config.js';
import { decodePcm, newDecodeReport, type DecodeOptions } from '../lib/pipeline/pcm.js';
import { wavHeader } from '../lib/pipeline/wav-header.js';

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
export function wavFile(mono: Float32Array, rate: number, channels = 1,
  opts: { bits?: number; formatTag?: number; dataSize?: number } = {}): Buffer {
  const bits = opts.bits ?? 16;
  const data = bits === 16 ? encodePcm(mono, channels, 's16le')
    : bits === 32 && opts.formatTag === 3 ? encodePcm(mono, channels, 'f32le')
    : Buffer.alloc(mono.length * channels * (bits / 8));
  const h = wavHeader({ rate, channels, bits, formatTag: opts.formatTag, dataBytes: data.length,
    declaredDataBytes: opts.dataSize });
  return Buffer.concat([h, data]);
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

export interface RunOptions {
  /** Bytes per write: a number, or a function giving each next size (random chunking). */
  chunk?: number | (() => number);
  /** Wait this long after each write, so that a reader waiting on the pipe sees each piece on its own. */
  paceMs?: number;
  env?: NodeJS.ProcessEnv;
  /** SIGKILL after this long: a hung run fails its test instead of the whole file timing out. */
  timeoutMs?: number;
}

export interface CliRun {
  child: ChildProcessWithoutNullStreams;
  /** Settles when the process has exited and its stdout and stderr are drained. */
  result: Promise<RunResult>;
}

/** Spawn bin/melodyfilter with `args` and collect what it writes; the caller drives stdin.
 *  Under tap, every child gets tap's coverage loader through NODE_OPTIONS, re-added on each spawn;
 *  `env -u` drops it for the CLI, which runs compiled dist/ code whose coverage tap cannot map, and
 *  would otherwise start twice as slowly. `env` execs the CLI, so the child's pid is the CLI's. */
export function spawnCli(args: string[], opts: Pick<RunOptions, 'env' | 'timeoutMs'> = {}): CliRun {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', BIN, ...args],
    { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const result = new Promise<RunResult>((resolve, reject) => {
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stdout.on('error', () => {}); // a test that closes stdout early gets EPIPE-free reads
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
  child.stdin.on('error', () => {}); // the process may exit before reading everything
  return { child, result };
}

/** Write `input` to `stdin` in pieces and end it, honouring backpressure. */
export async function feed(stdin: Writable, input: Buffer,
  opts: Pick<RunOptions, 'chunk' | 'paceMs'> = {}): Promise<void> {
  const size = typeof opts.chunk === 'function' ? opts.chunk
    : () => (opts.chunk as number | undefined) || input.length || 1;
  for (let i = 0; i < input.length && !stdin.destroyed; ) {
    const n = Math.max(1, size());
    const ok = stdin.write(input.subarray(i, i + n));
    i += n;
    if (!ok) {
      await new Promise<void>((resolve) => {
        if (stdin.destroyed) { resolve(); return; }
        const go = () => { stdin.off('drain', go); stdin.off('close', go); resolve(); };
        stdin.on('drain', go); stdin.on('close', go);
      });
    }
    else if (opts.paceMs) await new Promise<void>((resolve) => setTimeout(resolve, opts.paceMs));
  }
  stdin.end();
}

/** Spawn bin/melodyfilter with `args`, write `input` to stdin (in `chunk`-byte pieces if given). */
export async function runCli(args: string[], input: Buffer | null, opts: RunOptions = {}): Promise<RunResult> {
  const { child, result } = spawnCli(args, opts);
  if (input) await feed(child.stdin, input, opts);
  else child.stdin.end();
  return result;
}

/** Sine tones with 5 ms fades (no clicks), each [hz, startSeconds, endSeconds], in `seconds` of audio. */
export function tones(spec: readonly (readonly [number, number, number])[], seconds: number,
  rate: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  const fade = Math.round(0.005 * rate);
  for (const [hz, start, end] of spec) {
    const a = Math.round(start * rate), b = Math.min(out.length, Math.round(end * rate));
    for (let i = a; i < b; i++) {
      const gain = Math.min(1, (i - a) / fade, (b - i) / fade);
      out[i] += amp * gain * Math.sin((2 * Math.PI * hz * (i - a)) / rate);
    }
  }
  return out;
}

/** Hand-set model that hears sine tones (fixtures/tone-model.ts): notes that do not depend on training. */
export async function makeToneModel(dir: string): Promise<void> {
  const { writeToneModel } = await import('./fixtures/tone-model.js');
  await writeToneModel(dir);
}

/** JSON lines of stdout, parsed. */
export function jsonLines<T = Record<string, unknown>>(stdout: Buffer | string): T[] {
  return stdout.toString().split('\n').filter((l) => l).map((l) => JSON.parse(l) as T);
}

/** Decodes the byte pieces as one stream (each piece one read); all samples, and the decoder's report. */
export async function decodePieces(pieces: Iterable<Uint8Array>, opts: DecodeOptions, report = newDecodeReport()) {
  async function* src() { for (const p of pieces) yield p; }
  const parts: Float32Array[] = [];
  for await (const p of decodePcm(opts, report)(src())) parts.push(p.samples);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return { out, report };
}

/** A temporary folder (removed when `t` ends) holding the hand-set tone model in `tone-model/`. */
export async function toneModelWorkspace(t: { teardown(fn: () => void): void }, prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const model = path.join(dir, 'tone-model');
  await makeToneModel(model);
  return { dir, model };
}

export interface ShellResult { code: number | null; stdout: string; stderr: string }

/** Runs a shell command line in `cwd` with the CLI as $BIN, as a user's shell would (tap re-adds its
 *  loaders to NODE_OPTIONS on every spawn: they are dropped); collects what it writes. */
export function runShell(script: string, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<ShellResult> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `unset NODE_OPTIONS; ${script}`],
      { cwd, env: { ...process.env, NODE_OPTIONS: '', BIN, ...env } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
