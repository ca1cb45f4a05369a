/**
 * Reading files that can block for ever — FIFOs and terminals — without the thread pool.
 *
 * Node reads every file through libuv's thread pool (four threads by default). Opening or reading
 * a FIFO nobody writes to, or a terminal nobody types in, holds one pool thread until data comes;
 * interrupting the green thread that asked cannot free it, and four such reads stall every other
 * fs, crypto and `getaddrinfo` call of the process and keep it from exiting. So inside green
 * threads `readFile` and `createReadStream` of such a file (by path, with the default `'r'` flag)
 * open it non-blocking (which returns at once) and read it through a pipe or TTY handle on the
 * event loop, as a socket is read: an interruption destroys the handle, closing the file at once.
 * A regular file, and any call this module does not recognise, is read by Node's own functions.
 */
import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import type { Readable } from 'node:stream';
import { ignore, nativeFs } from './natives.js';
import { whenAborted } from '../../signals.js';

const { O_RDONLY, O_NONBLOCK } = fs.constants;

/** The arguments Node passes to a `readFile` callback. */
type Done = (err: unknown, data?: Buffer | string) => void;

/** What a plain read asks for: its encoding (`null` for a Buffer) and the signal that aborts it. */
export interface PlainRead {
  encoding: BufferEncoding | null;
  signal: AbortSignal | undefined;
}

/**
 * The encoding and signal of a `readFile(path, options)` call this module can serve (a path, the
 * `'r'` flag, a known encoding), or `null` for a call Node's own function must serve (an fd, a
 * FileHandle, another flag, or arguments Node would reject with its own error).
 * @example plainRead('/run/app.fifo', 'utf8') // { encoding: 'utf8', signal: undefined }
 */
export function plainRead(file: unknown, options: unknown): PlainRead | null {
  if (typeof file !== 'string' && !Buffer.isBuffer(file) && !(file instanceof URL && file.protocol === 'file:')) return null;
  if (options === undefined || options === null) return { encoding: null, signal: undefined };
  if (typeof options === 'string') return Buffer.isEncoding(options) ? { encoding: options, signal: undefined } : null;
  if (typeof options !== 'object') return null;
  const { encoding = null, flag = 'r', signal } = options as { encoding?: unknown; flag?: unknown; signal?: unknown };
  if (flag !== 'r' || (encoding !== null && (typeof encoding !== 'string' || !Buffer.isEncoding(encoding)))) return null;
  if (signal !== undefined && !(signal instanceof AbortSignal)) return null;
  return { encoding: encoding as BufferEncoding | null, signal };
}

/** Opens `path` as a pipe or TTY handle if it is a FIFO or a terminal; `null` for any other file (or an error, left to Node to report). */
function openWithoutPool(path: fs.PathLike, callback: (handle: Readable | null, fd?: number) => void): void {
  nativeFs.stat(path, (err, stats) => {
    if (err || !(stats.isFIFO() || stats.isCharacterDevice())) return callback(null);
    nativeFs.open(path, O_RDONLY | O_NONBLOCK, (openErr, fd) => {
      if (openErr) return callback(null);
      if (stats.isCharacterDevice() && !tty.isatty(fd)) {
        nativeFs.close(fd, ignore); // a device that is no terminal (/dev/zero, /dev/urandom) does not wait
        return callback(null);
      }
      let handle: Readable;
      try {
        handle = tty.isatty(fd) ? new tty.ReadStream(fd) : new net.Socket({ fd, readable: true, writable: false });
      } catch {
        nativeFs.close(fd, ignore);
        return callback(null);
      }
      callback(handle, fd);
    });
  });
}

/**
 * Reads the file at `path` as `readFile` would: through a pipe or TTY handle when it is a FIFO or
 * a terminal, with `fallback()` (Node's own `readFile`, which then calls `done`) otherwise.
 * @example readWithoutPool(path, read, () => nativeFs.readFile(path, options, done), done);
 */
export function readWithoutPool(path: fs.PathLike, read: PlainRead, fallback: () => void, done: Done): void {
  openWithoutPool(path, (handle) => (handle ? readHandle(handle, read, done) : fallback()));
}

/** Node's `AbortError` for a read aborted by the caller's own signal. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Reads a pipe or TTY handle to its end; destroying the handle closes its file. */
function readHandle(stream: Readable, { encoding, signal }: PlainRead, done: Done): void {
  if (signal?.aborted) {
    stream.destroy();
    return done(abortError(signal));
  }
  const chunks: Buffer[] = [];
  const stopListening = signal ? whenAborted(signal, () => void stream.destroy(abortError(signal))) : undefined;
  const finish = (err: unknown): void => {
    stopListening?.();
    stream.destroy();
    if (err) return done(err);
    const data = Buffer.concat(chunks);
    done(null, encoding ? data.toString(encoding) : data);
  };
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.once('end', () => finish(null));
  stream.once('error', finish);
}

