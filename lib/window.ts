// Overlapping windows over the mono stream at the model's rate, sized by its card.

/** Window and hop in samples at the model's rate (card.ts). */
export interface Framing {
  windowSamples: number;
  hopSamples: number;
}

/** Where in its window a frame "is": 3/4 of the way in. The newest quarter of a Hann window is
 *  weighted too lightly to hear an onset, so this is the earliest point the window can vouch for.
 *  Frame k's reference is sample k·hop, so frame times are exact multiples of the hop. */
export function referenceOffset(windowSamples: number): number {
  return Math.floor((windowSamples * 3) / 4);
}

/** A window of samples plus its frame index (frame k is at k·hop samples of stream time). */
export interface Window {
  index: number;
  samples: Float32Array;
}

/**
 * Slides a window of `windowSamples` by `hopSamples`. The stream is preceded by silence so that the
 * first frame is at time 0, and followed by silence at the end so that every sample of input lies
 * at or before some frame's reference point.
 */
export class Windower {
  private readonly buf: Float32Array;
  private filled: number;
  private index = 0;
  private inputSamples = 0;
  constructor(private readonly cfg: Framing) {
    this.buf = new Float32Array(cfg.windowSamples);
    this.filled = referenceOffset(cfg.windowSamples);
  }

  /** Calls `emit` for each complete window; `samples` is reused, so copy what you keep. */
  push(chunk: Float32Array, emit: (w: Window) => void): void {
    this.inputSamples += chunk.length;
    this.feed(chunk, emit);
  }

  private feed(chunk: Float32Array, emit: (w: Window) => void): void {
    const { buf } = this;
    const hop = this.cfg.hopSamples;
    for (let i = 0; i < chunk.length; ) {
      const n = Math.min(buf.length - this.filled, chunk.length - i);
      buf.set(chunk.subarray(i, i + n), this.filled);
      this.filled += n; i += n;
      if (this.filled === buf.length) {
        emit({ index: this.index++, samples: buf });
        buf.copyWithin(0, hop); // keep the overlap
        this.filled -= hop;
      }
    }
  }

  /** Pads with silence until the last input sample has had its frame. */
  flush(emit: (w: Window) => void): void {
    const hop = this.cfg.hopSamples;
    const frames = Math.ceil(this.inputSamples / hop);
    const zeros = new Float32Array(hop);
    while (this.index < frames) this.feed(zeros.subarray(0, Math.min(hop, this.buf.length - this.filled)), emit);
  }

  get framesEmitted(): number {
    return this.index;
  }

  /** Total input samples seen: end-of-stream time is this / the model's rate. */
  get samplesSeen(): number {
    return this.inputSamples;
  }
}

/** Windows of one input chunk, packed: `count` × windowSamples, frames firstIndex… */
export interface WindowBatch {
  firstIndex: number;
  count: number;
  samples: Float32Array;
  /** Set on the last batch: seconds of input in all (stream time at end of input). */
  endSeconds?: number;
}

/** Stream stage: mono chunks at the model's rate → batches of windows, one batch per chunk. */
export function windows(cfg: Framing & { modelRate: number }) {
  return async function* (src: AsyncIterable<Float32Array>): AsyncGenerator<WindowBatch> {
    const windower = new Windower(cfg);
    let packed = new Float32Array(cfg.windowSamples * 16);
    let count = 0, firstIndex = 0;
    const collect = (w: Window) => {
      if (count === 0) firstIndex = w.index;
      if ((count + 1) * cfg.windowSamples > packed.length) {
        const grown = new Float32Array(packed.length * 2);
        grown.set(packed);
        packed = grown;
      }
      packed.set(w.samples, count * cfg.windowSamples);
      count++;
    };
    const take = (): WindowBatch => {
      const batch = { firstIndex, count, samples: packed.slice(0, count * cfg.windowSamples) };
      count = 0;
      return batch;
    };
    for await (const chunk of src) {
      windower.push(chunk, collect);
      if (count) yield take();
    }
    windower.flush(collect);
    const endSeconds = windower.samplesSeen / cfg.modelRate;
    yield { ...take(), firstIndex: count ? firstIndex : windower.framesEmitted, endSeconds };
  };
}
