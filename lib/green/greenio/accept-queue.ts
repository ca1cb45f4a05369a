/**
 * A listening GreenSocket's accept side: the connections Node has accepted and no `accept()` has
 * taken yet, the one `accept()` waiting, and the server's error once it has failed.
 */
import type net from 'node:net';
import { hub, type Cleanup, type Point } from '../../hub.js';
import { BlockingIOError, SocketTimeout } from './errors.js';

/**
 * @internal Where a caller (serve) keeps the point an operation is parked at, to fail it from outside.
 * @example const slot: PointSlot = { point: null }; await listener.acceptInto(slot);
 */
export interface PointSlot {
  point: Point<unknown> | null;
}

function ignore(): void {}

/**
 * A listener's accepted connections and its waiting `accept()` (see the module notes).
 * @example
 * const queue = new AcceptQueue();
 * server.on('connection', (raw) => queue.arrived(raw));
 */
export class AcceptQueue {
  /** The `accept()` parked now, if any. */
  waiter: Point<net.Socket> | null = null;
  private backlog: net.Socket[] = [];
  private error: Error | null = null;
  private cancelTimer: (() => void) | null = null;

  /** A new connection: handed to the waiting `accept()`, else queued. */
  arrived(raw: net.Socket): void {
    raw.on('error', ignore); // a queued connection reset by its peer must not crash the process
    if (this.waiter !== null) this.waiter.wake(raw);
    else this.backlog.push(raw);
  }

  /** The server failed: the waiting `accept()` and every later one reject with `err`. */
  failed(err: Error): void {
    this.error = err;
    this.waiter?.fail(err);
  }

  /**
   * The arm of an `accept()` point: a queued connection at once, else waits (`timeoutSeconds`:
   * `null` forever, `0` never, else at most that long), with the point kept in `slot`.
   */
  arm(point: Point<net.Socket>, timeoutSeconds: number | null, slot: PointSlot | null): Cleanup | void {
    if (this.backlog.length > 0) return point.wake(this.backlog.shift()!);
    if (this.error !== null) return point.fail(this.error);
    if (timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.accept'));
    this.waiter = point;
    if (slot !== null) slot.point = point as Point<unknown>;
    if (timeoutSeconds !== null) this.cancelTimer = hub.timer(timeoutSeconds, () => point.fail(new SocketTimeout('GreenSocket.accept')));
    return () => {
      this.waiter = null;
      if (slot !== null) slot.point = null;
      this.cancelTimer?.();
      this.cancelTimer = null;
    };
  }

  /** A connection leaves the queue for its own GreenSocket: its errors are its owner's again. */
  taken(raw: net.Socket): net.Socket {
    raw.off('error', ignore);
    return raw;
  }

  /** Moves the queued connections to `next` (wrapSsl of a listener). */
  moveTo(next: AcceptQueue): void {
    for (const raw of this.backlog) next.backlog.push(raw);
    this.backlog = [];
  }

  /** Destroys the queued connections (the listener closes). */
  destroyAll(): void {
    for (const raw of this.backlog) raw.destroy();
    this.backlog = [];
  }
}
