/**
 * The ES module half of `importPatched`: module resolve and load hooks that give a graph of modules
 * separate instances in which the green modules stand for Node's. They serve both
 * `module.registerHooks` (synchronous, in-thread) and `module.register` (asynchronous, on the hooks
 * thread), so every step accepts a value or a promise of it.
 *
 * - An entry specifier `eventlet-patched:<json>` names what `importPatched` asked for: the hook
 *   resolves it from the given parent URL, as `import()` there would, and tags the result.
 * - A tag (see `tags.ts`) is the query parameter `eventlet-patched=<world>` (`net.tls.timers.dns.fs`,
 *   …): a tagged URL is a separate instance, and what a tagged module imports is tagged in turn
 *   (relative and bare files alike), except eventlet's own files, which stay shared (one hub).
 * - Inside a tagged module `net`/`node:net` (and `fs/promises`, …) resolve to the green modules of
 *   its world, and `module`/`node:module` to a view of Node's whose `createRequire` gives the
 *   world's private CommonJS loader (`commonjs-loader.ts`, `module-view.ts`); every other builtin
 *   stays Node's.
 * - An ES module that a CommonJS module of a world `require()`s (see `commonjs-loader.ts`) has
 *   the tag in its file name instead (`/lib/a.js?eventlet-patched=net` as a path, so its URL ends
 *   in `a.js%3Feventlet-patched=net`), since `require()` keys ES modules by file path: what it
 *   imports is tagged as usual.
 * - A tagged CommonJS module is loaded by the private CommonJS loader (`commonjs-loader.ts`)
 *   and seen through a generated ES module re-exporting its `module.exports`.
 */
import { isBuiltin } from 'node:module';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GREEN_SPECIFIERS } from '../green/greening.js';
import { ENTRY_SCHEME, TAG, tagOf, type EntryRequest } from './tags.js';

/** The scheme of the generated subpath modules (`fs/promises` of the green `fs`). */
const SUBPATH_SCHEME = 'eventlet-green:';
/** The scheme of the generated `module` views, one per world (`eventlet-module:net.tls`). */
const MODULE_VIEW_SCHEME = 'eventlet-module:';
/** eventlet's own compiled files: never tagged. */
const OWN_ROOT = new URL('../../', import.meta.url).href;
const greenFileURL = (name: string): string => new URL(`../green/${name}.js`, import.meta.url).href;
const LOADER_URL = new URL('./commonjs-loader.js', import.meta.url).href;
const nodeRequire = createRequire(import.meta.url);

/** Loads a CommonJS file into a world and tells its export names (see `preloadCommonJS`). */
export type Preload = (tag: string, filename: string) => string[] | Promise<string[]>;

export type Maybe<T> = T | Promise<T>;
export interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
  [key: string]: unknown;
}
export interface LoadResult {
  format?: string | null;
  source?: unknown;
  shortCircuit?: boolean;
  [key: string]: unknown;
}
export interface ResolveContext {
  parentURL?: string;
  [key: string]: unknown;
}
export type NextResolve = (specifier: string, context?: ResolveContext) => Maybe<ResolveResult>;
export type NextLoad = (url: string, context?: object) => Maybe<LoadResult>;

/** Hooks for `registerHooks` (all synchronous) or `register` (promises allowed). */
export interface PatchHooks {
  resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Maybe<ResolveResult>;
  load(url: string, context: object, nextLoad: NextLoad): Maybe<LoadResult>;
}

