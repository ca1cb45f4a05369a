/**
 * The green `child_process` module: Node's `child_process`, where a child process started inside
 * a green thread (`spawn`, `exec`, `execFile`, `fork`, and the promise forms of `exec` and
 * `execFile`) belongs to it. When the thread is killed or its Timeout fires:
 *
 * - the child gets `SIGTERM`, then `SIGKILL` if it is still running after
 *   `getHub().terminationGrace` seconds (default 1);
 * - its stdio pipes are closed (destroyed with the interruption as the error when something
 *   listens for their errors, quietly otherwise);
 * - a pending `exec`/`execFile` callback is called with the interruption, and their promise forms
 *   (`util.promisify`) reject with it, at once: they are cooperative points.
 *
 * A child the thread handed on — spawned with `detached: true` and then `unref()`ed — is left
 * alone, and so is everything of a thread that ends on its own. The synchronous functions
 * (`spawnSync`, `execSync`, `execFileSync`) are Node's own. Outside green threads every function
 * is Node's own.
 *
 * `monkeyPatch({ child_process: true })` hooks `ChildProcess.prototype.spawn` (which every
 * asynchronous way of starting a child goes through, also inside libraries) and `unref`, and
 * replaces `exec` and `execFile` (for their cooperative callback and promise forms); it patches
 * `worker_threads.Worker` too (see worker_threads.ts). Used on its own (or inside
 * `importPatched`), the module's functions and `ChildProcess` own what they start.
 * @example
 * import { execFile } from 'eventlet/green/child_process';
 * import { promisify } from 'node:util';
 * await withTimeout(1, () => promisify(execFile)('sleep', ['10'])); // sleep gets SIGTERM at 1 s
 */
