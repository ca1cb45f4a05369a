/**
 * Semaphores with first-in first-out waiters: `Semaphore`, `BoundedSemaphore`, `CappedSemaphore`.
 */
import { inspect } from 'node:util';
import { hub, type Point } from './hub.js';
import { requireBoolean, requireCount, requireSeconds } from './validate.js';

/**
 * A counter of available units. `acquire()` takes one, waiting (first-in first-out) while none is
 * free; `release()` gives one back and never blocks.
 * @example
 * const sem = new Semaphore(2);
 * await sem.acquire();
 * try { await work(); } finally { sem.release(); }
 */
export class Semaphore {
  /** Units available now (may exceed the initial value; a pool may drive it negative). */
  counter: number;
  private readonly waiters = new Set<Point<boolean>>();
  private wakeScheduled = false;

  constructor(value = 1) {
    this.counter = requireCount(new.target.name, 'value', value);
  }

  /** True when `acquire()` would wait. */
  locked(): boolean {
    return this.counter <= 0;
  }

  /** True when `release()` would wait or fail (never, for a plain Semaphore). */
  bounded(): boolean {
    return false;
  }

  /** Units available minus waiting acquirers. */
  get balance(): number {
    return this.counter - this.waiters.size;
  }

  /** Number of green threads waiting in `acquire()`. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Inspects as its count and waiters (`Semaphore { counter: 1, waiting: 0 }`), none of its internals. */
  [inspect.custom](): string {
    return `${this.constructor.name} { counter: ${this.counter}, waiting: ${this.waiting} }`;
  }

  /**
   * Takes a unit. Resolves `true` at once when one is free and nobody waits; with
   * `blocking = false` takes a free unit even ahead of waiters (they keep their place and the
   * next release wakes them), or resolves `false` instead of waiting; with `timeout` seconds
   * resolves `false` when it elapses. Waiters are served first-in first-out. A cooperative point.
   * @example if (!(await sem.acquire(true, 0.5))) console.log('busy');
   */
  acquire(blocking = true, timeout?: number | null): Promise<boolean> {
    const seconds = this.checkAcquire(blocking, timeout);
    if (this.counter > 0 && (this.waiters.size === 0 || !blocking)) {
      this.counter--;
      return Promise.resolve(true);
    }
    if (!blocking) return Promise.resolve(false);
    return hub.park<boolean>('semaphore acquire', (point) => {
      this.waiters.add(point);
      const cancelTimer = seconds === null ? null : hub.timer(seconds, () => point.wake(false));
      return () => {
        this.waiters.delete(point);
        cancelTimer?.();
      };
    });
  }

  /** @internal Takes a unit at once if one is free and nobody waits (as `acquire()` would); never parks. */
  tryAcquire(): boolean {
    if (this.counter > 0 && this.waiters.size === 0) {
      this.counter--;
      return true;
    }
    return false;
  }

  /**
   * Gives a unit back and wakes the first waiter on the next hub turn. Never blocks.
   * @example sem.release();
   */
  release(): boolean {
    this.counter++;
    this.scheduleWake();
    return true;
  }

  /** @internal Adds `delta` units at once (negative to take them away); used by GreenPool.resize. */
  adjust(delta: number): void {
    this.counter += delta;
    if (delta > 0) this.scheduleWake();
  }

  private checkAcquire(blocking: unknown, timeout: number | null | undefined): number | null {
    if (blocking === true && (timeout === undefined || timeout === null)) return null; // the common call: no message to build
    const where = `${this.constructor.name}.acquire`;
    requireBoolean(where, 'blocking', blocking);
    if (timeout === -1) return null;
    const seconds = requireSeconds(where, 'timeout', timeout, { optional: true });
    if (!blocking && seconds !== null) throw new TypeError(`${where}: can't specify timeout for non-blocking acquire`);
    return seconds;
  }

  private scheduleWake(): void {
    if (this.wakeScheduled || this.waiters.size === 0) return;
    this.wakeScheduled = true;
    hub.schedule({ run: () => this.wakeWaiters() });
  }

