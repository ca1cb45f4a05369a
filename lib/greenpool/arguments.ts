/**
 * The input of `GreenPool.imap`/`starmap`: argument lists read one at a time from plain or async
 * iterables, zipped as Python's `zip`, with promise items awaited as `for await` would.
 */
import { hub } from '../hub.js';
import { describe, isThenable } from '../validate.js';

async function* toAsync<T>(iterable: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* iterable as AsyncIterable<T>;
}

async function* zipAsync(iterables: Array<Iterable<unknown> | AsyncIterable<unknown>>): AsyncGenerator<unknown[]> {
  const iterators = iterables.map((it) => toAsync(it)[Symbol.asyncIterator]());
  try {
    for (;;) {
      const steps = await Promise.all(iterators.map((it) => it.next()));
      if (steps.some((s) => s.done)) return;
      yield steps.map((s) => s.value);
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.(undefined)));
  }
}

function isSyncIterable(value: Iterable<unknown> | AsyncIterable<unknown>): value is Iterable<unknown> {
  return typeof value === 'string' || typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] !== 'function';
}

/** Returned by {@link ArgumentSource.next} when the input is exhausted. */
export const NO_MORE = Symbol('input exhausted');

type Pulled = unknown[] | typeof NO_MORE;

/**
 * The input of imap (`zip`: one argument from each iterable) or starmap (each item is the argument
 * list), read one argument list at a time. Plain iterables are read synchronously — no promise per
 * item — and a value that is a promise is awaited first, as `for await` would; an async iterable
 * among them makes every read go through `for await`'s protocol. Exhausted or failed, the input is
 * closed; `close()` is what `break` does to it (the iterators' `return()`).
 */
export class ArgumentSource {
  private readonly iterators: Iterator<unknown>[] | null;
  private readonly items: AsyncIterator<unknown> | null;
  /** Each async item is one argument (imap of a single iterable), not an argument list. */
  private readonly itemIsArgument: boolean;
  private open = true;

  constructor(iterables: Array<Iterable<unknown> | AsyncIterable<unknown>>, private readonly zip: boolean) {
    for (const it of iterables) if (Array.isArray(it)) watchPromiseItems(it);
    const sync = iterables.every(isSyncIterable);
    this.iterators = sync ? (iterables as Iterable<unknown>[]).map((it) => it[Symbol.iterator]()) : null;
    this.itemIsArgument = zip && iterables.length === 1;
    if (sync) this.items = null;
    else this.items = (iterables.length > 1 ? zipAsync(iterables) : toAsync(iterables[0]!))[Symbol.asyncIterator]();
  }

  /** The next argument list, or NO_MORE; a promise only where something had to be awaited. */
  next(): Pulled | Promise<Pulled> {
    if (this.iterators === null) return this.items!.next().then((step) => this.took(step), (err: unknown) => this.failed(err));
    let values: unknown[];
    try {
      values = this.stepAll(this.iterators);
    } catch (err) {
      this.open = false;
      throw err;
    }
    if (values === DONE) return NO_MORE;
    if (!this.zip) return isThenable(values[0]) ? Promise.resolve(values[0]).then((v) => argumentList(v), (err: unknown) => this.failed(err)) : argumentList(values[0]);
    return values.some(isThenable) ? Promise.all(values).catch((err: unknown) => this.failed(err)) : values;
  }

  /**
   * `break`'s effect on the input: the iterators still open are told to finish. What their
   * `return()` throws goes to the hub's error reporter (nobody else would see it).
   */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      if (this.iterators !== null) for (const it of this.iterators) it.return?.();
      else await this.items!.return?.(undefined);
    } catch (err) {
      hub.reportError(err, 'closing the input of GreenPool.imap');
    }
  }

  private stepAll(iterators: Iterator<unknown>[]): unknown[] {
    const values = new Array<unknown>(iterators.length);
    for (let i = 0; i < iterators.length; i++) {
      const step = iterators[i]!.next();
      if (step === null || typeof step !== 'object') {
        this.open = false;
        throw new TypeError(`GreenPool.imap: the input's iterator result ${String(step)} is not an object`);
      }
      if (step.done) {
        this.open = false;
        if (iterators.length > 1) for (let j = 0; j < iterators.length; j++) if (j !== i) iterators[j]!.return?.();
        return DONE;
      }
      values[i] = step.value;
    }
    return values;
  }

  private took(step: IteratorResult<unknown>): Pulled {
    if (!step.done) return this.itemIsArgument ? [step.value] : this.zip ? (step.value as unknown[]) : argumentList(step.value);
    this.open = false;
    return NO_MORE;
  }

  private failed(err: unknown): never {
    this.open = false;
    throw err;
  }
}

/** {@link ArgumentSource.stepAll}'s "an iterator is exhausted". */
const DONE: unknown[] = [];

/** A starmap item as the argument list it must be: an array, or at least an iterable. */
function argumentList(item: unknown): unknown[] {
  if (Array.isArray(item)) return item;
  if (item !== null && item !== undefined && typeof (item as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return [...(item as Iterable<unknown>)];
  throw new TypeError(`GreenPool.starmap: each item must be an array of arguments, got ${describe(item)}`);
}

function ignore(): void {}

/**
 * Marks the promises among an array's items as handled now: imap awaits each when it reads it, a
 * turn or more later, and a rejected one would meanwhile be an unhandled rejection that ends the
 * process, though the consumer catches it (as it would with `for await` over the array).
 */
function watchPromiseItems(items: unknown[]): void {
  for (const item of items) if (item instanceof Promise) item.then(undefined, ignore);
}

