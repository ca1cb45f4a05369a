import net from 'node:net';
import tls from 'node:tls';
import { hub, type Cleanup, type Point, type Scope } from '../../hub.js';
import { describe } from '../../validate.js';
import { Claim } from '../claims.js';
import { acceptsWithoutThreads } from '../net.js';
import { AcceptQueue, type PointSlot } from './accept-queue.js';
import { type Address, type SocketAddress, endpoint, listenerName, localName, peerName } from './address.js';
import { checkData, checkSize, checkTimeout, connectRequest, type ConnectOptions, type Data } from './arguments.js';
import { BlockingIOError, SocketTimeout, closedError, concurrentError, isReset, kindError, pipeError } from './errors.js';
import { GreenSocketFile, type FileMode } from './file.js';
import { Receiver } from './receiver.js';
import { closeAfterDrain, Sender } from './sender.js';

/** `shutdown(SHUT_RD)`: no more reads. @example sock.shutdown(SHUT_RD); */
export const SHUT_RD = 0;
/** `shutdown(SHUT_WR)`: no more writes; the peer reads end of stream. @example sock.shutdown(SHUT_WR); */
export const SHUT_WR = 1;
/** `shutdown(SHUT_RDWR)`: both. @example sock.shutdown(SHUT_RDWR); */
export const SHUT_RDWR = 2;

