// Training: examples from data workers (or generated in-process) → tfjs model → models/<name>/.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { DEFAULTS, MODEL_RATE } from '../config.js';
import { FEATURE_SIZE } from '../features.js';
import { buildModel, loadModel, saveModel, NUM_CLASSES, type ModelInfo } from '../model.js';
import { useBackend } from '../backend.js';
import { makeRng, type Rng } from '../synth/random.js';
import { makeExample, type Example } from './dataset.js';
import type { WorkerSetup } from './worker.js';

export interface TrainOptions {
  name: string;
  outDir: string;
  seed: number;
  /** Stop after this many seconds of wall time, or `steps` batches, whichever first. */
  seconds: number;
  steps: number;
  batchSize: number;
  frames: number; // sequence length in frames
  warmupFrames: number;
  embedUnits: number;
  lstmUnits: number;
  learningRate: number;
  /** Data worker threads; 0 generates in-process (tests, one-core machines). */
  workers: number;
  /** Examples kept and re-sampled between refreshes. */
  poolSize: number;
  renders: number; // FluidR3 renders per worker
  renderSeconds: number;
  fluidShare: number;
  resume: boolean;
  checkpointSeconds: number;
  backend: 'auto' | 'wasm' | 'cpu' | 'node';
  log: (line: string) => void;
  progress: boolean;
}

/** The settings the shipped model was trained with (see models/README.md). Batches are small because
 *  tfjs' LSTM costs about the same per frame at any batch size here, and early on more updates help
 *  more than bigger ones; 128-frame (2 s) sequences follow a note through its decay. */
export const TRAIN_DEFAULTS: TrainOptions = {
  name: 'melody-lstm', outDir: '', seed: 1, seconds: 3600, steps: Infinity, batchSize: 32, frames: 128,
  warmupFrames: 48, embedUnits: 128, lstmUnits: 128, learningRate: 2e-3, workers: 1, poolSize: 2048,
  renders: 24, renderSeconds: 60, fluidShare: 0.4, resume: false, checkpointSeconds: 240, backend: 'auto',
  log: (l) => process.stderr.write(l + '\n'), progress: false,
};

/** Examples a worker may have in flight: a train step blocks the main thread for seconds, and the
 *  worker must keep producing meanwhile. */
const PREFETCH = 512;

/** Where examples come from: a pool refreshed by workers, or made on demand. */
class ExamplePool {
  private pool: Example[] = [];
  private workers: Worker[] = [];
  private readonly rng: Rng;
  fresh = 0;
  constructor(private readonly o: TrainOptions) {
    this.rng = makeRng(o.seed * 7919 + 13);
  }

  async start(): Promise<void> {
    const { o } = this;
    if (o.workers === 0) {
      while (this.pool.length < Math.min(o.poolSize, o.batchSize * 2)) this.pool.push(this.local());
      return;
    }
    const ready: Promise<void>[] = [];
    for (let i = 0; i < o.workers; i++) ready.push(this.spawn(i, 0));
    await Promise.all(ready);
    // Start once the pool is varied enough that early batches do not repeat a few examples.
    while (this.pool.length < Math.min(o.poolSize, o.batchSize * 4)) await new Promise((r) => setTimeout(r, 200));
  }

  /** Start data worker `i`; if it dies, say why and start another with fresh seeds, so training never
   *  silently narrows to the examples already in the pool. */
  private spawn(i: number, generation: number): Promise<void> {
    const { o } = this;
    const setup: WorkerSetup = {
      seed: o.seed * 1000 + i + generation * 100 + (o.resume ? Date.now() % 100000 : 0), frames: o.frames, warmupFrames: o.warmupFrames,
      renders: o.renders, renderSeconds: o.renderSeconds, speechClips: 40, fluidShare: o.fluidShare,
    };
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: setup });
    this.workers[i] = w;
    return new Promise((resolve, reject) => {
      let isReady = false;
      w.on('error', (err) => {
        o.log(`worker ${i} failed: ${err.stack ?? err.message}`);
        if (!isReady) { reject(err); return; }
        if (!this.stopping) void this.spawn(i, generation + 1);
      });
      w.on('message', (m) => {
        if (m.type === 'ready') {
          o.log(`worker ${i}: ${m.renders} FluidR3 renders ready`);
          isReady = true;
          w.postMessage({ type: 'want', n: PREFETCH });
          resolve();
        }
        if (m.type === 'example') this.add(m.ex as Example, w);
        if (m.type === 'error') o.log(`worker ${i}: example failed, skipped: ${m.message}`);
      });
      w.on('exit', (code) => { if (!this.stopping) o.log(`worker ${i} exited with code ${code}`); });
    });
  }

  private add(ex: Example, w: Worker): void {
    if (this.pool.length < this.o.poolSize) this.pool.push(ex);
    else this.pool[Math.floor(this.rng() * this.pool.length)] = ex;
    this.fresh++;
    w.postMessage({ type: 'want', n: 1 });
  }

  private local(): Example {
    return makeExample(this.rng, this.o.frames, this.o.warmupFrames, { fluidShare: 0 }, [], []);
  }

  batch(): Example[] {
    if (this.o.workers === 0) {
      // Refresh a quarter of the pool each batch: in-process generation is the bottleneck.
      for (let i = 0; i < Math.max(1, this.o.batchSize / 4); i++) this.pool[Math.floor(this.rng() * this.pool.length)] = this.local();
      this.fresh += Math.max(1, this.o.batchSize / 4);
    }
    const out: Example[] = [];
    for (let i = 0; i < this.o.batchSize; i++) out.push(this.pool[Math.floor(this.rng() * this.pool.length)]);
    return out;
  }

  private stopping = false;

  stop(): void {
    this.stopping = true;
    for (const w of this.workers) void w.terminate();
  }
}

