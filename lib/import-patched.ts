/**
 * `importPatched`: loads one library with the green modules, leaving the rest of the process with
 * Node's. This file checks the arguments and imports the entry; the loading itself is in
 * `import-patched/` (the module hooks for ES modules, the private CommonJS loader, the worlds).
 */
import { pathToFileURL } from 'node:url';
import { GREEN_MODULE_NAMES, type GreenModuleName } from './green/greening.js';
import { installPatchHooks } from './import-patched/register-hooks.js';
import { entrySpecifier } from './import-patched/tags.js';
import { worldTag } from './import-patched/worlds.js';
import { describe } from './validate.js';

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
