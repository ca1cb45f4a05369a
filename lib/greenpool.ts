/**
 * `GreenPool` (bounded concurrency for green threads) and `GreenPile` (results in spawn order),
 * as in eventlet, without eventlet's pool bugs: `resize()` up wakes waiting spawners, `imap`
 * uses the pool's own slots, and a failing input iterator rejects instead of hanging.
 */
import { inspect } from 'node:util';
import { aliasMethods } from './aliases.js';
import { getCurrent, GreenThread, startThread } from './greenthread.js';
import { hub, type Point } from './hub.js';
import { LightQueue } from './queue.js';
import { ArgumentSource } from './greenpool/arguments.js';
import { MapIterator, OrderedMap, type ItemSpawner } from './greenpool/ordered-map.js';
import { Semaphore } from './semaphore.js';
import { requireCount, requireFunction } from './validate.js';

type AnyFunction<A extends unknown[], R> = (...args: A) => R | PromiseLike<R>;

/**
 * Runs at most `size` green threads at once; `spawn` waits (first-in first-out) for a free slot.
 * @example
 * const pool = new GreenPool(10);
 * for (const url of urls) await pool.spawn(fetchPage, url);
 * await pool.waitall();
 */
/** eventlet's method names on {@link GreenPool}: the same function objects as the camelCase ones. */
export interface GreenPool {
  /** eventlet's `spawn_n`: the same function as {@link GreenPool.spawnN}. */
  spawn_n: GreenPool['spawnN'];
}

export class GreenPool {
  /** The number of slots. */
  size: number;
  private readonly slots: Semaphore;
  private readonly threads = new Set<GreenThread<unknown>>();
  private idleWaiters = new Set<Point<void>>();
  /** Threads launched beyond the limit for one of the pool's own threads (they hold no slot). */
  private readonly unslotted = new Set<GreenThread<unknown>>();
  /** One end hook for all the pool's threads (no closure per thread). */
  private readonly releaseHook = (thread: GreenThread<unknown>): void => this.release(thread);
  /** Spawners waiting for a slot, counted until their thread is launched or they give up. */
  private admitting = 0;

  constructor(size = 1000) {
    this.size = requireCount('GreenPool', 'size', size);
    this.slots = new Semaphore(this.size);
  }

  /** Number of threads running in the pool. */
  running(): number {
    return this.threads.size;
  }

  /** Free slots (negative after shrinking until enough threads finish). */
  free(): number {
    return this.slots.counter;
  }

  /** Number of green threads waiting in `spawn`/`spawnN` for a slot. */
  waiting(): number {
    return this.slots.waiting;
  }

  /** Inspects as its size and load (`GreenPool { size: 10, running: 2, waiting: 0 }`), none of its internals. */
  [inspect.custom](): string {
    return `GreenPool { size: ${this.size}, running: ${this.running()}, waiting: ${this.waiting()} }`;
  }

  /**
   * Changes the number of slots. Growing wakes waiting spawners; shrinking kills nothing.
   * @example pool.resize(50);
   */
  resize(newSize: number): void {
    const size = requireCount('GreenPool.resize', 'newSize', newSize);
    this.slots.adjust(size - this.size);
    this.size = size;
  }

  /**
   * Spawns `fn(...args)` in a free slot, waiting for one while the pool is full (a cooperative
   * point). A thread of this pool spawning into the full pool is not made to wait for itself:
   * its child runs in its place, and this resolves once the child has ended (as eventlet runs
   * the function in the caller), so the threads at work never outnumber the slots.
   * @example const thread = await pool.spawn(download, url); console.log(await thread.wait());
   */
  async spawn<A extends unknown[], R>(fn: AnyFunction<A, R>, ...args: A): Promise<GreenThread<Awaited<R>>> {
    requireFunction('GreenPool.spawn', 'fn', fn);
    return this.admit(fn, args, true) as Promise<GreenThread<Awaited<R>>>;
  }

