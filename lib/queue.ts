/**
 * Green queues, as in eventlet: `LightQueue`, `Queue` (with `taskDone`/`join`), `PriorityQueue`,
 * `LifoQueue`, and the `Empty`/`Full` errors.
 *
 * `maxsize`: `undefined`, `null` or negative is unbounded; `0` is a rendezvous channel (a `put`
 * waits for a `get`); `n > 0` is bounded. Waiting getters and putters are served first-in
 * first-out, on the next hub turn; a getter that is killed or times out never takes an item.
 */
import { inspect } from 'node:util';
import { aliasMethods } from './aliases.js';
import { hub, type Point } from './hub.js';
import { describe, requireBoolean, requireSeconds } from './validate.js';

/**
 * Thrown by `get` on an empty queue when it would not (or no longer) wait.
 * @example try { queue.getNowait(); } catch (e) { if (e instanceof Empty) idle(); }
 */
export class Empty extends Error {
  constructor(message = 'queue is empty') {
    super(message);
    this.name = 'Empty';
  }
}

/**
 * Thrown by `put` on a full queue when it would not (or no longer) wait.
 * @example try { queue.putNowait(job); } catch (e) { if (e instanceof Full) reject(job); }
 */
export class Full extends Error {
  constructor(message = 'queue is full') {
    super(message);
    this.name = 'Full';
  }
}

interface PutWaiter<T> {
  point: Point<void>;
  item: T;
}

function firstOf<V>(set: Set<V>): V {
  return set.values().next().value as V;
}

function parseMaxsize(where: string, maxsize: unknown): number | null {
  if (maxsize === undefined || maxsize === null) return null;
  if (typeof maxsize !== 'number' || Number.isNaN(maxsize)) {
    throw new TypeError(`${where}: maxsize must be a number, null or undefined, got ${describe(maxsize)}`);
  }
  if (maxsize < 0 || maxsize === Infinity) return null;
  return Math.trunc(maxsize);
}

/**
 * A first-in first-out queue of items between green threads, without task tracking.
 * @example
 * const q = new LightQueue<string>(10);
 * spawn(async () => { for (;;) console.log(await q.get()); });
 * await q.put('hello');
 */
/** eventlet's method names on {@link LightQueue}: the same function objects as the camelCase ones. */
export interface LightQueue<T> {
  /** eventlet's `put_nowait`: the same function as {@link LightQueue.putNowait}. */
  put_nowait: LightQueue<T>['putNowait'];
  /** eventlet's `get_nowait`: the same function as {@link LightQueue.getNowait}. */
  get_nowait: LightQueue<T>['getNowait'];
}

export class LightQueue<T = unknown> implements AsyncIterable<T> {
  /** The capacity: `null` unbounded, `0` a channel, `n > 0` bounded. */
  maxsize: number | null;
  private readonly items: T[] = [];
  private head = 0;
  private readonly getters = new Set<Point<T>>();
  private readonly putters = new Set<PutWaiter<T>>();
  private unlockScheduled = false;

  constructor(maxsize?: number | null) {
    this.maxsize = parseMaxsize(new.target.name, maxsize);
  }

  /** Number of items stored (items of waiting putters are not counted). */
  qsize(): number {
    return this.items.length - this.head;
  }

  /** True when no item is stored. */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** True when a `put` would wait (always for a channel, never when unbounded). */
  full(): boolean {
    return this.maxsize !== null && this.qsize() >= this.maxsize;
  }

  /** Number of green threads waiting in `get`. */
  getting(): number {
    return this.getters.size;
  }

  /** Number of green threads waiting in `put`. */
  putting(): number {
    return this.putters.size;
  }

  /** Inspects as its size and waiters (`Queue { maxsize: 10, qsize: 2, getters: 0, putters: 0 }`), none of its internals. */
  [inspect.custom](): string {
    return `${this.constructor.name} { maxsize: ${this.maxsize}, qsize: ${this.qsize()}, getters: ${this.getting()}, putters: ${this.putting()} }`;
  }

  /**
   * Changes the capacity. Growing wakes waiting putters; shrinking never drops items.
   * @example queue.resize(null); // unbounded from now on
   */
  resize(size: number | null): void {
    this.maxsize = parseMaxsize(`${this.constructor.name}.resize`, size);
    if (this.putters.size > 0) this.scheduleUnlock();
  }

