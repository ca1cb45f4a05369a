/**
 * `GreenSocket`: eventlet's blocking-style socket over a Node `net.Socket` (or `tls.TLSSocket`) or,
 * for a listening socket, a `net.Server`. Every wait — `recv`, `recvInto`, `send`/`sendall` when
 * the peer reads slowly, `accept`, `connect`, a TLS handshake — is a cooperative point: `kill()` or
 * a `Timeout` rejects it at once and removes what it set up.
 *
 * Semantics (eventlet's, with the choices Node forces spelled out):
 * - `recv(n)` resolves with a Buffer of at most `n` bytes, as soon as any data is there; an empty
 *   Buffer means end of stream. A peer that resets the connection (`ECONNRESET`, `EPIPE`) also reads
 *   as end of stream. Only one reader at a time: a second concurrent `recv` rejects (`EBUSY`).
 * - `settimeout(null)` (the default) waits forever; `settimeout(t > 0)` bounds *each wait* by `t`
 *   seconds (a `connect` or handshake by one deadline) and rejects it with a {@link SocketTimeout}
 *   (`isTimeout(err)` is true); `settimeout(0)` makes the socket non-blocking: an operation that
 *   would wait rejects with a {@link BlockingIOError} (`EAGAIN`) instead.
 * - `sendall(data)` hands all of `data` to the socket and waits (backpressure) while the socket's
 *   write buffer is above its high-water mark, until the peer has taken enough. `send` waits first
 *   if the buffer is full, then takes all of `data` and resolves with its length (Node never
 *   writes partially).
 * - `close()` rejects the operations still waiting on the socket (`EBADF`), lets data already
 *   written drain, and closes. It does not wait (neither does `shutdown`).
 * - Ownership: a GreenSocket made inside a green thread (by `connect`, `listen`, `accept`,
 *   `wrapSsl` or `new GreenSocket()`) belongs to that thread. When the thread is killed or its
 *   Timeout fires, the socket is destroyed, so nothing stays open. When the thread ends on its own,
 *   the socket lives on (it may have been handed to another thread). A socket made inside a
 *   `withTimeout` scope passes to the enclosing thread when the scope ends normally.
 * @example
 * import { GreenSocket } from 'eventlet/green/greenio';
 * const sock = new GreenSocket();
 * await sock.connect(['127.0.0.1', 8080]);
 * await sock.sendall('ping\n');
 * console.log(String(await sock.recv(1024)));
 * sock.close();
 */
import net from 'node:net';
import tls from 'node:tls';
import { hub, type Cleanup, type Point, type Scope } from '../hub.js';
import { describe } from '../validate.js';
import { Claim } from './claims.js';
import { type Address, type Family, type SocketAddress, checkFamily, endpoint, parseAddress, parseFamily, type Target } from './greenio-address.js';
import { BlockingIOError, SocketTimeout, closedError, concurrentError, kindError } from './greenio-errors.js';
import { GreenSocketFile, type FileMode } from './greenio-file.js';
import { acceptsWithoutThreads } from './net.js';

export { type Address, type Family, type SocketAddress } from './greenio-address.js';
export { SocketTimeout, BlockingIOError } from './greenio-errors.js';
export { GreenSocketFile, type FileMode } from './greenio-file.js';

/** `shutdown(SHUT_RD)`: no more reads. @example sock.shutdown(SHUT_RD); */
export const SHUT_RD = 0;
/** `shutdown(SHUT_WR)`: no more writes; the peer reads end of stream. @example sock.shutdown(SHUT_WR); */
export const SHUT_WR = 1;
/** `shutdown(SHUT_RDWR)`: both. @example sock.shutdown(SHUT_RDWR); */
export const SHUT_RDWR = 2;

/** Options of {@link GreenSocket.connect}. @example await sock.connect(['::1', 80], { family: 6 }); */
export interface ConnectOptions {
  /** Address family of the connection (`4` or `6`); omitted, the host decides. */
  family?: Family;
  /** Local `[host, port]` to bind before connecting. */
  bind?: Address;
}

/** Bytes the socket buffers for a reader that is not waiting before it stops reading from the peer. */
const READ_HIGH_WATER = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const DONE: Promise<void> = Promise.resolve();
type Data = string | Uint8Array;

/**
 * @internal Where a caller (serve) keeps the point an operation is parked at, to fail it from outside.
 * @example const slot: PointSlot = { point: null }; await listener.acceptInto(slot);
 */
export interface PointSlot {
  point: Point<unknown> | null;
}

