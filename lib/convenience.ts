/**
 * eventlet's network convenience functions: `connect`, `listen`, `wrapSsl`, `serve` and
 * `StopServe`, built on {@link GreenSocket}. See DESIGN.md §3 "Network convenience".
 *
 * Differences from eventlet, deliberate: `wrapSsl` verifies certificates by default (Node's
 * default; pass `rejectUnauthorized: false` to opt out); `listen` sets `SO_REUSEPORT` only when
 * asked (`reusePort: true`, Node >= 22.12) and refuses `reuseAddr: false` for TCP (Node always sets
 * `SO_REUSEADDR`).
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { GreenletExit, spawn, type GreenThread } from './greenthread.js';
import { hub, type Point } from './hub.js';
import { promisesLookup } from './green/dns/lookup.js';
import { type Address, type Family, checkFamily, parseAddress, parseFamily, type SocketAddress } from './green/greenio/address.js';
import { checkConnect, GreenSocket, type PointSlot } from './green/greenio.js';
import { describe, requireBoolean, requireCount, requireFunction } from './validate.js';

/**
 * Opens a TCP connection to `[host, port]` / `{ host, port }`, or a Unix socket connection to a
 * path; resolves with a connected {@link GreenSocket} (owned by the calling green thread). `family`
 * (4 or 6) picks the address family, `bind` a local `[host, port]`. Rejects with Node's error
 * (`ECONNREFUSED`, `ENOENT`, `ENOTFOUND`, ...).
 * @example
 * const sock = await connect(['127.0.0.1', 6000]);
 * await sock.sendall('hello');
 */
export function connect(addr: Address, family?: Family, bind?: Address): Promise<GreenSocket<net.Socket>> {
  const options = { family, bind };
  checkConnect('connect', 'addr', addr, options);
  return openConnection(addr, options);
}

async function openConnection(addr: Address, options: { family?: Family; bind?: Address }): Promise<GreenSocket<net.Socket>> {
  const sock = new GreenSocket();
  try {
    await sock.connect(addr, options);
  } catch (err) {
    sock.close();
    throw err;
  }
  return sock;
}

/**
 * True where `server.listen({ reusePort })` exists: Node 22.12+, 23.1+, 24+.
 * @example reusePortSupported('22.11.0') // false
 */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * Opens a listening socket on `[host, port]` / `{ host, port }` (port 0: any free port; host `''`:
 * every address) or on a Unix socket path; resolves with a listening {@link GreenSocket} (owned by
 * the calling green thread) once it listens. `backlog` is the kernel's pending-connection queue.
 * `reuseAddr` must stay `true` for TCP (Node always sets `SO_REUSEADDR`). `reusePort: true` sets
 * `SO_REUSEPORT` (several listeners on one port) and needs Node >= 22.12 (23.1 on Node 23); it is
 * off unless asked for.
 * @example
 * const server = await listen(['127.0.0.1', 0]);
 * console.log(server.getsockname()); // ['127.0.0.1', 40123]
 */
export function listen(addr: Address, family?: Family, backlog = 50, reuseAddr = true, reusePort?: boolean): Promise<GreenSocket<net.Server>> {
  const target = parseAddress('listen', 'addr', addr);
  const fam = parseFamily('listen', family);
  checkFamily('listen', target, fam);
  const queue = Math.max(1, requireCount('listen', 'backlog', backlog)); // Node reads 0 as "its default" (511)
  requireBoolean('listen', 'reuseAddr', reuseAddr);
  if (reusePort !== undefined && reusePort !== null) requireBoolean('listen', 'reusePort', reusePort);
  if (target.kind === 'unix') {
    if (reusePort) throw new RangeError('listen: reusePort applies to TCP addresses, not to the Unix socket path ' + JSON.stringify(target.path));
    return openListener({ path: target.path, backlog: queue });
  }
  if (!reuseAddr) throw new Error('listen: reuseAddr false is not supported: Node (libuv) always sets SO_REUSEADDR on listening TCP sockets');
  if (reusePort && !reusePortSupported()) {
    throw new Error(`listen: reusePort needs Node 22.12+ (or 23.1+); this is Node ${process.versions.node}, whose listen() cannot set SO_REUSEPORT`);
  }
  const options: net.ListenOptions & { reusePort?: boolean } = { port: target.port, backlog: queue };
  if (reusePort) options.reusePort = true;
  return openListener(options, target.host, fam);
}

