/**
 * One green thread per accepted connection (DESIGN.md §3 "One green thread per connection"): where
 * `net` or `tls` is green, a server's `'connection'` listeners, the socket's data callbacks and so
 * `http`/`https` request handlers, and everything they start, run in the connection's own thread.
 * A `Timeout` there interrupts that connection's work only; killing the thread destroys the
 * connection, and so does a `Timeout` that its handlers cannot be interrupted for (they await
 * nothing the hub can reject). The thread ends when the connection closes, tearing down nothing
 * the handlers handed on.
 */
import type { EventEmitter } from 'node:events';
import type net from 'node:net';
import { hub, Point } from '../hub.js';
import { GreenThread } from '../greenthread.js';
import { Timeout } from '../timeout.js';
import { emitGuarded } from './guarded-emit.js';

/** The server events that hand a handler an http(s) request (`IncomingMessage`) as first argument. */
const REQUEST_EVENTS = new Set<string | symbol>(['request', 'checkContinue', 'checkExpectation']);

/** A request stream a handler reads (`IncomingMessage`): destroyed with the interruption. */
interface Request {
  destroyed: boolean;
  destroy(error?: Error): unknown;
}

/**
 * The green thread serving one accepted connection. It waits on the connection, not at a
 * cooperative point: it is never abandoned for being away from one (nobody waits on it; a kill
 * destroys the connection, which ends it), and an interruption that reaches no pending point of
 * its handlers is kept for their next one.
 * @example
 * const thread = new ConnectionThread(socket, (reason) => socket.destroy(reason as Error));
 * thread.serve(() => server.emit('connection', socket)); // the listeners run in the thread
 */
export class ConnectionThread extends GreenThread<void> {
  /** What diagnostics show while no handler of the connection is parked. */
  private readonly idle: Point;
  /** The interruptions delivered to the thread (its kill exception, its Timeouts): see {@link emit}. */
  private readonly interruptions = new Set<unknown>();
  /**
   * The http(s) requests its handlers were given that may still be read, held weakly: a finished
   * request must be collectable while its keep-alive connection lives on.
   */
  private readonly requests = new Set<WeakRef<Request>>();
  /** {@link listenerRejected} bound once, not per event. */
  private readonly rejectionFilter = (reason: unknown): boolean => this.listenerRejected(reason);
  /** Calls off the pending check that destroys the connection for a stuck interruption. */
  private cancelStuckCheck: (() => void) | null = null;

  constructor(
    socket: net.Socket,
    private readonly destroy: (reason: unknown) => void,
  ) {
    super(() => closed(socket), [], true, { name: `connection ${peerName(socket)}` });
    this.idle = new Point(this, 'connection', ignore, ignore);
    this.onEnd(() => this.cancelStuckCheck?.());
  }

  /** Starts the thread now and runs `deliver` (the `'connection'` event) in it; what it throws is thrown. */
  serve<R>(deliver: () => R): R {
    this.run();
    try {
      return hub.runIn(this, deliver);
    } finally {
      if (hub.tracer !== null) hub.tracer.parked(this.idle);
    }
  }

  /** Waiting on its connection counts as parked (see the class comment). */
  override get parked(): boolean {
    return true;
  }

  override get parkedAt(): Point | null {
    return super.parkedAt ?? this.idle;
  }

  /**
   * Emits a server or socket event of the connection in this thread (`inheritedEmit` is the
   * `emit` the emitter would use): a promise a listener returns that rejects with one of the
   * thread's own interruptions, or an error caused by one, is handled (see {@link listenerInterrupted});
   * any other rejection stays unhandled, as in plain Node. Remembers the requests handed out.
   */
  emit(emitter: EventEmitter, args: unknown[], inheritedEmit: (self: never, args: unknown[]) => unknown): unknown {
    if (REQUEST_EVENTS.has(args[0] as string)) this.requestStarted(args[1]);
    return emitGuarded(emitter, args, inheritedEmit, this.rejectionFilter);
  }

  /** Interrupts what the handlers wait on, destroys the connection, and poisons the handlers once it has closed. */
  override kill(exc?: unknown): Promise<void> {
    if (this.dead) return Promise.resolve();
    const settled = super.kill(exc);
    this.destroyConnection(this.killException);
    return settled;
  }

