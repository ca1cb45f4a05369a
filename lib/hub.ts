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
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { inspect } from 'node:util';
import { requireSeconds } from './validate.js';

/** Node's own timer functions, captured before anything can patch them. */
const { setTimeout, clearTimeout, setImmediate } = globalThis;

/**
 * The hub clock's origin: `Date.now()` when the package loaded. The clock counts milliseconds
 * from here, a small integer that a point stores without allocating.
 * @example const parkedAt = new Date(CLOCK_ORIGIN + point.since);
 */
export const CLOCK_ORIGIN = Date.now();

/**
 * Something a scope owns: a Timeout, a socket with a request in flight, a timer, a file handle.
 * `interrupted` releases it when the scope is killed or times out (destroy, close, clear, with
 * `reason` as the error); `scopeEnded` runs once when the scope ends.
 */
export interface Owned {
  /** The owning scope (or an enclosing one) was interrupted by `reason`. */
  interrupted?(reason: unknown): void;
  /** The owning scope ended; `interrupted` tells whether it was killed or abandoned. */
  scopeEnded?(interrupted: boolean, reason: unknown): void;
}

/** The longest delay `setTimeout` accepts; longer waits are chained. */
const MAX_TIMER_MS = 0x7fffffff;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyPoint = Point<any>;

/** Undoes what a parked point set up; `failed` with `reason` when it did not complete. */
export type Cleanup = (failed: boolean, reason: unknown) => void;

/**
 * True where AsyncLocalStorage is built on async hooks (Node 20, 22) rather than on
 * AsyncContextFrame (Node 24+): the two make different operations cheap.
 */
const HOOKED_STORAGE = typeof (AsyncLocalStorage.prototype as unknown as { _propagate?: unknown })._propagate === 'function';

/** A collection a parked point waits in; the point removes itself from it when it settles. */
export interface WaitList<P> {
  delete(point: P): unknown;
}

/** How many owned items are being released right now (an item may re-adopt itself meanwhile). */
let releasing = 0;

/** Tells `item` its scope was interrupted by `reason`; what it throws goes to the reporter. */
function release(item: Owned, reason: unknown): void {
  releasing++;
  try {
    item.interrupted!(reason);
  } catch (err) {
    hub.reportError(err, 'releasing a resource of an interrupted green thread');
  } finally {
    releasing--;
  }
}

/** Marker for "no pending interruption". */
const NONE: unique symbol = Symbol('none');

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

/** A pending cooperative point: a parked promise that can be woken or interrupted. */
export class Point<T = unknown> {
  /** What the point waits on (`sleep`, `queue get`, `event wait`, ...), for diagnostics. */
  readonly what: string;
  /** The scope the point belongs to. */
  readonly scope: Scope;
  /**
   * When the point was parked, for diagnostics: the hub's clock (milliseconds since
   * {@link CLOCK_ORIGIN}, read once per hub turn and on every wake-up from a timer or I/O, see
   * {@link Hub.clock}), so within one turn of the true moment.
   */
  readonly since: number = hub.clock;
  /** Value handed over by {@link Hub.wakeSoon}. */
  value: T | undefined = undefined;
  /**
   * Undoes the point's side effects (remove a waiter, clear a timer, abort an operation); run on
   * every settle, with `failed` and the error when the point was failed or interrupted.
   */
  cleanup: Cleanup | undefined = undefined;
  /**
   * The waiter collection the point sits in (an Event's or a queue's), left on settle: the
   * closure-free form of a cleanup that only removes a waiter.
   */
  waitList: WaitList<Point<T>> | null = null;
  private done = false;
  private readonly resolveFn: (value: T) => void;
  private readonly rejectFn: (err: unknown) => void;

  constructor(scope: Scope, what: string, resolve: (value: T) => void, reject: (err: unknown) => void) {
    this.scope = scope;
    this.what = what;
    this.resolveFn = resolve;
    this.rejectFn = reject;
  }

  /** True once woken, failed or interrupted. */
  get settled(): boolean {
    return this.done;
  }

  /** Resumes the parked caller with `value`. Later calls do nothing. */
  wake(value: T): void {
    if (this.settle(false, undefined)) this.resolveFn(value);
  }

  /** Resumes the parked caller by throwing `err` at the point. Later calls do nothing. */
  fail(err: unknown): void {
    if (this.settle(true, err)) this.rejectFn(err);
  }

  /** Run-queue entry: wakes with the value stored by {@link Hub.wakeSoon}. */
  run(): void {
    this.wake(this.value as T);
  }

