/**
 * Patching Node's own modules: `monkeyPatch` patches them in place, `unpatch` restores them
 * exactly, `isMonkeyPatched` and `original` tell what is where. (`importPatched`, which loads one
 * library with the green modules instead, is `import-patched.ts`.)
 */
import childProcess from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import timers from 'node:timers';
import tls from 'node:tls';
import { patches as childProcessPatches } from './green/child_process.js';
import { patches as dnsPatches } from './green/dns.js';
import { patches as fsPatches } from './green/fs.js';
import { applyPatches, GREEN_MODULE_NAMES, originalValue, patchedModules, revertPatches, type GreenModuleName, type Patch } from './green/greening.js';
import { patches as netPatches } from './green/net.js';
import { patches as timersPatches } from './green/timers.js';
import { patches as tlsPatches } from './green/tls.js';
import { describe } from './validate.js';

/** What each green module replaces in place. */
const MODULE_PATCHES: Record<GreenModuleName, readonly Patch[]> = {
  net: netPatches,
  tls: tlsPatches,
  timers: timersPatches,
  dns: dnsPatches,
  fs: fsPatches,
  child_process: childProcessPatches,
};

/** Node's module objects, and the sub-objects (`promises`) that are modules of their own. */
const NODE_MODULES: Record<GreenModuleName, { module: object; nested: string[] }> = {
  net: { module: net, nested: [] },
  tls: { module: tls, nested: [] },
  timers: { module: timers, nested: ['promises'] },
  dns: { module: dns, nested: ['promises'] },
  fs: { module: fs, nested: ['promises'] },
  child_process: { module: childProcess, nested: [] },
};

/** `monkeyPatch` options: eventlet's keywords, one per green module plus `all`. */
export interface MonkeyPatchOptions {
  all?: boolean;
  net?: boolean;
  tls?: boolean;
  timers?: boolean;
  dns?: boolean;
  fs?: boolean;
  /** Child processes and `worker_threads` Workers owned by the green thread that started them. */
  child_process?: boolean;
}

const OPTION_NAMES = ['all', ...GREEN_MODULE_NAMES];

/**
 * Resolves options by eventlet's keyword rules: `all` (when given) is the default for every
 * module not named; otherwise the default is true unless some module is set to true; modules
 * named explicitly always win.
 */
function selectModules(where: string, options: unknown): GreenModuleName[] {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object such as { net: true }, got ${describe(options)}`);
  }
  const given = options as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !OPTION_NAMES.includes(key));
  if (unknown.length > 0) {
    throw new TypeError(`${where}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${OPTION_NAMES.join(', ')}`);
  }
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${where}: option '${key}' must be a boolean, got ${describe(value)}`);
  }
  const fallback = given.all !== undefined ? (given.all as boolean) : !GREEN_MODULE_NAMES.some((name) => given[name] === true);
  return GREEN_MODULE_NAMES.filter((name) => (given[name] as boolean | undefined) ?? fallback);
}

/**
 * Patches Node's own `net`, `tls`, `timers`, `dns`, `fs` and `child_process` (with
 * `worker_threads.Worker`) in place (CommonJS exports, ESM imports, globals, and Node's internal
 * users such as `http` and `fetch` all see the green versions). With no options it patches all
 * six; `{ net: true }` patches only `net`; `{ fs: false }` all but `fs`. Calling it again is safe. Unknown options are a `TypeError`
 * and nothing is applied.
 * @example
 * import { monkeyPatch } from 'eventlet';
 * monkeyPatch();                 // everything
 * monkeyPatch({ fs: false });    // everything but fs
 */
export function monkeyPatch(options?: MonkeyPatchOptions): void {
  for (const name of selectModules('monkeyPatch', options)) {
    if (patchedModules.has(name)) continue;
    applyPatches(MODULE_PATCHES[name]);
    patchedModules.add(name);
  }
  syncBuiltinESMExports();
}

/** Checks a green module name (`node:` prefix allowed). */
function moduleName(where: string, name: unknown): GreenModuleName {
  const bare = typeof name === 'string' ? name.replace(/^node:/, '') : name;
  if (!GREEN_MODULE_NAMES.includes(bare as GreenModuleName)) {
    throw new TypeError(`${where}: name must be one of ${GREEN_MODULE_NAMES.join(', ')}, got ${describe(name)}`);
  }
  return bare as GreenModuleName;
}

/**
 * Restores Node's own exports exactly (the same function objects) for `names` (default: every
 * patched module).
 * @example unpatch(['fs']); unpatch();
 */
export function unpatch(names?: string | readonly string[]): void {
  const list = names === undefined ? [...patchedModules] : typeof names === 'string' ? [names] : names;
  if (!Array.isArray(list)) throw new TypeError(`unpatch: names must be a module name or an array of them, got ${describe(names)}`);
  const selected = list.map((name) => moduleName('unpatch', name));
  for (const name of selected) {
    if (!patchedModules.has(name)) continue;
    revertPatches(MODULE_PATCHES[name]);
    patchedModules.delete(name);
  }
  syncBuiltinESMExports();
}

/**
 * True when `monkeyPatch` has patched the module `name` (`net`, `tls`, `timers`, `dns`, `fs`,
 * `child_process`).
 * @example isMonkeyPatched('dns') // false until monkeyPatch() or monkeyPatch({ dns: true })
 */
export function isMonkeyPatched(name: string): boolean {
  return patchedModules.has(moduleName('isMonkeyPatched', name));
}

function originalExports(module: object, nested: string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(module)) {
    const inner = nested.includes(key) ? (module as Record<string, object>)[key] : undefined;
    copy[key] = inner ? originalExports(inner, []) : originalValue(module, key);
  }
  return Object.freeze(copy);
}

/**
 * Node's own exports of a green module as they were before patching (a frozen copy), whatever
 * is patched now. Prototype hooks (sockets) are not undone in it.
 * @example const realReadFile = original('fs').readFile;
 */
export function original(name: string): Record<string, unknown> {
  const { module, nested } = NODE_MODULES[moduleName('original', name)];
  return originalExports(module, nested);
}
