// Where the notes go: stdout or a file, every byte written or the error reported.
import { once } from 'node:events';
import { fstatSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * Writes every byte of each chunk to a file descriptor, or fails. Node's own stdout for a file or
 * device writes with writeSync and ignores a short count: on a nearly full disk a 5,492-byte MIDI
 * file kept its first 4,096 bytes and the run exited 0. A short write is retried, so the next
 * attempt reports the error (ENOSPC, EFBIG, EIO).
 */
class FdSink extends Writable {
  constructor(private readonly fd: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    try {
      for (let off = 0; off < chunk.length;) {
        const n = writeSync(this.fd, chunk, off, chunk.length - off);
        if (n <= 0) throw Object.assign(new Error('EIO: write made no progress'), { code: 'EIO' });
        off += n;
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}

let stdout: Writable | null = null;

/** stdout as a Writable that reports every failed write: a pipe or terminal is Node's own stream
 *  (which writes in full, asynchronously); a file or device is an FdSink. One per process. */
export function stdoutSink(): Writable {
  if (stdout) return stdout;
  let st;
  try { st = fstatSync(1); } catch { st = null; }
  const direct = st !== null && !process.stdout.isTTY && (st.isFile() || st.isBlockDevice() || st.isCharacterDevice());
  stdout = direct ? new FdSink(1) : process.stdout;
  return stdout;
}

/**
 * The last stage of a pipeline that writes into a sink it must not end (stdout, shared by every
 * input): honours backpressure, and resolves only once the sink has taken every chunk, rejecting
 * with its write error. Unlike handing `sink` to pipeline, it leaves no listeners on it, so a
 * thousand inputs do not pile up a thousand (MaxListenersExceededWarning, and the stages they hold).
 */
export function writeTo(sink: Writable) {
  return async function (src: AsyncIterable<string | Uint8Array>): Promise<void> {
    let failed: Error | null = null;
    const onWritten = (err?: Error | null) => { if (err) failed ??= err; };
    for await (const chunk of src) {
      if (failed) throw failed;
      if (!sink.write(chunk, onWritten)) await once(sink, 'drain');
    }
    await flushed(sink);
    if (failed) throw failed;
  };
}

/** Resolves once everything written to `sink` so far is out of our hands; rejects with a write error. */
export function flushed(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sink.destroyed) { reject(Object.assign(new Error('output closed'), { code: 'ERR_STREAM_DESTROYED' })); return; }
    sink.write('', (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Lines of text to stdout for the subcommands that write as they go (match, eval): every write
 * goes through stdoutSink, so a full disk or a closed pipe is an error rather than output lost with
 * exit 0. `write` throws once a write has failed; `close` resolves when every line is out of our
 * hands, or rejects with the first write error.
 */
export function checkedStdout(): { write(text: string): void; close(): Promise<void> } {
  const sink = stdoutSink();
  let failed: Error | null = null;
  // A sink that fails is destroyed and emits 'error'; the callback below reports it, so the event
  // itself must not crash the process as an unhandled one.
  if (sink !== process.stdout && sink.listenerCount('error') === 0) sink.on('error', () => {});
  return {
    write(text: string) {
      if (failed) throw failed;
      sink.write(text, (err) => { if (err) failed ??= err; });
    },
    async close() {
      if (!failed) await flushed(sink).catch((err: Error) => { failed ??= err; });
      if (failed) throw failed;
    },
  };
}