  private settle(failed: boolean, reason: unknown): boolean {
    if (this.done) return false;
    this.done = true;
    this.scope.removePoint(this);
    if (!hub.inTurn) hub.stamp(); // woken by a timer or I/O: a new moment
    const tracer = hub.tracer;
    if (tracer !== null) tracer.resumed(this);
    const list = this.waitList;
    if (list !== null) {
      this.waitList = null;
      list.delete(this);
    }
    const cleanup = this.cleanup;
    this.cleanup = undefined;
    if (cleanup) cleanup(failed, reason);
    return true;
  }
}

/**
 * The state few scopes ever need — a second parked point, an interruption in waiting, a signal —
 * kept out of every scope's own fields and made on first use, so a parked green thread stays small
 * (see the memory row of `npm run bench`).
 */
class RareState {
  onAbandon: ((reason: unknown) => void) | undefined = undefined;
  morePoints: Set<AnyPoint> | null = null;
  pending: unknown = NONE;
  poison: unknown = NONE;
  parkListeners: Array<() => void> | null = null;
  controller: AbortController | null = null;
  abortReason: unknown = NONE;
}

/**
 * A unit of ownership: a green thread or a `withTimeout` scope inside one. Holds the cooperative
 * points parked in it, its child scopes, what it owns, and an interruption waiting to be thrown.
 */
export class Scope {
  /** The enclosing scope (`null` for green threads and the root). */
  readonly parent: Scope | null;
  /** Set once the scope has ended (returned, failed, or abandoned). */
  ended = false;
  private point: AnyPoint | null = null;
  private children: Set<Scope> | null = null;
  private owned: Set<Owned> | null = null;
  private rareState: RareState | null = null;

  /** The scope's rarely used state, made on first write. */
  private get rare(): RareState {
    return (this.rareState ??= new RareState());
  }

  /** Called when the scope is abandoned; its owner stops waiting for the body. */
  get onAbandon(): ((reason: unknown) => void) | undefined {
    return this.rareState?.onAbandon;
  }
  set onAbandon(fn: ((reason: unknown) => void) | undefined) {
    this.rare.onAbandon = fn;
  }

  /** Resolvers waiting for this scope to park again (see {@link Hub.afterParkOrEnd}). */
  get parkListeners(): Array<() => void> | null {
    return this.rareState === null ? null : this.rareState.parkListeners;
  }
  set parkListeners(listeners: Array<() => void> | null) {
    if (listeners !== null || this.rareState !== null) this.rare.parkListeners = listeners;
  }

  private get morePoints(): Set<AnyPoint> | null {
    return this.rareState === null ? null : this.rareState.morePoints;
  }

  /** The interruption waiting for the scope's next cooperative point, or NONE. */
  private get pending(): unknown {
    return this.rareState === null ? NONE : this.rareState.pending;
  }
  private set pending(err: unknown) {
    if (err !== NONE || this.rareState !== null) this.rare.pending = err;
  }

  /** What every cooperative point of an abandoned scope throws, or NONE. */
  private get poison(): unknown {
    return this.rareState === null ? NONE : this.rareState.poison;
  }

  /** True while the scope's thread is being killed; green threads override it. */
  get dying(): boolean {
    return false;
  }

  /**
   * The scope's `AbortSignal`: aborted, with the interruption as its reason, when this scope or
   * an enclosing one is killed or times out (see `currentSignal()`). Made on first use.
   */
  get signal(): AbortSignal {
    const rare = this.rare;
    if (rare.controller === null) {
      rare.controller = new AbortController();
      if (rare.abortReason !== NONE) rare.controller.abort(rare.abortReason);
    }
    return rare.controller.signal;
  }

  /**
   * @internal The scope (or an enclosing one) is interrupted by `reason`: its signal aborts for
   * good. The root and connection threads override it (their interruptions are transient).
   */
  abortSignal(reason: unknown): void {
    const rare = this.rare;
    if (rare.abortReason !== NONE) return;
    rare.abortReason = reason;
    if (rare.controller !== null) rare.controller.abort(reason);
  }

  /**
   * @internal Aborts the signal handed out so far with `reason` and forgets it, so that the next
   * `signal` is a fresh one: for scopes that go on serving after an interruption.
   */
  protected abortSignalOnce(reason: unknown): void {
    const rare = this.rareState;
    if (rare === null) return;
    const controller = rare.controller;
    rare.controller = null;
    controller?.abort(reason);
  }

  /**
   * True when an interruption that reaches no pending point waits for the scope's next one; the
   * root forgets it instead (a root interruption is transient).
   */
  get keepsInterruption(): boolean {
    return true;
  }

  constructor(parent: Scope | null) {
    this.parent = parent;
    if (parent) (parent.children ??= new Set()).add(this);
  }

  /** Inspects compactly: the scope's state, none of its points, children or owned items. */
  [inspect.custom](): string {
    return `Scope { ${this.ended ? 'ended' : this.parked ? 'parked' : 'running'} }`;
  }

