/**
 * The CommonJS half of `importPatched`: loads separate instances of CommonJS modules, each graph
 * of them in a private cache of its own, with a `require` that gives the green modules for the
 * builtins the graph patches. Node's `require.cache` is never read or written, so plain `require`
 * calls elsewhere keep Node's instances (and Node's modules). Each graph belongs to a world (see
 * `worlds.ts`). The world's `createRequire`, and so its view of the `module` builtin
 * (`moduleView`), are this loader's too.
 */
import fs from 'node:fs';
import Module, { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import greenChildProcess from '../green/child_process.js';
import greenDns from '../green/dns.js';
import greenFs from '../green/fs.js';
import { GREEN_SPECIFIERS } from '../green/greening.js';
import greenNet from '../green/net.js';
import greenTimers from '../green/timers.js';
import greenTls from '../green/tls.js';
import greenWorkerThreads from '../green/worker_threads.js';
import { moduleWith } from './module-view.js';
import { TAG, tagOf } from './tags.js';
import { worldOf, type PatchedWorld } from './worlds.js';

/** The green modules' default exports (what `require` of them gives), by file name (see `GREEN_SPECIFIERS`). */
const GREEN_EXPORTS: Record<string, object> = {
  net: greenNet,
  tls: greenTls,
  timers: greenTimers,
  dns: greenDns,
  fs: greenFs,
  child_process: greenChildProcess,
  worker_threads: greenWorkerThreads,
};

/** Node's internals of `Module` that this loader uses (public in practice, untyped). */
interface ModuleInternals {
  _resolveFilename(request: string, parent: Module | null, isMain: boolean): string;
  _nodeModulePaths(directory: string): string[];
  _extensions: Record<string, (module: Module, filename: string) => void>;
}
type CompilableModule = Module & { _compile(content: string, filename: string, format?: string): void };

const internals = Module as unknown as ModuleInternals;
const nodeRequire = createRequire(import.meta.url);

/** The `type` field of the nearest package.json (Node's rule for `.js` files), or `undefined`. */
function packageType(filename: string): unknown {
  for (let dir = path.dirname(filename); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { type?: unknown }).type;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * How Node would load `filename` by its name: `module` (`.mjs`, or `.js` under `"type": "module"`),
 * `commonjs`, or `detect` (`.js` with no `type`: CommonJS unless its syntax is only an ES module's).
 * @example fileFormat('/app/index.mjs') // 'module'
 */
export function fileFormat(filename: string): 'module' | 'commonjs' | 'detect' {
  const ext = path.extname(filename);
  if (ext === '.mjs') return 'module';
  if (ext !== '.js') return 'commonjs';
  const type = packageType(filename);
  return type === 'module' ? 'module' : type === 'commonjs' ? 'commonjs' : 'detect';
}

/** The syntax errors that ES module syntax causes in a CommonJS module (those Node's detection retries as ES module). */
const ESM_ONLY_SYNTAX = ['Cannot use import statement outside a module', "Unexpected token 'export'", "Cannot use 'import.meta' outside a module"];

/**
 * `source` has syntax only an ES module may have (as Node's detection decides for a `.js` file with
 * no package `type`): it mentions `import` or `export`, and does not compile as CommonJS for that.
 */
function hasModuleSyntax(source: string): boolean {
  if (!/\b(?:import|export)\b/.test(source)) return false;
  try {
    new vm.Script(Module.wrap(source));
    return false;
  } catch (err) {
    return err instanceof SyntaxError && ESM_ONLY_SYNTAX.includes(err.message);
  }
}

/** `module.registerHooks` exists: module hooks run in this thread, for `require()` of ES modules too. */
const IN_THREAD_HOOKS = typeof (Module as unknown as { registerHooks?: unknown }).registerHooks === 'function';

/**
 * The error for `require()` of an ES module inside a world where Node cannot give it the world's
 * modules (no `module.registerHooks`): Node's code, so fallbacks to `import()` work.
 */
function requireEsmError(filename: string, parent: Module | null): Error {
  const from = parent?.filename ? ` from ${parent.filename}` : '';
  const err = new Error(
    `importPatched: require() of the ES module ${filename}${from} inside a patched graph needs module.registerHooks ` +
      `(Node >= 22.15 or 23.5; this is Node ${process.version}), which would give it the green modules; ` +
      'import() it from an ES module of the graph, or use monkeyPatch()',
  );
  return Object.assign(err, { code: 'ERR_REQUIRE_ESM' });
}

/** `require` for code loaded in `world` as `parent`: green builtins, private instances of files. */
function requireIn(world: PatchedWorld, parent: Module): (request: string) => unknown {
  return function require(request: string): unknown {
    if (typeof request !== 'string' || request === '') return Module.prototype.require.call(parent, request); // Node's own argument error
    if (isBuiltin(request)) return builtin(world, request);
    const filename = internals._resolveFilename(request, parent, false);
    return loadFile(world, filename, parent).exports;
  };
}

/** A builtin as `world` sees it: the green module when the world patches it, the world's view of `module`, Node's otherwise. */
function builtin(world: PatchedWorld, request: string): unknown {
  if (request === 'module' || request === 'node:module') return moduleView(world.tag);
  const green = GREEN_SPECIFIERS[request.startsWith('node:') ? request.slice(5) : request];
  if (!green || !world.modules.has(green.module)) return nodeRequire(request);
  const exports = GREEN_EXPORTS[green.file ?? green.module]!;
  return green.property ? (exports as Record<string, unknown>)[green.property] : exports;
}

function stripBOM(content: string): string {
  return content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
}

/** A module object for `filename` (its `id` and `filename` are `id`) whose `require` loads in `world`. */
function worldModule(world: PatchedWorld, filename: string, parent: Module | null, id = filename): CompilableModule {
  const module = new Module(id, parent ?? undefined) as CompilableModule;
  module.filename = id;
  module.paths = internals._nodeModulePaths(path.dirname(filename));
  Object.defineProperty(module, 'require', { value: requireIn(world, module), writable: true, configurable: true });
  return module;
}

/**
 * Evaluates `module` (cached in `world` under `filename` meanwhile, for cycles) with `evaluate`;
 * forgets it when that throws.
 */
function evaluateIn(world: PatchedWorld, filename: string, module: Module, evaluate: () => void): Module {
  world.cache.set(filename, module);
  try {
    evaluate();
  } catch (err) {
    world.cache.delete(filename);
    throw err;
  }
  module.loaded = true;
  return module;
}

/**
 * The instance of the ES module `filename` in `world` that `require()` gives, as Node's `require(esm)`
 * makes it, but under a file name carrying the world's tag (`/lib/a.js?eventlet-patched=net`): Node
 * keys such modules by file path, so this one is separate from Node's, and the module hooks see the
 * tag in what it imports. Needs the hooks in this thread (`module.registerHooks`).
 */
function loadModuleFile(world: PatchedWorld, filename: string, source: string, parent: Module | null): Module {
  if (!IN_THREAD_HOOKS) throw requireEsmError(filename, parent);
  const id = `${filename}?${TAG}=${world.tag}`;
  const module = worldModule(world, filename, parent, id);
  return evaluateIn(world, filename, module, () => module._compile(source, id, 'module'));
}

/**
 * The instance of the file `filename` in `world`, loaded and evaluated on first use: CommonJS and
 * JSON by this loader, ES modules as `require()` of them gives (where Node allows; see
 * {@link loadModuleFile}). Native addons are Node's shared instance (they cannot be loaded twice).
 * @example loadFile(worldOf('net'), '/app/node_modules/lib/index.js', null).exports
 */
export function loadFile(world: PatchedWorld, filename: string, parent: Module | null): Module {
  const cached = world.cache.get(filename);
  if (cached) return cached;
  const ext = path.extname(filename);
  if (ext === '.node') return { exports: nodeRequire(filename) } as Module;
  if (ext === '.json') {
    const module = worldModule(world, filename, parent);
    return evaluateIn(world, filename, module, () => internals._extensions['.json']!(module, filename));
  }
  const format = fileFormat(filename);
  const source = stripBOM(fs.readFileSync(filename, 'utf8'));
  if (format === 'module' || (format === 'detect' && hasModuleSyntax(source))) return loadModuleFile(world, filename, source, parent);
  const module = worldModule(world, filename, parent);
  return evaluateIn(world, filename, module, () => module._compile(source, filename, 'commonjs'));
}

/**
 * A `require` function for the file `filename` in `world`, as `createRequire(filename)` makes one
 * for Node's loader: it loads in the world; `resolve`, `cache`, `extensions` and `main` are Node's.
 * @example requireFor(worldOf('net'), '/app/lib/index.js')('./helper.cjs')
 */
export function requireFor(world: PatchedWorld, filename: string): NodeJS.Require {
  const load = requireIn(world, worldModule(world, filename, null));
  const nodes = createRequire(filename);
  const require = function require(id: string): unknown {
    return load(id);
  };
  return Object.assign(require, { resolve: nodes.resolve, cache: nodes.cache, extensions: nodes.extensions, main: nodes.main }) as NodeJS.Require;
}

/** The tag an ES module loaded by `require()` carries at the end of its file name. */
const PATH_TAG = new RegExp(`\\?${TAG}=[^/?#]*$`);

const views = new Map<string, typeof Module>();

/** The file a `createRequire` argument names, as Node reads it, without a world's tag. */
function requireFilename(from: string | URL): string {
  let filename: string;
  if (from instanceof URL || (typeof from === 'string' && !path.isAbsolute(from))) {
    try {
      filename = fileURLToPath(from);
    } catch {
      createRequire(from); // throws Node's own ERR_INVALID_ARG_VALUE
      throw new TypeError(`createRequire: ${String(from)} is not a file URL or an absolute path`);
    }
  } else if (typeof from === 'string') {
    filename = from;
  } else {
    createRequire(from); // throws Node's own ERR_INVALID_ARG_VALUE
    throw new TypeError('createRequire: filename must be a file URL or an absolute path');
  }
  filename = filename.replace(PATH_TAG, '');
  return filename.endsWith(path.sep) ? path.join(filename, 'noop.js') : filename;
}

/**
 * `createRequire` for the world `tag`: the `require` of the file `from` (a file URL, maybe tagged
 * with another world, which then wins, or an absolute path) in the world.
 * @example createRequireIn('net')(import.meta.url)('./helper.cjs')
 */
export function createRequireIn(tag: string): (from: string | URL) => NodeJS.Require {
  return function createRequire(from: string | URL): NodeJS.Require {
    const filename = requireFilename(from);
    const urlTag = typeof from === 'string' || from instanceof URL ? tagOf(String(from)) : null;
    return requireFor(worldOf(urlTag ?? tag), filename);
  };
}

/**
 * The world `tag`'s view of Node's `Module` (the `module` builtin; see `module-view.ts`): its
 * `createRequire` loads in the world. One view per world.
 * @example moduleView('net.tls').createRequire(import.meta.url)('net') // the green net
 */
export function moduleView(tag: string): typeof Module {
  let view = views.get(tag);
  if (!view) views.set(tag, (view = moduleWith(createRequireIn(tag))));
  return view;
}

/**
 * Loads `filename` in the world `tag` for an ES module that imports it, ahead of that module's
 * evaluation (its export names must be known when the graph links): returns the names, or none
 * when evaluation failed (the failure is kept and thrown by {@link commonJSExports}).
 * @example const names = preloadCommonJS('net.tls', '/app/node_modules/pg/lib/index.js');
 */
export function preloadCommonJS(tag: string, filename: string): string[] {
  const world = worldOf(tag);
  try {
    const { exports } = loadFile(world, filename, null);
    world.failures.delete(filename);
    return exports !== null && (typeof exports === 'object' || typeof exports === 'function') ? Object.keys(exports).filter((key) => key !== 'default') : [];
  } catch (err) {
    world.failures.set(filename, err);
    return [];
  }
}

/**
 * `module.exports` of `filename` in the world `tag` (loading it if needed), or the error its
 * evaluation threw; what the ES module wrapper of a CommonJS module exports.
 * @example export default commonJSExports('net', '/app/lib/helper.js');
 */
export function commonJSExports(tag: string, filename: string): unknown {
  const world = worldOf(tag);
  if (world.failures.has(filename)) throw world.failures.get(filename);
  return loadFile(world, filename, null).exports;
}
