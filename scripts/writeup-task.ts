// The write-up's own task (issue 19): 8-note melodies of quarter-ish notes in C4–B5, ONE piano, in
// background noise, every window labelled with one of n + 1 classes. Its raw-sample LSTM answered
// silence everywhere on our task (every key, many pianos, 46 dB of gain); this reproduces its claim
// on its own task before judging it.
//   node dist/scripts/writeup-task.js make OUT_DIR [--seed N] [--melodies N] [--workers N]
//   node dist/scripts/writeup-task.js eval MODEL_DIR [--melodies N] [--seed N]
// `make` writes window-model shards (8 consecutive frames an example, every frame of every melody):
// the trainer's window models label each frame alone. `eval` transcribes held-out melodies of the
// task (same piano, other melodies and noise) through the real pipeline: note F1 and exact melodies,
// and the share of frames whose class is right (the write-up's per-window accuracy); then the
// same model on eval's write-up condition, which plays the task on other pianos.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { MODEL_RATE } from '../lib/music.js';
import { NEW_MODEL_WINDOW } from '../lib/model/card.js';
import { randomMelody, type ScoreNote } from '../lib/synth/melody.js';
import { randomVoice, renderPiano, type PianoVoice } from '../lib/synth/piano.js';
import { applyConditions } from '../lib/synth/scene.js';
import { makeRng, type Rng, uniform } from '../lib/synth/random.js';
import { frameLabels, sceneFeatures } from '../lib/train/dataset.js';
import { encodeShard, writeShard } from '../lib/train/shards.js';
import type { KindExample } from '../lib/train/scenes.js';

/** The one piano: a fixed draw of the synthesizer's voice (the write-up recorded one instrument). */
const PIANO: PianoVoice = randomVoice(makeRng(424242));
/** The eval's write-up condition (lib/eval/evaluate.ts): 8 notes, C4–B5, 0.3–0.6 s, no rests. */
const TASK = { lowMidi: 60, highMidi: 83, minNoteSeconds: 0.3, maxNoteSeconds: 0.6, restProbability: 0 };
/** Held-out melodies: far from the seeds `make` is given. */
const EVAL_SEED = 7_000_001;
const EXAMPLE_FRAMES = 8;

function melody(rng: Rng): { notes: ScoreNote[]; seconds: number } {
  const notes = randomMelody(rng, { ...TASK, seconds: 8 * 0.6 * 2 + 1 }).slice(0, 8);
  const end = notes.reduce((t, n) => Math.max(t, n.end), 0);
  return { notes, seconds: end + 0.6 };
}

/** One melody through the piano and a room with background noise at 0–20 dB SNR (10 dB the mean,
 *  the write-up's "background noise"); audio at the model's rate. */
function scene(rng: Rng, speech: readonly Float32Array[] = []) {
  const m = melody(rng);
  const audio = new Float32Array(Math.ceil((m.seconds + 0.4) * MODEL_RATE));
  const shifted = m.notes.map((n) => ({ ...n, start: n.start + 0.4, end: n.end + 0.4 }));
  renderPiano(shifted, PIANO, MODEL_RATE, audio, rng, 0);
  return applyConditions(rng, audio, shifted, 'synth', { snrDb: uniform(rng, 0, 20), reverbProbability: 0.2 }, speech);
}

const card = { frontEnd: 'raw' as const, modelRate: MODEL_RATE, ...NEW_MODEL_WINDOW };

function makeExamples(rng: Rng): KindExample[] {
  const s = scene(rng);
  const { features, frames } = sceneFeatures(s.audio, card);
  const labels = frameLabels(s.notes, frames, card);
  const size = features.length / frames;
  const out: KindExample[] = [];
  for (let f = 0; f + EXAMPLE_FRAMES <= frames; f += EXAMPLE_FRAMES) {
    out.push({
      features: features.slice(f * size, (f + EXAMPLE_FRAMES) * size), kind: 'plain',
      classes: labels.classes.slice(f, f + EXAMPLE_FRAMES), onsets: labels.onsets.slice(f, f + EXAMPLE_FRAMES),
    });
  }
  return out;
}

