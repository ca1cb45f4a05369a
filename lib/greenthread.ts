/**
 * Green threads: async functions started by the hub in their own scope, which can be waited for,
 * linked to, killed and cancelled. See DESIGN.md §3 "Green threads".
 */
import { inspect } from 'node:util';
import { hub, Scope, type Point, type Runnable } from './hub.js';
import { interruptionOutcome } from './timeout.js';
import { requireSignal, whenAborted } from './signals.js';
import { isThenable, requireFunction, requireSeconds } from './validate.js';

/**
 * The default exception of `kill()`: "this thread was asked to exit". Never reported by the hub.
 * @example
 * const t = spawn(() => sleep(10));
 * await t.kill();
 * await t.wait().catch((e) => e instanceof GreenletExit); // true
 */
export class GreenletExit extends Error {
  constructor(message = 'green thread killed') {
    super(message);
    this.name = 'GreenletExit';
  }
}

/** A function called when a thread ends, with the thread and the curried arguments. */
export type LinkCallback<T, A extends unknown[]> = (thread: GreenThread<T>, ...args: A) => void;

/** Options for a new green thread. */
export interface GreenThreadOptions {
  /** A name shown in diagnostics. */
  name?: string;
}

const enum Outcome {
  Pending,
  Returned,
  Failed,
}

/**
 * The bits of a thread's `status`, one number instead of five fields (a parked thread stays
 * small): its {@link Outcome} in the low two bits, then what has happened to it.
 */
const enum Status {
  OutcomeBits = 3,
  Started = 4,
  Killed = 8,
  KeepsResult = 16,
  Collected = 32,
}

/** A parked `wait()`. Only its methods are named, so a `GreenThread<number>` is a `GreenThread<unknown>`. */
type Waiter<T> = Pick<Point<T>, 'wake' | 'fail'>;

/** A bookkeeping hook run when a thread ends, stored without its `T` (see {@link Waiter}). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EndHook = (thread: GreenThread<any>) => void;

interface Link {
  fn: (thread: GreenThread<never>, ...args: unknown[]) => void;
  args: unknown[];
}

let nextId = 1;

/**
 * The live green threads, kept cheaply for the many that live only a moment: a new thread goes
 * into `recent`; at the start of each hub turn the threads made before the previous turn
 * (`previous`, which have had their first turn by then) that are still alive move into `live`,
 * where each knows its slot, so leaving is a swap with the last one. A thread that ends within
 * its first turn is never copied anywhere; none of the lists keeps an ended thread for longer
 * than two turns.
 */
const live: GreenThread<unknown>[] = [];
let recent: GreenThread<unknown>[] = [];
let previous: GreenThread<unknown>[] = [];

/** A run-queue entry that does nothing: it only makes the hub take one more turn. */
const NEXT_TURN: Runnable = { run() {} };

/** At the start of each hub turn: the survivors of `previous` become long-lived. */
function promoteSurvivors(): void {
  if (previous.length === 0 && recent.length === 0) return; // a turn without new threads (sleep(0), queues)
  const survivors = previous;
  previous = recent;
  recent = [];
  if (previous.length > 0) hub.schedule(NEXT_TURN); // so that they are looked at even if nothing else runs
  for (let i = 0; i < survivors.length; i++) {
    const thread = survivors[i]!;
    if (!thread.dead && thread.liveSlot < 0) {
      thread.liveSlot = live.length;
      live.push(thread);
    }
  }
}

/**
 * A green thread: an async function run by the hub in its own scope. Made by `spawn`, `spawnN`
 * and `spawnAfter`; not constructed directly.
 * @example
 * const t = spawn(async (a: number, b: number) => a + b, 1, 2);
 * console.log(await t.wait()); // 3
 */
export class GreenThread<T = unknown> extends Scope implements Runnable {
  /** A number unique to this thread in the process. */
  readonly id = nextId++;
  /** An optional name for diagnostics. */
  name: string | undefined;
  /** The outcome and flags, see {@link Status}. */
  private status: number;
  private fn: ((...args: unknown[]) => T | PromiseLike<T>) | null;
  private args: unknown[] | null;
  private result: unknown = undefined;
  private killError: unknown = undefined;
  /** @internal The exception the thread was killed with. */
  protected get killException(): unknown {
    return this.killError;
  }
  private waiters: Set<Waiter<T>> | null = null;
  private links: Link[] | null = null;
  /** The bookkeeping hooks run at the end: one alone (a pool's), or a list. */
  private endHooks: EndHook | EndHook[] | null = null;
  private cancelStart: (() => void) | null = null;
  /** @internal This thread's index in the long-lived list of live threads, -1 when not in it. */
  liveSlot = -1;

