// Stream stage: feature batches → class, onset (and offset) probabilities, state carried across batches.
import type { FrameBatch } from './frontends.js';
import { NUM_CLASSES } from '../model/card.js';
import type { FrameClassifier } from '../model/kernels.js';

export interface ScoredBatch extends FrameBatch {
  probs: Float32Array; // count × NUM_CLASSES
  onsets: Float32Array; // count
  offsets?: Float32Array; // count, where the model has the offset head
}

/** One classifier per stream, made when the stream starts and disposed when it ends or fails: the
 *  tfjs path holds a stateful copy of the model per stream. */
export function classify(newClassifier: () => FrameClassifier, offsetHead = false) {
  return async function* (src: AsyncIterable<FrameBatch>): AsyncGenerator<ScoredBatch> {
    const classifier = newClassifier();
    try {
      for await (const b of src) {
        const probs = new Float32Array(b.count * NUM_CLASSES);
        const onsets = new Float32Array(b.count);
        const offsets = offsetHead ? new Float32Array(b.count) : undefined;
        await classifier.run(b.features, b.count, probs, onsets, offsets);
        yield { ...b, probs, onsets, ...(offsets ? { offsets } : {}) };
      }
    } finally {
      classifier.dispose();
    }
  };
}
