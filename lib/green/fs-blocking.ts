/**
 * Reading files that can block for ever — FIFOs and terminals — without the thread pool.
 *
 * Node reads every file through libuv's thread pool (four threads by default). Opening or reading
 * a FIFO nobody writes to, or a terminal nobody types in, holds one pool thread until data comes;
 * interrupting the green thread that asked cannot free it, and four such reads stall every other
 * fs, crypto and `getaddrinfo` call of the process and keep it from exiting. So inside green
 * threads `readFile` of such a file (by path, with the default `'r'` flag) opens it non-blocking
 * (which returns at once) and reads it through a pipe or TTY handle on the event loop, as a
 * socket is read: an interruption destroys the handle, closing the file at once. A regular file,
 * and any call this module does not recognise, is read by Node's own function.
 */
import fs from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import type { Readable } from 'node:stream';
import { ignore, nativeFs } from './fs-natives.js';

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

/**
 * Reads the file at `path` as `readFile` would: through a pipe or TTY handle when it is a FIFO or
 * a terminal, with `fallback()` (Node's own `readFile`, which then calls `done`) otherwise.
 * @example readWithoutPool(path, read, () => nativeFs.readFile(path, options, done), done);
 */
export function readWithoutPool(path: fs.PathLike, read: PlainRead, fallback: () => void, done: Done): void {
  nativeFs.stat(path, (err, stats) => {
    if (err || !(stats.isFIFO() || stats.isCharacterDevice())) return fallback();
    nativeFs.open(path, O_RDONLY | O_NONBLOCK, (openErr, fd) => {
      if (openErr) return fallback();
      if (stats.isCharacterDevice() && !tty.isatty(fd)) {
        nativeFs.close(fd, ignore); // a device that is no terminal (/dev/zero, /dev/urandom) does not wait
        return fallback();
      }
      readHandle(fd, read, done);
    });
  });
}

/** Node's `AbortError` for a read aborted by the caller's own signal. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Reads `fd` to its end through a pipe (FIFO) or TTY handle; the handle closes `fd`. */
function readHandle(fd: number, { encoding, signal }: PlainRead, done: Done): void {
  if (signal?.aborted) {
    nativeFs.close(fd, ignore);
    return done(abortError(signal));
  }
  let stream: Readable;
  try {
    stream = tty.isatty(fd) ? new tty.ReadStream(fd) : new net.Socket({ fd, readable: true, writable: false });
  } catch (err) {
    nativeFs.close(fd, ignore);
    return done(err);
  }
  const chunks: Buffer[] = [];
  const onAbort = (): void => void stream.destroy(abortError(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const finish = (err: unknown): void => {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
    if (err) return done(err);
    const data = Buffer.concat(chunks);
    done(null, encoding ? data.toString(encoding) : data);
  };
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.once('end', () => finish(null));
  stream.once('error', finish);
}