  /**
   * Like {@link GreenPool.spawn} for work whose result nobody needs: errors go to the hub's
   * reporter.
   * @example await pool.spawnN(logVisit, request);
   */
  async spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): Promise<GreenThread<void>> {
    requireFunction('GreenPool.spawnN', 'fn', fn);
    return this.admit(fn, args, false) as Promise<GreenThread<void>>;
  }

  /**
   * Resolves once no thread runs in the pool and nobody waits for a slot. Calling it from one of
   * the pool's own threads rejects (it would never finish).
   * @example await pool.waitall();
   */
  waitall(): Promise<void> {
    if (this.threads.has(getCurrent())) {
      return Promise.reject(new Error("GreenPool.waitall: calling waitall() from within one of the pool's green threads will never terminate"));
    }
    if (this.idle()) return Promise.resolve();
    return hub.park<void>('pool waitall', (point) => {
      this.idleWaiters.add(point);
      return () => this.idleWaiters.delete(point);
    });
  }

  /**
   * Calls `fn` on the items of the iterables taken in step (stopping at the shortest) in this
   * pool's slots, and yields the results in input order. With `fn` null it yields the argument
   * arrays. A failed item rejects `next()` at its position; later calls go on with the next items.
   * Input is read lazily, at most about `size` items ahead. Called from one of this pool's threads,
   * its work is not made to wait for the caller's own slot (as with `spawn`).
   * @example for await (const size of pool.imap(fileSize, paths)) total += size;
   */
  imap<R>(fn: ((...args: any[]) => R | PromiseLike<R>) | null, ...iterables: Array<Iterable<unknown> | AsyncIterable<unknown>>): AsyncIterableIterator<Awaited<R>> {
    if (fn !== null) requireFunction('GreenPool.imap', 'fn', fn);
    if (iterables.length === 0) throw new TypeError('GreenPool.imap: at least one iterable is required');
    iterables.forEach((it, i) => requireIterable('GreenPool.imap', `iterables[${i}]`, it));
    return new MapIterator(new OrderedMap<R>(this.size, this.itemSpawner(fn), new ArgumentSource(iterables, true)));
  }

  /**
   * Like {@link GreenPool.imap} with each item already an array of arguments.
   * @example for await (const sum of pool.starmap((a, b) => a + b, [[1, 2], [3, 4]])) console.log(sum);
   */
  starmap<R>(fn: ((...args: any[]) => R | PromiseLike<R>) | null, iterable: Iterable<unknown[]> | AsyncIterable<unknown[]>): AsyncIterableIterator<Awaited<R>> {
    if (fn !== null) requireFunction('GreenPool.starmap', 'fn', fn);
    requireIterable('GreenPool.starmap', 'iterable', iterable);
    return new MapIterator(new OrderedMap<R>(this.size, this.itemSpawner(fn), new ArgumentSource([iterable], false)));
  }

  /**
   * How imap's producer spawns an item: into this pool, on behalf of the thread that called imap,
   * so that a pool thread mapping over its own full pool is not made to wait for itself.
   */
  private itemSpawner<R>(fn: ((...args: any[]) => R | PromiseLike<R>) | null): ItemSpawner<Awaited<R>> {
    const call = fn ?? ((...args: unknown[]) => args as R);
    const caller = getCurrent();
    return {
      now: (args) => (this.launchNow(call, args, true)?.willBeCollected() ?? null) as GreenThread<Awaited<R>> | null,
      later: (args) => this.admit(call, args, true, caller).then((thread) => thread.willBeCollected() as GreenThread<Awaited<R>>),
    };
  }

  /**
   * Launches `fn(...args)` in a slot. A free slot is taken at once (no yield, the thread is
   * counted before the caller resumes); otherwise the caller waits first-in first-out.
   */
  private admit(fn: AnyFunction<any[], unknown>, args: unknown[], keepsResult: boolean, caller: GreenThread<unknown> = getCurrent()): Promise<GreenThread<unknown>> {
    if (this.slots.counter <= 0 && this.threads.has(caller)) return this.runInCallersPlace(fn, args, keepsResult);
    const thread = this.launchNow(fn, args, keepsResult);
    if (thread !== null) return Promise.resolve(thread);
    this.admitting++;
    return this.slots.acquire().then(
      () => {
        this.admitting--;
        return this.launch(fn, args, keepsResult, false);
      },
      (err: unknown) => {
        this.admitting--; // interrupted while waiting: waitall() may have been waiting for it alone
        this.wakeIdleWaiters();
        throw err;
      },
    );
  }

  /** Launches `fn(...args)` in a free slot at once; `null` when there is none. */
  private launchNow(fn: AnyFunction<any[], unknown>, args: unknown[], keepsResult: boolean): GreenThread<unknown> | null {
    return this.slots.tryAcquire() ? this.launch(fn, args, keepsResult, false) : null;
  }

  /**
   * One of the pool's own threads spawns into its full pool. Waiting for a slot would wait for
   * itself; eventlet runs the function in the caller instead. Here the child runs beyond the limit
   * in the caller's place, and the caller waits (a cooperative point) until it has ended: the pool
   * never has more threads at work than its size, however deep such spawns nest.
   */
  private runInCallersPlace(fn: AnyFunction<any[], unknown>, args: unknown[], keepsResult: boolean): Promise<GreenThread<unknown>> {
    const thread = this.launch(fn, args, keepsResult, true);
    return hub.park<GreenThread<unknown>>('pool spawn', (point) => thread.onEnd(() => point.wake(thread)));
  }

  private launch(fn: AnyFunction<any[], unknown>, args: unknown[], keepsResult: boolean, reentrant: boolean): GreenThread<unknown> {
    const thread = startThread(fn, args, keepsResult) as GreenThread<unknown>;
    this.threads.add(thread);
    if (reentrant) this.unslotted.add(thread);
    thread.onEnd(this.releaseHook);
    return thread;
  }

  private release(thread: GreenThread<unknown>): void {
    this.threads.delete(thread);
    if (this.unslotted.size === 0 || !this.unslotted.delete(thread)) this.slots.release();
    this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    if (!this.idle() || this.idleWaiters.size === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = new Set();
    for (const point of waiters) hub.wakeSoon(point, undefined);
  }

  private idle(): boolean {
    return this.threads.size === 0 && this.admitting === 0;
  }
}

