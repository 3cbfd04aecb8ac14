// Training: examples from data workers (or generated in-process) → tfjs model → models/<name>/.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '../tf.js';
import cliProgress from 'cli-progress';
import { InputError } from '../config.js';
import { NUM_CLASSES, newCard, type ModelCard } from '../card.js';
import { NETWORKS, type NetworkName } from '../networks.js';
import { buildModel, loadModel, saveModel } from '../model.js';
import { useBackend } from '../backend.js';
import { makeRng, type Rng } from '../synth/random.js';
import { makeExample, type Example, type ExampleCard } from './dataset.js';
import type { WorkerSetup } from './worker.js';

export interface TrainOptions {
  name: string;
  outDir: string;
  /** Network to train (networks.ts; a resumed model keeps its own). */
  network: NetworkName;
  seed: number;
  /** Stop after this many seconds of wall time, or `steps` batches, whichever first. */
  seconds: number;
  steps: number;
  batchSize: number;
  frames: number; // sequence length in frames
  warmupFrames: number;
  /** Layer widths of a new network (see ModelShape); unset: the network's own (networks.ts units). */
  embedUnits?: number;
  hiddenUnits?: number;
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
 *  tfjs' recurrent layers cost about the same per frame at any batch size here, and more updates help
 *  more than bigger ones; 128-frame (2 s) sequences follow a note through its decay. The GRU learned
 *  far faster than the LSTM in the model comparison (README). */
export const TRAIN_DEFAULTS: TrainOptions = {
  name: 'melody-gru', outDir: '', network: 'gru', seed: 1, seconds: 3600, steps: Infinity, batchSize: 16, frames: 128,
  warmupFrames: 48, learningRate: 2e-3, workers: 1, poolSize: 2048,
  renders: 24, renderSeconds: 60, fluidShare: 0.4, resume: false, checkpointSeconds: 240, backend: 'auto',
  log: (l) => process.stderr.write(l + '\n'), progress: false,
};

/** Examples each worker makes at the start to fill the pool; after that, one per example drawn. */
export const PREFETCH = 512;

/** Where examples come from: a pool refreshed by workers, or made on demand. */
class ExamplePool {
  private pool: Example[] = [];
  private workers: Worker[] = [];
  private readonly rng: Rng;
  fresh = 0;
  constructor(private readonly o: TrainOptions, private readonly card: ExampleCard) {
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
      seed: o.seed * 1000 + i + generation * 100 + (o.resume ? Date.now() % 100000 : 0),
      frames: o.frames, warmupFrames: o.warmupFrames,
      renders: o.renders, renderSeconds: o.renderSeconds, speechClips: 40, fluidShare: o.fluidShare,
      card: {
        frontEnd: this.card.frontEnd, windowSamples: this.card.windowSamples, hopSamples: this.card.hopSamples,
        modelRate: this.card.modelRate,
      },
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
        if (m.type === 'example') this.add(m.ex as Example);
        if (m.type === 'error') o.log(`worker ${i}: example failed, skipped: ${m.message}`);
      });
      w.on('exit', (code) => { if (!this.stopping) o.log(`worker ${i} exited with code ${code}`); });
    });
  }

  private add(ex: Example): void {
    if (this.pool.length < this.o.poolSize) this.pool.push(ex);
    else this.pool[Math.floor(this.rng() * this.pool.length)] = ex;
    this.fresh++;
  }

  private local(): Example {
    return makeExample(this.rng, this.o.frames, this.o.warmupFrames, { fluidShare: 0 }, [], [], this.card);
  }

  batch(): Example[] {
    if (this.o.workers === 0) {
      // Refresh a quarter of the pool each batch: in-process generation is the bottleneck.
      for (let i = 0; i < Math.max(1, this.o.batchSize / 4); i++) {
        this.pool[Math.floor(this.rng() * this.pool.length)] = this.local();
      }
      this.fresh += Math.max(1, this.o.batchSize / 4);
    }
    const out: Example[] = [];
    for (let i = 0; i < this.o.batchSize; i++) out.push(this.pool[Math.floor(this.rng() * this.pool.length)]);
    // Ask for as many new examples as this batch drew: on average each example is seen about once,
    // and the workers use no more of the machine than that takes.
    this.workers.forEach((w) => w.postMessage({ type: 'want', n: Math.ceil(this.o.batchSize / this.workers.length) }));
    return out;
  }

  private stopping = false;

  stop(): void {
    this.stopping = true;
    for (const w of this.workers) void w.terminate();
  }
}

/** A batch as tensors: [B, T, F] for recurrent models; window models take every frame as its own
 *  row, [B·T, F]. */
function toTensors(
  batch: Example[], frames: number, featureSize: number, windowModel: boolean,
): { x: tf.Tensor; yNote: tf.Tensor; yOnset: tf.Tensor } {
  const B = batch.length;
  const x = new Float32Array(B * frames * featureSize);
  const yNote = new Float32Array(B * frames * NUM_CLASSES);
  const yOnset = new Float32Array(B * frames);
  batch.forEach((ex, b) => {
    x.set(ex.features, b * frames * featureSize);
    for (let t = 0; t < frames; t++) {
      yNote[(b * frames + t) * NUM_CLASSES + ex.classes[t]] = 1;
      yOnset[b * frames + t] = ex.onsets[t];
    }
  });
  const rows = windowModel ? [B * frames] : [B, frames];
  return {
    x: tf.tensor(x, [...rows, featureSize]),
    yNote: tf.tensor(yNote, [...rows, NUM_CLASSES]),
    yOnset: tf.tensor(yOnset, [...rows, 1]),
  };
}