const DONE: Promise<void> = Promise.resolve();

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
  private readonly receiver: Receiver | null;
  // writing
  private readonly sender: Sender | null;
  private writeError: Error | null = null;
  // connecting, handshaking, listening
  private connector: Point<void> | null = null;
  // accepting
  private readonly accepting: AcceptQueue | null;
  private acceptSlot: PointSlot | null = null;
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
      this.receiver = null;
      this.sender = null;
      this.accepting = new AcceptQueue();
      node.on('connection', this.onConnection);
      node.on('error', this.onServerError);
      node.on('listening', this.onListening);
      node.on('close', this.onServerClose);
    } else if (node instanceof net.Socket) {
      this.stream = node;
      this.server = null;
      this.receiver = new Receiver(node);
      this.sender = new Sender(node);
      this.accepting = null;
      node.on('end', this.onEnd);
      node.on('error', this.onError);
      node.on('close', this.onClose);
      node.on('drain', this.onDrain);
      node.on('connect', this.onConnect);
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
    this.timeoutSeconds = checkTimeout('GreenSocket.settimeout', seconds);
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
    // Data already here: no wait, so no cooperative point (as eventlet's recv, which only
    // trampolines when the read would block) — unless the thread was abandoned.
    const receiver = this.receiver!;
    receiver.request(size);
    const ready = hub.inAbandonedScope() ? null : receiver.takeNow();
    if (ready !== null) return Promise.resolve(ready);
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
    this.receiver?.unshift(chunk);
  }

  /** @internal The arm of a recv point (see {@link armRead}). */
  armRead(point: Point<Buffer>): Cleanup | void {
    const receiver = this.receiver!;
    const ready = receiver.takeNow();
    if (ready !== null) return point.wake(ready);
    if (this.state !== 'open') return point.fail(closedError('GreenSocket.recv', this.closedWhy()));
    return receiver.arm(point, this.timeoutSeconds);
  }

  private readBusy(operation: string): Error | null {
    if (this.stream === null) return kindError(operation, 'a listening socket cannot be read; accept() a connection', 'ENOTCONN');
    if (this.receiver!.reader !== null) return concurrentError(operation, 'read');
    return this.notConnected(operation);
  }

  private readonly onEnd = (): void => this.receiver!.ended();

  private readonly onError = (err: Error): void => {
    if (this.state === 'detached') return;
    if (this.connector !== null) return this.connector.fail(err);
    this.writeError = err;
    if (isReset(err)) this.receiver!.ended();
    else this.receiver!.failed(err);
    this.sender!.writer?.fail(err);
  };

  private readonly onClose = (): void => {
    if (this.state === 'detached') return;
    this.receiver!.ended();
    this.sender!.writer?.fail(this.writeError ?? pipeError('GreenSocket.sendall', 'the connection was closed'));
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
    this.sender!.pending = checked;
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
    this.sender!.pending = checked;
    return hub.park('socket send', armSend, this) as Promise<number>;
  }

  /** @internal The arm of a sendall point. */
  armSendall(point: Point<unknown>): Cleanup | void {
    const failure = this.writeFailure('GreenSocket.sendall');
    if (failure === null) return this.sender!.armSendall(point, this.timeoutSeconds);
    this.sender!.takePending(); // dropped: nothing is written
    point.fail(failure);
  }

  /** @internal The arm of a sendall point whose data is written: waits for the drain. */
  armDrain(point: Point<unknown>): Cleanup | void {
    return this.sender!.armDrain(point, this.timeoutSeconds);
  }

  /** @internal The arm of a send point. */
  armSend(point: Point<unknown>): Cleanup | void {
    const failure = this.writeFailure('GreenSocket.send');
    if (failure === null) return this.sender!.armSend(point, this.timeoutSeconds);
    this.sender!.takePending(); // dropped: nothing is written
    point.fail(failure);
  }

  private writeBusy(operation: string): Error | null {
    if (this.stream === null) return kindError(operation, 'a listening socket cannot be written; accept() a connection', 'ENOTCONN');
    if (this.sender!.writer !== null) return concurrentError(operation, 'write');
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

  private readonly onDrain = (): void => this.sender!.drained();

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
    if (this.accepting!.waiter !== null) return Promise.reject(concurrentError('GreenSocket.accept', 'accept'));
    this.acceptSlot = slot;
    return hub.park('socket accept', armAccept, this).then(this.wrapAccepted);
  }

  /** @internal The arm of an accept point. */
  armAccept(point: Point<net.Socket>): Cleanup | void {
    const slot = this.acceptSlot;
    this.acceptSlot = null;
    if (this.state !== 'open') return point.fail(closedError('GreenSocket.accept', this.closedWhy()));
    return this.accepting!.arm(point, this.timeoutSeconds, slot);
  }

  private readonly wrapAccepted = (raw: net.Socket): [GreenSocket<net.Socket>, SocketAddress] => {
    this.accepting!.taken(raw);
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
    this.accepting!.arrived(raw);
  };

  private readonly onServerError = (err: Error): void => {
    if (this.state === 'detached') return;
    if (this.connector !== null) return this.connector.fail(err);
    this.accepting!.failed(err);
  };

  private readonly onListening = (): void => {
    this.connector?.wake();
  };

  private readonly onServerClose = (): void => {
    if (this.state === 'detached') return;
    this.accepting!.waiter?.fail(closedError('GreenSocket.accept', 'the listening socket was closed'));
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
    if (this.server !== null) return listenerName(this.server);
    return localName(this.stream!, this.unixPath, this.peerHost !== undefined);
  }

  /**
   * The peer's address: `[host, port]`, or the path for a Unix socket. Throws `ENOTCONN` when not
   * connected.
   * @example const [host, port] = sock.getpeername() as [string, number];
   */
  getpeername(): SocketAddress {
    const stream = this.state === 'open' ? this.stream : null;
    return peerName(stream, this.unixPath, this.peerHost !== undefined);
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
    if (how !== SHUT_WR) this.receiver!.shutdown();
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
      if (stream.writableLength > 0 && !stream.connecting) closeAfterDrain(stream, GreenSocket.closeLingerSeconds);
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
    if (this.receiver?.reader || this.sender?.writer || this.connector !== null || this.accepting?.waiter) {
      throw new Error(`${operation}: the socket has an operation waiting on it; wrap it before reading or writing`);
    }
    const buffered = this.receiver?.buffered ?? 0;
    if (buffered > 0 || (this.stream !== null && this.stream.readableLength > 0)) {
      throw new Error(`${operation}: the socket has ${buffered || this.stream!.readableLength} bytes read and not consumed; wrap it before reading`);
    }
    this.state = 'detached';
    this.claim?.drop();
    const stream = this.stream;
    if (stream !== null) {
      this.receiver!.detach();
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
    if (this.accepting !== null) this.accepting.moveTo(next.accepting!);
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
    this.accepting!.destroyAll();
  }

  private failWaiters(err: Error): void {
    this.receiver?.closed(err); // a closed socket has nothing left to read
    this.sender?.writer?.fail(err);
    this.connector?.fail(err);
    this.accepting?.waiter?.fail(err);
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

