/**
 * File resources other than raw fds owned by green scopes: FileHandles, Dirs, streams and
 * watchers. Each is released when its owner is interrupted (see {@link Claim}) and forgotten
 * when the owner releases it itself (a FileHandle, stream or watcher emits `close`; a Dir is
 * closed through the green `Dir.prototype.close`).
 */
import type { EventEmitter } from 'node:events';
import type { Dir, FSWatcher } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { type Scope } from '../../hub.js';
import { Claim } from '../claims.js';
import { ignore, nativeDir, nativeFs } from './natives.js';

/**
 * Owns a FileHandle: closed at once when `scope` is interrupted, forgotten when it closes.
 * @example nativePromises.open(path).then((handle) => (ownHandle(scope, handle), handle));
 */
export function ownHandle(scope: Scope, handle: FileHandle): void {
  const claim = new Claim(scope, 'interrupted', () => closeUnwantedHandle(handle));
  (handle as unknown as EventEmitter).once('close', () => claim.drop());
}

/**
 * Closes a FileHandle whose close nobody waits for.
 * @example discard: (handle) => closeUnwantedHandle(handle)
 */
export function closeUnwantedHandle(handle: FileHandle): void {
  handle.close().catch(ignore);
}

/**
 * Owns a stream: destroyed at once when `scope` is interrupted — with the interruption as the
 * error if someone listens for errors (a `pipeline`, a `for await`, `events.once`), so that they
 * stop waiting; without an error otherwise, so that nobody gets an unhandled `error` event.
 * @example ownStream(scope, nativeFs.createReadStream(path));
 */
export function ownStream(scope: Scope, stream: Readable | Writable): void {
  const destroy = (reason: unknown): void => {
    stream.destroy(stream.listenerCount('error') > 0 ? (reason as Error) : undefined);
  };
  const claim = new Claim(scope, 'interrupted', destroy);
  stream.once('close', () => claim.drop());
}

/**
 * Owns an `fs.watch` watcher: closed at once when `scope` is interrupted.
 * @example ownWatcher(scope, nativeFs.watch(dir));
 */
export function ownWatcher(scope: Scope, watcher: FSWatcher): void {
  const claim = new Claim(scope, 'interrupted', () => watcher.close());
  watcher.once('close', () => claim.drop());
}

/**
 * Owns an `fs.watchFile` listener: unwatched at once when `scope` is interrupted.
 * @example ownStatListener(scope, path, listener);
 */
export function ownStatListener(scope: Scope, filename: unknown, listener: unknown): void {
  const unwatch = nativeFs.unwatchFile as (filename: unknown, listener: unknown) => void;
  new Claim(scope, 'interrupted', () => unwatch(filename, listener));
}

/**
 * Owns an abortable operation (the `fs.promises.watch` iterator): aborted at once when `scope`
 * is interrupted.
 * @example ownAbortController(scope, controller);
 */
export function ownAbortController(scope: Scope, controller: AbortController): void {
  new Claim(scope, 'interrupted', (reason) => controller.abort(reason));
}

const dirClaims = new WeakMap<Dir, Claim>();

/**
 * Owns a Dir: closed once `scope` has ended after an interruption, unless closed before.
 * @example ownDir(scope, nativeFs.opendirSync(path));
 */
export function ownDir(scope: Scope, dir: Dir): void {
  const claim = new Claim(scope, 'ended', () => closeUnwantedDir(dir), () => dirClaims.delete(dir));
  dirClaims.set(dir, claim);
}

/**
 * Forgets the claim on a Dir its owner is closing.
 * @example forgetDir(dir); nativeDir.closeSync.call(dir);
 */
export function forgetDir(dir: unknown): void {
  if (dir !== null && typeof dir === 'object') dirClaims.get(dir as Dir)?.drop();
}

/**
 * Closes a Dir whose close nobody waits for (after its pending reads; a closed Dir is left alone).
 * @example discard: (dir) => closeUnwantedDir(dir)
 */
export function closeUnwantedDir(dir: Dir): void {
  forgetDir(dir);
  try {
    nativeDir.closeSync.call(dir);
  } catch {
    (nativeDir.close as (this: Dir) => Promise<void>).call(dir).catch(ignore);
  }
}