async function openListener(options: net.ListenOptions, host?: string, family?: Family): Promise<GreenSocket<net.Server>> {
  if (host !== undefined) options.host = await listenHost(host, family);
  if (options.host === undefined) delete options.host;
  const sock = new GreenSocket(net.createServer({ allowHalfOpen: true, pauseOnConnect: true }));
  try {
    await sock.startListening(options);
  } catch (err) {
    sock.close();
    throw err;
  }
  return sock;
}

/** The host to bind: any address for `''`, the name resolved in `family` when one is given. */
async function listenHost(host: string, family: Family | undefined): Promise<string | undefined> {
  if (host === '') return family === 4 ? '0.0.0.0' : family === 6 ? '::' : undefined;
  if (family === undefined || net.isIP(host) !== 0) return host;
  // The green lookup: a cooperative point ('dns lookup') that a kill cancels, off the thread pool.
  const { address } = await promisesLookup(host, { family });
  return address;
}

/**
 * Options of {@link wrapSsl}: Node's `tls.connect` / `tls.createServer` options (`key`, `cert`,
 * `ca`, `servername`, `rejectUnauthorized`, `ALPNProtocols`, ...) plus eventlet's names.
 * @example const opts: WrapSslOptions = { serverSide: true, certfile: 'cert.pem', keyfile: 'key.pem' };
 */
export interface WrapSslOptions extends tls.ConnectionOptions {
  /** The server end of the handshake (implied for a listening socket). eventlet's `server_side`. */
  serverSide?: boolean;
  /** Path of the PEM certificate (chain), read when wrapping; eventlet's `certfile`. */
  certfile?: string;
  /** Path of the PEM private key; eventlet's `keyfile`. */
  keyfile?: string;
  /** Path of the PEM CA certificates to trust; eventlet's `ca_certs`. */
  caCerts?: string;
  /** Server side: ask the client for a certificate. */
  requestCert?: boolean;
}

/**
 * Wraps a socket in TLS; resolves with a new {@link GreenSocket} over the `tls.TLSSocket` (the
 * socket passed in is handed over: using it afterwards rejects with `EBADF`). A connected client
 * socket does its handshake now (a cooperative point; the socket's timeout applies) and verifies
 * the server's certificate and name by default — unlike eventlet — unless `rejectUnauthorized:
 * false`. A listening socket (server side implied) gives TLS connections from `accept()`, whose
 * handshakes happen on their first read or write, so a slow client never stalls the accept loop.
 * @example
 * const server = await wrapSsl(await listen(['127.0.0.1', 0]), { certfile, keyfile });
 * const client = await wrapSsl(await connect(['localhost', port]), { ca });
 */
export function wrapSsl<S extends net.Socket | net.Server>(sock: GreenSocket<S>, opts: WrapSslOptions = {}): Promise<GreenSocket<S>> {
  if (!(sock instanceof GreenSocket)) throw new TypeError(`wrapSsl: sock must be a GreenSocket, got ${describe(sock)}`);
  if (opts === null || typeof opts !== 'object') throw new TypeError(`wrapSsl: opts must be an object, got ${describe(opts)}`);
  if (opts.serverSide !== undefined) requireBoolean('wrapSsl', 'opts.serverSide', opts.serverSide);
  if (sock.socket instanceof net.Server && opts.serverSide === false) throw new RangeError('wrapSsl: a listening socket is wrapped on the server side; serverSide must not be false');
  for (const key of ['certfile', 'keyfile', 'caCerts'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'string') throw new TypeError(`wrapSsl: opts.${key} must be a file path string, got ${describe(opts[key])}`);
  }
  return wrapWith(sock, opts);
}

