/**
 * Emitting an event whose listeners' returned promises are watched: Node's `emit` drops what a
 * listener returns, so an async listener's rejection is an unhandled rejection. A connection
 * thread emits its events this way to tell the rejections its own interruptions caused (it handles
 * them) from every other one (which stays an unhandled rejection, as in plain Node).
 */
import { EventEmitter, errorMonitor } from 'node:events';
import { isThenable } from '../validate.js';

/** Called with what a listener's returned promise rejected with; returns true when it is handled. */
export type RejectionFilter = (reason: unknown) => boolean;

/**
 * Emits `args[0]` on `emitter` with `args.slice(1)` like `inheritedEmit` does (listeners in order,
 * over a copy of the list so that listeners added or removed meanwhile do not change this emit,
 * `once` listeners removed as they run, a listener's throw thrown to the caller and the rest of
 * them skipped, `errorMonitor` listeners told of an `'error'` first, true when there were
 * listeners), and watches every promise a listener returns: a rejection `handles` accepts is
 * handled, any other one is left unhandled (on a promise of its own, with the same reason). An
 * emitter with no listener for the event (an `'error'` nobody listens to throws), or one that
 * captures rejections itself (`captureRejections`, a domain), gets `inheritedEmit` unchanged.
 *
 * It runs on every event of a connection thread's socket (each chunk of data), so it reads the
 * listeners where `EventEmitter` keeps them (`_events`: a function for one listener, an array for
 * more) and copies only an array, as Node's own `emit` does: `rawListeners()` (a new array) and
 * `args.slice(1)` on every event cost ~0.3 µs an event (see bench/http-keepalive.ts).
 * @example
 * emitGuarded(server, ['request', req, res], (self, a) => EventEmitter.prototype.emit.apply(self, a), (e) => e === killed);
 */
export function emitGuarded(
  emitter: EventEmitter,
  args: unknown[],
  inheritedEmit: (self: never, args: unknown[]) => unknown,
  handles: RejectionFilter,
): unknown {
  const event = args[0] as string | symbol;
  const registered = listenersOf(emitter, event);
  if (registered === undefined || capturesRejections(emitter)) return inheritedEmit(emitter as never, args);
  if (event === 'error' && listenersOf(emitter, errorMonitor) !== undefined) emitter.emit(errorMonitor, ...args.slice(1));
  if (typeof registered === 'function') {
    watchResult(callListener(registered, emitter, args), handles);
    return true;
  }
  const listeners = registered.slice();
  for (let i = 0; i < listeners.length; i++) watchResult(callListener(listeners[i]!, emitter, args), handles);
  return true;
}

type Listener = (...a: unknown[]) => unknown;

/**
 * The listeners of `event` as `EventEmitter` stores them (one function, or an array of them; a
 * `once` listener is its wrapper, which removes itself and returns what the listener returns), or
 * undefined when there is none. An emitter that keeps no `_events` record is asked through
 * `rawListeners`.
 */
function listenersOf(emitter: EventEmitter, event: string | symbol): Listener | Listener[] | undefined {
  const events = (emitter as { _events?: Record<string | symbol, Listener | Listener[] | undefined> })._events;
  if (events !== null && typeof events === 'object') {
    const registered = events[event];
    return typeof registered === 'function' || (Array.isArray(registered) && registered.length > 0) ? registered : undefined;
  }
  const listeners = emitter.rawListeners(event) as Listener[];
  return listeners.length > 0 ? listeners : undefined;
}

/** Calls `listener` on `emitter` with the event's arguments (`args` without the event name). */
function callListener(listener: Listener, emitter: EventEmitter, args: unknown[]): unknown {
  switch (args.length) {
    case 1:
      return listener.call(emitter);
    case 2:
      return listener.call(emitter, args[1]);
    case 3:
      return listener.call(emitter, args[1], args[2]);
    default:
      return Reflect.apply(listener, emitter, args.slice(1));
  }
}

/** Watches what a listener returned, if it is a promise (or any thenable). */
function watchResult(result: unknown, handles: RejectionFilter): void {
  if (isThenable(result)) watch(result, handles);
}

/** Handles `promise`'s rejection when `handles` accepts its reason; otherwise rejects anew, unhandled. */
function watch(promise: PromiseLike<unknown>, handles: RejectionFilter): void {
  void promise.then(undefined, (reason: unknown) => {
    if (!handles(reason)) throw reason;
  });
}

/**
 * True when the emitter turns its listeners' rejections into events itself: rejections are
 * captured process-wide, or a domain catches its errors. (An emitter made with its own
 * `captureRejections: true` cannot be told from outside; servers and accepted sockets never are.)
 */
function capturesRejections(emitter: EventEmitter): boolean {
  return EventEmitter.captureRejections || (emitter as { domain?: unknown }).domain != null;
}