  private wakeWaiters(): void {
    this.wakeScheduled = false;
    for (const point of this.waiters) {
      if (this.counter <= 0) break;
      this.counter--;
      this.waiters.delete(point);
      point.wake(true);
    }
  }
}

/**
 * A Semaphore that refuses to be released above its initial value.
 * @example new BoundedSemaphore(1).release(); // throws RangeError
 */
export class BoundedSemaphore extends Semaphore {
  /** The initial (and highest) value. */
  readonly originalCounter: number;

  constructor(value = 1) {
    super(value);
    this.originalCounter = this.counter;
  }

  override bounded(): boolean {
    return this.counter >= this.originalCounter;
  }

  /** Gives a unit back; throws `RangeError` if that would exceed the initial value. */
  override release(): boolean {
    if (this.counter >= this.originalCounter) throw new RangeError('BoundedSemaphore.release: semaphore released too many times');
    return super.release();
  }
}

/**
 * A semaphore whose count stays between 0 and `limit`: `acquire()` waits at 0 and `release()`
 * waits at `limit` (both return promises).
 * @example
 * const sem = new CappedSemaphore(0, 1);
 * await sem.release(); // count 1; a second release would wait for an acquire
 */
export class CappedSemaphore {
  private readonly lower: Semaphore;
  private readonly upper: Semaphore;

  constructor(count: number, limit: number) {
    const c = requireCount('CappedSemaphore', 'count', count);
    const l = requireCount('CappedSemaphore', 'limit', limit);
    if (c > l) throw new RangeError(`CappedSemaphore: count (${c}) cannot be more than limit (${l})`);
    this.lower = new Semaphore(c);
    this.upper = new Semaphore(l - c);
  }

  /** The current count. */
  get counter(): number {
    return this.lower.counter;
  }

  /** Available acquires minus available releases (negative with waiting acquirers). */
  get balance(): number {
    return this.lower.balance - this.upper.balance;
  }

  /** True when `acquire()` would wait. */
  locked(): boolean {
    return this.lower.locked();
  }

  /** True when `release()` would wait. */
  bounded(): boolean {
    return this.upper.locked();
  }

  /** Inspects as its count and balance (`CappedSemaphore { counter: 0, balance: -1 }`), not its two inner semaphores. */
  [inspect.custom](): string {
    return `CappedSemaphore { counter: ${this.counter}, balance: ${this.balance} }`;
  }

  /**
   * Takes a unit, waiting while the count is 0; `blocking = false` resolves `false` instead.
   * A waiting `release()` is let through, so with a limit of 0 the two meet as a rendezvous.
   * @example await sem.acquire();
   */
  acquire(blocking = true): Promise<boolean> {
    requireBoolean('CappedSemaphore.acquire', 'blocking', blocking);
    if (!blocking && this.locked()) return Promise.resolve(false);
    return moveUnit(this.upper, this.lower, blocking);
  }

  /**
   * Gives a unit back, waiting while the count is at the limit; `blocking = false` resolves
   * `false` instead. A waiting `acquire()` is let through first.
   * @example await sem.release();
   */
  release(blocking = true): Promise<boolean> {
    requireBoolean('CappedSemaphore.release', 'blocking', blocking);
    if (!blocking && this.bounded()) return Promise.resolve(false);
    return moveUnit(this.lower, this.upper, blocking);
  }
}

/**
 * One side of a CappedSemaphore operation (eventlet's order): first offers a unit to `offerTo`,
 * which lets a counterpart waiting there through, then takes one from `takeFrom`. When the take
 * fails or is interrupted, the offer is withdrawn.
 */
async function moveUnit(offerTo: Semaphore, takeFrom: Semaphore, blocking: boolean): Promise<boolean> {
  offerTo.release();
  let taken = false;
  try {
    taken = await takeFrom.acquire(blocking);
    return taken;
  } finally {
    if (!taken) offerTo.adjust(-1);
  }
}
