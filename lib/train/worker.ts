// Data worker: keeps its own renders and speech, sends examples to the trainer on request.
import { parentPort, workerData } from 'node:worker_threads';
import { makeRng } from '../synth/random.js';
import { makeExample } from './dataset.js';
import type { ExampleCard } from './dataset.js';
import { makeRenders, makeSpeech } from './sources.js';

export interface WorkerSetup {
  seed: number;
  frames: number;
  warmupFrames: number;
  renders: number;
  renderSeconds: number;
  speechClips: number;
  fluidShare: number;
  /** The model's framing and front end. */
  card: ExampleCard;
}

const setup = workerData as WorkerSetup;
const rng = makeRng(setup.seed);
const speech = makeSpeech(rng, setup.speechClips);
parentPort!.postMessage({ type: 'ready-speech', clips: speech.length });
const renders = makeRenders(rng, setup.renders, setup.renderSeconds);
parentPort!.postMessage({ type: 'ready', renders: renders.length });

let credit = 0;
let busy = false;
parentPort!.on('message', (m: { type: string; n: number }) => {
  if (m.type === 'want') { credit += m.n; if (!busy) produce(); }
  if (m.type === 'stop') process.exit(0);
});

function produce(): void {
  busy = true;
  while (credit > 0) {
    credit--;
    let ex;
    try {
      const opts = { fluidShare: setup.fluidShare };
      ex = makeExample(rng, setup.frames, setup.warmupFrames, opts, renders, speech, setup.card);
    } catch (err) {
      // One bad draw must not stop the data: report it and make the next one.
      parentPort!.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
      credit++;
      continue;
    }
    const transfer = [ex.features.buffer, ex.classes.buffer, ex.onsets.buffer] as ArrayBuffer[];
    parentPort!.postMessage({ type: 'example', ex }, transfer);
  }
  busy = false;
}
