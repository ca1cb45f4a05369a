/**
 * Green `fs.Dir` methods, replaced on Node's own `Dir.prototype` by `monkeyPatch`: inside a green
 * scope `read` and `close` are cooperative points, and closing a Dir (`close`, `closeSync`, in
 * any scope) ends its owner's claim on it.
 */
import fs from 'node:fs';
import { greenDual } from './functions.js';
import { nativeDir } from './natives.js';
import { forgetDir } from './resources.js';
import { greenFunction, type Patch } from '../greening.js';

/**
 * Green `Dir.prototype.read`: a cooperative point inside green scopes.
 * @example const entry = await dir.read();
 */
export const read = greenDual('fs Dir.read', nativeDir.read);

/**
 * Green `Dir.prototype.close`: ends the owner's claim; a cooperative point inside green scopes.
 * @example await dir.close();
 */
export const close = greenDual('fs Dir.close', nativeDir.close, forgetDir);

/**
 * Green `Dir.prototype.closeSync`: ends the owner's claim, then closes as Node does.
 * @example dir.closeSync();
 */
export const closeSync = greenFunction(nativeDir.closeSync, function (this: fs.Dir) {
  forgetDir(this);
  return nativeDir.closeSync.call(this);
});

/**
 * The replacements on `fs.Dir.prototype`.
 * @example applyPatches(dirPatches);
 */
export const dirPatches: Patch[] = [
  { target: fs.Dir.prototype, key: 'read', value: read },
  { target: fs.Dir.prototype, key: 'close', value: close },
  { target: fs.Dir.prototype, key: 'closeSync', value: closeSync },
];
