/**
 * The hub: the one place that knows how green threads are scheduled and how a cooperative point
 * is parked, woken and interrupted.
 *
 * - **Run queue.** `schedule()` appends work to a batch that runs on the next hub turn: one
 *   `setImmediate` per batch (after pending I/O callbacks), entries in order. Work scheduled while
 *   a batch runs goes to the next batch.
 * - **Scopes.** Every green thread is a {@link Scope}; `withTimeout` opens child scopes inside it.
 *   The current scope lives in the package's single `AsyncLocalStorage`, so every operation started
 *   inside a green thread (directly or deep inside a library) knows which scope it belongs to.
 *   Outside any green thread the current scope is the root (the main green thread).
 * - **Cooperative points.** `park()` returns a promise registered on the current scope as a
 *   {@link Point}. `interrupt(scope, err)` rejects every pending point of the scope and of its
 *   child scopes with `err` at once (running each point's cleanup: waiter removal, timer clear);
 *   when none is pending the error waits on the scope and the next point throws it.
 * - **Abandonment.** A scope interrupted while it awaits something that is not a cooperative
 *   point is given a grace period; if by then it has neither ended nor parked, it is abandoned:
 *   poisoned (every later point rejects with the error) and its owner is told to give up on it.
 * - **Errors** nobody will see are passed to the reporter (stderr with stack by default).
 * - **Diagnostics.** Every point tells what it waits on and since when (the hub's coarse clock);
 *   debug.ts sets {@link Hub.tracer} to hear of parks, wake-ups, starts and ends while one of
 *   its diagnostics is on, and the hub calls nothing when it is `null`.
 *
 * This file is the scheduler (run queue, park, guard, interrupt, watch); its parts are in hub/:
 * point.ts (a cooperative point), scope.ts (scopes and what they own), clock.ts (the coarse
 * clock), errors.ts (the error reporter) and tracer.ts (the diagnostics hooks).
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { inspect } from 'node:util';
import { hubClock } from './hub/clock.js';
import { printError, reporting, type ErrorReporter } from './hub/errors.js';
import { Point, settleObserver, type AnyPoint, type Cleanup } from './hub/point.js';
import { abandonment, NONE, Scope, type Owned } from './hub/scope.js';
import type { Tracer } from './hub/tracer.js';
import { describe, requireSeconds } from './validate.js';

export { CLOCK_ORIGIN } from './hub/clock.js';
export { printError, type ErrorReporter } from './hub/errors.js';
export { Point, type AnyPoint, type Cleanup, type WaitList } from './hub/point.js';
export { Scope, type Owned } from './hub/scope.js';
export type { Tracer } from './hub/tracer.js';

/** Node's own timer functions, captured before anything can patch them. */
const { setTimeout, clearTimeout, setImmediate } = globalThis;

/** The longest delay `setTimeout` accepts; longer waits are chained. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * True where AsyncLocalStorage is built on async hooks (Node 20, 22) rather than on
 * AsyncContextFrame (Node 24+): the two make different operations cheap.
 */
const HOOKED_STORAGE = typeof (AsyncLocalStorage.prototype as unknown as { _propagate?: unknown })._propagate === 'function';

/**
 * The resolvers of the promise being made by {@link Hub.park}: a module-level executor hands them
 * over, so parking allocates no executor closure per call.
 */
let parkResolve: ((value: never) => void) | null = null;
let parkReject: ((err: unknown) => void) | null = null;
function parkExecutor(resolve: (value: never) => void, reject: (err: unknown) => void): void {
  parkResolve = resolve;
  parkReject = reject;
}

/** A resource that captures the current context (see {@link Hub.reenter}). */
function makeScopeResource(): AsyncResource {
  return new AsyncResource('eventlet.scope');
}

/** Something the run queue can execute. */
export interface Runnable {
  run(): void;
}

/**
 * The scheduler. There is one, {@link hub}; `getHub()` returns it.
 * @example
 * import { getHub } from 'eventlet';
 * getHub().errorReporter = (err, source) => myLogger.error({ err, source });
 */