  /** @internal Use `spawn`, `spawnN` or `spawnAfter`. */
  constructor(fn: (...args: never[]) => T | PromiseLike<T>, args: unknown[], keepsResult = true, options?: GreenThreadOptions) {
    super(null);
    this.fn = fn as (...args: unknown[]) => T | PromiseLike<T>;
    this.args = args;
    this.status = keepsResult ? Status.KeepsResult : 0;
    this.name = options?.name;
    this.enterLive();
  }

  /** True once the body has been started. */
  get started(): boolean {
    return (this.status & Status.Started) !== 0;
  }

  /** @internal Counts the thread as started (the main thread is from the outset). */
  protected markStarted(): void {
    this.status |= Status.Started;
  }

  private get outcome(): Outcome {
    return this.status & Status.OutcomeBits;
  }

  private get killed(): boolean {
    return (this.status & Status.Killed) !== 0;
  }

  private get keepsResult(): boolean {
    return (this.status & Status.KeepsResult) !== 0;
  }

  /** True once the thread has finished, been killed, cancelled or abandoned. */
  get dead(): boolean {
    return this.outcome !== Outcome.Pending;
  }

  /** Where the thread is: `scheduled`, `running`, `parked`, `dying` or `dead`. */
  get state(): 'scheduled' | 'running' | 'parked' | 'dying' | 'dead' {
    if (this.dead) return 'dead';
    if (!this.started) return 'scheduled';
    if (this.killed) return 'dying';
    return this.parked ? 'parked' : 'running';
  }

  /**
   * Aborted (reason: the exception) when the thread is killed or one of its Timeouts fires, so
   * APIs that take a signal (`fetch`, `fs.promises`, `events.once`) stop with it. Inside a
   * `withTimeout` scope, `currentSignal()` is the one that also aborts when that scope times out.
   * @example spawn(() => fetch(url, { signal: getCurrent().signal }))
   */
  override get signal(): AbortSignal {
    return super.signal;
  }

  /** @internal Starts the body (run queue entry). */
  run(): void {
    if (this.outcome !== Outcome.Pending) return;
    this.status |= Status.Started;
    this.cancelStart = null;
    const fn = this.fn!;
    const args = this.args!;
    this.fn = null;
    this.args = null;
    if (hub.tracer !== null) hub.tracer.started(this);
    hub.runIn(this, startBody, this, fn, args);
  }

  /** @internal Schedules the start in `seconds` (spawnAfter). */
  startAfter(seconds: number): void {
    this.cancelStart = hub.timer(seconds, () => {
      hub.stamp();
      this.run();
    });
  }

  /**
   * Resolves with the thread's return value or rejects with its exception (the kill exception if
   * it was killed, the `Timeout` if one of its Timeouts ended it). A cooperative point. Called
   * from the thread itself (the main thread's from outside any spawned thread) it rejects at
   * once with an `Error`: a thread waiting for itself would never finish.
   * @example const value = await spawn(compute).wait();
   */
  wait(): Promise<T> {
    if (this.outcome === Outcome.Returned) return Promise.resolve(this.result as T);
    if (this.outcome === Outcome.Failed) return Promise.reject(this.result);
    if (hub.currentScope().root === this) {
      return Promise.reject(new Error(`GreenThread.wait: a green thread cannot wait for itself (${this.toString()} calling its own wait() would never finish)`));
    }
    return hub.park<T>('green thread wait', (point) => {
      (this.waiters ??= new Set()).add(point);
      return () => this.waiters?.delete(point);
    });
  }