import childProcess, { ChildProcess as NativeChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { hub } from '../hub.js';
import { Claim } from './claims.js';
import { greenConstructor, greenFunction, greenView, type Patch } from './greening.js';
import { patches as workerPatches } from './worker_threads.js';

export * from 'node:child_process';

const kClaim = Symbol('eventlet.childClaim');
const kDetached = Symbol('eventlet.childDetached');

/** A child process as the hooks see it: Node's `spawn` method (untyped) and the claim marks. */
type Child = NativeChildProcess & { spawn(options: unknown): unknown; [kClaim]?: Claim; [kDetached]?: boolean };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

const prototype = NativeChildProcess.prototype as Child;
const native = {
  spawn: prototype.spawn,
  unref: prototype.unref,
  exec: childProcess.exec as AnyFunction,
  execFile: childProcess.execFile as AnyFunction,
  spawnFn: childProcess.spawn as AnyFunction,
  fork: childProcess.fork as AnyFunction,
};

/**
 * Destroys a stdio stream of an interrupted child: with the interruption as the error when
 * someone listens for errors (a `pipeline`), quietly otherwise (no unhandled `'error'`).
 */
function closeStream(stream: Readable | Writable, reason: unknown): void {
  if (stream.destroyed) return;
  stream.destroy(stream.listenerCount('error') > 0 ? (reason as Error) : undefined);
}

/** True while the child has been started and has not exited. */
function running(child: Child): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** `SIGTERM` now, `SIGKILL` after the grace unless the child exits first; its stdio closed. */
function terminate(child: Child, reason: unknown): void {
  if (running(child)) {
    child.kill('SIGTERM');
    const cancel = hub.timer(hub.terminationGrace, () => running(child) && child.kill('SIGKILL'), false);
    child.once('exit', cancel);
  }
  for (const stream of child.stdio) if (stream) closeStream(stream, reason);
}

/** Makes `child`, just spawned, owned by the current green scope (idempotent). */
function claimChild(child: Child, detached: boolean): void {
  const scope = hub.ownerScope();
  if (!scope || child[kClaim]) return;
  const claim = new Claim(scope, 'interrupted', (reason) => terminate(child, reason), () => {
    if (child[kClaim] === claim) child[kClaim] = undefined;
  });
  child[kClaim] = claim;
  child[kDetached] = detached;
  child.once('close', () => claim.drop());
}

/** The `detached` option of a spawn call's options object (Node's normalized one, or a caller's). */
function detachedIn(options: unknown): boolean {
  return options !== null && typeof options === 'object' && (options as { detached?: unknown }).detached === true;
}

/** The options object of `spawn(file, args?, options?)`-shaped arguments: the first plain object after the first. */
function optionsIn(args: readonly unknown[]): unknown {
  return args.slice(1).find((arg) => arg !== null && typeof arg === 'object' && !Array.isArray(arg));
}

/** A spawn hook around `spawn` (Node's, or the one the instance would otherwise have): then the child is the caller's. */
function spawnAround(spawn: (self: Child) => Child['spawn']): (this: Child, options: unknown) => unknown {
  return function (this: Child, options: unknown) {
    const result = spawn(this).call(this, options);
    claimChild(this, detachedIn(options));
    return result;
  };
}

/** An unref hook around `unref`: a detached child that is unref'd is handed on (no longer owned). */
function unrefAround(unref: (self: Child) => Child['unref']): (this: Child) => void {
  return function (this: Child) {
    if (this[kDetached]) this[kClaim]?.drop();
    unref(this).call(this);
  };
}

const inherited = (self: Child): Child => Object.getPrototypeOf(self) as Child;
/** The instance hooks (for the module used without patching): around the inherited methods. */
const ownSpawn = spawnAround((self) => inherited(self).spawn);
const ownUnref = unrefAround((self) => inherited(self).unref);

/** Gives one child the hooks as own methods (for the module used without patching). */
function markChild<C extends NativeChildProcess>(child: C): C {
  Object.defineProperty(child, 'spawn', { value: ownSpawn, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(child, 'unref', { value: ownUnref, writable: true, configurable: true, enumerable: false });
  return child;
}

/** >0 while a green function runs Node's own: the green functions Node calls back into pass through. */
let insideNative = 0;

/** Runs Node's `fn`, then owns the child it returned (marked so its `unref` is seen). */
function startChild(fn: AnyFunction, self: unknown, args: unknown[]): Child {
  insideNative++;
  let child: Child;
  try {
    child = fn.apply(self, args) as Child;
  } finally {
    insideNative--;
  }
  claimChild(markChild(child), detachedIn(optionsIn(args)));
  return child;
}

/**
 * A green `spawn` or `fork`: Node's own outside green threads; inside one, the child is owned.
 * @example const spawn = owning(nativeSpawn);
 */
function owning<F extends AnyFunction>(fn: F): F {
  return greenFunction(fn, function (this: unknown, ...args: unknown[]) {
    if (insideNative > 0 || !hub.ownerScope()) return fn.apply(this, args);
    return startChild(fn, this, args);
  } as F);
}

/** A promise of Node's `exec`/`execFile` promise form, with the `child` it carries. */
type ChildPromise = Promise<unknown> & { child: Child };

/** Runs Node's promise form of `exec`/`execFile`, then owns the child its promise carries. */
function startPromise(nodeForm: AnyFunction, self: unknown, args: unknown[]): ChildPromise {
  insideNative++;
  let started: ChildPromise;
  try {
    started = nodeForm.apply(self, args) as ChildPromise;
  } finally {
    insideNative--;
  }
  claimChild(markChild(started.child), detachedIn(optionsIn(args)));
  return started;
}

/*
 * A scope whose interruption is already waiting (its thread was woken just before the kill) fails
 * its next cooperative point at once, without starting the operation. `exec` and `execFile` must
 * still return a child (and their promise carry one), so they start it all the same: owned by the
 * interrupted scope, it is terminated right after the current synchronous step.
 */

/**
 * The promise form (`util.promisify.custom`) of a green `exec`/`execFile`: a cooperative point
 * whose promise carries the `child`, as Node's does.
 */
function cooperativePromise(what: string, nodeForm: AnyFunction): AnyFunction {
  return function (this: unknown, ...args: unknown[]) {
    if (insideNative > 0 || !hub.ownerScope()) return nodeForm.apply(this, args);
    let started: ChildPromise | undefined;
    const promise = hub.guard(what, () => (started = startPromise(nodeForm, this, args)));
    if (!started) (started = startPromise(nodeForm, this, args)).catch(() => {}); // see above
    return Object.assign(promise, { child: started.child });
  };
}

/**
 * A green `exec`/`execFile`: inside a green thread the child is owned and the callback is a
 * cooperative point (called with the interruption at once); outside, Node's own.
 */
function cooperative(name: 'exec' | 'execFile', fn: AnyFunction): AnyFunction {
  const what = `child_process ${name}`;
  const green = function (this: unknown, ...args: unknown[]) {
    const callback = args[args.length - 1];
    if (insideNative > 0 || !hub.ownerScope()) return fn.apply(this, args);
    if (typeof callback !== 'function') return startChild(fn, this, args);
    let child: Child | undefined;
    const results = hub.guard(what, () => {
      let finish: (results: unknown[]) => void = () => {};
      const outcome = new Promise<unknown[]>((resolve) => (finish = resolve));
      child = startChild(fn, this, [...args.slice(0, -1), (...values: unknown[]) => finish(values)]);
      return outcome;
    });
    results.then(
      (values) => queueMicrotask(() => callback(...values)),
      (err: unknown) => queueMicrotask(() => callback(err)),
    );
    return child ?? startChild(fn, this, [...args.slice(0, -1), () => {}]); // see above
  };
  const nodeForm = (fn as unknown as Record<symbol, AnyFunction>)[promisify.custom]!;
  Object.defineProperty(green, promisify.custom, {
    ...Object.getOwnPropertyDescriptor(fn, promisify.custom),
    value: cooperativePromise(what, nodeForm),
  });
  return greenFunction(fn, green);
}

/**
 * Green `child_process.exec`: the shell and its command belong to the calling green thread; the
 * callback (and `util.promisify(exec)`) is a cooperative point.
 * @example exec('ls -l', (err, stdout) => console.log(err ?? stdout));
 */
export const exec = cooperative('exec', native.exec) as typeof childProcess.exec;
/**
 * Green `child_process.execFile`: the child belongs to the calling green thread; the callback
 * (and `util.promisify(execFile)`) is a cooperative point.
 * @example const { stdout } = await promisify(execFile)('git', ['status']);
 */
export const execFile = cooperative('execFile', native.execFile) as typeof childProcess.execFile;
/**
 * Green `child_process.spawn`: the child belongs to the calling green thread.
 * @example const child = spawn('tail', ['-f', 'app.log']); // killed with the thread
 */
export const spawn = owning(native.spawnFn) as typeof childProcess.spawn;
/**
 * Green `child_process.fork`: the Node child belongs to the calling green thread.
 * @example const child = fork('./worker.js'); child.send({ job: 1 });
 */
export const fork = owning(native.fork) as typeof childProcess.fork;
/**
 * `child_process.ChildProcess`, whose instances are owned by the green thread that spawns them;
 * `instanceof` is Node's.
 * @example new ChildProcess() instanceof ChildProcess; // true
 */
export const ChildProcess = greenConstructor(NativeChildProcess, markChild);

/**
 * The in-place replacements applied by `monkeyPatch({ child_process: true })`: the
 * `ChildProcess.prototype` hooks, `exec` and `execFile`, and the green `worker_threads.Worker`.
 */
export const patches: Patch[] = [
  { target: prototype, key: 'spawn', value: spawnAround(() => native.spawn) },
  { target: prototype, key: 'unref', value: unrefAround(() => native.unref) },
  { target: childProcess, key: 'exec', value: exec },
  { target: childProcess, key: 'execFile', value: execFile },
  ...workerPatches,
];

/**
 * The green module as one object (the default export): a view of Node's `child_process` in which
 * the functions and class above are the green ones.
 */
export default greenView(childProcess, { exec, execFile, spawn, fork, ChildProcess });
