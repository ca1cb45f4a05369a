/**
 * Green `fs.createReadStream` / `fs.createWriteStream`: a stream created inside a green thread is
 * owned by it (destroyed if the thread is interrupted, forgotten once it closes). Its own file
 * operations are Node's (it gets Node's `fs` as its `fs` option unless the caller gave one), so
 * that an interruption reaches the stream once, through its owner, and never as a surprise
 * `error` event; a read stream of a FIFO or terminal reads it through a pipe or TTY handle (see
 * blocking.ts). An fd handed to a stream that will close it stops being owned as an fd.
 */
import fs from 'node:fs';
import { hub } from '../../hub.js';
import { cancelReadsOnDestroy, streamFs } from './blocking.js';
import { forgetFd } from './fds.js';
import { markStreamed } from './filehandle.js';
import { nativeFs } from './natives.js';
import { ownStream } from './resources.js';
import { greenFunction } from '../greening.js';

interface StreamOptions {
  fd?: unknown;
  fs?: unknown;
  autoClose?: unknown;
}

/** Ownership bookkeeping for the `fd` option (in and out of green scopes). */
function noteFd(options: unknown): void {
  if (options === null || typeof options !== 'object') return;
  const { fd, autoClose } = options as StreamOptions;
  if (fd !== null && typeof fd === 'object') markStreamed(fd);
  else if (autoClose !== false) forgetFd(fd);
}

/**
 * The caller's options with `fsToUse` in them (left alone when Node would reject them, or when
 * they name an `fs` of their own). A read stream of a path from its start, with the default flag,
 * gets {@link streamFs}, which reads a FIFO or terminal without the thread pool; any other stream
 * gets Node's own `fs`.
 */
function withNativeFs(options: unknown, reading: boolean): unknown {
  const fsToUse = reading && fromPathStart(options) ? streamFs : nativeFs;
  if (options === undefined || options === null) return { fs: fsToUse };
  if (typeof options === 'string') return { encoding: options, fs: fsToUse };
  if (typeof options !== 'object' || Array.isArray(options)) return options;
  const { fd, fs: custom } = options as StreamOptions;
  if (custom !== undefined || (fd !== null && typeof fd === 'object')) return options;
  return { ...options, fs: fsToUse };
}

/** True for read-stream options that open a path with the default flag and read it from its start. */
function fromPathStart(options: unknown): boolean {
  if (options === undefined || options === null || typeof options === 'string') return true;
  if (typeof options !== 'object') return false;
  const { fd, flags, start } = options as StreamOptions & { flags?: unknown; start?: unknown };
  return (fd === undefined || fd === null) && (flags === undefined || flags === 'r') && start === undefined;
}

type Create<S> = (this: unknown, path: unknown, options?: unknown) => S;

function greenCreate<S extends fs.ReadStream | fs.WriteStream>(native: Create<S>, reading: boolean): Create<S> {
  return greenFunction(native, function (this: unknown, ...args: unknown[]) {
    noteFd(args[1]);
    const scope = hub.ownerScope();
    if (!scope) return native.apply(this, args as [unknown, unknown]);
    const callArgs = [...args];
    callArgs[1] = withNativeFs(args[1], reading);
    const stream = native.apply(this, callArgs as [unknown, unknown]);
    if ((callArgs[1] as StreamOptions | undefined)?.fs === streamFs) cancelReadsOnDestroy(stream as fs.ReadStream);
    ownStream(scope, stream);
    return stream;
  });
}

/**
 * Green `fs.createReadStream`: owned by the green thread that creates it; a FIFO or terminal is
 * read through a pipe or TTY handle, never on a thread-pool thread (see blocking.ts).
 * @example createReadStream('big.log').pipe(process.stdout);
 */
export const createReadStream = greenCreate(nativeFs.createReadStream as Create<fs.ReadStream>, true) as typeof fs.createReadStream;

/**
 * Green `fs.createWriteStream`: owned by the green thread that creates it.
 * @example const out = createWriteStream('out.log', { flags: 'a' });
 */
export const createWriteStream = greenCreate(nativeFs.createWriteStream as Create<fs.WriteStream>, false) as typeof fs.createWriteStream;
