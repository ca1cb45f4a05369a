/**
 * A GreenSocket's write side: the one `send`/`sendall` waiting for the socket's write buffer to
 * drain (backpressure), and the data a `send` writes once it has. Node writes never partially:
 * `sendall` waits after writing, `send` before.
 */
import type net from 'node:net';
import { hub, type Cleanup, type Point } from '../../hub.js';
import { byteLength, type Data } from './arguments.js';
import { BlockingIOError, SocketTimeout } from './errors.js';

/**
 * The write side of a connected GreenSocket (see the module notes). Its arms run once the
 * socket has checked that it can be written.
 * @example
 * const sender = new Sender(stream);
 * stream.on('drain', () => sender.drained());
 */
export class Sender {
  /** The `send`/`sendall` parked now, if any. */
  writer: Point<unknown> | null = null;
  /** The data handed from `send`/`sendall` to its arm. */
  pending: Data | null = null;
  private writeOnDrain: Data | null = null;
  private cancelTimer: (() => void) | null = null;

  constructor(private readonly stream: net.Socket) {}

  /** The arm of a sendall point: writes the data, then waits for the drain if the buffer is full. */
  armSendall(point: Point<unknown>, timeoutSeconds: number | null): Cleanup | void {
    const data = this.takePending();
    if (timeoutSeconds === 0 && this.stream.writableNeedDrain) return point.fail(new BlockingIOError('GreenSocket.sendall'));
    if (this.stream.write(data) || timeoutSeconds === 0) return point.wake(undefined);
    return this.waitDrain(point, 'GreenSocket.sendall', timeoutSeconds);
  }

  /** The arm of a sendall point whose data is written already: waits for the drain. */
  armDrain(point: Point<unknown>, timeoutSeconds: number | null): Cleanup | void {
    if (!this.stream.writableNeedDrain) return point.wake(undefined);
    return this.waitDrain(point, 'GreenSocket.sendall', timeoutSeconds);
  }

  /** The arm of a send point: writes at once when the buffer has room, else once it drains. */
  armSend(point: Point<unknown>, timeoutSeconds: number | null): Cleanup | void {
    const data = this.takePending();
    if (!this.stream.writableNeedDrain) {
      this.stream.write(data);
      return point.wake(byteLength(data));
    }
    if (timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.send'));
    this.writeOnDrain = data;
    return this.waitDrain(point, 'GreenSocket.send', timeoutSeconds);
  }

  /** Takes the data handed from `send`/`sendall` to its arm (one that fails drops it). */
  takePending(): Data {
    const data = this.pending!;
    this.pending = null;
    return data;
  }

  /** The stream's `'drain'`: the waiting writer goes on (a `send` writes its data first). */
  drained(): void {
    const writer = this.writer;
    if (writer === null) return;
    const data = this.writeOnDrain;
    if (data === null) return writer.wake(undefined);
    this.stream.write(data);
    writer.wake(byteLength(data));
  }

  private waitDrain(point: Point<unknown>, operation: string, timeoutSeconds: number | null): Cleanup {
    this.writer = point;
    if (timeoutSeconds !== null) this.cancelTimer = hub.timer(timeoutSeconds, () => point.fail(new SocketTimeout(operation)));
    return this.endWrite;
  }

  private readonly endWrite = (): void => {
    this.writer = null;
    this.writeOnDrain = null;
    const cancel = this.cancelTimer;
    if (cancel !== null) {
      this.cancelTimer = null;
      cancel();
    }
  };
}

/**
 * Ends `stream` once its buffered writes are delivered, as closing a Python socket leaves the
 * kernel to send what it holds; a peer that reads nothing for `seconds` gets the socket
 * destroyed, so a stuck peer never keeps a descriptor open forever.
 * @example closeAfterDrain(stream, GreenSocket.closeLingerSeconds);
 */
export function closeAfterDrain(stream: net.Socket, seconds: number): void {
  stream.destroySoon();
  const cancel = hub.timer(seconds, () => stream.destroy(), false);
  stream.once('close', cancel);
}
