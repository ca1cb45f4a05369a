/**
 * How a file operation becomes a cooperative point of the current green scope: the operation is
 * started at once (so Node's argument errors are still thrown synchronously), the caller's
 * promise rejects / callback is called with the interruption as soon as the scope is interrupted,
 * the operation is aborted through its `signal` option where it has one, and a result that
 * arrives after the interruption is handed to `discard` (to close an fd nobody will see).
 */
import { hub } from '../hub.js';
import { ignore } from './fs-natives.js';

/** The arguments Node passes to a callback: `(err, ...results)`, or `(exists)` for `fs.exists`. @example const [err, fd]: CallbackArgs = [null, 3]; */
export type CallbackArgs = unknown[];

/** A Node-style callback. @example const callback: Callback = (err, data) => console.log(err ?? data); */
export type Callback = (...args: CallbackArgs) => unknown;

const NOTHING: unique symbol = Symbol('nothing');

/**
 * Runs `start(signal)` as a cooperative point of the current scope (see {@link Hub.guard}), except
 * that an error `start` throws synchronously (Node's argument validation) is thrown to the caller
 * synchronously, as Node's own function would.
 * @example return promisePoint('fs.promises.stat', () => nativePromises.stat(path));
 */
export function promisePoint<T>(what: string, start: (signal: AbortSignal) => PromiseLike<T>, discard?: (value: T) => void): Promise<T> {
  const thrown: { error: unknown } = { error: NOTHING };
  const point = hub.guard(
    what,
    (signal) => {
      try {
        return start(signal);
      } catch (err) {
        thrown.error = err;
        throw err;
      }
    },
    discard,
  );
  if (thrown.error === NOTHING) return point;
  point.catch(ignore);
  throw thrown.error;
}

/**
 * The callback form of {@link promisePoint}: `call(signal, done)` starts the operation, which calls
 * `done` with whatever Node passes to callbacks; `callback` then receives exactly those arguments,
 * or the interruption error alone. Callbacks run from a microtask, so what they throw is an
 * uncaught exception, as with Node's own callbacks.
 * @example callbackPoint('fs.stat', (signal, done) => nativeFs.stat(path, done), callback);
 */
export function callbackPoint(what: string, call: (signal: AbortSignal, done: Callback) => void, callback: Callback, discard?: (args: CallbackArgs) => void): void {
  const start = (signal: AbortSignal): Promise<CallbackArgs> => {
    let finish: (args: CallbackArgs) => void = ignore;
    const outcome = new Promise<CallbackArgs>((resolve) => (finish = resolve));
    call(signal, (...args) => finish(args));
    return outcome;
  };
  promisePoint(what, start, discard).then(
    (args) => queueMicrotask(() => callback(...args)),
    (err: unknown) => queueMicrotask(() => callback(err)),
  );
}

/**
 * Copies `args` with `signal` added to the options argument at `index` (combined with the
 * caller's own signal). Options Node would reject are left alone so it reports them as usual.
 * @example nativePromises.readFile(...withSignal([path, 'utf8'], 1, signal));
 */
export function withSignal(args: readonly unknown[], index: number, signal: AbortSignal): unknown[] {
  const copy = [...args];
  if (copy.length >= index) copy[index] = optionsWithSignal(copy[index], signal);
  return copy;
}

function optionsWithSignal(options: unknown, signal: AbortSignal): unknown {
  if (options === undefined || options === null) return { signal };
  if (typeof options === 'string') return { encoding: options, signal };
  if (typeof options !== 'object' || Array.isArray(options)) return options;
  const own = (options as { signal?: unknown }).signal;
  if (own === undefined) return { ...options, signal };
  if (!(own instanceof AbortSignal)) return options;
  return { ...options, signal: AbortSignal.any([own, signal]) };
}