type ReadCallback = (err: unknown, bytesRead?: number, buffer?: Buffer) => void;

/** A pipe or TTY handle serving an `fs.ReadStream`'s reads of its fd. */
class HandleReads {
  private ended = false;
  private error: unknown = null;
  private waiting: (() => void) | null = null;

  constructor(readonly handle: Readable) {
    handle.on('readable', () => this.wake());
    handle.once('end', () => ((this.ended = true), this.wake()));
    handle.once('error', (err) => ((this.error = err), this.wake()));
  }

  /** `fs.read` of up to `length` bytes: what has arrived, 0 at the end, or waits for data. */
  read(buffer: Buffer, offset: number, length: number, callback: ReadCallback): void {
    if (this.error) return callback(this.error);
    const chunk = this.handle.read() as Buffer | null;
    if (chunk) {
      const n = Math.min(length, chunk.length);
      chunk.copy(buffer, offset, 0, n);
      if (n < chunk.length) this.handle.unshift(chunk.subarray(n));
      return callback(null, n, buffer);
    }
    if (this.ended) return callback(null, 0, buffer);
    this.waiting = () => this.read(buffer, offset, length, callback);
  }

  /** Ends a read waiting for data with 0 bytes: its stream is being destroyed and waits for it. */
  cancel(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.ended = true;
    this.wake();
  }

  /** `fs.close`: destroys the handle, which closes the file; calls back once it has. */
  close(callback: (err: unknown) => void): void {
    this.waiting = null;
    if (this.handle.closed) return process.nextTick(callback, null);
    this.handle.once('close', () => callback(null));
    this.handle.destroy();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}

/** The fds of FIFOs and terminals that green read streams read through a handle. */
const handles = new Map<number, HandleReads>();

type OpenCallback = (err: unknown, fd?: number) => void;

/**
 * The `fs` a green `createReadStream` of a path gives its `fs.ReadStream` inside green threads:
 * Node's own `open`, `read` and `close`, except that a FIFO or a terminal is opened non-blocking
 * and read through a pipe or TTY handle, so a stream destroyed by an interruption closes it at
 * once and no thread-pool thread waits on it.
 * @example nativeFs.createReadStream(path, { fs: streamFs });
 */
export const streamFs = {
  open(path: fs.PathLike, flags: unknown, mode: unknown, callback: OpenCallback): void {
    if (flags !== 'r' && flags !== O_RDONLY) return void nativeFs.open(path, flags as fs.OpenMode, mode as fs.Mode, callback);
    openWithoutPool(path, (handle, fd) => {
      if (!handle) return void nativeFs.open(path, flags as fs.OpenMode, mode as fs.Mode, callback);
      handles.set(fd!, new HandleReads(handle));
      callback(null, fd);
    });
  },
  read(fd: number, buffer: Buffer, offset: number, length: number, position: fs.ReadPosition | null, callback: ReadCallback): void {
    const reads = handles.get(fd);
    if (reads) return reads.read(buffer, offset, length, callback);
    nativeFs.read(fd, buffer, offset, length, position, callback);
  },
  close(fd: number, callback: (err: unknown) => void): void {
    const reads = handles.get(fd);
    if (!reads) return nativeFs.close(fd, callback);
    handles.delete(fd);
    reads.close(callback);
  },
};

type Destroy = (this: fs.ReadStream, err: Error | null, callback: (err?: Error | null) => void) => void;

/**
 * Makes `stream` (created with {@link streamFs}) end a read that waits for data when it is
 * destroyed: Node's `ReadStream` closes its fd only after the read in progress has completed,
 * which for a FIFO nobody writes to would be never.
 * @example cancelReadsOnDestroy(nativeFs.createReadStream(path, { fs: streamFs }));
 */
export function cancelReadsOnDestroy(stream: fs.ReadStream): void {
  const destroy = (stream as unknown as { _destroy: Destroy })._destroy;
  Object.defineProperty(stream, '_destroy', {
    value: function (this: fs.ReadStream, err: Error | null, callback: (err?: Error | null) => void) {
      const fd = (this as unknown as { fd: unknown }).fd;
      if (typeof fd === 'number') handles.get(fd)?.cancel();
      destroy.call(this, err, callback);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
