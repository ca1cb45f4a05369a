/**
 * A GreenSocket's read side: the bytes read and not handed out yet, the one `recv` waiting for
 * more, and what the stream said last (end of stream, an error). The socket starts reading from
 * its Node stream only once a reader waits; bytes that arrive with a reader waiting go straight to
 * it (no copy, no hub turn).
 */
import type net from 'node:net';
import { hub, type Cleanup, type Point } from '../../hub.js';
import { BlockingIOError, SocketTimeout } from './errors.js';
import { ReadBuffer } from './read-buffer.js';

const EMPTY = Buffer.alloc(0);

/**
 * The read side of a connected GreenSocket (see the module notes).
 * @example
 * const receiver = new Receiver(stream);
 * receiver.request(4096);
 * const ready = receiver.takeNow(); // a Buffer, or null when the recv has to wait
 */
export class Receiver {
  /** The `recv` parked now, if any. */
  reader: Point<Buffer> | null = null;
  private readonly input: ReadBuffer;
  private size = 0;
  private eof = false;
  private error: Error | null = null;
  private flowing = false;
  private cancelTimer: (() => void) | null = null;

  constructor(private readonly stream: net.Socket) {
    this.input = new ReadBuffer(stream);
    if (stream.destroyed) this.eof = true;
  }

  /** Bytes read and not handed out. */
  get buffered(): number {
    return this.input.size;
  }

  /** A recv of at most `size` bytes begins: what {@link takeNow} and a waiting reader get. */
  request(size: number): void {
    this.size = size;
  }

  /** Up to the requested size of buffered bytes, or `null` when none are here (the recv waits). */
  takeNow(): Buffer | null {
    return this.input.size > 0 ? this.input.take(this.size) : null;
  }

  /**
   * The arm of a recv point whose socket is open: the end of stream or the stream's error at
   * once, else waits (`timeoutSeconds`: `null` forever, `0` never, else at most that long).
   */
  arm(point: Point<Buffer>, timeoutSeconds: number | null): Cleanup | void {
    if (this.error !== null) return point.fail(this.error);
    if (this.eof) return point.wake(EMPTY);
    if (timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.recv'));
    this.reader = point;
    if (!this.flowing) this.startFlowing();
    if (timeoutSeconds !== null) this.cancelTimer = hub.timer(timeoutSeconds, this.timedOut);
    return this.endRead;
  }

  /** Puts bytes back in front (a file read that took more than a line, or gave up). */
  unshift(chunk: Buffer): void {
    this.input.unshift(chunk);
  }

  /** The peer ended the stream (or reset it, which Python's recv reads as the end too). */
  ended(): void {
    this.eof = true;
    this.reader?.wake(EMPTY);
  }

  /** The stream failed with `err`: the waiting and later recvs reject with it. */
  failed(err: Error): void {
    this.error = err;
    this.reader?.fail(err);
  }

  /** `shutdown(SHUT_RD)`: what is buffered is dropped and every later recv reads end of stream. */
  shutdown(): void {
    this.input.clear();
    if (this.flowing) this.stream.pause();
    this.ended();
  }

  /** The socket closed: nothing is left to read, the waiting recv rejects with `err`. */
  closed(err: Error): void {
    this.input.clear();
    this.reader?.fail(err);
  }

  /** The socket hands its stream over (wrapSsl): it stops reading from it. */
  detach(): void {
    this.stream.off('data', this.onData);
  }

  private startFlowing(): void {
    this.flowing = true;
    this.stream.on('data', this.onData);
    this.stream.resume(); // a server socket made with pauseOnConnect does not start on its own
  }

  private readonly onData = (data: Buffer): void => {
    let chunk = data;
    const reader = this.reader;
    if (reader !== null) {
      const n = this.size;
      if (chunk.length <= n) return reader.wake(chunk);
      reader.wake(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
    }
    this.input.push(chunk);
  };

  private readonly endRead = (): void => {
    this.reader = null;
    const cancel = this.cancelTimer;
    if (cancel !== null) {
      this.cancelTimer = null;
      cancel();
    }
  };

  private readonly timedOut = (): void => {
    this.reader?.fail(new SocketTimeout('GreenSocket.recv'));
  };
}
