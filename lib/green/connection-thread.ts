/**
 * One green thread per accepted connection (DESIGN.md §3 "One green thread per connection"): where
 * `net` or `tls` is green, a server's `'connection'` listeners, the socket's data callbacks and so
 * `http`/`https` request handlers, and everything they start, run in the connection's own thread.
 * A `Timeout` there interrupts that connection's work only; killing the thread destroys the
 * connection. The thread ends when the connection closes, tearing down nothing the handlers
 * handed on.
 */
import type net from 'node:net';
import { hub, Point } from '../hub.js';
import { GreenThread } from '../greenthread.js';

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

  constructor(
    socket: net.Socket,
    private readonly destroy: (reason: unknown) => void,
  ) {
    super(() => closed(socket), [], true, { name: `connection ${peerName(socket)}` });
    this.idle = new Point(this, 'connection', ignore, ignore);
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

  /** Interrupts what the handlers wait on, destroys the connection, and poisons the handlers once it has closed. */
  override kill(exc?: unknown): Promise<void> {
    if (this.dead) return Promise.resolve();
    const settled = super.kill(exc);
    this.destroy(this.killException);
    return settled;
  }

  /**
   * A kill aborts the signal for good; a `Timeout` aborts the signal handed out so far only: the
   * thread goes on serving the connection's next requests, with a fresh signal.
   */
  override abortSignal(reason: unknown): void {
    if (this.dying) super.abortSignal(reason);
    else this.abortSignalOnce(reason);
  }

  /** @internal The connection closed: the thread ends (abandoned, so poisoned, when it was killed). */
  protected override bodySettled(returned: boolean, value: unknown): void {
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

function ignore(): void {}