/**
 * A blocking-style socket whose waits are cooperative points (see the module notes above).
 * `S` is the Node object it drives: a `net.Socket` (connections) or a `net.Server` (listeners).
 * @example
 * const listener = await listen(['127.0.0.1', 0]);
 * const [client, addr] = await listener.accept();
 * await client.sendall(await client.recv(4096)); // echo once
 */
export class GreenSocket<S extends net.Socket | net.Server = net.Socket> {
  /**
   * Seconds `close()` lets buffered writes drain to a peer that does not read before it destroys
   * the socket anyway (default 10).
   * @example GreenSocket.closeLingerSeconds = 2;
   */
  static closeLingerSeconds = 10;
  /** The Node socket (`net.Socket`, `tls.TLSSocket`) or, for a listener, the `net.Server`. */
  readonly socket: S;
  private readonly stream: net.Socket | null;
  private readonly server: net.Server | null;
  private timeoutSeconds: number | null = null;
  private claim: Claim | null = null;
  private state: 'open' | 'closed' | 'detached' = 'open';
  /** The host this socket connected to, for TLS name checks; the Unix path for a Unix client. */
  private peerHost: string | undefined;
  private unixPath = '';
  // reading
  private chunks: Buffer[] = [];
  private buffered = 0;
  private eof = false;
  private readError: Error | null = null;
  private flowing = false;
  private pausedByUs = false;
  private reader: Point<Buffer> | null = null;
  private readSize = 0;
  private cancelReadTimer: (() => void) | null = null;
  // writing
  private writer: Point<unknown> | null = null;
  private writeData: Data | null = null;
  private writeOnDrain: Data | null = null;
  private writeError: Error | null = null;
  private cancelWriteTimer: (() => void) | null = null;
  // connecting, handshaking, listening
  private connector: Point<void> | null = null;
  // accepting
  private backlog: net.Socket[] = [];
  private acceptor: Point<net.Socket> | null = null;
  private acceptSlot: PointSlot | null = null;
  private serverError: Error | null = null;
  private cancelAcceptTimer: (() => void) | null = null;
  private acceptTls: ((raw: net.Socket) => tls.TLSSocket) | null = null;

  /**
   * Wraps `socket` (a connected or unconnected `net.Socket`, a `tls.TLSSocket`, or a `net.Server`);
   * with no argument, makes a new unconnected socket (half-open allowed, as a Python socket is).
   * @example const sock = new GreenSocket(); await sock.connect('/tmp/app.sock');
   */
  constructor(socket?: S) {
    const node = socket ?? (new net.Socket({ allowHalfOpen: true }) as S);
    if (node instanceof net.Server) {
      this.server = acceptsWithoutThreads(node);
      this.stream = null;
      node.on('connection', this.onConnection);
      node.on('error', this.onServerError);
      node.on('listening', this.onListening);
      node.on('close', this.onServerClose);
    } else if (node instanceof net.Socket) {
      this.stream = node;
      this.server = null;
      node.on('end', this.onEnd);
      node.on('error', this.onError);
      node.on('close', this.onClose);
      node.on('drain', this.onDrain);
      node.on('connect', this.onConnect);
      if (node.destroyed) this.eof = true;
    } else {
      throw new TypeError(`GreenSocket: socket must be a net.Socket, a tls.TLSSocket or a net.Server, got ${describe(node)}`);
    }
    this.socket = node;
    this.adoptBy(hub.ownerScope());
  }

  // ---------------------------------------------------------------------------------------------
  // Timeouts

  /**
   * Sets the timeout of each wait: `null` waits forever, `0` never waits (operations that would
   * wait reject with `BlockingIOError`), `t > 0` rejects a wait longer than `t` seconds with
   * `SocketTimeout`.
   * @example sock.settimeout(2.5);
   */
  settimeout(seconds: number | null): void {
    if (seconds === null || seconds === undefined) {
      this.timeoutSeconds = null;
      return;
    }
    if (typeof seconds !== 'number' || Number.isNaN(seconds)) throw new TypeError(`GreenSocket.settimeout: seconds must be a number or null, got ${describe(seconds)}`);
    if (seconds < 0) throw new RangeError(`GreenSocket.settimeout: seconds must be >= 0 or null, got ${seconds}`);
    this.timeoutSeconds = seconds === Infinity ? null : seconds;
  }

  /** The timeout set by {@link settimeout}: `null` (blocking), `0` (non-blocking) or seconds. @example sock.gettimeout(); // null */
  gettimeout(): number | null {
    return this.timeoutSeconds;
  }