async function wrapWith<S extends net.Socket | net.Server>(sock: GreenSocket<S>, opts: WrapSslOptions): Promise<GreenSocket<S>> {
  const { serverSide, certfile, keyfile, caCerts, ...rest } = opts;
  const options: TlsOptions = { ...rest };
  if (certfile !== undefined) options.cert = await readPem(certfile);
  if (keyfile !== undefined) options.key = await readPem(keyfile);
  if (caCerts !== undefined) options.ca = await readPem(caCerts);
  if (sock.socket instanceof net.Server) return wrapListener(sock as GreenSocket<net.Server>, options) as GreenSocket<S>;
  return (serverSide ? wrapServerStream : wrapClientStream)(sock as GreenSocket<net.Socket>, options) as Promise<GreenSocket<S>>;
}

/** Node's TLS options, as `wrapSsl` passes them on. */
type TlsOptions = tls.ConnectionOptions & { requestCert?: boolean };

function readPem(path: string): Promise<Buffer> {
  return hub.guard('fs readFile', (signal) => fs.promises.readFile(path, { signal }));
}

/** The options a server-side `tls.TLSSocket` takes, from the wrap options. */
function serverSocketOptions(options: TlsOptions): tls.TLSSocketOptions {
  return {
    isServer: true,
    secureContext: tls.createSecureContext(options as tls.SecureContextOptions),
    requestCert: options.requestCert ?? false,
    rejectUnauthorized: options.requestCert ? options.rejectUnauthorized ?? true : false,
    ALPNProtocols: options.ALPNProtocols,
  };
}

function wrapListener(sock: GreenSocket<net.Server>, options: TlsOptions): GreenSocket<net.Server> {
  const socketOptions = serverSocketOptions(options);
  const server = sock.detach('wrapSsl');
  const wrapped = new GreenSocket(server);
  sock.handOver(wrapped);
  wrapped.setAcceptTls((raw) => new tls.TLSSocket(raw, socketOptions));
  return wrapped;
}

async function wrapServerStream(sock: GreenSocket<net.Socket>, options: TlsOptions): Promise<GreenSocket<net.Socket>> {
  const socketOptions = serverSocketOptions(options);
  const raw = sock.detach('wrapSsl');
  const wrapped = new GreenSocket<net.Socket>(new tls.TLSSocket(raw, socketOptions));
  sock.handOver(wrapped);
  return handshake(wrapped, 'secure');
}

async function wrapClientStream(sock: GreenSocket<net.Socket>, options: tls.ConnectionOptions): Promise<GreenSocket<net.Socket>> {
  const host = sock.remoteHost ?? 'localhost';
  const servername = options.servername ?? (net.isIP(host) === 0 ? host : undefined);
  const raw = sock.detach('wrapSsl');
  const tlsSocket = tls.connect({ ...options, socket: raw, host, servername });
  const wrapped = new GreenSocket<net.Socket>(tlsSocket);
  sock.handOver(wrapped);
  return handshake(wrapped, 'secureConnect');
}

async function handshake(sock: GreenSocket<net.Socket>, event: 'secureConnect' | 'secure'): Promise<GreenSocket<net.Socket>> {
  try {
    await sock.handshake(event);
  } catch (err) {
    sock.close();
    throw err;
  }
  return sock;
}

/**
 * Raise it from a `serve` handler (or kill the serving thread with it) to make `serve` resolve.
 * @example serve(listener, async (client) => { throw new StopServe(); });
 */
export class StopServe extends Error {
  constructor(message = 'serve() stopped by StopServe') {
    super(message);
    this.name = 'StopServe';
  }
}

/**
 * A `serve` handler: called with the connection and the peer's address in its own green thread.
 * @example const echo: ServeHandler = async (client) => client.sendall(await client.recv(4096));
 */