function toTensors(batch: Example[], frames: number): { x: tf.Tensor3D; yNote: tf.Tensor3D; yOnset: tf.Tensor3D } {
  const B = batch.length;
  const x = new Float32Array(B * frames * FEATURE_SIZE);
  const yNote = new Float32Array(B * frames * NUM_CLASSES);
  const yOnset = new Float32Array(B * frames);
  batch.forEach((ex, b) => {
    x.set(ex.features, b * frames * FEATURE_SIZE);
    for (let t = 0; t < frames; t++) {
      yNote[(b * frames + t) * NUM_CLASSES + ex.classes[t]] = 1;
      yOnset[b * frames + t] = ex.onsets[t];
    }
  });
  return {
    x: tf.tensor3d(x, [B, frames, FEATURE_SIZE]),
    yNote: tf.tensor3d(yNote, [B, frames, NUM_CLASSES]),
    yOnset: tf.tensor3d(yOnset, [B, frames, 1]),
  };
}

export async function train(partial: Partial<TrainOptions>): Promise<{ steps: number; loss: number; accuracy: number }> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...partial };
  const outDir = o.outDir || path.resolve('models', o.name);
  const backend = await useBackend(o.backend);
  let model: tf.LayersModel;
  let startStep = 0;
  let info: ModelInfo = {
    name: o.name, windowSamples: DEFAULTS.windowSamples, hopSamples: DEFAULTS.hopSamples, sampleRate: MODEL_RATE, featureSize: FEATURE_SIZE,
  };
  if (o.resume && existsSync(path.join(outDir, 'model.json'))) {
    const loaded = await loadModel(outDir);
    model = loaded.model;
    info = loaded.info;
    startStep = Number((info.training as { steps?: number } | undefined)?.steps ?? 0);
    o.log(`resuming ${outDir} at step ${startStep}`);
  } else {
    model = buildModel({ featureSize: FEATURE_SIZE, embedUnits: o.embedUnits, lstmUnits: o.lstmUnits });
  }
  const optimizer = tf.train.adam(o.learningRate);
  model.compile({
    optimizer,
    loss: ['categoricalCrossentropy', 'binaryCrossentropy'],
    metrics: { note: 'accuracy' } as never,
  });
  o.log(`training ${o.name} on ${backend}: ${model.countParams()} parameters, batch ${o.batchSize}×${o.frames} frames, ${o.workers} data workers`);
  const pool = new ExamplePool(o);
  await pool.start();
  const started = Date.now();
  let lastCheckpoint = started;
  let step = 0, emaLoss = NaN, emaAcc = NaN;
  const bar = o.progress ? new cliProgress.SingleBar({
    format: 'train |{bar}| {percentage}% step {step} loss {loss} acc {acc} fresh {fresh}', stream: process.stderr,
  }, cliProgress.Presets.shades_classic) : null;
  bar?.start(100, 0, { step: 0, loss: '-', acc: '-', fresh: 0 });
  const save = async () => {
    const elapsed = (Date.now() - started) / 1000;
    const prior = (info.training ?? {}) as { seconds?: number };
    info = {
      ...info,
      training: {
        ...info.training,
        steps: startStep + step, seconds: Math.round((prior.seconds ?? 0) + elapsed - ((info.training as { sessionSeconds?: number })?.sessionSeconds ?? 0)),
        sessionSeconds: Math.round(elapsed), batchSize: o.batchSize, frames: o.frames, learningRate: o.learningRate,
        loss: round(emaLoss), noteAccuracy: round(emaAcc), examplesGenerated: pool.fresh, seed: o.seed, fluidShare: o.fluidShare,
        data: 'own piano synth + FluidR3 GM keyboards (programs 0-7), random melodies A0-C8, noise white/pink/brown/hum/buzz/clicks/espeak babble at -5..30 dB or clean, Schroeder reverb, gain -40..+6 dB with clipping, detune ±30 cents',
      },
    };
    await saveModel(model, outDir, info);
  };
  try {
    while (step < o.steps && (Date.now() - started) / 1000 < o.seconds) {
      const frac = (Date.now() - started) / 1000 / o.seconds;
      (optimizer as unknown as { learningRate: number }).learningRate = o.learningRate * (frac < 0.6 ? 1 : frac < 0.85 ? 0.3 : 0.1);
      const { x, yNote, yOnset } = toTensors(pool.batch(), o.frames);
      const h = (await model.trainOnBatch(x, [yNote, yOnset])) as number[];
      tf.dispose([x, yNote, yOnset]);
      step++;
      const [loss, , , acc] = h;
      emaLoss = Number.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
      emaAcc = Number.isNaN(emaAcc) ? acc : 0.95 * emaAcc + 0.05 * acc;
      if (bar) bar.update(Math.min(100, Math.round(Math.max(frac, step / o.steps) * 100)), { step: startStep + step, loss: emaLoss.toFixed(3), acc: emaAcc.toFixed(3), fresh: pool.fresh });
      else if (step % 20 === 0) o.log(`step ${startStep + step} loss ${emaLoss.toFixed(4)} acc ${emaAcc.toFixed(4)} fresh ${pool.fresh} ${((Date.now() - started) / 1000).toFixed(0)}s`);
      if ((Date.now() - lastCheckpoint) / 1000 > o.checkpointSeconds) {
        await save();
        lastCheckpoint = Date.now();
        if (!bar) o.log(`checkpoint ${outDir} at step ${startStep + step}`);
      }
    }
    await save();
  } finally {
    bar?.stop();
    pool.stop();
  }
  return { steps: startStep + step, loss: emaLoss, accuracy: emaAcc };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
