/**
 * eventlet's `tpool`: blocking or CPU-bound work runs on worker threads (a piscina pool) while
 * green threads go on. `execute` is a cooperative point of the calling green thread: a kill or a
 * `Timeout` rejects it at once and stops the work — a queued task is taken off the queue, a running
 * one's worker is terminated (piscina replaces it). See DESIGN.md §3 "Processes, workers and more
 * than one core".
 *
 * The pool starts on the first `execute`, with `setNumThreads(n)` workers, else
 * `EVENTLET_THREADPOOL_SIZE`, else one per core (`os.availableParallelism()`). Idle workers never
 * keep the process alive. Workers are created outside any green thread: they serve every caller
 * and belong to none.
 * @example
 * import { tpool, withTimeout } from 'eventlet';
 * function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); } // self-contained: names only itself
 * console.log(await tpool.execute(fib, 30)); // 832040, computed on a worker thread
 * await withTimeout(1, () => tpool.execute(fib, 60)); // rejects with the Timeout; the worker is terminated
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { hub } from './hub.js';
import type { ErrorFields, TaskOutcome, TaskRequest } from './tpool-worker.js';
import { describe, requireCount } from './validate.js';

/** Loads piscina on the first `execute` (a program that never uses tpool does not pay for it). */
const loadPiscina = (): typeof Piscina => (createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina }).Piscina;

/** The file every worker runs: it compiles or imports the task and calls it. */
const WORKER_FILE = fileURLToPath(new URL('./tpool-worker.js', import.meta.url));

/**
 * `{ module, name? }`: the exported function `name` (default: the default export) of a module file.
 * @example const resize: ModuleTask = { module: './workers/images.js', name: 'resize' };
 */
export interface ModuleTask {
  /** The module file: a `file:` URL (string or `URL`) or a path (relative to the working directory). */
  module: string | URL;
  /** The export to call; the default export when left out. */
  name?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/** The pool, started by the first `execute`; `null` before that and after `killall`. */
let pool: Piscina | null = null;
/** Pools replaced by `setNumThreads`, finishing the tasks they had; `killall` ends them too. */
const retiring = new Set<Piscina>();
/** The size set by `setNumThreads`, or `null` for the environment's or the default. */
let requestedSize: number | null = null;
/** What each function sent so far compiles from (its checked source), by function object. */
const sources = new WeakMap<AnyFunction, string>();
/** Sources that compiled, so a closure made anew for every call is parsed once (at most MAX_CHECKED kept). */
const compiledSources = new Set<string>();
const MAX_CHECKED = 1000;
/** The error classes rebuilt as themselves when a worker's error names one. */
const BUILTIN_ERRORS = new Map<string, ErrorConstructor>([Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((type) => [type.name, type]));

/**
 * Runs `task(...args)` on a worker thread and resolves with its result; the calling green thread
 * waits at a cooperative point, so a kill or `Timeout` rejects it at once and stops the task (its
 * worker is terminated and replaced). `task` is a self-contained function, sent as source text (it
 * sees none of the variables around it, only its arguments and globals), or `{ module, name? }`
 * naming an exported function of an ES or CommonJS module file. Arguments and the result cross by
 * structured clone; an error thrown by the task rejects with its name, message and stack.
 * @example
 * const sum = await tpool.execute((n) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }, 1e8);
 * const digest = await tpool.execute({ module: './lib/hash.js', name: 'sha256' }, data);
 */
export function execute<A extends unknown[], R>(task: (...args: A) => R, ...args: A): Promise<Awaited<R>>;
export function execute(task: ModuleTask, ...args: unknown[]): Promise<unknown>;
export function execute(task: AnyFunction | ModuleTask, ...args: unknown[]): Promise<unknown> {
  const request: TaskRequest = typeof task === 'function' ? { source: sourceOf(task), args } : { ...moduleOf(task), args };
  const workers = started();
  return hub.guard('tpool execute', (signal) => hub.runUnowned(submit, workers, request, signal));
}

/** Hands `request` to the pool; an abort of `signal` takes it off the queue or ends its worker. */
async function submit(workers: Piscina, request: TaskRequest, signal: AbortSignal): Promise<unknown> {
  const stop = new AbortController();
  // piscina replaces a terminated worker from the abort listener: do that in no green thread
  signal.addEventListener('abort', () => hub.runUnowned(() => stop.abort(signal.reason)), { once: true });
  const outcome = (await workers.run(request, { signal: stop.signal })) as TaskOutcome;
  if (outcome.ok) return outcome.value;
  if ('error' in outcome) throw revive(outcome.error);
  throw outcome.thrown;
}

/** The source text of a function task, checked once per function object. */
function sourceOf(task: AnyFunction): string {
  let source = sources.get(task);
  if (source !== undefined) return source;
  source = Function.prototype.toString.call(task);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    const kind = task.name.startsWith('bound ') ? 'a bound function' : 'a native function';
    throw new TypeError(`tpool.execute: task must be a function whose source can be sent to a worker, got ${kind} (${describe(task)}); wrap the call in a self-contained function`);
  }
  if (/^class\b/.test(source)) throw new TypeError(`tpool.execute: task must be a function, got class ${task.name || '(anonymous)'}`);
  checkCompiles(source, task);
  sources.set(task, source);
  return source;
}

/** Throws a TypeError naming `task` unless its source compiles on its own, as the worker will compile it. */
function checkCompiles(source: string, task: AnyFunction): void {
  if (compiledSources.has(source)) return;
  for (const wrapped of [`return (${source}\n);`, `return ({ ${source}\n });`]) {
    try {
      new Function(wrapped);
      if (compiledSources.size >= MAX_CHECKED) compiledSources.clear();
      compiledSources.add(source);
      return;
    } catch {
      // try the next form: an expression, then a method definition
    }
  }
  throw new TypeError(`tpool.execute: task's source does not compile on its own (${describe(task)})`);
}

/** The module URL and export name of a `{ module, name? }` task. */
function moduleOf(task: unknown): { module: string; name?: string } {
  if (task === null || typeof task !== 'object') {
    throw new TypeError(`tpool.execute: task must be a function or { module, name? }, got ${describe(task)}`);
  }
  const { module, name } = task as Partial<ModuleTask>;
  if (name !== undefined && typeof name !== 'string') throw new TypeError(`tpool.execute: task.name must be a string, got ${describe(name)}`);
  return name === undefined ? { module: moduleUrl(module) } : { module: moduleUrl(module), name };
}

/** A module given as a URL (string or object) or a path, as a URL string. */
function moduleUrl(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(`tpool.execute: task.module must be a module file's URL or path, got ${describe(module)}`);
  }
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module; // a URL (a scheme of two letters or more, not a drive)
  return pathToFileURL(path.resolve(module)).href;
}

