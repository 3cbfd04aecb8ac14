// Per-stream objects that own a WebAssembly memory (the resampler, the feature extractor), kept when
// their stream ends for the next stream to take: a batch of files in one process made a memory per
// file, freed only by a full GC, so peak RSS grew with the number of files.

export class IdlePool<T extends { reset(): void }> {
  private readonly idle = new Map<string, T[]>();

  /** One kept for `key`, or a new one from `make`. */
  take(key: string, make: () => T): T {
    return this.idle.get(key)?.pop() ?? make();
  }

  /** Resets `item` (its stream is over) and keeps it for the next stream under `key`. */
  give(key: string, item: T): void {
    item.reset();
    const kept = this.idle.get(key);
    if (kept) kept.push(item);
    else this.idle.set(key, [item]);
  }
}
