/**
 * Emitting an event whose listeners' returned promises are watched: Node's `emit` drops what a
 * listener returns, so an async listener's rejection is an unhandled rejection. A connection
 * thread emits its events this way to tell the rejections its own interruptions caused (it handles
 * them) from every other one (which stays an unhandled rejection, as in plain Node).
 */
import { EventEmitter } from 'node:events';

/** Called with what a listener's returned promise rejected with; returns true when it is handled. */
export type RejectionFilter = (reason: unknown) => boolean;

/**
 * Emits `args[0]` on `emitter` with `args.slice(1)` like `inheritedEmit` does (listeners in order,
 * `once` listeners removed as they run, a listener's throw thrown to the caller and the rest of
 * them skipped, true when there were listeners), and watches every promise a listener returns: a
 * rejection `handles` accepts is handled, any other one is left unhandled (on a promise of its
 * own, with the same reason). An emitter with no listener for the event (an `'error'` nobody
 * listens to throws), or one that captures rejections itself (`captureRejections`, a domain),
 * gets `inheritedEmit` unchanged.
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
  const listeners = emitter.rawListeners(event) as Array<(...a: unknown[]) => unknown>;
  if (listeners.length === 0 || capturesRejections(emitter)) return inheritedEmit(emitter as never, args);
  const listenerArgs = args.slice(1);
  for (const listener of listeners) {
    const result = Reflect.apply(listener, emitter, listenerArgs);
    if (isThenable(result)) watch(result, handles);
  }
  return true;
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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
