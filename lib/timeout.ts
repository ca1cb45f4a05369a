/**
 * Timeouts bound to the green thread (or `withTimeout` scope) that created them.
 * See DESIGN.md §3 "Timeout".
 */
import { inspect } from 'node:util';
import { hub, Scope, type Owned } from './hub.js';
import { requireSignal, whenAborted } from './signals.js';
import { describe, requireFunction, requireSeconds } from './validate.js';

/** What a Timeout throws when it fires: itself (`undefined`/`null`/`true`), silently itself (`false`), a class, or an instance. */
export type TimeoutException = undefined | null | boolean | (new () => unknown) | object;

/**
 * Raises an exception in the green thread (or scope) that created it after `seconds`, at the
 * cooperative point where that thread waits. Starts at once; `null`/`undefined` seconds never fire.
 * @example
 * using t = new Timeout(2);          // cancelled when the block exits
 * try { await queue.get(); } catch (e) { if (e !== t) throw e; console.log('gave up'); }
 */
export class Timeout extends Error implements Owned {
  /** Always true: `isTimeout()` looks for it. */
  readonly isTimeout = true;
  /** The delay, in seconds (`null` for a Timeout that never fires). */
  readonly seconds: number | null;
  /** What is thrown when it fires (see {@link TimeoutException}). */
  readonly exception: TimeoutException;
  #scope: Scope | null = null;
  #cancelTimer: (() => void) | null = null;
  #fired = false;
  #handled = false;
  #stopWatch: (() => void) | null = null;
  /** What it threw into its scope when it fired (itself, or its exception). */
  #raised: unknown = undefined;
  /** When it is due (`performance.now()` milliseconds), for a root Timeout that may be re-armed. */
  #due = 0;

  constructor(seconds?: number | null, exception?: TimeoutException) {
    super(describeSeconds(seconds, exception));
    this.name = 'Timeout';
    const delay = requireSeconds('Timeout', 'seconds', seconds, { optional: true });
    this.seconds = delay === Infinity ? null : delay;
    this.exception = checkException(exception);
    this.start();
  }

  /** True while armed: started, not yet fired, not cancelled. */
  get pending(): boolean {
    return this.#cancelTimer !== null;
  }

  /** True once it has fired. */
  get expired(): boolean {
    return this.#fired;
  }

  /** True for a Timeout whose scope ends silently (`exception` is `false`). */
  get silent(): boolean {
    return this.exception === false;
  }

