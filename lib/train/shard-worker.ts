// Data worker for the PyTorch trainer: makes examples of every scene kind and writes them as shards
// (lib/train/shards.ts) until it has written its share or is stopped.
import { parentPort, workerData } from 'node:worker_threads';
import { unlinkSync } from 'node:fs';
import path from 'node:path';
import { makeRng } from '../synth/random.js';
import { MODEL_RATE } from '../music.js';
import { NEW_MODEL_WINDOW } from '../model/card.js';
import { makeSpeech } from './sources.js';
import { drawKind, makeKindExample, makeKindRenders, withNoiseShare, type KindExample } from './scenes.js';
import { encodeShard, writeShard, type ShardWorkerSetup } from './shards.js';

const s = workerData as ShardWorkerSetup;
const log = (text: string) => parentPort!.postMessage({ type: 'log', text });
// Seeds far apart per worker: one run's workers never share a random stream.
const rng = makeRng(s.seed * 7919 + s.index * 104729 + 17);
const started = Date.now();
const speech = makeSpeech(rng, 40, s.voices);
const renders = makeKindRenders(rng, s.renders, s.renderSeconds, undefined, {
  freepatsShare: s.freepatsShare, colour: s.colour,
});
const loadSeconds = ((Date.now() - started) / 1000).toFixed(0);
const byFreepats = renders.filter((r) => r.source?.startsWith('freepats')).length;
const fluidRenders = renders.length - byFreepats;
log(`${speech.length} speech clips, ${fluidRenders} FluidR3 and ${byFreepats} freepats renders in ${loadSeconds} s`);
// New models' framing (card.ts): shards are for training new models.
const card = { frontEnd: s.frontEnd, modelRate: MODEL_RATE, ...NEW_MODEL_WINDOW };
const prefix = `s${s.seed}-w${s.index}-`;
const mix = withNoiseShare(s.noiseShare);
const written: string[] = [];
let made = 0;
for (let n = 0; n < s.shards; n++) {
  const t0 = Date.now();
  const batch: KindExample[] = [];
  while (batch.length < s.shardSize) {
    try {
      const kind = drawKind(rng, mix);
      const options = { fluidShare: s.fluidShare, colour: s.colour, noiseKinds: s.noiseKinds };
      batch.push(makeKindExample(rng, kind, s.frames, s.warmupFrames, options, renders, speech, card));
    } catch (err) {
      // One bad draw must not stop the data: say so and make the next one.
      log(`example failed, skipped: ${(err as Error).message}`);
    }
  }
  made += batch.length;
  const name = `${prefix}${String(n).padStart(6, '0')}`;
  const featureSize = batch[0].features.length / s.frames;
  writeShard(s.outDir, name, encodeShard(batch, { frames: s.frames, featureSize, frontEnd: s.frontEnd, seed: s.seed }));
  written.push(name);
  if (s.keep > 0 && written.length > s.keep) {
    try { unlinkSync(path.join(s.outDir, `${written.shift()}.shard`)); } catch { /* the trainer may hold it; fine */ }
  }
  log(`shard ${name}: ${batch.length} examples, ${(batch.length / ((Date.now() - t0) / 1000)).toFixed(1)} examples/s`);
}
log(`done: ${made} examples`);
