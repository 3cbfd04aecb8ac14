// Stream stage: feature batches → class and onset probabilities, state carried across batches.
import type { FrameBatch } from './features.js';
import { NUM_CLASSES, type FrameClassifier } from './kernel.js';

export interface ScoredBatch extends FrameBatch {
  probs: Float32Array; // count × NUM_CLASSES
  onsets: Float32Array; // count
}

export function classify(classifier: FrameClassifier) {
  return async function* (src: AsyncIterable<FrameBatch>): AsyncGenerator<ScoredBatch> {
    for await (const b of src) {
      const probs = new Float32Array(b.count * NUM_CLASSES);
      const onsets = new Float32Array(b.count);
      await classifier.run(b.features, b.count, probs, onsets);
      yield { ...b, probs, onsets };
    }
  };
}
