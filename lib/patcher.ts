/**
 * Choosing where the green modules apply: `monkeyPatch` patches Node's own modules in place,
 * `unpatch` restores them exactly, `isMonkeyPatched` and `original` tell what is where, and
 * `importPatched` loads one library with the green modules (the loading itself lives in
 * `patched-require.ts` for CommonJS and in `loader/hooks.ts` for ES modules).
 */
import childProcess from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import timers from 'node:timers';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { entrySpecifier } from './import-patched/hooks.js';
import { installPatchHooks } from './import-patched/register-hooks.js';
import { patches as childProcessPatches } from './green/child_process.js';
import { patches as dnsPatches } from './green/dns.js';
import { patches as fsPatches } from './green/fs.js';
import { applyPatches, GREEN_MODULE_NAMES, originalValue, patchedModules, revertPatches, type GreenModuleName, type Patch } from './green/greening.js';
import { patches as netPatches } from './green/net.js';
import { patches as timersPatches } from './green/timers.js';
import { patches as tlsPatches } from './green/tls.js';
import { worldTag } from './import-patched/commonjs-loader.js';
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

/** `importPatched` options. */
export interface ImportPatchedOptions {
  /** The builtins to make green (`node:` prefix allowed); default all six. */
  modules?: readonly string[];
  /** Where `specifier` resolves from, as `import()` there would; default the working directory. */
  parentURL?: string | URL;
}

/** Checks `importPatched`'s arguments; returns the world tag and the parent URL. */
function importRequest(specifier: unknown, options: unknown): { tag: string; parentURL: string } {
  const where = 'importPatched';
  if (typeof specifier !== 'string' || specifier === '') throw new TypeError(`${where}: specifier must be a non-empty string, got ${describe(specifier)}`);
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${where}: options must be an object such as { modules: ['net'] }, got ${describe(options)}`);
  const { modules = GREEN_MODULE_NAMES, parentURL = pathToFileURL(`${process.cwd()}/`), ...rest } = options as ImportPatchedOptions;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new TypeError(`${where}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; expected modules, parentURL`);
  if (!Array.isArray(modules)) throw new TypeError(`${where}: modules must be an array of module names such as ['net', 'dns'], got ${describe(modules)}`);
  const names = modules.map((name: unknown, i) => moduleEntry(where, i, name));
  return { tag: worldTag(names), parentURL: absoluteURL(where, parentURL) };
}

/** A `modules` entry (`node:` prefix allowed), or a `TypeError` naming it. */
function moduleEntry(where: string, index: number, name: unknown): GreenModuleName {
  const bare = typeof name === 'string' ? name.replace(/^node:/, '') : name;
  if (GREEN_MODULE_NAMES.includes(bare as GreenModuleName)) return bare as GreenModuleName;
  throw new TypeError(`${where}: modules[${index}] must be one of ${GREEN_MODULE_NAMES.join(', ')}, got ${describe(name)}`);
}

/** `value` as an absolute URL string, or a `TypeError` naming `parentURL`. */
function absoluteURL(where: string, value: unknown): string {
  if (value instanceof URL) return value.href;
  if (typeof value === 'string' && URL.canParse(value)) return new URL(value).href;
  throw new TypeError(`${where}: parentURL must be an absolute URL (a string or URL, such as import.meta.url), got ${describe(value)}`);
}

/**
 * Imports a separate instance of a module (CommonJS or ES module) and of the non-builtin modules
 * it loads, in which `net`, `tls`, `timers`, `dns`, `fs` and `child_process` (with `worker_threads`;
 * or those named in `modules`) are the green modules, for `require` and `import` alike (and for a `require` made with `createRequire`
 * from `module`; `require()` of an ES module inside the graph needs `module.registerHooks`, Node
 * >= 22.15 or 23.5, and is an `ERR_REQUIRE_ESM` naming the limit without it); the rest of the
 * process, and later plain imports of the same module, keep Node's. `specifier` resolves from `parentURL` (default: the
 * working directory) as `import()` there would; a module that cannot be found rejects with Node's
 * own error. Resolves with the module namespace (for CommonJS, `default` is `module.exports`).
 * Calls with the same specifier, parent and modules share one instance.
 * @example
 * import { importPatched, withTimeout } from 'eventlet';
 * const { default: pg } = await importPatched('pg', { modules: ['net', 'dns'] });
 * await withTimeout(2, () => new pg.Client().connect()); // the socket is destroyed on timeout
 */
export function importPatched(specifier: string, options?: ImportPatchedOptions): Promise<Record<string, unknown>> {
  const { tag, parentURL } = importRequest(specifier, options);
  installPatchHooks();
  return import(entrySpecifier({ specifier, parentURL, tag })) as Promise<Record<string, unknown>>;
}
