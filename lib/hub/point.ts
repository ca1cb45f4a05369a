/**
 * A cooperative point: the promise a parked green thread awaits, registered on its scope until it
 * is woken, failed or interrupted. Made by `hub.park()`.
 */
import { hubClock } from './clock.js';

/** Undoes what a parked point set up; `failed` with `reason` when it did not complete. */
export type Cleanup = (failed: boolean, reason: unknown) => void;

/** A collection a parked point waits in; the point removes itself from it when it settles. */
export interface WaitList<P> {
  delete(point: P): unknown;
}

/**
 * Told when a point settles, while a diagnostic needs it: the hub's tracer (see tracer.ts),
 * installed here by `hub.tracer`'s setter so that a point needs nothing else of the hub.
 * @example if (settleObserver.tracer !== null) settleObserver.tracer.resumed(point);
 */
export const settleObserver: { tracer: { resumed(point: AnyPoint): void } | null } = { tracer: null };

/** The scope a point belongs to, as the point sees it: it leaves it when it settles. */
export interface PointOwner {
  /** The green thread the scope runs in. */
  readonly root: PointOwner;
  removePoint(point: AnyPoint): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPoint = Point<any>;

/** A pending cooperative point: a parked promise that can be woken or interrupted. */
export class Point<T = unknown> {
  /** What the point waits on (`sleep`, `queue get`, `event wait`, ...), for diagnostics. */
  readonly what: string;
  /** The scope the point belongs to. */
  readonly scope: PointOwner;
  /**
   * When the point was parked, for diagnostics: the hub's clock (milliseconds since
   * {@link CLOCK_ORIGIN}, read once per hub turn and on every wake-up from a timer or I/O, see
   * clock.ts), so within one turn of the true moment.
   */
  readonly since: number = hubClock.now;
  /** Value handed over by `hub.wakeSoon`. */
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

  constructor(scope: PointOwner, what: string, resolve: (value: T) => void, reject: (err: unknown) => void) {
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

  /** Run-queue entry: wakes with the value stored by `hub.wakeSoon`. */
  run(): void {
    this.wake(this.value as T);
  }

  private settle(failed: boolean, reason: unknown): boolean {
    if (this.done) return false;
    this.done = true;
    this.scope.removePoint(this);
    if (!hubClock.inTurn) hubClock.stamp(); // woken by a timer or I/O: a new moment
    const tracer = settleObserver.tracer;
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