  /**
   * Kills the thread. Not started: it never runs. Parked at a cooperative point: `exc` is thrown
   * there and its `finally` blocks run. Awaiting anything else: the thread is given a few
   * milliseconds, then abandoned (it counts as dead, `wait()` rejects, and its body can do no
   * further green I/O). Settles once the exception has been handled: the thread finished, parked
   * again (it is then left to run on), or was abandoned. Killing a dead thread does nothing.
   * @example await thread.kill(); // or thread.kill(new Error('shutting down'))
   */
  kill(exc: unknown = new GreenletExit()): Promise<void> {
    if (this.dead) return Promise.resolve();
    this.status |= Status.Killed;
    this.killError = exc;
    this.abortSignal(exc);
    if (!this.started) {
      this.cancelStart?.();
      this.cancelStart = null;
      this.fn = null;
      this.args = null;
      this.finish(Outcome.Failed, exc, true);
      return Promise.resolve();
    }
    hub.interrupt(this, exc);
    const stopWatch = hub.watch(this, exc);
    // Parked again means the exception was handled: the thread is not abandoned later.
    return hub.afterParkOrEnd(this).then(stopWatch);
  }

  /**
   * Kills the thread only if it has not started yet; otherwise does nothing.
   * @example const t = spawnAfter(5, job); await t.cancel(); // job never runs
   */
  cancel(exc: unknown = new GreenletExit()): Promise<void> {
    if (this.started || this.dead) return Promise.resolve();
    return this.kill(exc);
  }

  /**
   * Ties the thread to `signal`: when it aborts, the thread is killed with `signal.reason` (right
   * away if it already has: a thread that has not started then never runs). Returns the thread,
   * so a thread that a signal kills is spawned as `spawn(fn, ...args).killOn(signal)`. The
   * listener goes when the thread ends.
   * @example
   * const job = spawn(crawl, url).killOn(AbortSignal.timeout(5000));
   * await job.wait(); // rejects with the signal's TimeoutError (isTimeout: true) after 5 s
   */
  killOn(signal: AbortSignal): this {
    requireSignal('GreenThread.killOn', 'signal', signal);
    if (this.dead) return this;
    if (signal.aborted) {
      // In a microtask: still before a new thread's start, and after the caller's `.wait()` or `.link()`.
      queueMicrotask(() => void this.kill(signal.reason));
      return this;
    }
    const stopListening = whenAborted(signal, (reason) => void this.kill(reason));
    this.onEnd(stopListening);
    return this;
  }

  /**
   * Calls `fn(thread, ...args)` when the thread ends (at once if it already has).
   * @example thread.link((t, label) => t.wait().then(console.log), 'done');
   */
  link<A extends unknown[]>(fn: LinkCallback<T, A>, ...args: A): void {
    requireFunction('GreenThread.link', 'fn', fn);
    const link = { fn, args } as unknown as Link;
    if (this.dead) {
      this.callLink(link);
      return;
    }
    (this.links ??= []).push(link);
  }

  /**
   * Removes the first link registered with the same function and arguments; true if one was.
   * @example thread.unlink(onDone); // true, then false
   */
  unlink<A extends unknown[]>(fn: LinkCallback<T, A>, ...args: A): boolean {
    const links = this.links;
    if (!links) return false;
    const index = links.findIndex((l) => l.fn === (fn as unknown) && sameArgs(l.args, args));
    if (index < 0) return false;
    links.splice(index, 1);
    return true;
  }

  /** @internal Bookkeeping hook run when the thread ends (pools use it); not a user link. */
  onEnd(hook: (thread: GreenThread<T>) => void): void {
    if (this.dead) hook(this);
    else if (this.endHooks === null) this.endHooks = hook;
    else if (typeof this.endHooks === 'function') this.endHooks = [this.endHooks, hook];
    else this.endHooks.push(hook);
  }

  override get dying(): boolean {
    return this.killed && !this.dead;
  }

  /**
   * @internal What `wait()` settles with, for a dead thread that keeps its result: returns its
   * value or throws its exception, without a promise.
   */
  outcomeNow(): T {
    if (this.outcome === Outcome.Returned) return this.result as T;
    throw this.result;
  }

  /** @internal A consumer (GreenPile, imap) will collect the outcome: a failure is not reported. */
  willBeCollected(): this {
    this.status |= Status.Collected;
    return this;
  }

  override abandon(reason: unknown): void {
    if (this.ended) return;
    super.abandon(reason);
    this.finish(Outcome.Failed, reason, true);
  }

  /** Inspects as its name and state (`GreenThread#3 (worker) { parked: 'sleep' }`), none of its internals. */
  override [inspect.custom](): string {
    const point = this.started && !this.dead ? this.parkedAt : null;
    return `${this.toString()} { ${this.state}${point ? `: '${point.what}'` : ''} }`;
  }