export class Hub {
  /**
   * Where unobserved errors go: a function `(err, source) => void`; the default,
   * {@link printError}, prints them with their stack to stderr. Setting `null` or `undefined`
   * restores that default; anything else that is not a function is a `TypeError`. A reporter
   * that throws loses nothing: the original error and the reporter's failure are both printed.
   * @example
   * getHub().errorReporter = (err, source) => myLogger.error({ err, source });
   * getHub().errorReporter = null; // back to printError
   */
  get errorReporter(): ErrorReporter {
    return reporting.reporter;
  }
  set errorReporter(reporter: ErrorReporter | null | undefined) {
    if (reporter === null || reporter === undefined) {
      reporting.reporter = printError;
      return;
    }
    if (typeof reporter !== 'function') {
      throw new TypeError(`hub.errorReporter must be a function, or null/undefined for the default printError, got ${describe(reporter)}`);
    }
    reporting.reporter = reporter;
  }
  /**
   * Seconds an interrupted scope may stay away from cooperative points before it is abandoned
   * (default 0.01). A `TypeError`/`RangeError` unless a finite number >= 0 (at most
   * 2147483.647, the longest delay of a Node timer).
   * @example getHub().abandonGrace = 0.1; // give threads awaiting plain promises longer to yield
   */
  get abandonGrace(): number {
    return this.grace;
  }
  set abandonGrace(seconds: number) {
    const checked = requireSeconds('hub.abandonGrace', 'seconds', seconds)!;
    if (checked * 1000 > MAX_TIMER_MS) {
      throw new RangeError(`hub.abandonGrace: seconds must be finite and at most ${MAX_TIMER_MS / 1000}, got ${checked}`);
    }
    this.grace = checked;
  }
  private grace = 0.01;
  private killGrace = 1;
  /**
   * Seconds a child process owned by an interrupted green thread gets between `SIGTERM` and
   * `SIGKILL` (default 1): a child that exits on `SIGTERM` is gone at once, one that ignores it
   * is killed after this. A `TypeError`/`RangeError` unless a number >= 0.
   * @example getHub().terminationGrace = 5; // let children flush their work on SIGTERM
   */
  get terminationGrace(): number {
    return this.killGrace;
  }
  set terminationGrace(seconds: number) {
    this.killGrace = requireSeconds('hub.terminationGrace', 'seconds', seconds)!;
  }
  /**
   * Report the failure of every green thread, also of those someone waits on or is linked to
   * (`debug.hubExceptions(true)`); by default only failures nobody will see are reported.
   */
  reportEveryFailure = false;
  /** @internal Diagnostics hooks, set by debug.ts while a diagnostic needs them (see hub/tracer.ts). */
  get tracer(): Tracer | null {
    return this.tracerInUse;
  }
  set tracer(tracer: Tracer | null) {
    this.tracerInUse = tracer;
    settleObserver.tracer = tracer;
  }
  private tracerInUse: Tracer | null = null;
  /** @internal Called at the start of every hub turn (greenthread.ts keeps its list of live threads). */
  onTurn: () => void = () => {};

  /** @internal Reads the clock anew: something woke up outside a hub turn (a timer, I/O). */
  stamp(): void {
    hubClock.stamp();
  }
  /** The package's single context store: the current scope. */
  readonly storage = new AsyncLocalStorage<Scope>();
  /** The root scope, current outside any green thread. Set by greenthread.ts. */
  root: Scope = new Scope(null);
  /**
   * Where AsyncLocalStorage is built on AsyncContextFrame (Node 24+), the context the hub's own
   * callbacks run in: captured once, at load, outside any green thread. Entering it allocates
   * nothing, where `storage.run()` makes two context frames per call.
   */
  private readonly outsideResource = HOOKED_STORAGE ? null : new AsyncResource('eventlet.hub');
  private ready: Runnable[] = [];
  private turnRequested = false;
  /** Start-up work waiting for the hub's first turn (`null` once that turn was requested). */
  private startupTasks: Array<() => void> | null = [];
  private readonly runBatch = (): void => this.runReady();

  /** The scope operations started now belong to. */
  currentScope(): Scope {
    return this.storage.getStore() ?? this.root;
  }

  /** Runs `fn(...args)` with `scope` as the current scope. */
  runIn<A extends unknown[], R>(scope: Scope, fn: (...args: A) => R, ...args: A): R {
    return this.storage.run(scope, fn, ...args);
  }

