// Training data on disk for the PyTorch trainer (trainer/train.py): data workers write shards of
// examples made by the project's own generator; the trainer keeps a pool of them and reuses each
// example a few times (generation, not training, is the slow side).
//
// Shard file: "MFSHARD1", uint32 LE header length, the header (JSON, space-padded so the arrays
// start 8-byte aligned), then features (count × frames × featureSize float16), classes
// (count × frames uint8), onsets (count × frames uint8: target × 2, so 0, 1, 2 for 0, 0.5, 1) and
// kinds (count uint8, index into SCENE_KINDS).
import { Worker } from 'node:worker_threads';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FrontEndName } from '../pipeline/frontends.js';
import type { NoiseKind } from '../synth/noise.js';
import { SCENE_KINDS, type KindExample } from './scenes.js';

export const SHARD_MAGIC = 'MFSHARD1';

export interface ShardHeader {
  count: number;
  frames: number;
  featureSize: number;
  frontEnd: FrontEndName;
  kinds: readonly string[];
  seed: number;
}

/** float32 → IEEE half, rounded to nearest even; what the trainer reads back with numpy's float16. */
export function toFloat16(src: Float32Array, dst: Uint16Array, dstOffset = 0): void {
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i];
    const x = u[0];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    let h: number;
    if (exp === 0xff) h = sign | 0x7c00 | (mant ? 0x200 : 0);
    else {
      const e = exp - 127 + 15;
      if (e >= 0x1f) h = sign | 0x7c00;
      else if (e <= 0) {
        if (e < -10) h = sign;
        else {
          mant |= 0x800000;
          const shift = 14 - e;
          let m = mant >>> shift;
          const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
          if (rem > half || (rem === half && (m & 1))) m++;
          h = sign | m;
        }
      } else {
        let m = mant >>> 13;
        const rem = mant & 0x1fff;
        let ee = e;
        if (rem > 0x1000 || (rem === 0x1000 && (m & 1))) { m++; if (m === 0x400) { m = 0; ee++; } }
        h = ee >= 0x1f ? sign | 0x7c00 : sign | (ee << 10) | m;
      }
    }
    dst[dstOffset + i] = h;
  }
}

export function encodeShard(examples: readonly KindExample[], header: Omit<ShardHeader, 'count' | 'kinds'>): Buffer {
  const { frames, featureSize } = header;
  const count = examples.length;
  let json = JSON.stringify({ ...header, count, kinds: SCENE_KINDS });
  const pad = (8 - ((SHARD_MAGIC.length + 4 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(SHARD_MAGIC.length + 4);
  head.write(SHARD_MAGIC, 0, 'latin1');
  head.writeUInt32LE(Buffer.byteLength(json), SHARD_MAGIC.length);
  const feats = new Uint16Array(count * frames * featureSize);
  const classes = new Uint8Array(count * frames), onsets = new Uint8Array(count * frames);
  const kinds = new Uint8Array(count);
  examples.forEach((ex, i) => {
    toFloat16(ex.features, feats, i * frames * featureSize);
    classes.set(ex.classes, i * frames);
    for (let t = 0; t < frames; t++) onsets[i * frames + t] = Math.round(ex.onsets[t] * 2);
    kinds[i] = SCENE_KINDS.indexOf(ex.kind);
  });
  const parts = [feats, classes, onsets, kinds].map((a) => Buffer.from(a.buffer));
  return Buffer.concat([head, Buffer.from(json), ...parts]);
}

/** Read a shard back (tests; the trainer has its own reader in Python). */
export interface DecodedShard {
  header: ShardHeader;
  features: Float32Array;
  classes: Uint8Array;
  onsets: Float32Array;
  kinds: Uint8Array;
}

export function decodeShard(bytes: Buffer): DecodedShard {
  if (bytes.toString('latin1', 0, SHARD_MAGIC.length) !== SHARD_MAGIC) throw new Error('not a melodyfilter shard');
  const len = bytes.readUInt32LE(SHARD_MAGIC.length);
  const start = SHARD_MAGIC.length + 4;
  const header = JSON.parse(bytes.toString('utf8', start, start + len)) as ShardHeader;
  const n = header.count * header.frames;
  let p = start + len;
  const from = bytes.byteOffset + p;
  const half = new Uint16Array(bytes.buffer.slice(from, from + n * header.featureSize * 2));
  p += n * header.featureSize * 2;
  const features = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) features[i] = fromFloat16(half[i]);
  const classes = new Uint8Array(bytes.subarray(p, p + n)); p += n;
  const onsets = Float32Array.from(bytes.subarray(p, p + n), (v) => v / 2); p += n;
  const kinds = new Uint8Array(bytes.subarray(p, p + header.count));
  return { header, features, classes, onsets, kinds };
}

function fromFloat16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * Math.pow(2, -24);
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

/** Write atomically: the trainer only ever sees whole shards. */
export function writeShard(dir: string, name: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.shard`);
  writeFileSync(file + '.tmp', bytes);
  renameSync(file + '.tmp', file);
  return file;
}

export interface GenerateOptions {
  outDir: string;
  seed: number;
  workers: number;
  /** Examples per shard. */
  shardSize: number;
  /** Stop after this many shards in all (Infinity: until stopped). */
  shards: number;
  /** Shards each worker keeps on disk; it deletes its oldest beyond this (0: keep all). */
  keep: number;
  frames: number;
  warmupFrames: number;
  frontEnd: FrontEndName;
  fluidShare: number;
  /** Share of noise-only scenes (scenes.ts withNoiseShare; 0: issue 10's mix exactly). */
  noiseShare: number;
  renders: number;
  renderSeconds: number;
  /** Share of the sampled renders played by freepats (TiMidity++) instead of FluidR3; 0 before issue 19. */
  freepatsShare?: number;
  /** Probability of a pitch-shifted render and of a microphone curve per example (synth/colour.ts). */
  colour?: number;
  /** Kinds of noise drawn, alone and under music; a kind listed twice is drawn twice as often
   *  (default: synth/noise.ts NOISE_KINDS, each once). */
  noiseKinds?: readonly NoiseKind[];
  /** espeak-ng voices of the babble (default: synth/speech.ts TRAIN_VOICES). */
  voices?: readonly string[];
  log: (line: string) => void;
}

export interface ShardWorkerSetup extends Omit<GenerateOptions, 'workers' | 'log' | 'shards'> {
  index: number;
  shards: number; // this worker's share
}

/** Start `workers` data workers; resolves when they have written their shards (or `stop` is called). */
export function generateShards(o: GenerateOptions): { done: Promise<void>; stop: () => void } {
  const workers: Worker[] = [];
  const finished: Promise<void>[] = [];
  for (let i = 0; i < o.workers; i++) {
    const share = Number.isFinite(o.shards)
      ? Math.floor(o.shards / o.workers) + (i < o.shards % o.workers ? 1 : 0) : Infinity;
    const { log: _log, workers: _w, ...rest } = o;
    const setup: ShardWorkerSetup = { ...rest, index: i, shards: share };
    const w = new Worker(new URL('./shard-worker.js', import.meta.url), { workerData: setup });
    workers.push(w);
    finished.push(new Promise((resolve, reject) => {
      w.on('message', (m: { type: string; text: string }) => {
        if (m.type === 'log') o.log(`data worker ${i}: ${m.text}`);
      });
      w.on('error', reject);
      w.on('exit', () => resolve());
    }));
  }
  const stop = () => { for (const w of workers) void w.terminate(); };
  return { done: Promise.all(finished).then(() => undefined), stop };
}