  override toString(): string {
    return `GreenThread#${this.id}${this.name ? ` (${this.name})` : ''}`;
  }

  /** @internal The body returned `value` or threw it: the thread ends. */
  bodySettled(returned: boolean, value: unknown): void {
    if (this.dead) return; // abandoned earlier: the late result is dropped
    const outcome = interruptionOutcome(this, returned, value, this.killed, this.killError);
    this.finish(outcome.returned ? Outcome.Returned : Outcome.Failed, outcome.value, this.killed);
  }

  private finish(outcome: Outcome, value: unknown, interrupted: boolean): void {
    if (this.outcome !== Outcome.Pending) return;
    this.status |= outcome;
    this.result = this.keepsResult || outcome === Outcome.Failed ? value : undefined;
    const failed = outcome === Outcome.Failed;
    const collected = (this.status & Status.Collected) !== 0;
    const observed = this.keepsResult && (collected || this.waiters?.size || this.links?.length) && !hub.reportEveryFailure;
    this.leaveLive();
    if (hub.tracer !== null) hub.tracer.ended(this);
    this.end(interrupted, value);
    this.wakeWaiters();
    this.runEndHooks();
    this.runLinks();
    if (failed && !observed && !(value instanceof GreenletExit)) hub.reportError(value, this.toString());
    if (!this.keepsResult) this.result = undefined;
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    if (!waiters) return;
    this.waiters = null;
    for (const point of waiters) {
      if (this.outcome === Outcome.Returned) point.wake(this.result as T);
      else point.fail(this.result);
    }
  }

  private runEndHooks(): void {
    const hooks = this.endHooks;
    this.endHooks = null;
    if (typeof hooks === 'function') hooks(this);
    else if (hooks !== null) for (const hook of hooks) hook(this);
  }

  private runLinks(): void {
    while (this.links && this.links.length > 0) this.callLink(this.links.shift()!);
    this.links = null;
  }

  private callLink(link: Link): void {
    try {
      link.fn(this as unknown as GreenThread<never>, ...link.args);
    } catch (err) {
      hub.reportError(err, `a link callback of ${this.toString()}`);
    }
  }

  /** @internal Enters the list of live threads (the main thread never does). */
  protected enterLive(): void {
    recent.push(this as GreenThread<unknown>);
  }

  /** Leaves the long-lived list of live threads, if it is there (at the end). */
  private leaveLive(): void {
    const slot = this.liveSlot;
    if (slot < 0) return;
    this.liveSlot = -1;
    const last = live.pop()!;
    if (last === this) return;
    live[slot] = last;
    last.liveSlot = slot;
  }
}

/** The main green thread: the root scope, current outside any spawned thread. It cannot be killed. */
export class MainThread extends GreenThread<never> {
  constructor() {
    super(() => undefined as never, [], false, { name: 'main' });
    this.markStarted();
  }

  /** The main thread is not listed among the live threads. */
  protected override enterLive(): void {}

  override get state(): 'running' | 'parked' {
    return this.parked ? 'parked' : 'running';
  }

  override kill(): Promise<void> {
    return Promise.reject(new TypeError('GreenThread.kill: the main green thread cannot be killed'));
  }

  /** A root interruption is transient: the main thread's signal never aborts. */
  override abortSignal(): void {}

  /** A root interruption that reaches no pending point is over: nothing is left to throw later. */
  override get keepsInterruption(): boolean {
    return false;
  }
}

const main = new MainThread();
hub.root = main;
hub.onTurn = promoteSurvivors;

/**
 * @internal The live green threads (spawned, not yet ended; not the main thread), oldest first.
 * @example for (const thread of liveThreads()) console.log(thread.id, thread.state);
 */
export function liveThreads(): GreenThread<unknown>[] {
  const young = [...previous, ...recent].filter((t) => !t.dead && t.liveSlot < 0);
  return [...live, ...young].sort((a, b) => a.id - b.id);
}

/**
 * Runs a thread's body inside the thread's own context and hears how it ends. A native promise is
 * followed with two module-level handlers that find their thread as the current scope (a promise
 * reaction runs in the context it was registered in): no closures per thread, and on Node 24+ no
 * context frame of its own for the reaction. Other thenables get closures.
 */
