/**
 * What `GreenPool.imap`/`starmap` return: a producer green thread spawns each item into the pool
 * and queues its thread; `next()` takes them in input order.
 */
import { inspect } from 'node:util';
import { GreenThread, startThread } from '../greenthread.js';
import { hub } from '../hub.js';
import { Queue } from '../queue.js';
import { currentSignal } from '../signals.js';
import { NO_MORE, type ArgumentSource } from './arguments.js';

const END = Symbol('end of input');

/** A failure of the input iterator, delivered in order after the items read before it. */
class InputFailure {
  constructor(readonly error: unknown) {}
}

type Slot<R> = GreenThread<R> | InputFailure | typeof END;

/** How imap's producer starts an item in the pool: at once when that needs no wait, or after waiting for a slot. */
export interface ItemSpawner<R> {
  now(args: unknown[]): GreenThread<R> | null;
  later(args: unknown[]): Promise<GreenThread<R>>;
}

/**
 * Stops the map of an imap iterator dropped unfinished — the consumer broke out of `for await`
 * by an exception at a failed item, or never iterated it — once it is garbage collected, as
 * Python closes a collected generator: its producer and unconsumed work are killed.
 */
const droppedMaps = new FinalizationRegistry<OrderedMap<unknown>>((map) => map.dropped());

/**
 * What imap and starmap return: {@link OrderedMap}'s `next()` and `return()`. Its map's producer
 * does not hold it, so dropping it unfinished lets the map be stopped (see {@link droppedMaps}).
 */
export class MapIterator<R> implements AsyncIterableIterator<Awaited<R>> {
  constructor(private readonly map: OrderedMap<R>) {
    droppedMaps.register(this, map as OrderedMap<unknown>);
  }

  /** The next result in input order (see {@link OrderedMap.next}). */
  next(): Promise<IteratorResult<Awaited<R>>> {
    return this.map.next();
  }

  /** Stops early, as `break` does (see {@link OrderedMap.return}). */
  return(): Promise<IteratorResult<Awaited<R>>> {
    return this.map.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Inspects as `GreenPool.imap { running }` or `{ finished }`, none of its internals. */
  [inspect.custom](): string {
    return `GreenPool.imap { ${this.map.isFinished ? 'finished' : 'running'} }`;
  }
}

/** The ordered results of `imap`/`starmap`: a producer thread spawns into the pool, `next()` waits in order. */
export class OrderedMap<R> {
  private readonly results: Queue<Slot<Awaited<R>>>;
  private readonly producer: GreenThread<void>;
  private finished = false;
  /** `next()` calls not settled yet. */
  private pendingNexts = 0;
  /** The iterator handed to the consumer was garbage collected. */
  private iteratorDropped = false;

  constructor(size: number, spawner: ItemSpawner<Awaited<R>>, input: ArgumentSource) {
    this.results = new Queue(Math.max(1, size));
    this.producer = startThread(() => this.produce(spawner, input), [], false) as GreenThread<void>;
    this.producer.name = 'GreenPool.imap producer';
  }

  /** True once the map has ended, been exhausted or stopped. */
  get isFinished(): boolean {
    return this.finished;
  }

  /**
   * Its iterator was garbage collected: a map still running is stopped as `break` would, once
   * the `next()` calls still pending (their promises outlive the iterator) have settled.
   */
  dropped(): void {
    this.iteratorDropped = true;
    if (this.finished || this.pendingNexts > 0) return;
    void this.stop(undefined).catch((err: unknown) => hub.reportError(err, 'stopping a dropped imap'));
  }

  /**
   * Reads the input, spawns each item and queues its thread; stops reading once closed. Awaits
   * only where it must wait (an async input, a full pool, a full queue).
   */
  private async produce(spawner: ItemSpawner<Awaited<R>>, input: ArgumentSource): Promise<void> {
    let unqueued: GreenThread<Awaited<R>> | null = null;
    try {
      for (;;) {
        const pulled = input.next();
        const args = pulled instanceof Promise ? await pulled : pulled;
        if (args === NO_MORE || this.finished) break;
        unqueued = spawner.now(args) ?? (await spawner.later(args));
        if (this.finished) break;
        if (this.results.full()) await this.results.put(unqueued);
        else this.results.putNowait(unqueued);
        unqueued = null;
      }
      if (!this.finished) await this.results.put(END);
    } catch (err) {
      if (!this.finished) await this.results.put(new InputFailure(err));
    } finally {
      await input.close();
      // Spawned but never queued (closed meanwhile): return() cannot reach it, so it goes here.
      if (unqueued) await unqueued.kill();
    }
  }

  /**
   * The next result in input order. A consumer interrupted while it waits here (killed, timed out)
   * stops the map as `break` does: `for await` would not call `return()` for it.
   */
  async next(): Promise<IteratorResult<Awaited<R>>> {
    if (this.finished) return { done: true, value: undefined };
    const consumer = currentSignal();
    let slot: Slot<Awaited<R>> | undefined;
    this.pendingNexts++;
    try {
      slot = this.results.qsize() > 0 ? this.results.getNowait() : await this.results.get();
      if (slot === END) return this.finish();
      if (slot instanceof InputFailure) {
        this.finish();
        throw slot.error;
      }
      return { done: false, value: slot.dead ? slot.outcomeNow() : await slot.wait() };
    } catch (err) {
      if (consumer.aborted && err === consumer.reason) void this.stop(slot).catch((e: unknown) => hub.reportError(e, 'stopping an interrupted imap'));
      throw err;
    } finally {
      if (--this.pendingNexts === 0 && this.iteratorDropped) this.dropped();
    }
  }

  /** Stops early (`break` in `for await`): the producer and the unconsumed work are killed. */
  async return(): Promise<IteratorResult<Awaited<R>>> {
    if (this.finished) return { done: true, value: undefined };
    await this.stop(undefined);
    return this.finish();
  }

  /** Kills the producer, then the work queued and `current` (the item its consumer waited for). */
  private async stop(current: Slot<Awaited<R>> | undefined): Promise<void> {
    this.finished = true; // the producer stops at its next step even if the kill cannot reach it
    const pending: Promise<void>[] = [];
    if (current instanceof GreenThread) pending.push(current.kill());
    await this.producer.kill();
    while (this.results.qsize() > 0) {
      const slot = this.results.getNowait();
      if (slot instanceof GreenThread) pending.push(slot.kill());
    }
    await Promise.all(pending);
  }

  private finish(): IteratorResult<Awaited<R>> {
    this.finished = true;
    return { done: true, value: undefined };
  }
}