  /** The outermost scope: the green thread this scope runs in. */
  get root(): Scope {
    let scope: Scope = this;
    while (scope.parent) scope = scope.parent;
    return scope;
  }

  /** True while at least one cooperative point of this scope or a child scope is pending. */
  get parked(): boolean {
    if (this.point || (this.morePoints && this.morePoints.size > 0)) return true;
    if (this.children) for (const child of this.children) if (child.parked) return true;
    return false;
  }

  /** The first pending point, for diagnostics. */
  get parkedAt(): Point | null {
    if (this.point) return this.point;
    if (this.morePoints) for (const p of this.morePoints) return p as Point;
    if (this.children) for (const child of this.children) if (child.parkedAt) return child.parkedAt;
    return null;
  }

  /** True once the scope was abandoned (and so poisoned). */
  get poisoned(): boolean {
    return this.poison !== NONE;
  }

  /**
   * Registers something released when the scope ends. A scope already interrupted, whose exception
   * has not been thrown yet (its thread was woken just before the kill) or that was abandoned,
   * releases the item at once, as the interruption would have: right after the current synchronous
   * step, so the caller finishes setting it up (a socket starts connecting) before it is destroyed.
   */
  adopt(item: Owned): void {
    (this.owned ??= new Set()).add(item);
    if (releasing > 0 || !item.interrupted) return; // an item re-adopting itself while it is released
    const reason = this.interruptionWaiting();
    if (reason !== NONE) queueMicrotask(() => this.releaseLate(item, reason));
  }

  /** The interruption this scope (or an enclosing one) has not thrown yet, or its poison. */
  private interruptionWaiting(): unknown {
    for (let scope: Scope | null = this; scope; scope = scope.parent) {
      if (scope.poison !== NONE) return scope.poison;
      if (scope.pending !== NONE) return scope.pending;
    }
    return NONE;
  }

  /** Releases `item`, adopted after the interruption `reason`, if it is still owned. */
  private releaseLate(item: Owned, reason: unknown): void {
    if (!this.owned?.delete(item)) return;
    release(item, reason);
  }

  /** Forgets an owned item (it was released by other means). */
  disown(item: Owned): void {
    this.owned?.delete(item);
  }

  /** @internal */
  addPoint(point: AnyPoint): void {
    if (this.point === null) this.point = point;
    else (this.rare.morePoints ??= new Set()).add(point);
  }

  /** @internal */
  removePoint(point: AnyPoint): void {
    if (this.point === point) this.point = null;
    else this.morePoints?.delete(point);
  }

  /**
   * Ends the scope: detaches it from its parent and tells what it owns. Idempotent.
   * `interrupted` is true when the scope was killed, timed out without handling, or abandoned.
   */
  end(interrupted: boolean, reason?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.parent?.children?.delete(this);
    if (this.rareState !== null) this.rareState.pending = NONE;
    const owned = this.owned;
    this.owned = null;
    if (owned) for (const item of owned) item.scopeEnded?.(interrupted, reason);
    hub.flushParkListeners(this);
  }

  /**
   * Gives up on the scope's body: poisons it (every later cooperative point in it rejects with
   * `reason`), ends it as interrupted and tells its owner. Does nothing to an ended scope.
   */
  abandon(reason: unknown): void {
    if (this.ended) return;
    this.rare.poison = reason;
    hub.noteAbandoned();
    this.interruptOwned(reason);
    const onAbandon = this.onAbandon;
    this.end(true, reason);
    if (onAbandon) onAbandon(reason);
  }

  /** @internal Takes the interruption waiting for the next point, looking at enclosing scopes too. */
  takeInterruption(): unknown {
    for (let scope: Scope | null = this; scope; scope = scope.parent) {
      if (scope.poison !== NONE) return scope.poison;
      const err = scope.pending;
      if (err !== NONE) {
        scope.pending = NONE;
        return err;
      }
    }
    return NONE;
  }

  /** @internal Leaves `err` to be thrown at the scope's next cooperative point. */
  setPending(err: unknown): void {
    this.pending = err;
  }

  /**
   * @internal Forgets `err` if it still waits for the scope's next cooperative point: whoever
   * raised it (a cancelled `Timeout`) has acknowledged it, or it was dealt with otherwise (a
   * connection thread destroying its request). Another interruption stays. True if it was taken.
   */
  withdrawPending(err: unknown): boolean {
    if (this.pending !== err) return false;
    this.pending = NONE;
    return true;
  }

  /**
   * @internal The interruption of this very scope that no cooperative point has thrown yet (its
   * body was away from points when it came and has not reached one since), or `null`.
   */
  undeliveredInterruption(): { reason: unknown } | null {
    return this.pending === NONE ? null : { reason: this.pending };
  }