  /**
   * Runs `fn(...args)` in `scope` again: for a scope entered over and over from outside, as a
   * connection thread is on every chunk its socket delivers. Where AsyncLocalStorage is built on
   * AsyncContextFrame (Node 24+), `storage.run()` makes two context frames a call (~250 ns); this
   * enters a resource made once inside the scope instead (~25 ns). Elsewhere it is {@link runIn}.
   * @example hub.reenter(thread, push, socket, chunk);
   */
  reenter<A extends unknown[], R>(scope: Scope, fn: (...args: A) => R, ...args: A): R {
    if (HOOKED_STORAGE) return this.storage.run(scope, fn, ...args);
    const resource = (scope.contextResource ??= this.storage.run(scope, makeScopeResource));
    return resource.runInAsyncScope(fn, null, ...args);
  }

  /**
   * @internal Runs `fn(...args)` with no current scope, so callbacks it schedules (a timer, the
   * hub's immediate) do not run inside the caller's green thread. Not `storage.exit()`: on Node
   * 20/22 that disables the store, which turns the async hooks off and on again on every call.
   */
  runOutside<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    const resource = this.outsideResource;
    if (resource) return resource.runInAsyncScope(fn, null, ...args);
    return this.storage.run(undefined as unknown as Scope, fn, ...args);
  }

  /**
   * Runs `fn(...args)` in no green scope, every other `AsyncLocalStorage` store left as it is:
   * for callbacks that serve whoever uses a shared object rather than the thread that created it
   * (a pooled socket's data), so what they start is owned by nobody. Cheap when already outside.
   * @example hub.runUnowned(nativePush, socket, chunk); // 'data' listeners run in no green thread
   */
  runUnowned<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    if (this.storage.getStore() === undefined) return fn(...args);
    return this.storage.run(undefined as unknown as Scope, fn, ...args);
  }

  /** Queues `entry.run()` for the next hub turn (batched, in order). */
  schedule(entry: Runnable): void {
    this.ready.push(entry);
    if (!this.turnRequested) {
      this.turnRequested = true;
      this.runOutside(setImmediate, this.runBatch);
      if (this.startupTasks !== null) this.runStartupTasks();
    }
  }

  /**
   * Runs `task` (outside any green thread) when the hub is first asked for a turn — a thread
   * spawned, a sleep — or at once if it already was. For start-up work that does asynchronous I/O:
   * done at load, its pending request would keep the event loop of a program that never uses
   * green threads alive a turn longer than Node's own (an `unref()`'d immediate would run).
   * @example hub.whenActive(() => fsPromises.open(file).then(learn));
   */
  whenActive(task: () => void): void {
    if (this.startupTasks === null) this.runOutside(task);
    else this.startupTasks.push(task);
  }

  private runStartupTasks(): void {
    const tasks = this.startupTasks!;
    this.startupTasks = null;
    for (const task of tasks) {
      try {
        this.runOutside(task);
      } catch (err) {
        this.reportError(err, 'a hub start-up task');
      }
    }
  }

  /** Wakes `point` with `value` on the next hub turn (the waker does not yield). */
  wakeSoon<T>(point: Point<T>, value: T): void {
    point.value = value;
    this.schedule(point);
  }

  /**
   * Parks the caller at a cooperative point. `arm(point)` registers the point wherever it waits
   * (a waiter list, a timer, an operation) and returns the cleanup that undoes that. The returned
   * promise settles when the point is woken or interrupted; an interruption already waiting for
   * the current scope rejects it at once.
   * @example
   * const value = await hub.park<number>('event wait', (point) => {
   *   waiters.add(point);
   *   return () => waiters.delete(point);
   * });
   */
  park<T, C = undefined>(what: string, arm: (point: Point<T>, context: C) => Cleanup | void, context?: C): Promise<T> {
    const scope = this.currentScope();
    const err = scope.takeInterruption();
    if (err !== NONE) return Promise.reject(err);
    if (!hubClock.inTurn) hubClock.stamp(); // resumed by something other than a point: a new moment
    const promise = new Promise<T>(parkExecutor);
    const point = new Point<T>(scope, what, parkResolve as (value: T) => void, parkReject!);
    parkResolve = null;
    parkReject = null;
    scope.addPoint(point);
    if (this.tracerInUse !== null) this.tracerInUse.parked(point);
    let cleanup: Cleanup | void;
    try {
      cleanup = arm(point, context as C);
    } catch (err) {
      point.fail(err); // as a throw in a promise executor would, and the point leaves its scope
      return promise;
    }
    if (cleanup) {
      if (point.settled) cleanup(false, undefined);
      else point.cleanup = cleanup;
    }
    const root = scope.root;
    if (root.parkListeners) root.flushParkListeners();
    return promise;
  }

  /**
   * True when the current scope or one enclosing it was abandoned (see {@link Scope.abandon}): its
   * body may do no further green I/O, not even an operation that would not wait. Until some scope
   * has been abandoned this is a field read, so fast paths that skip a cooperative point (a recv
   * of buffered data, a sendall with room) can ask it on every call.
   * @example if (hub.inAbandonedScope()) return hub.park('socket recv', armRead, sock);
   */
  inAbandonedScope(): boolean {
    if (!abandonment.any) return false;
    for (let scope: Scope | null = this.currentScope(); scope !== null; scope = scope.parent) if (scope.poisoned) return true;
    return false;
  }

  /**
   * The scope that owns what is started now, or `null` outside green threads and their scopes
   * (where green modules behave exactly like Node's own) and in a scope that has already ended
   * (e.g. the connection handler of a server a finished thread left running): an ended scope is
   * never interrupted, so whatever it adopted would only be held forever.
   */
  ownerScope(): Scope | null {
    const scope = this.storage.getStore();
    return scope === undefined || scope === this.root || scope.ended ? null : scope;
  }

  /**
   * Runs a promise-returning operation as a cooperative point of the current scope: when the
   * scope is interrupted, the point rejects at once and the signal given to `start` aborts with
   * the interruption. An error `start` throws synchronously (Node's argument validation) is thrown
   * to the caller synchronously, as Node's own function would. A value that arrives after the
   * interruption goes to `discard` (e.g. to close a file handle nobody will see).
   * @example
   * const data = await hub.guard('fs readFile', (signal) => fsp.readFile(path, { signal }));
   */
  guard<T>(what: string, start: (signal: AbortSignal) => PromiseLike<T>, discard?: (value: T) => void): Promise<T> {
    let thrown: { error: unknown } | null = null;
    const guarded = this.park<T>(what, (point) => {
      const controller = new AbortController();
      let operation: PromiseLike<T>;
      try {
        operation = start(controller.signal);
      } catch (error) {
        thrown = { error };
        point.fail(error);
        return;
      }
      operation.then(
        (value) => (point.settled ? discard?.(value) : point.wake(value)),
        (err) => point.fail(err),
      );
      return (failed, reason) => {
        if (failed) controller.abort(reason);
      };
    });
    if (thrown === null) return guarded;
    guarded.catch(() => {});
    throw (thrown as { error: unknown }).error;
  }

  /**
   * The callback form of {@link Hub.guard}: `start(signal, done)` begins the operation, which
   * calls `done` with whatever Node passes to callbacks; `callback` then receives exactly those
   * arguments, or the interruption error alone, at once. Callbacks run from a microtask, so what
   * they throw is an uncaught exception, as with Node's own callbacks. Arguments that arrive after
   * an interruption go to `discard`.
   * @example hub.guardCallback('fs stat', (signal, done) => fs.stat(path, done), callback);
   */
  guardCallback(
    what: string,
    start: (signal: AbortSignal, done: (...args: unknown[]) => void) => void,
    callback: (...args: unknown[]) => unknown,
    discard?: (args: unknown[]) => void,
  ): void {
    const operation = (signal: AbortSignal): Promise<unknown[]> => {
      let finish: (args: unknown[]) => void = () => {};
      const outcome = new Promise<unknown[]>((resolve) => (finish = resolve));
      start(signal, (...args) => finish(args)); // outside the executor: a throw here stays synchronous
      return outcome;
    };
    this.guard(what, operation, discard).then(
      (args) => queueMicrotask(() => callback(...args)),
      (err: unknown) => queueMicrotask(() => callback(err)),
    );
  }

  /**
   * Makes `item` owned by the current scope, if any (see {@link Hub.ownerScope}); returns that
   * scope so the item can be disowned when it is released by other means.
   */
  own(item: Owned): Scope | null {
    const scope = this.ownerScope();
    scope?.adopt(item);
    return scope;
  }

  /**
   * Throws `err` into `scope`: the signals of the scope and of its children abort, and every
   * pending point of the scope and of its children rejects with it now; with none pending, the
   * next point reached in the scope throws it (not in the root: there the interruption is over).
   * Returns true when it was delivered to at least one parked point.
   */
  interrupt(scope: Scope, err: unknown): boolean {
    if (scope.ended) return false;
    scope.abortSignals(err);
    const points: AnyPoint[] = [];
    scope.collectPoints(points);
    if (points.length === 0) {
      if (scope.keepsInterruption) scope.setPending(err);
      scope.interruptOwned(err);
      return false;
    }
    for (const point of points) point.fail(err);
    scope.interruptOwned(err);
    return true;
  }

  /**
   * After the grace period, abandons `scope` with `reason` if it has neither ended nor parked at
   * a cooperative point, and `stillApplies()` (e.g. "the Timeout was not handled") holds.
   * Returns a function that calls the watch off; the scope ending calls it off too.
   */
  watch(scope: Scope, reason: unknown, stillApplies: () => boolean = () => true): () => void {
    const watchdog: Owned = {
      scopeEnded: () => clearTimeout(timer),
    };
    const check = (): void => {
      scope.disown(watchdog);
      if (!scope.ended && !scope.parked && stillApplies()) scope.abandon(reason);
    };
    const timer = this.runOutside(setTimeout, check, this.grace * 1000);
    scope.adopt(watchdog);
    return () => {
      clearTimeout(timer);
      scope.disown(watchdog);
    };
  }

  /** Resolves once `scope` parks at a cooperative point or ends. */
  afterParkOrEnd(scope: Scope): Promise<void> {
    if (scope.ended) return Promise.resolve();
    return new Promise((resolve) => (scope.parkListeners ??= []).push(resolve));
  }

  /**
   * Calls `fn` after `seconds` (chained for delays beyond `setTimeout`'s limit).
   * Returns a function that cancels it.
   */
  timer(seconds: number, fn: () => void, keepAlive = true): () => void {
    let remaining = Math.max(0, seconds * 1000);
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const step = Math.min(remaining, MAX_TIMER_MS);
      remaining -= step;
      handle = setTimeout(remaining > 0 ? arm : fn, step);
      if (!keepAlive) handle.unref();
    };
    this.runOutside(arm);
    return () => clearTimeout(handle);
  }

  /** Passes an error nobody else will see to {@link Hub.errorReporter}. */
  reportError(err: unknown, source: string): void {
    reporting.report(err, source);
  }

  /**
   * How `console.log` and `util.inspect` show the hub: its settings and how many entries wait in
   * the run queue for the next turn, none of its internals.
   * @example inspect(getHub()); // 'Hub { abandonGrace: 0.01, terminationGrace: 1, ready: 0 }'
   */
  [inspect.custom](): string {
    return `Hub { abandonGrace: ${this.grace}, terminationGrace: ${this.killGrace}, ready: ${this.ready.length} }`;
  }

  private runReady(): void {
    this.turnRequested = false;
    hubClock.stamp();
    const batch = this.ready;
    this.ready = [];
    this.onTurn();
    hubClock.inTurn = true;
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.run();
      } catch (err) {
        reporting.report(err, 'a hub callback');
      }
    }
    hubClock.inTurn = false;
  }
}

/** The process's hub. */
export const hub = new Hub();

/**
 * Returns the hub, eventlet's `hubs.get_hub()`: set `errorReporter` to route unobserved errors,
 * `abandonGrace` to tune how long an interrupted thread may stay away from cooperative points,
 * `terminationGrace` how long a child process it owned gets between `SIGTERM` and `SIGKILL`.
 * @example
 * import { getHub } from 'eventlet';
 * getHub().errorReporter = () => {}; // silence crash reports in a test
 */
export function getHub(): Hub {
  return hub;
}