aliasMethods(GreenPool, { spawn_n: 'spawnN' });

function requireIterable(where: string, name: string, value: unknown): void {
  const ok = value !== null && typeof value === 'object' && (Symbol.iterator in value || Symbol.asyncIterator in value);
  if (!ok && typeof value !== 'string') throw new TypeError(`${where}: ${name} must be iterable, got ${value === null ? 'null' : typeof value}`);
}

/** Queued by a GreenPile spawn that failed (e.g. timed out while the pool was full). */
const GAVE_UP = Symbol('spawn gave up');

/**
 * Collects results of spawned work in spawn order (not completion order). Built on a pool of
 * `size` slots, or sharing a {@link GreenPool}.
 * @example
 * const pile = new GreenPile<number>(4);
 * for (const n of [1, 2, 3]) await pile.spawn(square, n);
 * for await (const value of pile) console.log(value); // 1, 4, 9
 */
export class GreenPile<T = unknown> implements AsyncIterableIterator<T> {
  /** The pool the work runs in. */
  readonly pool: GreenPool;
  /** Jobs spawned (or being spawned) and not yet consumed. */
  counter = 0;
  /** Spawned threads in spawn order; GAVE_UP wakes a consumer waiting for a spawn that failed. */
  private readonly spawned = new LightQueue<GreenThread<T> | typeof GAVE_UP>();

  constructor(sizeOrPool: number | GreenPool = 1000) {
    this.pool = sizeOrPool instanceof GreenPool ? sizeOrPool : new GreenPool(requireCount('GreenPile', 'sizeOrPool', sizeOrPool));
  }

  /** Inspects as its jobs and its pool (`GreenPile { counter: 3, pool: GreenPool { size: 4, running: 3, waiting: 0 } }`). */
  [inspect.custom](): string {
    return `GreenPile { counter: ${this.counter}, pool: ${this.pool[inspect.custom]()} }`;
  }

  /**
   * Spawns `fn(...args)` in the pool, waiting while it is full (a cooperative point).
   * @example await pile.spawn(fetchPage, url);
   */
  async spawn<A extends unknown[]>(fn: AnyFunction<A, T>, ...args: A): Promise<void> {
    requireFunction('GreenPile.spawn', 'fn', fn);
    this.counter++;
    let thread: GreenThread<T>;
    try {
      thread = ((await this.pool.spawn(fn, ...args)) as GreenThread<T>).willBeCollected();
    } catch (err) {
      this.counter--;
      this.spawned.putNowait(GAVE_UP);
      throw err;
    }
    this.spawned.putNowait(thread);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The result of the oldest unconsumed job (rejects with its exception; iteration may go on),
   * or `done` when nothing is left.
   * @example const { value, done } = await pile.next();
   */
  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.counter === 0) return { done: true, value: undefined };
      const thread = await this.spawned.get();
      if (thread === GAVE_UP) continue; // a spawn failed: look again (the pile may now be empty)
      this.counter--;
      return { done: false, value: await thread.wait() };
    }
  }
}