/** An error from a worker, rebuilt with its name, message, stack and code. */
function revive(fields: ErrorFields): Error {
  const error = new (BUILTIN_ERRORS.get(fields.name) ?? Error)(fields.message);
  if (error.name !== fields.name) error.name = fields.name;
  error.stack = fields.stack ?? `${fields.name}: ${fields.message}`;
  if (fields.code !== undefined) (error as Error & { code?: string | number }).code = fields.code;
  return error;
}

/** The pool, started now if it is not running. */
function started(): Piscina {
  if (pool !== null) return pool;
  const size = requestedSize ?? sizeFromEnvironment();
  // EVENTLET_PATCH=none: a worker inherits `--import eventlet/loader`, but runs no green threads
  const env = { ...process.env, EVENTLET_PATCH: 'none' };
  const options = { filename: WORKER_FILE, minThreads: size, maxThreads: size, maxQueue: Infinity, env };
  const Pool = loadPiscina();
  const workers = hub.runUnowned(() => new Pool(options));
  // a worker that fails with no task running (a timer a finished task left behind threw)
  workers.on('error', (err: unknown) => hub.reportError(err, 'a tpool worker thread'));
  pool = workers;
  return workers;
}

/** `EVENTLET_THREADPOOL_SIZE` when set, else one thread per core. */
function sizeFromEnvironment(): number {
  const value = process.env.EVENTLET_THREADPOOL_SIZE;
  if (value === undefined || value.trim() === '') return os.availableParallelism();
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`tpool: EVENTLET_THREADPOOL_SIZE must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  return size;
}

/**
 * Sets the number of worker threads (eventlet's `set_num_threads`). Before the first `execute`, the
 * pool starts with `n`; a running pool is replaced: tasks already submitted finish on the old
 * workers, which then exit, and later tasks go to `n` new ones. `n` must be an integer >= 1
 * (eventlet's 0, "run inline", would make the work uninterruptible; eventlet's `range(n)` refuses
 * a float, as `EVENTLET_THREADPOOL_SIZE` does here).
 * @example tpool.setNumThreads(4);
 */
export function setNumThreads(n: number): void {
  const size = requireCount('tpool.setNumThreads', 'n', n, { integer: true }); // as EVENTLET_THREADPOOL_SIZE
  if (size < 1) throw new RangeError(`tpool.setNumThreads: n must be >= 1, got ${n}`);
  requestedSize = size;
  const old = pool;
  if (old === null || old.maxThreads === size) return;
  pool = null;
  retiring.add(old);
  old
    .close()
    .catch((err: unknown) => hub.reportError(err, 'closing the replaced tpool'))
    .finally(() => retiring.delete(old));
}

/**
 * eventlet's `set_num_threads`: the same function as {@link setNumThreads}.
 * @example tpool.set_num_threads(4);
 */
export const set_num_threads = setNumThreads;

/**
 * Terminates every worker thread (eventlet's `killall`), those of pools replaced by `setNumThreads`
 * too; resolves once they have exited. Tasks still queued or running reject with piscina's
 * "Terminating worker thread" error. The next `execute` starts a new pool.
 * @example await tpool.killall();
 */
export async function killall(): Promise<void> {
  const pools = [...retiring];
  if (pool !== null) pools.push(pool);
  pool = null;
  retiring.clear();
  await Promise.all(pools.map((workers) => workers.destroy()));
}