export async function train(
  partial: Partial<TrainOptions>,
): Promise<{ steps: number; loss: number; accuracy: number }> {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...partial };
  const outDir = o.outDir || path.resolve('models', o.name);
  const backend = await useBackend(o.backend);
  let model: tf.LayersModel;
  let startStep = 0;
  let card: ModelCard = newCard(o.name, o.network);
  if (o.resume && existsSync(path.join(outDir, 'model.json'))) {
    const loaded = await loadModel(outDir);
    model = loaded.model;
    card = loaded.card;
    startStep = Number((card.training as { steps?: number } | undefined)?.steps ?? 0);
    o.log(`resuming ${outDir} at step ${startStep}`);
  } else {
    const { units } = NETWORKS[o.network];
    const embedUnits = o.embedUnits ?? units.embedUnits, hiddenUnits = o.hiddenUnits ?? units.hiddenUnits;
    model = buildModel({ network: o.network, featureSize: card.featureSize, embedUnits, hiddenUnits });
  }
  const { network } = card;
  const optimizer = tf.train.adam(o.learningRate);
  model.compile({
    optimizer,
    loss: ['categoricalCrossentropy', 'binaryCrossentropy'],
    metrics: { note: 'accuracy' } as never,
  });
  o.log(`training ${o.name} (${network}) on ${backend}: ${model.countParams()} parameters, ` +
    `batch ${o.batchSize}×${o.frames} frames, ${o.workers} data workers`);
  const pool = new ExamplePool(o, card);
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
    const prior = (card.training ?? {}) as { seconds?: number; sessionSeconds?: number };
    card = {
      ...card,
      training: {
        ...card.training,
        steps: startStep + step, seconds: Math.round((prior.seconds ?? 0) + elapsed - (prior.sessionSeconds ?? 0)),
        sessionSeconds: Math.round(elapsed), batchSize: o.batchSize, frames: o.frames, learningRate: o.learningRate,
        loss: round(emaLoss), noteAccuracy: round(emaAcc), examplesGenerated: pool.fresh, seed: o.seed,
        fluidShare: o.fluidShare,
        data: `${sourcesOf(o.fluidShare)}, ${CONDITIONS}`,
      },
    };
    await saveModel(model, outDir, card);
  };
  try {
    while (step < o.steps && (Date.now() - started) / 1000 < o.seconds) {
      // Learning-rate schedule by the share of the run done, in time or in steps, whichever is further.
      const frac = Math.max((Date.now() - started) / 1000 / o.seconds, step / o.steps);
      const rateShare = frac < 0.6 ? 1 : frac < 0.85 ? 0.3 : 0.1;
      (optimizer as unknown as { learningRate: number }).learningRate = o.learningRate * rateShare;
      const { x, yNote, yOnset } = toTensors(pool.batch(), o.frames, card.featureSize, !NETWORKS[network].recurrent);
      const h = (await model.trainOnBatch(x, [yNote, yOnset])) as number[];
      // trainOnBatch resolves through microtasks only: without a macrotask turn here the workers'
      // examples would wait in the message queue until the next checkpoint's file I/O (measured: the
      // pool was refreshed in bursts of 512 every 240 s, and a fresh run trained on its first 70).
      await new Promise((resolve) => setImmediate(resolve));
      tf.dispose([x, yNote, yOnset]);
      step++;
      const [loss, , , acc] = h;
      if (!Number.isFinite(loss)) {
        const at = startStep + step;
        throw new InputError(`training diverged at step ${at} (loss ${loss}); try a smaller --learning-rate`);
      }
      emaLoss = Number.isNaN(emaLoss) ? loss : 0.95 * emaLoss + 0.05 * loss;
      emaAcc = Number.isNaN(emaAcc) ? acc : 0.95 * emaAcc + 0.05 * acc;
      const loss4 = emaLoss.toFixed(4), acc4 = emaAcc.toFixed(4), at = startStep + step;
      if (bar) {
        const percent = Math.min(100, Math.round(Math.max(frac, step / o.steps) * 100));
        bar.update(percent, { step: at, loss: emaLoss.toFixed(3), acc: emaAcc.toFixed(3), fresh: pool.fresh });
      } else if (step % 20 === 0) {
        const seconds = ((Date.now() - started) / 1000).toFixed(0);
        o.log(`step ${at} loss ${loss4} acc ${acc4} fresh ${pool.fresh} ${seconds}s`);
      }
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

/** The training data, as model.json records it. */
function sourcesOf(fluidShare: number): string {
  if (fluidShare <= 0) return 'own piano synth only';
  if (fluidShare >= 1) return 'FluidR3 GM keyboards only (programs 0-7)';
  return 'own piano synth + FluidR3 GM keyboards (programs 0-7)';
}

const CONDITIONS = 'random melodies A0-C8, noise white/pink/brown/hum/buzz/clicks/espeak babble at -5..30 dB or ' +
  'clean, Schroeder reverb, gain -40..+6 dB with clipping, detune ±30 cents';

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
