/**
 * Node's own `fs`, `fs/promises` and `fs.Dir` functions, captured when the green `fs` module
 * loads (before `monkeyPatch` can replace them): the green module only ever calls these, never
 * an export that may have been patched since.
 */
import fs from 'node:fs';
import { originalValue } from '../greening.js';

/** Copies the enumerable exports of a module as they were before any patch. */
function capture<T extends object>(module: T): T {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(module)) copy[key] = originalValue(module, key);
  return copy as T;
}

/**
 * Node's own `fs` exports (a plain object; deprecated non-enumerable getters are left out).
 * @example nativeFs.close(fd, () => {});
 */
export const nativeFs: typeof fs = capture(fs);

/**
 * Node's own `fs/promises` exports.
 * @example await nativePromises.stat('/tmp');
 */
export const nativePromises: typeof fs.promises = capture(fs.promises);

/** The `fs.Dir` methods the green module replaces. @example nativeDir.read.call(dir, callback) */
export interface DirMethods {
  read: fs.Dir['read'];
  close: fs.Dir['close'];
  closeSync: fs.Dir['closeSync'];
}

/**
 * Node's own `fs.Dir.prototype` methods.
 * @example nativeDir.closeSync.call(dir);
 */
export const nativeDir: DirMethods = {
  read: originalValue(fs.Dir.prototype, 'read') as DirMethods['read'],
  close: originalValue(fs.Dir.prototype, 'close') as DirMethods['close'],
  closeSync: originalValue(fs.Dir.prototype, 'closeSync') as DirMethods['closeSync'],
};

/**
 * Does nothing: the callback of closes whose outcome nobody waits for.
 * @example nativeFs.close(fd, ignore);
 */
export function ignore(): void {}
