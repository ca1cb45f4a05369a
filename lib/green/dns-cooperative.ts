/**
 * How a DNS operation becomes a cooperative point of the current green scope, and how a
 * promise's outcome reaches a Node-style callback.
 */
import { hub } from '../hub.js';

/**
 * Runs `start` as a cooperative point inside a green scope (the signal aborts when the scope is
 * interrupted, and the returned promise rejects with the interruption at once), or plainly
 * outside one (no signal).
 * @example const addresses = await cooperative('dns lookup', (signal) => getaddrinfo(request, signal));
 */
export function cooperative<T>(what: string, start: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  return hub.ownerScope() ? hub.guard(what, start) : start();
}

/**
 * Makes an operation that has already started (so that Node's argument errors were thrown
 * synchronously) a cooperative point of the current scope: when the scope is interrupted, the
 * returned promise rejects with the interruption at once and `cancel` is called — also when the
 * interruption was already waiting and the point never parked.
 * @example return started('dns resolve4', answer, () => lease.cancel());
 */
export function started<T>(what: string, operation: Promise<T>, cancel: () => void): Promise<T> {
  let parked = false;
  const point = hub.guard(what, (signal) => {
    parked = true;
    signal.addEventListener('abort', cancel, { once: true });
    return operation;
  });
  if (!parked) {
    operation.catch(() => {}); // its outcome is no longer wanted (cancelled: ECANCELLED)
    cancel();
  }
  return point;
}

/**
 * Calls a Node-style `callback` with the outcome of `promise`: `callback(err)` or
 * `callback(null, ...results(value))`, from a microtask so that an exception thrown by the
 * callback is an uncaught exception, as with Node's own callbacks.
 * @example toCallback(resolveService(address, port), callback, (s) => [s.hostname, s.service]);
 */
export function toCallback<T>(promise: Promise<T>, callback: (...args: unknown[]) => unknown, results: (value: T) => unknown[]): void {
  promise.then(
    (value) => {
      const args = results(value);
      queueMicrotask(() => callback(null, ...args));
    },
    (err: unknown) => queueMicrotask(() => callback(err)),
  );
}