function worker(): void {
  const { outDir, seed, melodies, index } =
    workerData as { outDir: string; seed: number; melodies: number; index: number };
  const rng = makeRng(seed * 7919 + index * 104729 + 5);
  for (let done = 0, shard = 0; done < melodies; shard++) {
    const batch: KindExample[] = [];
    for (let k = 0; k < 32 && done < melodies; k++, done++) batch.push(...makeExamples(rng));
    const bytes = encodeShard(batch, { frames: EXAMPLE_FRAMES, featureSize: batch[0].features.length / EXAMPLE_FRAMES,
      frontEnd: 'raw', seed });
    writeShard(outDir, `writeup-s${seed}-w${index}-${String(shard).padStart(5, '0')}`, bytes);
  }
  parentPort!.postMessage(melodies);
}

async function make(outDir: string, seed: number, melodies: number, workers: number): Promise<void> {
  const each = Math.ceil(melodies / workers);
  await Promise.all(Array.from({ length: workers }, (_, index) => new Promise<void>((resolve, reject) => {
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: { outDir, seed, melodies: each, index } });
    w.on('error', reject);
    w.on('exit', () => resolve());
  })));
  process.stderr.write(`${workers * each} melodies of the write-up's task in ${outDir}\n`);
}

async function evaluateTask(modelDir: string, melodies: number, seed: number): Promise<void> {
  const { resolveConfig } = await import('../lib/config.js');
  const { loadEngine, transcribe } = await import('../lib/pipeline/transcriber.js');
  const { addMelody, emptyCounts, scores } = await import('../lib/eval/metrics.js');
  const { evaluate, encodeS16le } = await import('../lib/eval/evaluate.js');
  const engine = await loadEngine(resolveConfig({ modelDir }));
  const rng = makeRng(seed);
  const counts = emptyCounts();
  let right = 0, frames = 0;
  for (let i = 0; i < melodies; i++) {
    const s = scene(rng);
    const pcm = encodeS16le([s.audio]);
    const est = await transcribe(pcm, { engine, sampleRate: MODEL_RATE, channels: 1, encoding: 's16le' });
    addMelody(counts, s.notes, est);
    // Per-window accuracy from the notes reported: the class each frame would get from them.
    const n = Math.floor(s.audio.length / card.hopSamples);
    const truth = frameLabels(s.notes, n, card).classes;
    const said = frameLabels(est.map((x) => ({ ...x, velocity: 64 })), n, card).classes;
    for (let k = 0; k < n; k++) { frames++; if (truth[k] === said[k]) right++; }
  }
  const sc = scores(counts);
  // The same model on eval's write-up condition: the task's melodies, but FluidR3's keyboards and the
  // synthesizer's held-out voices (other pianos), 10 dB, any input rate (lib/eval/evaluate.ts).
  const other = (await evaluate(engine, { scale: 0.5, firstConditions: 1 })).conditions[0];
  console.log(`| ${engine.card.name} (${engine.card.network}) | ${melodies} | ${sc.f1.toFixed(3)} | ` +
    `${sc.exactShare.toFixed(3)} | ${(right / frames).toFixed(3)} | ${other.scores.f1.toFixed(3)} | ` +
    `${other.scores.exactShare.toFixed(3)} |`);
}

if (!isMainThread) worker();
else {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seed: { type: 'string' }, melodies: { type: 'string' },
      workers: { type: 'string', default: String(availableParallelism()) },
    },
  });
  const [mode, dir] = positionals;
  if (mode === 'make' && dir) {
    await make(dir, Number(values.seed ?? 1), Number(values.melodies ?? 2000), Number(values.workers));
  } else if (mode === 'eval' && dir) {
    await evaluateTask(dir, Number(values.melodies ?? 100), Number(values.seed ?? EVAL_SEED));
  } else {
    process.stderr.write('usage: writeup-task.js make OUT_DIR [--seed N] [--melodies N] | ' +
      'eval MODEL_DIR [--melodies N]\n');
    process.exit(2);
  }
}