  /** @internal Tells what this scope and its children own that they were interrupted. */
  interruptOwned(reason: unknown): void {
    if (this.owned) {
      for (const item of [...this.owned]) {
        if (!item.interrupted) continue;
        this.owned.delete(item);
        release(item, reason);
      }
    }
    if (this.children) for (const child of this.children) child.interruptOwned(reason);
  }

  /** @internal Aborts the signals of this scope and of its children with `reason`. */
  abortSignals(reason: unknown): void {
    this.abortSignal(reason);
    if (this.children) for (const child of this.children) child.abortSignals(reason);
  }

  /** @internal Collects the pending points of this scope and its children. */
  collectPoints(into: AnyPoint[]): void {
    if (this.point) into.push(this.point);
    if (this.morePoints) for (const p of this.morePoints) into.push(p);
    if (this.children) for (const child of this.children) child.collectPoints(into);
  }
}

/** Receives errors that nobody else will see. */
export type ErrorReporter = (err: unknown, source: string) => void;

/** Prints the error with its stack to stderr. */
export function printError(err: unknown, source: string): void {
  const text = err instanceof Error ? err.stack ?? String(err) : String(err);
  process.stderr.write(`eventlet: ${source} failed:\n${text}\n`);
}

/**
 * Diagnostics hooks (see debug.ts): told when a cooperative point parks and settles and when a
 * green thread's body starts and ends. Unset (`null`) unless a diagnostic needs it, so the hub's
 * hot paths pay one comparison.
 */
export interface Tracer {
  /** `point` was just registered on its scope (its arm has run). */
  parked(point: AnyPoint): void;
  /** `point` was woken, failed or interrupted: its thread resumes from there. */
  resumed(point: AnyPoint): void;
  /** The body of green thread `thread` is about to start. */
  started(thread: Scope): void;
  /** Green thread `thread` ended (returned, failed, was killed or abandoned). */
  ended(thread: Scope): void;
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
  /** Where unobserved errors go. Replace it to log elsewhere; the default prints to stderr. */
  errorReporter: ErrorReporter = printError;
  /** Seconds an interrupted scope may stay away from cooperative points before it is abandoned. */
  abandonGrace = 0.01;
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
  /** @internal Diagnostics hooks, set by debug.ts while a diagnostic needs them. */
  tracer: Tracer | null = null;
  /**
   * @internal The hub's coarse clock, that parked points are stamped with: milliseconds since
   * {@link CLOCK_ORIGIN} (`Date.now()`, the cheapest clock Node has), read at the start of every
   * hub turn and whenever a point is woken outside one (by a timer, I/O or a thread ending), so
   * parking costs no clock read of its own.
   */
  clock = 0;
  /** @internal True while the run queue's batch runs. */
  inTurn = false;
  /** @internal Called at the start of every hub turn (greenthread.ts keeps its list of live threads). */
  onTurn: () => void = () => {};

  /** @internal Reads the clock anew: something woke up outside a hub turn (a timer, I/O). */
  stamp(): void {
    this.clock = Date.now() - CLOCK_ORIGIN;
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
  /** Set once any scope has been abandoned (it stays poisoned for good). */
  private anyAbandoned = false;
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
    if (!this.inTurn) this.stamp(); // resumed by something other than a point: a new moment
    const promise = new Promise<T>(parkExecutor);
    const point = new Point<T>(scope, what, parkResolve as (value: T) => void, parkReject!);
    parkResolve = null;
    parkReject = null;
    scope.addPoint(point);
    if (this.tracer !== null) this.tracer.parked(point);
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
    if (root.parkListeners) this.flushParkListeners(root);
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
    if (!this.anyAbandoned) return false;
    for (let scope: Scope | null = this.currentScope(); scope !== null; scope = scope.parent) if (scope.poisoned) return true;
    return false;
  }

  /** @internal A scope was abandoned: {@link Hub.inAbandonedScope} must look from now on. */
  noteAbandoned(): void {
    this.anyAbandoned = true;
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
    const timer = this.runOutside(setTimeout, check, this.abandonGrace * 1000);
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

  /** @internal */
  flushParkListeners(scope: Scope): void {
    const listeners = scope.parkListeners;
    if (!listeners) return;
    scope.parkListeners = null;
    for (const resolve of listeners) resolve();
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
    try {
      this.errorReporter(err, source);
    } catch (reporterError) {
      printError(reporterError, 'the hub error reporter');
    }
  }

  private runReady(): void {
    this.turnRequested = false;
    this.stamp();
    const batch = this.ready;
    this.ready = [];
    this.onTurn();
    this.inTurn = true;
    for (let i = 0; i < batch.length; i++) {
      try {
        batch[i]!.run();
      } catch (err) {
        this.reportError(err, 'a hub callback');
      }
    }
    this.inTurn = false;
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
