/**
 * How a DNS operation becomes a cooperative point of the current green scope, and how a
 * promise's outcome reaches a Node-style callback.
 */
import { hub } from '../../hub.js';

/** Node's own `setImmediate`, captured before anything can patch it. */
const { setImmediate } = globalThis;

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
 * `callback(null, ...results(value))`, from an immediate, as Node's own DNS callbacks come from a
 * later event-loop phase: never before the `process.nextTick` callbacks the caller queued (`net`
 * destroys a socket whose signal was already aborted on a tick, and its look-up must then find it
 * no longer connecting), and an exception thrown by the callback is an uncaught exception.
 * @example toCallback(resolveService(address, port), callback, (s) => [s.hostname, s.service]);
 */
export function toCallback<T>(promise: Promise<T>, callback: (...args: unknown[]) => unknown, results: (value: T) => unknown[]): void {
  promise.then(
    (value) => {
      const args = results(value);
      setImmediate(() => callback(null, ...args));
    },
    (err: unknown) => setImmediate(() => callback(err)),
  );
}