  /**
   * Arms the timer, bound to the current green thread or scope. Throws if already pending.
   * Returns `this`.
   */
  start(): this {
    if (this.pending) throw new Error('Timeout.start: the timeout is already started; cancel it first');
    if (this.seconds === null) return this;
    this.#fired = false;
    this.#handled = false;
    this.#scope = hub.currentScope();
    this.#scope.adopt(this);
    if (this.seconds === 0) this.#cancelTimer = this.fireSoon();
    else if (this.#scope === hub.root) this.armInRoot(this.seconds);
    else this.#cancelTimer = hub.timer(this.seconds, () => this.fire());
    return this;
  }

  /**
   * A root interruption is transient: it only matters to a cooperative point of the root pending
   * when it fires. So a root Timeout does not keep the process alive by itself (a forgotten
   * `new Timeout(20)` does not hold the program open for 20 s); if the event loop runs dry while
   * the root is parked at a cooperative point (a top-level `await queue.get()`), the armed root
   * Timeouts start keeping it alive, so that the point still gets its Timeout.
   */
  private armInRoot(seconds: number): void {
    this.#due = performance.now() + seconds * 1000;
    this.#cancelTimer = hub.timer(seconds, () => this.fire(), false);
    armedInRoot.add(this);
    if (!keepAliveListening) {
      keepAliveListening = true;
      process.on('beforeExit', keepRootPointsAlive);
    }
  }

  /** @internal The loop ran dry with the root parked: re-arms this root Timeout as a live timer. */
  keepProcessAlive(): void {
    if (this.#cancelTimer === null) return;
    this.#cancelTimer();
    this.#cancelTimer = hub.timer(Math.max(0, this.#due - performance.now()) / 1000, () => this.fire());
  }

  /** Fires on the next hub turn, ahead of a `sleep(0)` made after it (eventlet's `Timeout(0)`). */
  private fireSoon(): () => void {
    let cancelled = false;
    hub.schedule({
      run: () => {
        if (!cancelled) this.fire();
      },
    });
    return () => {
      cancelled = true;
    };
  }

  /**
   * Disarms the timer; idempotent. After it fired, marks it as handled by the caller: if its
   * exception still waits for the scope's next cooperative point (it fired while the thread was
   * away from one), that exception is dropped, as the caller has acknowledged the Timeout.
   */
  cancel(): void {
    if (this.#fired) {
      this.#handled = true;
      this.#scope?.withdrawPending(this.#raised);
    }
    this.#stopWatch?.();
    this.#stopWatch = null;
    armedInRoot.delete(this);
    const cancelTimer = this.#cancelTimer;
    if (!cancelTimer) return;
    this.#cancelTimer = null;
    cancelTimer();
    this.#scope?.disown(this);
  }

  /** Inspects as the error it is, with its seconds and state: none of its bookkeeping. */
  [inspect.custom](): string {
    const state = this.pending ? 'pending' : this.expired ? 'expired' : 'idle';
    return `${this.stack ?? `Timeout: ${this.message}`} { seconds: ${this.seconds}, state: '${state}' }`;
  }

  /** `using t = new Timeout(s)` cancels it when the block exits. */
  [Symbol.dispose](): void {
    this.cancel();
  }

  /** @internal The owning scope ended: a Timeout never outlives it. */
  scopeEnded(): void {
    this.cancel();
  }

  /** The exception thrown when it fires. */
  thrown(): unknown {
    const exception = this.exception;
    if (exception === undefined || exception === null || typeof exception === 'boolean') return this;
    if (typeof exception === 'function') return new (exception as new () => unknown)();
    return exception;
  }

  /** @internal True when `scope` owns this Timeout and it fired. */
  firedIn(scope: Scope): boolean {
    return this.#fired && this.#scope === scope;
  }

  private fire(): void {
    const scope = this.#scope!;
    this.#cancelTimer = null;
    this.#fired = true;
    armedInRoot.delete(this);
    scope.disown(this);
    if (scope.ended) return;
    const exc = this.thrown();
    this.#raised = exc;
    hub.interrupt(scope, exc);
    if (scope === hub.root) return;
    const stopWatch = hub.watch(scope, exc, () => !this.#handled);
    this.#stopWatch = stopWatch;
    // A thread that parks again has handled the exception: it is not abandoned later.
    void hub.afterParkOrEnd(scope).then(stopWatch);
  }
}

/** The armed Timeouts of the root scope, whose timers do not keep the process alive by themselves. */
const armedInRoot = new Set<Timeout>();
let keepAliveListening = false;

/** `beforeExit`: with the root parked at a cooperative point, its armed Timeouts keep the process alive. */
function keepRootPointsAlive(): void {
  if (armedInRoot.size === 0 || !hub.root.parked) return;
  const timeouts = [...armedInRoot];
  armedInRoot.clear();
  for (const timeout of timeouts) timeout.keepProcessAlive();
}

/** Options for {@link withTimeout} in place of the seconds. */
export interface WithTimeoutOptions<V> {
  /** Seconds before the Timeout fires (`null` or left out: never). */
  seconds?: number | null;
  /** Returned instead of throwing when this call's Timeout fires. */
  timeoutValue?: V;
  /**
   * Interrupts the scope, like a kill whose exception is `signal.reason`, when it aborts; already
   * aborted, `withTimeout` rejects with its reason at once without calling `fn`.
   */
  signal?: AbortSignal;
}

/** The options of one `withTimeout` call, checked. */
interface ParsedOptions<V> {
  seconds: number | null;
  hasTimeoutValue: boolean;
  timeoutValue?: V;
  signal?: AbortSignal;
}

/**
 * Runs `fn(...args)` in its own scope under a Timeout and rejects with the `Timeout` if it fires
 * first; the caller regains control within a few milliseconds of the deadline even when `fn` is
 * stuck outside cooperative points. Pass `{ seconds, timeoutValue }` to get a value instead, and
 * `{ signal }` to let an `AbortSignal` interrupt the scope too (it then rejects with
 * `signal.reason`; `isTimeout` is true for a `TimeoutError` reason). Outer timeouts pass through
 * untouched.
 * @example
 * const page = await withTimeout(2, fetchPage, url);
 * const maybe = await withTimeout({ seconds: 0.5, timeoutValue: null }, () => queue.get());
 * const row = await withTimeout({ signal: req.signal }, query, sql); // the client went away: stop
 */
export function withTimeout<A extends unknown[], R, V = never>(
  seconds: number | null | WithTimeoutOptions<V>,
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Promise<Awaited<R> | V> {
  const options = parseWithTimeoutOptions<V>(seconds);
  requireFunction('withTimeout', 'fn', fn);
  if (options.signal?.aborted) return Promise.reject(options.signal.reason);
  return runWithTimeout(options, fn, args);
}

async function runWithTimeout<A extends unknown[], R, V>(options: ParsedOptions<V>, fn: (...args: A) => R | PromiseLike<R>, args: A): Promise<Awaited<R> | V> {
  const scope = new Scope(hub.currentScope());
  const timeout = hub.runIn(scope, () => new Timeout(options.seconds));
  const abort: { reason?: unknown; aborted: boolean } = { aborted: false };
  const stopListening = options.signal ? whenAborted(options.signal, (reason) => abortScope(scope, abort, reason, timeout)) : undefined;
  try {
    return await runScope(scope, fn, args, timeout, abort);
  } catch (err) {
    if (err === timeout && options.hasTimeoutValue) return options.timeoutValue as V;
    throw err;
  } finally {
    stopListening?.();
    timeout.cancel();
    scope.end(timeout.expired || abort.aborted);
  }
}

/** The signal given to `withTimeout` aborted: the scope is interrupted as by a kill. */
function abortScope(scope: Scope, abort: { reason?: unknown; aborted: boolean }, reason: unknown, timeout: Timeout): void {
  if (scope.ended || timeout.expired) return;
  abort.aborted = true;
  abort.reason = reason;
  hub.interrupt(scope, reason);
  const stopWatch = hub.watch(scope, reason);
  // Parked again means the interruption was handled: the scope is not abandoned later.
  void hub.afterParkOrEnd(scope).then(stopWatch);
}

function runScope<A extends unknown[], R>(
  scope: Scope,
  fn: (...args: A) => R | PromiseLike<R>,
  args: A,
  timeout: Timeout,
  abort: { reason?: unknown; aborted: boolean },
): Promise<Awaited<R>> {
  return new Promise<Awaited<R>>((resolve, reject) => {
    scope.onAbandon = reject;
    const fail = (err: unknown): void => reject(threadKilled(scope) ? err : abort.aborted ? abort.reason : timeout.expired && !(err instanceof Timeout) ? timeout : err);
    try {
      const returned = (value: Awaited<R>): void => {
        const undelivered = scope.undeliveredInterruption();
        if (undelivered === null) resolve(value);
        else fail(undelivered.reason); // fn returned without ever seeing the interruption
      };
      Promise.resolve(hub.runIn(scope, fn, ...args)).then(returned, fail);
    } catch (err) {
      fail(err);
    }
  });
}

function threadKilled(scope: Scope): boolean {
  return scope.root.dying;
}

const OPTION_NAMES = ['seconds', 'timeoutValue', 'signal'];

function parseWithTimeoutOptions<V>(value: unknown): ParsedOptions<V> {
  if (value !== null && typeof value === 'object') {
    const options = value as WithTimeoutOptions<V>;
    const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.includes(k));
    if (unknown.length) throw new TypeError(`withTimeout: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; expected ${OPTION_NAMES.join(', ')}`);
    const seconds = requireSeconds('withTimeout', 'options.seconds', options.seconds, { optional: true });
    const signal = options.signal === undefined ? undefined : requireSignal('withTimeout', 'options.signal', options.signal);
    return { seconds, hasTimeoutValue: 'timeoutValue' in options, timeoutValue: options.timeoutValue, signal };
  }
  return { seconds: requireSeconds('withTimeout', 'seconds', value, { optional: true }), hasTimeoutValue: false };
}

/**
 * eventlet's `is_timeout`: true for a `Timeout`, for anything with a truthy `isTimeout`, for a
 * `TimeoutError` (e.g. `AbortSignal.timeout`), and for any error whose `cause` chain holds one,
 * so a library error caused by a Timeout is recognised.
 * @example try { await withTimeout(1, work); } catch (e) { if (isTimeout(e)) retry(); }
 */
export function isTimeout(err: unknown): boolean {
  return findTimeout(err) !== undefined;
}

function findTimeout(err: unknown): unknown {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if ((e as { isTimeout?: unknown }).isTimeout || (e as { name?: unknown }).name === 'TimeoutError') return e;
  }
  return undefined;
}

/**
 * @internal How a green thread's body ended, once interruptions are accounted for: a killed thread
 * reports its kill exception, a silent Timeout of its own ends it quietly, and a library error
 * caused by its own Timeout reports that Timeout. A body that returned while its interruption was
 * never thrown at it (it came while the body was away from cooperative points, and the operation
 * the body awaited ended without an error) ends with that interruption, as if it had been thrown.
 * A scope that counts as parked while its body runs (a connection thread, waiting on its
 * connection) keeps such an interruption for its handlers and ends as it returned.
 */
export function interruptionOutcome(scope: Scope, returned: boolean, value: unknown, killed: boolean, killError: unknown): { returned: boolean; value: unknown } {
  if (returned) {
    const undelivered = scope.parked ? null : scope.undeliveredInterruption();
    if (undelivered === null) return { returned, value };
    return interruptionOutcome(scope, false, undelivered.reason, killed, killError);
  }
  if (killed) return { returned: false, value: killError };
  if (value instanceof Timeout && value.silent && value.firedIn(scope)) return { returned: true, value: undefined };
  const timeout = findTimeout(value);
  if (timeout instanceof Timeout && timeout !== value && timeout.firedIn(scope)) return { returned: false, value: timeout };
  return { returned: false, value };
}

function describeSeconds(seconds: unknown, exception: unknown): string {
  if (typeof seconds !== 'number') return '';
  const text = `${seconds} second${seconds === 1 ? '' : 's'}`;
  return exception === false ? `${text} (silent)` : text;
}

function checkException(exception: unknown): TimeoutException {
  if (exception === undefined || exception === null || typeof exception === 'boolean') return exception;
  if (typeof exception === 'function' || typeof exception === 'object') return exception;
  throw new TypeError(`Timeout: exception must be an Error class, an Error, false or undefined, got ${describe(exception)}`);
}
