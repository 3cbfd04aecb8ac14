// Overlapping windows over the mono stream at the model's rate, sized by its card.

import { referenceOffset, type FrontEndName } from './frontends.js';

/** Window and hop in samples at the model's rate (card.ts), and the front end that hears them (its
 *  window sets where in the window a frame is: frontends.ts referenceOffset). */
export interface Framing {
  windowSamples: number;
  hopSamples: number;
  frontEnd: FrontEndName;
}

/** A window of samples plus its frame index (frame k is at k·hop samples of stream time). */
export interface Window {
  index: number;
  samples: Float32Array;
}

/** Consecutive windows as one stretch of samples: window i is samples[i·stride, i·stride + window). */
export interface WindowSpan {
  firstIndex: number;
  count: number;
  samples: Float32Array;
}

/**
 * Slides a window of `windowSamples` by `hopSamples`. The stream is preceded by silence so that the
 * first frame is at time 0, and followed by silence at the end so that every sample of input lies
 * at or before some frame's reference point. Windows are read where they lie in the stream, not
 * copied out one by one: consecutive windows overlap by 7/8 at the default sizes.
 */
export class Windower {
  private buf: Float32Array; // the stream from the next window's first sample on
  private filled: number;
  private consumed = 0; // samples the last span's windows are done with, dropped on the next call
  private index = 0;
  private inputSamples = 0;
  constructor(private readonly cfg: Framing) {
    this.buf = new Float32Array(2 * cfg.windowSamples);
    this.filled = referenceOffset(cfg.windowSamples, cfg.frontEnd);
  }

  /** Appends a chunk; returns the windows now complete, as a span valid until the next call. */
  pushSpan(chunk: Float32Array): WindowSpan {
    this.inputSamples += chunk.length;
    this.append(chunk);
    return this.take(Infinity);
  }

  /** Pads with silence until the last input sample has had its frame; returns those last windows. */
  flushSpan(): WindowSpan {
    const { windowSamples: size, hopSamples: hop } = this.cfg;
    const left = Math.ceil(this.inputSamples / hop) - this.index;
    if (left <= 0) return this.take(0);
    this.drop();
    const need = (left - 1) * hop + size;
    if (this.filled < need) this.append(new Float32Array(need - this.filled));
    return this.take(left);
  }

  /** Calls `emit` for each complete window; `samples` is a view into the stream, so copy what you keep. */
  push(chunk: Float32Array, emit: (w: Window) => void): void {
    this.each(this.pushSpan(chunk), emit);
  }

  /** Pads with silence until the last input sample has had its frame. */
  flush(emit: (w: Window) => void): void {
    this.each(this.flushSpan(), emit);
  }

  private each(s: WindowSpan, emit: (w: Window) => void): void {
    const { windowSamples: size, hopSamples: hop } = this.cfg;
    for (let i = 0; i < s.count; i++) {
      emit({ index: s.firstIndex + i, samples: s.samples.subarray(i * hop, i * hop + size) });
    }
  }

  private drop(): void {
    if (!this.consumed) return;
    this.buf.copyWithin(0, this.consumed, this.filled);
    this.filled -= this.consumed;
    this.consumed = 0;
  }

  private append(chunk: Float32Array): void {
    this.drop();
    if (this.filled + chunk.length > this.buf.length) {
      const grown = new Float32Array(Math.max(2 * this.buf.length, this.filled + chunk.length));
      grown.set(this.buf.subarray(0, this.filled));
      this.buf = grown;
    }
    this.buf.set(chunk, this.filled);
    this.filled += chunk.length;
  }

  private take(limit: number): WindowSpan {
    const { windowSamples: size, hopSamples: hop } = this.cfg;
    const count = this.filled < size ? 0 : Math.min(limit, Math.floor((this.filled - size) / hop) + 1);
    const span = { firstIndex: this.index, count, samples: this.buf.subarray(0, count ? (count - 1) * hop + size : 0) };
    this.index += count;
    this.consumed = count * hop;
    return span;
  }

  get framesEmitted(): number {
    return this.index;
  }

  /** Total input samples seen: end-of-stream time is this / the model's rate. */
  get samplesSeen(): number {
    return this.inputSamples;
  }
}

/** Windows of one input chunk: `count` windows from frame firstIndex on, window i at
 *  samples[i·stride, i·stride + windowSamples). */
export interface WindowBatch {
  firstIndex: number;
  count: number;
  samples: Float32Array;
  stride: number;
  /** Set on the last batch: seconds of input in all (stream time at end of input). */
  endSeconds?: number;
}

/** Stream stage: mono chunks at the model's rate → batches of windows, one batch per chunk. */
export function windows(cfg: Framing & { modelRate: number }) {
  return async function* (src: AsyncIterable<Float32Array>): AsyncGenerator<WindowBatch> {
    const windower = new Windower(cfg);
    const stride = cfg.hopSamples;
    for await (const chunk of src) {
      const s = windower.pushSpan(chunk);
      if (s.count) yield { firstIndex: s.firstIndex, count: s.count, samples: s.samples.slice(), stride };
    }
    const s = windower.flushSpan();
    const endSeconds = windower.samplesSeen / cfg.modelRate;
    yield { firstIndex: s.firstIndex, count: s.count, samples: s.samples.slice(), stride, endSeconds };
  };
}