function startBody(thread: GreenThread<unknown>, fn: (...args: unknown[]) => unknown, args: unknown[]): void {
  let value: unknown;
  try {
    value = fn(...args);
  } catch (err) {
    thread.bodySettled(false, err);
    return;
  }
  if (value instanceof Promise && Object.getPrototypeOf(value) === Promise.prototype) {
    value.then(bodyReturned, bodyFailed);
  } else if (isThenable(value)) {
    value.then(
      (v) => thread.bodySettled(true, v),
      (e) => thread.bodySettled(false, e),
    );
  } else {
    thread.bodySettled(true, value);
  }
}

/** The body's promise fulfilled: the current scope is its thread (see {@link startBody}). */
function bodyReturned(value: unknown): void {
  (hub.currentScope() as GreenThread<unknown>).bodySettled(true, value);
}

/** The body's promise rejected: the current scope is its thread (see {@link startBody}). */
function bodyFailed(err: unknown): void {
  (hub.currentScope() as GreenThread<unknown>).bodySettled(false, err);
}

function sameArgs(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * Starts `fn(...args)` as a green thread on the next hub turn (never synchronously; threads start
 * in spawn order). Returns its {@link GreenThread}; `spawn(fn, ...args).killOn(signal)` makes it a
 * thread that an `AbortSignal` kills (see {@link GreenThread.killOn}).
 * @example
 * const t = spawn(async (url: string) => (await fetch(url)).status, 'http://localhost:8080/');
 * console.log(await t.wait());
 */
export function spawn<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): GreenThread<Awaited<T>> {
  requireFunction('spawn', 'fn', fn);
  return startThread(fn as never, args, true) as GreenThread<Awaited<T>>;
}

/**
 * @internal Schedules a new thread running `fn(...args)`, `args` taken as they are (no copy):
 * `spawn` and `spawnN` after their checks, and pools, which hold their arguments already.
 */
export function startThread<T>(fn: (...args: any[]) => T | PromiseLike<T>, args: unknown[], keepsResult: boolean): GreenThread<Awaited<T>> {
  const thread = new GreenThread<Awaited<T>>(fn as never, args, keepsResult);
  hub.schedule(thread);
  return thread;
}

/**
 * Like {@link spawn} but keeps no result: its exceptions go to the hub's error reporter (never to
 * an unhandled rejection). The handle can still be killed and tells `dead`.
 * @example spawnN(logForever, 'worker-1');
 */
export function spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): GreenThread<void> {
  requireFunction('spawnN', 'fn', fn);
  return startThread(fn as never, args, false) as GreenThread<void>;
}

/**
 * Starts `fn(...args)` as a green thread after `seconds`, whatever happens to the caller.
 * `cancel()` before then means it never runs.
 * @example const reminder = spawnAfter(60, sendReminder, userId);
 */
export function spawnAfter<A extends unknown[], T>(seconds: number, fn: (...args: A) => T | PromiseLike<T>, ...args: A): GreenThread<Awaited<T>> {
  const delay = requireSeconds('spawnAfter', 'seconds', seconds, { allowNegative: true })!;
  requireFunction('spawnAfter', 'fn', fn);
  const thread = new GreenThread<Awaited<T>>(fn as never, args);
  thread.startAfter(delay);
  return thread;
}

/**
 * Suspends the caller for at least `seconds` (default 0) while other green threads and I/O run.
 * `sleep(0)` lets every ready thread and pending I/O callback run, then resumes. A cooperative point.
 * @example await sleep(0.5);
 */
export function sleep(seconds = 0): Promise<void> {
  const delay = seconds === 0 ? 0 : requireSeconds('sleep', 'seconds', seconds, ALLOW_NEGATIVE)!;
  if (delay <= 0) return hub.park<void>('sleep', scheduleSoon);
  return hub.park<void>('sleep', (point) => hub.timer(delay, () => point.wake()));
}

const ALLOW_NEGATIVE = { allowNegative: true } as const;

/** `sleep(0)`'s arm: wake on the next hub turn (a module-level function: no closure per call). */
function scheduleSoon(point: Point<void>): void {
  hub.schedule(point);
}

/**
 * The green thread running now: a {@link GreenThread} inside spawned code, the main thread outside.
 * @example spawn(() => console.log(getCurrent().id));
 */
export function getCurrent(): GreenThread<unknown> {
  return hub.currentScope().root as GreenThread<unknown>;
}
