/**
 * `Event`: a one-shot value (or exception) broadcast to any number of waiters, as in eventlet.
 */
import { inspect } from 'node:util';
import { aliasMethods } from './aliases.js';
import { hub, type Point } from './hub.js';
import { requireSeconds } from './validate.js';

/** Parks a waiter without a timeout: no closure per wait, the point leaves the set when it settles. */
function joinWaiters<T>(point: Point<T>, waiters: Set<Point<T>>): void {
  waiters.add(point);
  point.waitList = waiters;
}

const WAIT_OPTIONS = { optional: true, allowNegative: true } as const;

const enum State {
  Fresh,
  Result,
  Exception,
}

/**
 * A one-shot value or exception that any number of green threads can wait for.
 * `send()` never yields: waiters wake on the next hub turn.
 * @example
 * const done = new Event<number>();
 * spawn(async () => console.log(await done.wait())); // 42
 * done.send(42);
 */
/** eventlet's method names on {@link Event}: the same function objects as the camelCase ones. */
export interface Event<T> {
  /** eventlet's `send_exception`: the same function as {@link Event.sendException}. */
  send_exception: Event<T>['sendException'];
  /** eventlet's `has_exception`: the same function as {@link Event.hasException}. */
  has_exception: Event<T>['hasException'];
  /** eventlet's `has_result`: the same function as {@link Event.hasResult}. */
  has_result: Event<T>['hasResult'];
}

export class Event<T = unknown> {
  private state = State.Fresh;
  private value: unknown = undefined;
  private waiters = new Set<Point<T | undefined>>();

  /** True once sent (until `reset()`). */
  ready(): boolean {
    return this.state !== State.Fresh;
  }

  /** True when sent with an exception. */
  hasException(): boolean {
    return this.state === State.Exception;
  }

  /** True when sent with a value. */
  hasResult(): boolean {
    return this.state === State.Result;
  }

  /** Inspects as its state and waiters (`Event { ready: false, waiting: 2 }`), not its value or internals. */
  [inspect.custom](): string {
    const sent = this.state === State.Fresh ? '' : `, ${this.state === State.Result ? 'hasResult' : 'hasException'}: true`;
    return `Event { ready: ${this.ready()}${sent}, waiting: ${this.waiters.size} }`;
  }

  /**
   * The result if sent (throws the exception if sent with one), else `notready`.
   * @example event.poll('not yet')
   */
  poll<N = undefined>(notready?: N): T | N {
    if (this.state === State.Fresh) return notready as N;
    if (this.state === State.Exception) throw this.value;
    return this.value as T;
  }

  /**
   * Resolves with the sent value (rejects with the sent exception). With `timeout` seconds,
   * resolves `undefined` when it elapses instead (the event stays unsent). A cooperative point.
   * @example const value = await event.wait(0.5); // undefined after 0.5 s without a send
   */
  wait(timeout?: number | null): Promise<T | undefined> {
    const seconds = timeout === undefined || timeout === null ? null : requireSeconds('Event.wait', 'timeout', timeout, WAIT_OPTIONS);
    if (this.state === State.Result) return Promise.resolve(this.value as T);
    if (this.state === State.Exception) return Promise.reject(this.value);
    if (seconds === null) return hub.park('event wait', joinWaiters, this.waiters);
    return hub.park<T | undefined>('event wait', (point) => {
      this.waiters.add(point);
      const cancelTimer = seconds === null ? null : hub.timer(seconds, () => point.wake(undefined));
      return () => {
        this.waiters.delete(point);
        cancelTimer?.();
      };
    });
  }

  /**
   * Sends `result` (or, with `exc`, an exception: an Error instance or class) to every waiter, now
   * and later. Never yields. Sending twice without `reset()` throws.
   * @example event.send('ready'); event.send(undefined, new Error('failed'));
   */
  send(result?: T, exc?: unknown): void {
    if (this.state !== State.Fresh) throw new Error('Event.send: trying to re-send() an already-triggered event');
    if (exc !== undefined && exc !== null) {
      this.state = State.Exception;
      this.value = typeof exc === 'function' ? new (exc as new () => unknown)() : exc;
    } else {
      this.state = State.Result;
      this.value = result;
    }
    this.wakeWaiters();
  }

  /**
   * Sends an exception to every waiter: `wait()` rejects with it.
   * @example event.sendException(new Error('cancelled'));
   */
  sendException(exc: unknown): void {
    this.send(undefined, exc ?? new Error('Event.sendException: no exception given'));
  }

  /**
   * Makes a sent event reusable. Throws on a fresh event (eventlet's rule).
   * @example event.reset();
   */
  reset(): void {
    if (this.state === State.Fresh) throw new Error('Event.reset: trying to re-reset() a fresh event');
    this.state = State.Fresh;
    this.value = undefined;
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set();
    const failed = this.state === State.Exception;
    const value = this.value;
    hub.schedule({
      run: () => {
        for (const point of waiters) {
          if (failed) point.fail(value);
          else point.wake(value as T);
        }
      },
    });
  }
}

aliasMethods(Event, { send_exception: 'sendException', has_exception: 'hasException', has_result: 'hasResult' });
