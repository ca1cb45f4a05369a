/**
 * Factories that turn Node's asynchronous file functions into green ones. Outside green scopes a
 * green function calls Node's own at once, with the same `this` and arguments. Inside one, the
 * call is a cooperative point of the scope (see `hub.guard`), results that are resources are
 * adopted by the scope, and the fd an operation works on is marked in use until it completes.
 */
import { hub, type Scope } from '../../hub.js';
import { fdInUse } from './fds.js';
import { withSignal, type Callback, type CallbackArgs } from './points.js';
import { greenFunction } from '../greening.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** How a green callback function treats its call and results. @example greenCallback('readFile', nativeFs.readFile, { signalAt: 1 }) */
export interface CallbackOptions {
  /** Index of the options argument that takes an AbortSignal (readFile, writeFile, …). */
  signalAt?: number;
  /** Runs right before Node's function is called, in and out of green scopes (ownership bookkeeping). */
  before?: (args: unknown[]) => void;
  /** Takes successful results when they arrive, for the scope that asked (e.g. owns an fd). */
  adopt?: (scope: Scope, args: CallbackArgs) => void;
  /** Releases results that arrived after the caller was interrupted (e.g. closes an fd). */
  discard?: (args: CallbackArgs) => void;
}

/**
 * A green version of a callback-last function such as `fs.stat` (`undefined` stays `undefined`,
 * for functions a Node version or platform lacks).
 * @example export const stat = greenCallback('stat', nativeFs.stat);
 */
export function greenCallback<F extends AnyFunction | undefined>(name: string, native: F, options: CallbackOptions = {}): F {
  if (typeof native !== 'function') return native;
  const green = function (this: unknown, ...args: unknown[]): unknown {
    const scope = hub.ownerScope();
    const callback = args[args.length - 1];
    if (!scope || typeof callback !== 'function') {
      options.before?.(args);
      return native.apply(this, args);
    }
    hub.guardCallback(`fs ${name}`, (signal, done) => callNative(this, native, args, signal, done, scope, options), callback as Callback, discardErrorFree(options.discard));
    return undefined;
  };
  return greenFunction(native, green as NonNullable<F>);
}

/** Calls Node's callback function with `done` in place of the caller's callback. */
function callNative(self: unknown, native: AnyFunction, args: unknown[], signal: AbortSignal, done: Callback, scope: Scope, options: CallbackOptions): void {
  options.before?.(args);
  const head = args.slice(0, -1);
  const callArgs = options.signalAt === undefined ? head : withSignal(head, options.signalAt, signal);
  const completed = fdInUse(args[0]);
  const onResults = (...results: CallbackArgs): void => {
    completed();
    if (results[0] == null) options.adopt?.(scope, results);
    done(...results);
  };
  try {
    native.apply(self, [...callArgs, onResults]);
  } catch (err) {
    completed();
    throw err;
  }
}

function discardErrorFree(discard: ((args: CallbackArgs) => void) | undefined): ((args: CallbackArgs) => void) | undefined {
  return discard && ((args) => args[0] == null && discard(args));
}

/** How a green promise function treats its call and result. @example greenPromise('fs promises open', nativePromises.open, { discard: closeUnwantedHandle }) */
export interface PromiseOptions<T> {
  /** Index of the options argument that takes an AbortSignal. */
  signalAt?: number;
  /** Takes the value when it arrives, for the scope that asked (e.g. owns a FileHandle). */
  adopt?: (scope: Scope, value: T) => void;
  /** Releases a value that arrived after the caller was interrupted. */
  discard?: (value: T) => void;
}

/**
 * A green version of a promise-returning function or method such as `fs.promises.stat` or
 * `FileHandle.prototype.read`.
 * @example const stat = greenPromise('fs promises stat', nativePromises.stat);
 */
export function greenPromise<F extends AnyFunction | undefined>(what: string, native: F, options: PromiseOptions<Awaited<ReturnType<NonNullable<F>>>> = {}): F {
  if (typeof native !== 'function') return native;
  const green = function (this: unknown, ...args: unknown[]): unknown {
    const scope = hub.ownerScope();
    if (!scope) return native.apply(this, args);
    return hub.guard(what, (signal) => {
      const callArgs = options.signalAt === undefined ? args : withSignal(args, options.signalAt, signal);
      const result = native.apply(this, callArgs) as Promise<Awaited<ReturnType<NonNullable<F>>>>;
      const adopt = options.adopt;
      return adopt ? result.then((value) => (adopt(scope, value), value)) : result;
    }, options.discard);
  };
  return greenFunction(native, green as NonNullable<F>);
}

/**
 * A green version of a method that takes an optional callback and returns a promise without one
 * (`Dir.prototype.read`, `Dir.prototype.close`).
 * @example const read = greenDual('fs Dir.read', nativeDir.read);
 */
export function greenDual<F extends AnyFunction>(what: string, native: F, before?: (self: unknown) => void): F {
  const green = function (this: unknown, ...args: unknown[]): unknown {
    const callback = args[args.length - 1];
    if (!hub.ownerScope() || (args.length > 0 && typeof callback !== 'function')) {
      before?.(this);
      return native.apply(this, args);
    }
    const call = (...callArgs: unknown[]): unknown => {
      before?.(this);
      return native.apply(this, callArgs);
    };
    if (args.length === 0) return hub.guard(what, () => call() as Promise<unknown>);
    hub.guardCallback(what, (_signal, done) => call(done), callback as Callback);
    return undefined;
  };
  return greenFunction(native, green as F);
}

/**
 * A green version of a function returning an async iterator (`fs.promises.watch`,
 * `fs.promises.glob`): each `next()` is a cooperative point; with `signalAt`, the iteration is
 * also aborted when the scope that started it is interrupted.
 * @example const watch = greenIterator('fs promises watch', nativePromises.watch, 1);
 */
export function greenIterator<F extends AnyFunction | undefined>(what: string, native: F, signalAt?: number, own?: (scope: Scope, controller: AbortController) => void): F {
  if (typeof native !== 'function') return native;
  const green = function (this: unknown, ...args: unknown[]): unknown {
    const scope = hub.ownerScope();
    if (!scope) return native.apply(this, args);
    let callArgs = args;
    if (signalAt !== undefined) {
      const controller = new AbortController();
      own?.(scope, controller);
      callArgs = withSignal(args, signalAt, controller.signal);
    }
    return cooperativeIterator(what, native.apply(this, callArgs) as AsyncGenerator<unknown>);
  };
  return greenFunction(native, green as NonNullable<F>);
}

/** Wraps an async generator so that `next()` is a cooperative point; it still is an AsyncGenerator to `instanceof` and `toString`. */
function cooperativeIterator<T>(what: string, iterator: AsyncGenerator<T>): AsyncGenerator<T> {
  const next = (...value: [] | [unknown]): Promise<IteratorResult<T>> =>
    hub.ownerScope() ? hub.guard(what, () => iterator.next(...value)) : iterator.next(...value);
  return Object.create(Object.getPrototypeOf(iterator) as object, {
    next: { value: next, writable: true, configurable: true },
    return: { value: (value: unknown) => iterator.return(value as T), writable: true, configurable: true },
    throw: { value: (err: unknown) => iterator.throw(err), writable: true, configurable: true },
  }) as AsyncGenerator<T>;
}
