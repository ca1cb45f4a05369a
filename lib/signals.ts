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

/** The callbacks waiting on a signal, and the one 'abort' listener that calls them. */
interface Waiting {
  callbacks: Set<() => void>;
  listener: () => void;
}

const waitingOn = new WeakMap<AbortSignal, Waiting>();

/**
 * Calls `onAbort(signal.reason)` once when `signal` aborts; returns the function that stops
 * listening (call it when the work the signal guards is over, so no listener is left behind).
 * However many wait on one signal (one shutdown signal for many threads), the signal gets a single
 * 'abort' listener that calls them in the order they came, and loses it when the last one stops,
 * so Node 20 never warns of a listener leak and the user's signal is left as it was.
 * @example const stop = whenAborted(signal, (reason) => hub.interrupt(scope, reason)); try { ... } finally { stop(); }
 */
export function whenAborted(signal: AbortSignal, onAbort: (reason: unknown) => void): () => void {
  if (signal.aborted) return () => {}; // as addEventListener: an aborted signal fires no more
  const callback = (): void => onAbort(signal.reason);
  let waiting = waitingOn.get(signal);
  if (waiting === undefined) {
    waiting = { callbacks: new Set(), listener: () => callWaiting(signal) };
    waitingOn.set(signal, waiting);
    signal.addEventListener('abort', waiting.listener, { once: true });
  }
  waiting.callbacks.add(callback);
  return () => stopWaiting(signal, callback);
}

/** The abort: each callback still waiting, in order; one that throws does not stop the others. */
function callWaiting(signal: AbortSignal): void {
  const callbacks = waitingOn.get(signal)?.callbacks;
  waitingOn.delete(signal);
  if (callbacks === undefined) return;
  for (const callback of [...callbacks]) {
    if (!callbacks.delete(callback)) continue; // stopped by an earlier callback
    try {
      callback();
    } catch (err) {
      process.nextTick(() => {
        throw err; // as an exception in an 'abort' listener: uncaught
      });
    }
  }
}

/** Takes `callback` off the signal; the last one to go takes the listener with it. */
function stopWaiting(signal: AbortSignal, callback: () => void): void {
  const waiting = waitingOn.get(signal);
  if (waiting === undefined || !waiting.callbacks.delete(callback) || waiting.callbacks.size > 0) return;
  waitingOn.delete(signal);
  signal.removeEventListener('abort', waiting.listener);
}
