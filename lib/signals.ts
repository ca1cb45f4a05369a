/**
 * `AbortSignal`s both ways: out of green work (`currentSignal()`, the signal of the innermost
 * scope, to hand to `fetch`, `events.once`, `fs.promises`, `ws`) and into it (`withTimeout({ signal })`,
 * `thread.killOn(signal)`), see DESIGN.md §3 "Signals, both ways".
 */
import { hub } from './hub.js';
import { describe } from './validate.js';

/**
 * The `AbortSignal` of the innermost scope running now: a `withTimeout` scope (also the one a
 * `new Timeout` made in it belongs to), else the green thread (`getCurrent().signal`). It aborts,
 * with the interruption (the `Timeout`, the kill exception) as its reason, when that scope or an
 * enclosing one is interrupted. Outside green threads it is the main thread's, which never aborts
 * (a root interruption is transient).
 * @example
 * await withTimeout(30, async () => {
 *   const [message] = await once(ws, 'message', { signal: currentSignal() }); // no listener left behind
 * });
 */
export function currentSignal(): AbortSignal {
  return hub.currentScope().signal;
}

/**
 * Checks that `value` is an `AbortSignal`, or throws a `TypeError` naming `name` in `where`.
 * @example requireSignal('withTimeout', 'options.signal', options.signal);
 */
export function requireSignal(where: string, name: string, value: unknown): AbortSignal {
  if (value instanceof AbortSignal) return value;
  throw new TypeError(`${where}: ${name} must be an AbortSignal, got ${describe(value)}`);
}

/**
 * Calls `onAbort(signal.reason)` once when `signal` aborts; returns the function that stops
 * listening (call it when the work the signal guards is over, so no listener is left behind).
 * @example const stop = whenAborted(signal, (reason) => hub.interrupt(scope, reason)); try { ... } finally { stop(); }
 */
export function whenAborted(signal: AbortSignal, onAbort: (reason: unknown) => void): () => void {
  const listener = (): void => onAbort(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