export type ServeHandler = (client: GreenSocket<net.Socket>, addr: SocketAddress) => unknown;

/** The accept loop's state, shared with its handler threads. */
class ServeState implements PointSlot {
  point: Point<unknown> | null = null;
  running = 0;
  ended = false;
  failure: { error: unknown } | null = null;

  constructor(readonly concurrency: number) {}

  /** A handler threw `error`: stop the loop with it (GreenletExit is ignored, as in eventlet). */
  handlerFailed(error: unknown): void {
    if (error instanceof GreenletExit) return;
    if (this.ended || this.failure !== null) {
      if (!(error instanceof StopServe)) hub.reportError(error, 'a serve() handler (serve had already ended)');
      return;
    }
    this.failure = { error };
    this.point?.fail(error);
  }

  handlerEnded(): void {
    this.running--;
    if (this.running < this.concurrency && this.point !== null && this.waitingForSlot) this.point.wake(undefined);
  }

  waitingForSlot = false;
}

/**
 * Runs an accept loop on the listening socket `sock` in the calling green thread: each connection
 * gets a green thread running `handle(client, addr)`, and the client socket is closed when `handle`
 * returns or throws. While `concurrency` handlers run, no connection is accepted. Resolves when a
 * handler throws {@link StopServe} (or the serving thread is killed with one); rejects with any
 * other exception a handler throws, and stops accepting then (the listener stays open, other
 * handlers run on). Killing the serving thread stops the loop.
 * @example
 * const server = await listen(['127.0.0.1', 8000]);
 * spawn(serve, server, async (client) => {
 *   for (let line; (line = await client.recv(4096)).length > 0; ) await client.sendall(line);
 * });
 */
export function serve(sock: GreenSocket<net.Server>, handle: ServeHandler, concurrency = 1000): Promise<void> {
  if (!(sock instanceof GreenSocket) || !(sock.socket instanceof net.Server)) {
    throw new TypeError(`serve: sock must be a listening GreenSocket (from listen()), got ${describe(sock)}`);
  }
  requireFunction('serve', 'handle', handle);
  const limit = requireCount('serve', 'concurrency', concurrency);
  if (limit < 1) throw new RangeError(`serve: concurrency must be >= 1, got ${concurrency}`);
  return acceptLoop(sock, handle, new ServeState(limit));
}

async function acceptLoop(sock: GreenSocket<net.Server>, handle: ServeHandler, state: ServeState): Promise<void> {
  try {
    for (;;) {
      if (state.failure !== null) throw state.failure.error;
      if (state.running >= state.concurrency) {
        await hub.park('serve wait', armSlot, state);
        continue;
      }
      const [client, addr] = await sock.acceptInto(state);
      const failure = state.failure as ServeState['failure']; // read anew: a handler may have failed during the accept
      if (failure !== null) {
        client.close();
        throw failure.error;
      }
      state.running++;
      const thread = spawn(runHandler, handle, client, addr, state);
      client.adoptBy(thread); // now, not when it starts: the serving thread may be killed before then
      thread.link(handlerEnded, client, state);
    }
  } catch (err) {
    if (err instanceof StopServe) return;
    throw err;
  } finally {
    state.ended = true;
  }
}

function armSlot(point: Point<unknown>, state: ServeState): () => void {
  state.point = point;
  state.waitingForSlot = true;
  if (state.failure !== null) point.fail(state.failure.error);
  return () => {
    state.point = null;
    state.waitingForSlot = false;
  };
}

async function runHandler(handle: ServeHandler, client: GreenSocket<net.Socket>, addr: SocketAddress, state: ServeState): Promise<void> {
  try {
    await handle(client, addr);
  } catch (err) {
    state.handlerFailed(err);
  }
}

function handlerEnded(_thread: GreenThread<void>, client: GreenSocket<net.Socket>, state: ServeState): void {
  client.close();
  state.handlerEnded();
}
