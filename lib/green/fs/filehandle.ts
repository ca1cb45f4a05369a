/**
 * Green `FileHandle` methods. Node does not export the FileHandle class, so its prototype is
 * learned from the first handle seen: any the green `fs.promises.open` returns, or one the module
 * opens on itself when the hub first runs (not at load: a pending open would keep the event loop
 * of a program that uses no green thread alive longer than Node's own). Until then the list of replacements is empty; listeners
 * registered with {@link onFileHandlePatches} receive it once known.
 *
 * Inside a green scope the promise methods (`read`, `write`, `stat`, `readFile`, …) are
 * cooperative points, and `readFile`/`writeFile`/`appendFile` are aborted through their signal.
 * `close` is an own property of each handle in Node, so it stays Node's own (a FileHandle's close
 * is quick, and ownership follows its `close` event). Handles read or written by a stream are
 * left to the stream: their operations are not cooperative points, so that an interruption never
 * surfaces as an `error` event of a stream nobody listens to (the stream itself is owned).
 */
import { fileURLToPath } from 'node:url';
import type { FileHandle } from 'node:fs/promises';
import { hub } from '../../hub.js';
import { greenPromise } from './functions.js';
import { ignore, nativePromises } from './natives.js';
import { ownStream } from './resources.js';
import { greenFunction, type Patch } from '../greening.js';

/** The promise methods made cooperative, with the index of the options that take a signal. */
const METHODS: Record<string, number | undefined> = {
  appendFile: 1,
  chmod: undefined,
  chown: undefined,
  datasync: undefined,
  read: undefined,
  readFile: 0,
  readv: undefined,
  stat: undefined,
  sync: undefined,
  truncate: undefined,
  utimes: undefined,
  write: undefined,
  writeFile: 1,
  writev: undefined,
};

/** The methods that create a stream over the handle. */
const STREAM_METHODS = ['createReadStream', 'createWriteStream'];

/** Handles a stream reads or writes: their methods are Node's own, even inside green scopes. */
const streamed = new WeakSet<object>();

type Method = (this: FileHandle, ...args: unknown[]) => unknown;

let patches: Patch[] | null = null;
const listeners: Array<(patches: Patch[]) => void> = [];

/**
 * Learns the FileHandle prototype from `handle` (the first call only) and hands the prototype's
 * replacements to the listeners.
 * @example nativePromises.open(path).then((handle) => learnFileHandle(handle));
 */
export function learnFileHandle(handle: FileHandle): void {
  if (patches) return;
  patches = prototypePatches(Object.getPrototypeOf(handle) as Record<string, unknown>);
  for (const listener of listeners.splice(0)) listener(patches);
}

/**
 * Calls `listener` with the FileHandle prototype's replacements once they are known (at once if
 * they are).
 * @example onFileHandlePatches((list) => patches.push(...list));
 */
export function onFileHandlePatches(listener: (patches: Patch[]) => void): void {
  if (patches) listener(patches);
  else listeners.push(listener);
}

/**
 * Marks a FileHandle as driven by a stream (see the module comment).
 * @example markStreamed(options.fd);
 */
export function markStreamed(handle: unknown): void {
  if (handle !== null && typeof handle === 'object') streamed.add(handle);
}

function prototypePatches(prototype: Record<string, unknown>): Patch[] {
  const list: Patch[] = [];
  for (const [name, signalAt] of Object.entries(METHODS)) {
    const native = prototype[name];
    if (typeof native === 'function') list.push({ target: prototype, key: name, value: cooperativeMethod(name, native as Method, signalAt) });
  }
  for (const name of STREAM_METHODS) {
    const native = prototype[name];
    if (typeof native === 'function') list.push({ target: prototype, key: name, value: streamMethod(native as Method) });
  }
  return list;
}

function cooperativeMethod(name: string, native: Method, signalAt: number | undefined): Method {
  const green = greenPromise(`fs FileHandle.${name}`, native, { signalAt });
  return greenFunction(native, function (this: FileHandle, ...args: unknown[]) {
    return (streamed.has(this) ? native : green).apply(this, args);
  });
}

function streamMethod(native: Method): Method {
  return greenFunction(native, function (this: FileHandle, ...args: unknown[]) {
    markStreamed(this);
    const stream = native.apply(this, args) as Parameters<typeof ownStream>[1];
    const scope = hub.ownerScope();
    if (scope) ownStream(scope, stream);
    return stream;
  });
}

/** Opens this module's own file once to meet a FileHandle, if none was met by then. */
function discover(): void {
  if (patches) return;
  nativePromises
    .open(fileURLToPath(import.meta.url))
    .then((handle) => {
      learnFileHandle(handle);
      return handle.close();
    })
    .catch(ignore);
}

hub.whenActive(discover);