function then<T, U>(value: Maybe<T>, fn: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** `result` tagged with `tag` when it is a file outside eventlet. */
function tagged(result: ResolveResult, tag: string): ResolveResult {
  if (!result.url.startsWith('file:') || result.url.startsWith(OWN_ROOT)) return result;
  const url = new URL(result.url);
  url.searchParams.set(TAG, tag);
  return { ...result, url: url.href };
}

/** Where a builtin resolves inside the world `tag`: a green module, the world's `module` view, or `null` for Node's. */
function greenURL(specifier: string, tag: string): string | null {
  if (!isBuiltin(specifier)) return null;
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (bare === 'module') return MODULE_VIEW_SCHEME + tag;
  const green = GREEN_SPECIFIERS[bare];
  if (!green || !tag.split('.').includes(green.module)) return null;
  return green.property ? SUBPATH_SCHEME + bare : greenFileURL(green.file ?? green.module);
}

/** `const e0 = m["a"]; … export { e0 as "a", … }`: re-exports `names` of the object `m`. */
function reexports(names: readonly string[]): string {
  const lines = names.map((name, i) => `const e${i} = m[${JSON.stringify(name)}];`);
  const list = names.map((name, i) => `e${i} as ${JSON.stringify(name)}`);
  return `${lines.join('\n')}\nexport { ${list.join(', ')} };\n`;
}

/** A green module's subpath (`fs/promises`) as an ES module with the names of Node's. */
function subpathSource(bare: string): string {
  const { module, property } = GREEN_SPECIFIERS[bare]!;
  const names = Object.keys(nodeRequire(bare) as object).filter((name) => name !== 'default');
  return `import green from ${JSON.stringify(greenFileURL(module))};\nconst m = green.${property!};\nexport default m;\n${reexports(names)}`;
}

/** The world `tag`'s view of `module` as an ES module with the names of Node's. */
function moduleViewSource(tag: string): string {
  const names = Object.keys(nodeRequire('node:module') as object).filter((name) => name !== 'default');
  return `import { moduleView } from ${JSON.stringify(LOADER_URL)};\nconst m = moduleView(${JSON.stringify(tag)});\nexport default m;\n${reexports(names)}`;
}

/** The ES module face of a CommonJS module of the world `tag`: default and named exports. */
function commonJSSource(tag: string, filename: string, names: readonly string[]): string {
  return (
    `import { commonJSExports } from ${JSON.stringify(LOADER_URL)};\n` +
    `const m = commonJSExports(${JSON.stringify(tag)}, ${JSON.stringify(filename)});\nexport default m;\n${reexports(names)}`
  );
}

/**
 * The hooks, with `preload` loading tagged CommonJS modules (in-thread: the private loader itself;
 * on the hooks thread: a request to the main thread).
 * @example registerHooks(createHooks(preloadCommonJS));
 */
export function createHooks(preload: Preload): PatchHooks {
  return {
    resolve(specifier, context, nextResolve) {
      if (specifier.startsWith(ENTRY_SCHEME)) {
        const entry = JSON.parse(decodeURIComponent(specifier.slice(ENTRY_SCHEME.length))) as EntryRequest;
        return then(nextResolve(entry.specifier, { ...context, parentURL: entry.parentURL }), (result) => tagged(result, entry.tag));
      }
      const tag = tagOf(context.parentURL);
      if (tag === null) return nextResolve(specifier, context);
      const green = greenURL(specifier, tag);
      if (green) return { url: green, shortCircuit: true };
      return then(nextResolve(specifier, context), (result) => tagged(result, tag));
    },
    load(url, context, nextLoad) {
      if (url.startsWith(SUBPATH_SCHEME)) return { format: 'module', source: subpathSource(url.slice(SUBPATH_SCHEME.length)), shortCircuit: true };
      if (url.startsWith(MODULE_VIEW_SCHEME)) return { format: 'module', source: moduleViewSource(url.slice(MODULE_VIEW_SCHEME.length)), shortCircuit: true };
      const tag = tagOf(url);
      if (tag === null) return nextLoad(url, context);
      return then(nextLoad(url, context), (result) => {
        if (result.format !== 'commonjs') return result;
        const filename = fileURLToPath(url);
        return then(preload(tag, filename), (names) => ({ format: 'module', source: commonJSSource(tag, filename, names), shortCircuit: true }));
      });
    },
  };
}