  /**
   * A kill aborts the signal for good; a `Timeout` aborts the signal handed out so far only: the
   * thread goes on serving the connection's next requests, with a fresh signal.
   */
  override abortSignal(reason: unknown): void {
    this.interruptions.add(reason);
    if (this.dying) super.abortSignal(reason);
    else this.abortSignalOnce(reason);
  }

  /**
   * @internal The thread was interrupted (a kill destroys the connection itself): when no pending
   * point of the handlers took the interruption and none has taken it by the end of the hub's
   * `abandonGrace`, they wait on something the hub cannot reject, so the connection is destroyed
   * with it, as a kill would — the thread is never abandoned, it waits on its connection.
   */
  override interruptOwned(reason: unknown): void {
    super.interruptOwned(reason);
    if (this.dying || this.ended) return;
    this.cancelStuckCheck?.();
    this.cancelStuckCheck = hub.timer(hub.abandonGrace, () => {
      this.cancelStuckCheck = null;
      if (!this.ended && !this.dying && this.withdrawPending(reason)) this.destroyConnection(reason);
    });
  }

  /** Handles a listener's rejection caused by this thread's own interruption; false for any other. */
  private listenerRejected(reason: unknown): boolean {
    const interruption = causingInterruption(reason, this.interruptions);
    if (interruption === undefined) return false;
    this.listenerInterrupted(interruption);
    return true;
  }

  /**
   * A handler failed with the thread's interruption. A kill needs nothing more (the connection is
   * gone, and the thread's end reports a kill exception other than `GreenletExit`). A `Timeout`
   * the handler let through leaves its request unanswerable: the connection is destroyed with it,
   * and it is reported (as a green thread failing with it is), unless it is a silent one.
   */
  private listenerInterrupted(interruption: unknown): void {
    if (this.dying || this.ended) return;
    if (!(interruption instanceof Timeout && interruption.silent)) hub.reportError(interruption, `a handler of ${this.toString()}`);
    this.destroyConnection(interruption);
  }

  /** Notes an http(s) request handed to a handler, forgetting those already destroyed. */
  private requestStarted(request: unknown): void {
    if (!isRequest(request)) return;
    for (const old of this.requests) if (old.deref()?.destroyed !== false) this.requests.delete(old);
    this.requests.add(new WeakRef(request));
  }

  /** Destroys the requests still open with `reason` (so a handler reading one gets it), then the connection. */
  private destroyConnection(reason: unknown): void {
    for (const ref of this.requests) {
      const request = ref.deref();
      if (request?.destroyed === false) request.destroy(reason as Error);
    }
    this.requests.clear();
    this.destroy(reason);
  }

  /** @internal The connection closed: the thread ends (abandoned, so poisoned, when it was killed). */
  override bodySettled(returned: boolean, value: unknown): void {
    if (this.dying) this.abandon(this.killException);
    else super.bodySettled(returned, value);
  }
}

/**
 * Resolves when `socket` closes (is destroyed). It listens for no event: Node's own code and
 * tests count a socket's `'close'` listeners, so the thread hooks this one socket's `_destroy`
 * instead, as a hidden own property.
 */
function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const inherited = (socket as unknown as Destroyable)._destroy;
    Object.defineProperty(socket, '_destroy', {
      value: function (this: Destroyable, err: Error | null, callback: (err?: Error | null) => void): void {
        resolve();
        inherited.call(this, err, callback);
      },
      configurable: true,
      writable: true,
      enumerable: false,
    });
  });
}

interface Destroyable {
  _destroy(err: Error | null, callback: (err?: Error | null) => void): void;
}

/** `host:port` of the peer (`[v6]:port`), or `unix` for a Unix socket. */
function peerName(socket: net.Socket): string {
  const { remoteAddress: host, remotePort: port } = socket;
  if (host === undefined) return 'unix';
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The interruption in `interruptions` that `reason` is, or that caused it (its `cause` chain); else undefined. */
function causingInterruption(reason: unknown, interruptions: Set<unknown>): unknown {
  const seen = new Set<unknown>();
  for (let e = reason; !seen.has(e); e = (e as { cause?: unknown }).cause) {
    if (interruptions.has(e)) return e;
    seen.add(e);
    if (e === null || typeof e !== 'object') break;
  }
  return undefined;
}

function isRequest(value: unknown): value is Request {
  return value !== null && typeof value === 'object' && typeof (value as Request).destroy === 'function' && typeof (value as Request).destroyed === 'boolean';
}

function ignore(): void {}