  /**
   * Adds an item. With room it is stored at once (no yield); when full, `block = true` waits for
   * room (or, on a channel, for a getter) and `timeout` seconds reject with `Full`;
   * `block = false` hands the item to a waiting getter or rejects with `Full`. A cooperative point.
   * @example await queue.put(job); await queue.put(job, true, 0.5);
   */
  put(item: T, block = true, timeout?: number | null): Promise<void> {
    const seconds = this.checkWait('put', block, timeout);
    if (this.hasRoom() || !block) {
      try {
        this.putNowait(item);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return hub.park<void>('queue put', (point) => {
      const waiter = { point, item };
      this.putters.add(waiter);
      if (this.getters.size > 0) this.scheduleUnlock();
      const cancelTimer = seconds === null ? null : hub.timer(seconds, () => point.fail(new Full()));
      return () => {
        this.putters.delete(waiter);
        cancelTimer?.();
      };
    });
  }

  /**
   * Adds an item without waiting: stores it, hands it to a waiting getter, or throws `Full`.
   * @example queue.putNowait(job);
   */
  putNowait(item: T): void {
    if (this.hasRoom()) {
      this.store(item);
      if (this.getters.size > 0) this.scheduleUnlock();
    } else if (this.getters.size > 0) {
      const getter = firstOf(this.getters);
      this.getters.delete(getter);
      this.counted();
      getter.wake(item);
    } else {
      throw new Full();
    }
  }

  /**
   * Takes an item. Stored items come at once (no yield); when empty, `block = true` waits and
   * `timeout` seconds reject with `Empty`; `block = false` takes a waiting putter's item or
   * rejects with `Empty`. A getter that is interrupted never takes an item. A cooperative point.
   * @example const job = await queue.get(); const next = await queue.get(true, 1);
   */
  get(block = true, timeout?: number | null): Promise<T> {
    const seconds = this.checkWait('get', block, timeout);
    if (this.qsize() > 0 || !block) {
      try {
        return Promise.resolve(this.getNowait());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return hub.park<T>('queue get', (point) => {
      this.getters.add(point);
      if (this.putters.size > 0) this.scheduleUnlock();
      const cancelTimer = seconds === null ? null : hub.timer(seconds, () => point.fail(new Empty()));
      return () => {
        this.getters.delete(point);
        cancelTimer?.();
      };
    });
  }

  /**
   * Takes an item without waiting: a stored one, a waiting putter's, or throws `Empty`.
   * @example const job = queue.getNowait();
   */
  getNowait(): T {
    if (this.qsize() > 0) {
      const item = this.remove();
      if (this.putters.size > 0) this.scheduleUnlock();
      return item;
    }
    if (this.putters.size > 0) {
      const putter = firstOf(this.putters);
      this.putters.delete(putter);
      this.counted();
      putter.point.wake();
      return putter.item;
    }
    throw new Empty();
  }

  /**
   * Gets items forever, waiting for each; `break` out of the loop to stop.
   * @example for await (const job of queue) await handle(job);
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) yield await this.get();
  }

  /** Stores an item (subclasses choose the order). */
  protected insert(item: T): void {
    this.items.push(item);
  }

  /** Removes the next item (subclasses choose the order). */
  protected remove(): T {
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** Called for every item that enters the queue (stored or handed over). */
  protected counted(): void {}

  private store(item: T): void {
    this.insert(item);
    this.counted();
  }

  private hasRoom(): boolean {
    return this.maxsize === null || this.qsize() < this.maxsize;
  }

  private checkWait(op: string, block: unknown, timeout: unknown): number | null {
    if (block === true && (timeout === undefined || timeout === null)) return null; // the common call: no message to build
    const where = `${this.constructor.name}.${op}`;
    requireBoolean(where, 'block', block);
    return requireSeconds(where, 'timeout', timeout, { optional: true });
  }

  private scheduleUnlock(): void {
    if (this.unlockScheduled) return;
    this.unlockScheduled = true;
    hub.schedule({ run: () => this.unlock() });
  }

  /**
   * Stores a waiting putter's item and wakes the putter; an item the queue refuses (one a
   * PriorityQueue cannot order) fails that putter instead of leaving it parked for ever.
   */
  private admit(putter: PutWaiter<T>): void {
    this.putters.delete(putter);
    try {
      this.store(putter.item);
    } catch (err) {
      putter.point.fail(err);
      return;
    }
    putter.point.wake();
  }

  /** Moves items between waiting putters, storage and waiting getters, first-in first-out. */
  private unlock(): void {
    this.unlockScheduled = false;
    for (;;) {
      if (this.putters.size > 0 && this.hasRoom()) {
        this.admit(firstOf(this.putters));
      } else if (this.getters.size > 0 && this.qsize() > 0) {
        const getter = firstOf(this.getters);
        this.getters.delete(getter);
        getter.wake(this.remove());
      } else if (this.getters.size > 0 && this.putters.size > 0) {
        const getter = firstOf(this.getters);
        const putter = firstOf(this.putters);
        this.getters.delete(getter);
        this.putters.delete(putter);
        this.counted();
        getter.wake(putter.item);
        putter.point.wake();
      } else {
        return;
      }
    }
  }
}

/**
 * A {@link LightQueue} that counts unfinished tasks: every item put adds one, `taskDone()`
 * removes one, `join()` waits until none is left.
 * @example
 * spawn(async () => { for await (const job of q) { await handle(job); q.taskDone(); } });
 * await q.join();
 */
/** eventlet's method names on {@link Queue}: the same function objects as the camelCase ones. */
export interface Queue<T> {
  /** eventlet's `task_done`: the same function as {@link Queue.taskDone}. */
  task_done: Queue<T>['taskDone'];
}

export class Queue<T = unknown> extends LightQueue<T> {
  /** Items put but not yet marked done with `taskDone()`. */
  unfinishedTasks = 0;
  private joiners = new Set<Point<void>>();

  /**
   * Marks one item as processed; throws `RangeError` when called more times than items were put.
   * @example queue.taskDone();
   */
  taskDone(): void {
    if (this.unfinishedTasks <= 0) throw new RangeError(`${this.constructor.name}.taskDone: task_done() called too many times`);
    if (--this.unfinishedTasks === 0) this.wakeJoiners();
  }

  /**
   * Resolves once every item put has been marked with `taskDone()` (at once if none is pending).
   * A cooperative point.
   * @example await queue.join();
   */
  join(): Promise<void> {
    if (this.unfinishedTasks === 0) return Promise.resolve();
    return hub.park<void>('queue join', (point) => {
      this.joiners.add(point);
      return () => this.joiners.delete(point);
    });
  }

  protected override counted(): void {
    this.unfinishedTasks++;
  }

  private wakeJoiners(): void {
    const joiners = this.joiners;
    this.joiners = new Set();
    for (const point of joiners) hub.wakeSoon(point, undefined);
  }
}

/** Orders two queue items: negative when `a` comes first. */
aliasMethods(LightQueue, { put_nowait: 'putNowait', get_nowait: 'getNowait' });
aliasMethods(Queue, { task_done: 'taskDone' });

export type Compare<T> = (a: T, b: T) => number;

/**
 * Compares numbers, strings and bigints by value, and arrays (such as `[priority, data]`)
 * element by element, like Python's tuple order.
 */
export function naturalOrder(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const order = naturalOrder(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  if (typeof a !== typeof b || !['number', 'string', 'bigint'].includes(typeof a)) {
    throw new TypeError(`PriorityQueue: cannot order ${describe(a)} and ${describe(b)}; pass { compare } to the constructor`);
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A {@link Queue} that returns the lowest item first (items such as `[priority, data]`).
 * Pass `{ compare }` to order other items.
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([3, 'c']); q.putNowait([1, 'a']);
 * q.getNowait(); // [1, 'a']
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  private readonly heap: T[] = [];
  private readonly compare: Compare<T>;

  constructor(maxsize?: number | null, options: { compare?: Compare<T> } = {}) {
    super(maxsize);
    if (options.compare !== undefined && typeof options.compare !== 'function') {
      throw new TypeError(`PriorityQueue: options.compare must be a function, got ${describe(options.compare)}`);
    }
    this.compare = options.compare ?? naturalOrder;
  }

  override qsize(): number {
    return this.heap.length;
  }

  /**
   * Sifts the item up from a new last slot. Every comparison happens before the heap changes, so
   * an item that cannot be ordered throws and leaves the queue as it was.
   */
  protected override insert(item: T): void {
    const heap = this.heap;
    let slot = heap.length;
    while (slot > 0 && this.compare(item, heap[(slot - 1) >> 1]!) < 0) slot = (slot - 1) >> 1;
    for (let i = heap.length; i > slot; i = (i - 1) >> 1) heap[i] = heap[(i - 1) >> 1]!;
    heap[slot] = item;
  }

  protected override remove(): T {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    for (let i = start; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.compare(heap[left]!, heap[least]!) < 0) least = left;
      if (right < heap.length && this.compare(heap[right]!, heap[least]!) < 0) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}

/**
 * A {@link Queue} that returns the most recently put item first.
 * @example
 * const q = new LifoQueue<number>();
 * q.putNowait(1); q.putNowait(2);
 * q.getNowait(); // 2
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  private readonly stack: T[] = [];

  override qsize(): number {
    return this.stack.length;
  }

  protected override insert(item: T): void {
    this.stack.push(item);
  }

  protected override remove(): T {
    return this.stack.pop()!;
  }
}