  /** `setblocking(true)` is `settimeout(null)`, `setblocking(false)` is `settimeout(0)`. @example sock.setblocking(false); */
  setblocking(flag: boolean): void {
    if (typeof flag !== 'boolean') throw new TypeError(`GreenSocket.setblocking: flag must be a boolean, got ${describe(flag)}`);
    this.timeoutSeconds = flag ? null : 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /**
   * Resolves with up to `bufsize` bytes as soon as any are available; an empty Buffer at end of
   * stream (or when the peer reset the connection). `recv(0)` waits for data, then resolves empty.
   * @example const chunk = await sock.recv(4096); if (chunk.length === 0) sock.close();
   */
  recv(bufsize: number): Promise<Buffer> {
    const size = checkSize('GreenSocket.recv', 'bufsize', bufsize);
    const failure = this.readBusy('GreenSocket.recv');
    if (failure !== null) return Promise.reject(failure);
    this.readSize = size;
    // Data already here: no wait, so no cooperative point (as eventlet's recv, which only
    // trampolines when the read would block) — unless the thread was abandoned.
    if (this.buffered > 0 && !hub.inAbandonedScope()) return Promise.resolve(this.take(size));
    return hub.park('socket recv', armRead, this);
  }

  /**
   * Reads up to `nbytes` (default: the buffer's length) bytes into `buffer`; resolves with the
   * number read, 0 at end of stream.
   * @example const buf = Buffer.alloc(1024); const n = await sock.recvInto(buf);
   */
  recvInto(buffer: Uint8Array, nbytes = 0): Promise<number> {
    if (!(buffer instanceof Uint8Array)) throw new TypeError(`GreenSocket.recvInto: buffer must be a Buffer or Uint8Array, got ${describe(buffer)}`);
    const limit = checkSize('GreenSocket.recvInto', 'nbytes', nbytes);
    if (limit > buffer.length) throw new RangeError(`GreenSocket.recvInto: nbytes (${limit}) is larger than the buffer (${buffer.length})`);
    return this.recv(limit === 0 ? buffer.length : limit).then((chunk) => {
      buffer.set(chunk);
      return chunk.length;
    });
  }

  /**
   * @internal Puts bytes back in front of the read buffer (a file read more than a line, or failed
   * after collecting some). A closed socket has nothing to read: the bytes are dropped.
   */
  unread(chunk: Buffer): void {
    if (chunk.length === 0 || this.state !== 'open') return;
    this.chunks.unshift(chunk);
    this.buffered += chunk.length;
  }

  /** @internal The arm of a recv point (see {@link armRead}). */
  armRead(point: Point<Buffer>): Cleanup | void {
    if (this.buffered > 0) return point.wake(this.take(this.readSize));
    if (this.state !== 'open') return point.fail(closedError('GreenSocket.recv', this.closedWhy()));
    if (this.readError !== null) return point.fail(this.readError);
    if (this.eof) return point.wake(EMPTY);
    if (this.timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.recv'));
    this.reader = point;
    if (!this.flowing) this.startFlowing();
    if (this.timeoutSeconds !== null) this.cancelReadTimer = hub.timer(this.timeoutSeconds, this.readTimedOut);
    return this.endRead;
  }

  private readBusy(operation: string): Error | null {
    if (this.stream === null) return kindError(operation, 'a listening socket cannot be read; accept() a connection', 'ENOTCONN');
    if (this.reader !== null) return concurrentError(operation, 'read');
    return this.notConnected(operation);
  }

  private startFlowing(): void {
    const stream = this.stream!;
    this.flowing = true;
    stream.on('data', this.onData);
    stream.resume(); // a server socket made with pauseOnConnect does not start on its own
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length <= n) {
      this.chunks.shift();
      out = first;
    } else {
      out = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    }
    this.buffered -= out.length;
    if (this.pausedByUs && this.buffered < READ_HIGH_WATER) {
      this.pausedByUs = false;
      this.stream!.resume();
    }
    return out;
  }

  private readonly onData = (data: Buffer): void => {
    let chunk = data;
    const reader = this.reader;
    if (reader !== null) {
      const n = this.readSize;
      if (chunk.length <= n) return reader.wake(chunk);
      reader.wake(chunk.subarray(0, n));
      chunk = chunk.subarray(n);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= READ_HIGH_WATER && !this.pausedByUs) {
      this.pausedByUs = true;
      this.stream!.pause();
    }
  };

  private readonly endRead = (): void => {
    this.reader = null;
    const cancel = this.cancelReadTimer;
    if (cancel !== null) {
      this.cancelReadTimer = null;
      cancel();
    }
  };

  private readonly readTimedOut = (): void => {
    this.reader?.fail(new SocketTimeout('GreenSocket.recv'));
  };

  private readonly onEnd = (): void => {
    this.eof = true;
    this.reader?.wake(EMPTY);
  };

  private readonly onError = (err: Error): void => {
    if (this.state === 'detached') return;
    if (this.connector !== null) return this.connector.fail(err);
    this.writeError = err;
    if (isReset(err)) {
      this.eof = true;
      this.reader?.wake(EMPTY);
    } else {
      this.readError = err;
      this.reader?.fail(err);
    }
    this.writer?.fail(err);
  };

  private readonly onClose = (): void => {
    if (this.state === 'detached') return;
    this.eof = true;
    this.reader?.wake(EMPTY);
    this.writer?.fail(this.writeError ?? pipeError('GreenSocket.sendall', 'the connection was closed'));
    this.connector?.fail(this.writeError ?? pipeError('GreenSocket.connect', 'the connection was closed'));
  };

  // ---------------------------------------------------------------------------------------------
  // Writing

  /**
   * Sends all of `data`, waiting while the socket's write buffer is full (backpressure).
   * @example await sock.sendall(Buffer.from('hello\n'));
   */
  sendall(data: Data): Promise<void> {
    const checked = checkData('GreenSocket.sendall', data);
    const failure = this.writeBusy('GreenSocket.sendall');
    if (failure !== null) return Promise.reject(failure);
    // Room in the write buffer: written at once, no wait, so no cooperative point (as eventlet's
    // sendall, which only trampolines when the send would block) — unless the thread was abandoned.
    if (this.writeFailure('GreenSocket.sendall') === null && !this.stream!.writableNeedDrain && !hub.inAbandonedScope()) {
      if (this.stream!.write(checked) || this.timeoutSeconds === 0) return DONE;
      return hub.park('socket sendall', armDrain, this) as Promise<void>;
    }
    this.writeData = checked;
    return hub.park('socket sendall', armSendall, this) as Promise<void>;
  }

  /**
   * Sends `data` once the socket's write buffer has room; resolves with the number of bytes
   * taken, always all of them (Node does not write partially).
   * @example const n = await sock.send('ping');
   */
  send(data: Data): Promise<number> {
    const checked = checkData('GreenSocket.send', data);
    const failure = this.writeBusy('GreenSocket.send');
    if (failure !== null) return Promise.reject(failure);
    this.writeData = checked;
    return hub.park('socket send', armSend, this) as Promise<number>;
  }

  /** @internal The arm of a sendall point. */
  armSendall(point: Point<unknown>): Cleanup | void {
    const data = this.writeData!;
    this.writeData = null;
    const failure = this.writeFailure('GreenSocket.sendall');
    if (failure !== null) return point.fail(failure);
    const stream = this.stream!;
    if (this.timeoutSeconds === 0 && stream.writableNeedDrain) return point.fail(new BlockingIOError('GreenSocket.sendall'));
    if (stream.write(data) || this.timeoutSeconds === 0) return point.wake(undefined);
    return this.waitDrain(point, 'GreenSocket.sendall');
  }

  /** @internal The arm of a sendall point whose data is written: waits for the drain. */
  armDrain(point: Point<unknown>): Cleanup | void {
    if (!this.stream!.writableNeedDrain) return point.wake(undefined);
    return this.waitDrain(point, 'GreenSocket.sendall');
  }

  /** @internal The arm of a send point. */
  armSend(point: Point<unknown>): Cleanup | void {
    const data = this.writeData!;
    this.writeData = null;
    const failure = this.writeFailure('GreenSocket.send');
    if (failure !== null) return point.fail(failure);
    const stream = this.stream!;
    if (!stream.writableNeedDrain) {
      stream.write(data);
      return point.wake(byteLength(data));
    }
    if (this.timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.send'));
    this.writeOnDrain = data;
    return this.waitDrain(point, 'GreenSocket.send');
  }

  private writeBusy(operation: string): Error | null {
    if (this.stream === null) return kindError(operation, 'a listening socket cannot be written; accept() a connection', 'ENOTCONN');
    if (this.writer !== null) return concurrentError(operation, 'write');
    return this.notConnected(operation);
  }

  /**
   * `ENOTCONN` for a socket neither connecting nor connected (made by `new GreenSocket()` and never
   * given to `connect`), whose reads would wait forever and whose writes would be dropped. Node
   * gives such a socket no handle; a socket that was connected and then closed is `destroyed`.
   */
  private notConnected(operation: string): Error | null {
    const stream = this.stream!;
    if (this.state !== 'open' || !stream.pending || stream.connecting || stream.destroyed) return null;
    return kindError(operation, 'the socket is not connected; connect() it first', 'ENOTCONN');
  }

  private writeFailure(operation: string): Error | null {
    if (this.state !== 'open') return closedError(operation, this.closedWhy());
    if (this.writeError !== null) return this.writeError;
    const stream = this.stream!;
    if (stream.writableEnded || stream.destroyed) return pipeError(operation, 'the socket was shut down for writing');
    return null;
  }

  private waitDrain(point: Point<unknown>, operation: string): Cleanup {
    this.writer = point;
    if (this.timeoutSeconds !== null) this.cancelWriteTimer = hub.timer(this.timeoutSeconds, () => point.fail(new SocketTimeout(operation)));
    return this.endWrite;
  }

  private readonly onDrain = (): void => {
    const writer = this.writer;
    if (writer === null) return;
    const data = this.writeOnDrain;
    if (data === null) return writer.wake(undefined);
    this.stream!.write(data);
    writer.wake(byteLength(data));
  };

  private readonly endWrite = (): void => {
    this.writer = null;
    this.writeOnDrain = null;
    const cancel = this.cancelWriteTimer;
    if (cancel !== null) {
      this.cancelWriteTimer = null;
      cancel();
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Connecting

  /**
   * Connects to `address` (`[host, port]`, `{ host, port }` or a Unix path). Rejects with Node's
   * error (`ECONNREFUSED`, `ENOENT`, ...), or `SocketTimeout` after the socket's timeout (one
   * deadline for the whole connect); a connect that fails or is interrupted destroys the socket.
   * @example await sock.connect(['localhost', 6379]);
   */
  connect(address: Address, options: ConnectOptions = {}): Promise<void> {
    const request = connectRequest('GreenSocket.connect', 'address', address, options);
    if (this.stream === null) return Promise.reject(kindError('GreenSocket.connect', 'a listening socket cannot connect', 'EINVAL'));
    if (this.stream.connecting || this.stream.remoteAddress !== undefined || this.connector !== null) {
      return Promise.reject(kindError('GreenSocket.connect', 'the socket is already connected or connecting', 'EISCONN'));
    }
    this.peerHost = request.target.kind === 'tcp' ? request.target.host || 'localhost' : 'localhost';
    if (request.target.kind === 'unix') this.unixPath = request.target.path;
    return hub.park('socket connect', (point) => this.armConnect(point, request.options));
  }

  private armConnect(point: Point<void>, options: net.NetConnectOpts): Cleanup | void {
    if (this.state !== 'open') return point.fail(closedError('GreenSocket.connect', this.closedWhy()));
    const stream = this.stream!;
    stream.connect(options);
    if (this.timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.connect', 'EINPROGRESS'));
    return this.waitConnector(point, 'GreenSocket.connect');
  }

  /** Parks `point` as the connect (or handshake) waiter: one deadline, destroy on failure. */
  private waitConnector(point: Point<void>, operation: string, extra?: () => void): Cleanup {
    this.connector = point;
    const cancel = this.timeoutSeconds === null ? null : hub.timer(this.timeoutSeconds, () => point.fail(new SocketTimeout(operation)));
    return (failed) => {
      this.connector = null;
      cancel?.();
      extra?.();
      if (failed) this.stream!.destroy();
    };
  }

  private readonly onConnect = (): void => {
    if (!(this.stream instanceof tls.TLSSocket)) this.connector?.wake();
  };

  /**
   * @internal Waits for the TLS handshake of a `tls.TLSSocket` this GreenSocket wraps (`wrapSsl`):
   * `secureConnect` on a client (emitted after the certificate checks), `secure` on a server; a
   * failed or interrupted handshake destroys the socket.
   */
  handshake(event: 'secureConnect' | 'secure'): Promise<void> {
    const stream = this.stream as tls.TLSSocket;
    return hub.park('tls handshake', (point) => {
      if (this.state !== 'open') return point.fail(closedError('wrapSsl', this.closedWhy()));
      const done = (): void => point.wake();
      stream.once(event, done);
      return this.waitConnector(point, 'wrapSsl', () => stream.off(event, done));
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Listening and accepting

  /** @internal Starts a listener (see `listen`): resolves once listening, rejects with Node's error. */
  startListening(options: net.ListenOptions): Promise<void> {
    return hub.park('socket listen', (point) => {
      if (this.state !== 'open') return point.fail(closedError('listen', this.closedWhy()));
      this.connector = point;
      this.server!.listen(options);
      return (failed) => {
        this.connector = null;
        if (failed) this.server!.close();
      };
    });
  }

  /**
   * Waits for a connection; resolves with a new GreenSocket for it (owned by the caller's green
   * thread) and the peer's address (`[host, port]`, `''` for a Unix socket).
   * @example const [client, [host, port]] = await listener.accept();
   */
  accept(): Promise<[GreenSocket<net.Socket>, SocketAddress]> {
    return this.acceptInto(null);
  }

  /** @internal {@link accept}, with the parked point kept in `slot` so the caller can fail it. */
  acceptInto(slot: PointSlot | null): Promise<[GreenSocket<net.Socket>, SocketAddress]> {
    if (this.server === null) return Promise.reject(kindError('GreenSocket.accept', 'only a listening socket accepts; this one is a connection', 'EINVAL'));
    if (this.acceptor !== null) return Promise.reject(concurrentError('GreenSocket.accept', 'accept'));
    this.acceptSlot = slot;
    return hub.park('socket accept', armAccept, this).then(this.wrapAccepted);
  }

  /** @internal The arm of an accept point. */
  armAccept(point: Point<net.Socket>): Cleanup | void {
    const slot = this.acceptSlot;
    this.acceptSlot = null;
    if (this.state !== 'open') return point.fail(closedError('GreenSocket.accept', this.closedWhy()));
    if (this.backlog.length > 0) return point.wake(this.backlog.shift()!);
    if (this.serverError !== null) return point.fail(this.serverError);
    if (this.timeoutSeconds === 0) return point.fail(new BlockingIOError('GreenSocket.accept'));
    this.acceptor = point;
    if (slot !== null) slot.point = point as Point<unknown>;
    if (this.timeoutSeconds !== null) this.cancelAcceptTimer = hub.timer(this.timeoutSeconds, () => point.fail(new SocketTimeout('GreenSocket.accept')));
    return () => {
      this.acceptor = null;
      if (slot !== null) slot.point = null;
      this.cancelAcceptTimer?.();
      this.cancelAcceptTimer = null;
    };
  }

  private readonly wrapAccepted = (raw: net.Socket): [GreenSocket<net.Socket>, SocketAddress] => {
    raw.off('error', ignore);
    const peer = endpoint(raw.remoteAddress, raw.remotePort, '');
    const node = this.acceptTls === null ? raw : this.acceptTls(raw);
    const sock = new GreenSocket<net.Socket>(node);
    if (typeof peer === 'string') {
      const local = this.server!.address();
      if (typeof local === 'string') sock.unixPath = local;
    }
    return [sock, peer];
  };

  private readonly onConnection = (raw: net.Socket): void => {
    if (this.state !== 'open') return void raw.destroy();
    raw.on('error', ignore); // a queued connection reset by its peer must not crash the process
    if (this.acceptor !== null) this.acceptor.wake(raw);
    else this.backlog.push(raw);
  };

  private readonly onServerError = (err: Error): void => {
    if (this.state === 'detached') return;
    if (this.connector !== null) return this.connector.fail(err);
    this.serverError = err;
    this.acceptor?.fail(err);
  };

  private readonly onListening = (): void => {
    this.connector?.wake();
  };

  private readonly onServerClose = (): void => {
    if (this.state === 'detached') return;
    this.acceptor?.fail(closedError('GreenSocket.accept', 'the listening socket was closed'));
  };

  /** @internal Accepted connections are wrapped by `wrap` (TLS, from `wrapSsl` on a listener). */
  setAcceptTls(wrap: (raw: net.Socket) => tls.TLSSocket): void {
    this.acceptTls = wrap;
  }

  // ---------------------------------------------------------------------------------------------
  // Addresses

  /**
   * This end's address: `[host, port]`, or the path for a Unix socket (`''` for an unnamed one).
   * Throws `ENOTCONN` for a socket that is neither connected nor listening.
   * @example const [, port] = listener.getsockname() as [string, number];
   */
  getsockname(): SocketAddress {
    if (this.server !== null) {
      const address = this.server.address();
      if (address === null) throw kindError('GreenSocket.getsockname', 'the socket is not listening', 'ENOTCONN');
      return typeof address === 'string' ? address : [address.address, address.port];
    }
    const stream = this.stream!;
    if (stream.localPort !== undefined) return endpoint(stream.localAddress, stream.localPort, '');
    // A Unix connection: an accepted one is named after the listener's path, a client is unnamed.
    if (this.unixPath !== '') return this.peerHost === undefined ? this.unixPath : '';
    throw kindError('GreenSocket.getsockname', 'the socket is not connected', 'ENOTCONN');
  }

  /**
   * The peer's address: `[host, port]`, or the path for a Unix socket. Throws `ENOTCONN` when not
   * connected.
   * @example const [host, port] = sock.getpeername() as [string, number];
   */
  getpeername(): SocketAddress {
    const stream = this.stream;
    if (stream !== null && this.state === 'open' && !stream.connecting && !stream.destroyed) {
      if (stream.remotePort !== undefined) return endpoint(stream.remoteAddress, stream.remotePort, '');
      // A Unix connection: a client's peer is the path it connected to, an accepted one's is unnamed.
      if (this.unixPath !== '') return this.peerHost === undefined ? '' : this.unixPath;
    }
    throw kindError('GreenSocket.getpeername', 'the socket is not connected', 'ENOTCONN');
  }

  // ---------------------------------------------------------------------------------------------
  // Files, shutdown, close

  /**
   * A file-like view of the socket: `readline()`, `read(n)`, `for await` over lines, `write`. It
   * reads from the socket's own buffer, so file reads and `recv` can be mixed. Binary only.
   * @example for await (const line of sock.makefile('rb')) console.log(String(line).trimEnd());
   */
  makefile(mode: FileMode = 'rwb'): GreenSocketFile {
    return new GreenSocketFile(this, mode);
  }

  /**
   * Shuts down reading (`SHUT_RD`: later reads see end of stream), writing (`SHUT_WR`: the peer
   * sees end of stream once written data is sent) or both (`SHUT_RDWR`, the default). Never waits.
   * @example sock.shutdown(SHUT_WR); const reply = await sock.recv(1024);
   */
  shutdown(how: number = SHUT_RDWR): void {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) throw new RangeError(`GreenSocket.shutdown: how must be SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2), got ${describe(how)}`);
    const stream = this.stream;
    if (stream === null) throw kindError('GreenSocket.shutdown', 'a listening socket cannot be shut down; close() it', 'ENOTCONN');
    if (this.state !== 'open') throw closedError('GreenSocket.shutdown', this.closedWhy());
    if (how !== SHUT_RD && !stream.writableEnded) stream.end();
    if (how !== SHUT_WR) {
      this.eof = true;
      this.chunks = [];
      this.buffered = 0;
      if (this.flowing) stream.pause();
      this.reader?.wake(EMPTY);
    }
  }

  /**
   * Closes the socket: operations still waiting on it reject with `EBADF`; data already written is
   * still delivered (for at most `closeLingerSeconds` to a peer that does not read). A listener stops accepting.
   * Idempotent; never waits.
   * @example sock.close();
   */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.claim?.drop();
    this.failWaiters(closedError('GreenSocket', 'the socket was closed while waiting on it'));
    const stream = this.stream;
    if (stream !== null) {
      if (stream.destroyed) return;
      if (stream.writableLength > 0 && !stream.connecting) lingerThenDestroy(stream);
      else stream.destroy();
      return;
    }
    this.closeServer();
  }

  /** `using sock = await connect(addr)` closes it when the block exits. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * @internal Makes `scope` the owner (`null`: nobody): `serve` hands an accepted connection to
   * its handler thread when it spawns it, before the serving thread can be interrupted.
   */
  adoptBy(scope: Scope | null): void {
    this.claim?.drop();
    this.claim = scope === null || scope.ended ? null : new Claim(scope, 'interrupted', this.release, this.forgetClaim);
  }

  /**
   * @internal Hands the Node socket over (to `wrapSsl`): this GreenSocket stops using it and later
   * operations on it reject with `EBADF`. Fails while an operation waits or data is buffered.
   */
  detach(operation: string): S {
    if (this.state !== 'open') throw closedError(operation, this.closedWhy());
    if (this.reader !== null || this.writer !== null || this.connector !== null || this.acceptor !== null) {
      throw new Error(`${operation}: the socket has an operation waiting on it; wrap it before reading or writing`);
    }
    if (this.buffered > 0 || (this.stream !== null && this.stream.readableLength > 0)) {
      throw new Error(`${operation}: the socket has ${this.buffered || this.stream!.readableLength} bytes read and not consumed; wrap it before reading`);
    }
    this.state = 'detached';
    this.claim?.drop();
    const stream = this.stream;
    if (stream !== null) {
      stream.off('data', this.onData);
      stream.off('end', this.onEnd);
      stream.off('close', this.onClose);
      stream.off('drain', this.onDrain);
      stream.off('connect', this.onConnect);
    } else {
      const server = this.server!;
      server.off('connection', this.onConnection);
      server.off('listening', this.onListening);
      server.off('close', this.onServerClose);
    }
    return this.socket;
  }

  /** @internal Moves the connections waiting to be accepted and the timeout to `next` (wrapSsl). */
  handOver(next: GreenSocket<S>): void {
    next.timeoutSeconds = this.timeoutSeconds;
    next.peerHost = this.peerHost;
    next.unixPath = this.unixPath;
    for (const raw of this.backlog) next.backlog.push(raw);
    this.backlog = [];
  }

  /** @internal The host this socket connected to (for TLS name checks). */
  get remoteHost(): string | undefined {
    return this.peerHost ?? this.stream?.remoteAddress;
  }

  private readonly release = (): void => {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.failWaiters(closedError('GreenSocket', 'the socket was closed: its owner was interrupted'));
    if (this.stream !== null) this.stream.destroy();
    else this.closeServer();
  };

  private readonly forgetClaim = (): void => {
    this.claim = null;
  };

  private closeServer(): void {
    const server = this.server!;
    if (server.listening) server.close();
    for (const raw of this.backlog) raw.destroy();
    this.backlog = [];
  }

  private failWaiters(err: Error): void {
    this.chunks = []; // a closed socket has nothing left to read
    this.buffered = 0;
    this.reader?.fail(err);
    this.writer?.fail(err);
    this.connector?.fail(err);
    this.acceptor?.fail(err);
  }

  private closedWhy(): string {
    return this.state === 'detached' ? 'the socket was handed to wrapSsl; use the socket wrapSsl returned' : 'the socket is closed';
  }
}

/** Either kind of GreenSocket. */
type AnySocket = GreenSocket<net.Socket | net.Server>;

// Arms as module functions taking the socket as context: no closure per call on the hot paths.
function armRead(point: Point<Buffer>, sock: AnySocket): Cleanup | void {
  return sock.armRead(point);
}

function armSendall(point: Point<unknown>, sock: AnySocket): Cleanup | void {
  return sock.armSendall(point);
}

function armDrain(point: Point<unknown>, sock: AnySocket): Cleanup | void {
  return sock.armDrain(point);
}

function armSend(point: Point<unknown>, sock: AnySocket): Cleanup | void {
  return sock.armSend(point);
}

function armAccept(point: Point<net.Socket>, sock: AnySocket): Cleanup | void {
  return sock.armAccept(point);
}

function ignore(): void {}

/**
 * Ends `stream` once its buffered writes are delivered, as closing a Python socket leaves the
 * kernel to send what it holds; a peer that reads nothing for `GreenSocket.closeLingerSeconds`
 * gets the socket destroyed, so a stuck peer never keeps a descriptor open forever.
 */
function lingerThenDestroy(stream: net.Socket): void {
  stream.destroySoon();
  const cancel = hub.timer(GreenSocket.closeLingerSeconds, () => stream.destroy(), false);
  stream.once('close', cancel);
}

/** Errors after which Python's recv returns b'' (the peer is gone). */
function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ESHUTDOWN' || code === 'ECONNABORTED';
}

function pipeError(operation: string, why: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${operation}: ${why}`);
  err.code = 'EPIPE';
  return err;
}

function checkSize(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${where}: ${name} must be an integer, got ${describe(value)}`);
  if (value < 0) throw new RangeError(`${where}: ${name} must be >= 0, got ${value}`);
  return value;
}

function checkData(where: string, value: unknown): Data {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw new TypeError(`${where}: data must be a Buffer, Uint8Array or string, got ${describe(value)}`);
}

function byteLength(data: Data): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

/** Validates a connect request and turns it into Node's connect options. */
function connectRequest(where: string, name: string, address: unknown, options: unknown): { target: Target; options: net.NetConnectOpts } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  const { family: rawFamily, bind: rawBind } = options as { family?: unknown; bind?: unknown };
  const target = parseAddress(where, name, address);
  const family = parseFamily(where, rawFamily);
  checkFamily(where, target, family);
  if (target.kind === 'unix') {
    if (rawBind !== undefined && rawBind !== null) throw new RangeError(`${where}: bind is not supported for a Unix socket path`);
    return { target, options: { path: target.path } };
  }
  const tcp: net.TcpNetConnectOpts = { host: target.host || 'localhost', port: target.port };
  if (family !== undefined) tcp.family = family;
  if (rawBind !== undefined && rawBind !== null) {
    const bind = parseAddress(where, 'bind', rawBind);
    if (bind.kind === 'unix') throw new RangeError(`${where}: bind must be [host, port] for a TCP connection, got a Unix path`);
    if (bind.host !== '') tcp.localAddress = bind.host;
    if (bind.port !== 0) tcp.localPort = bind.port;
  }
  return { target, options: tcp };
}

/**
 * @internal Validates `connect`'s arguments the way {@link GreenSocket.connect} does (for the
 * convenience function, which checks before it makes a socket); errors name the address argument `name`.
 * @example checkConnect('connect', 'addr', ['localhost', 80], {}); // throws on bad input
 */
export function checkConnect(where: string, name: string, address: unknown, options: ConnectOptions): void {
  connectRequest(where, name, address, options);
}
