/**
 * The green `net` module: Node's `net` with sockets and servers owned by the green thread that
 * uses them. The ownership lives in hooks on Node's own `net.Socket` and `net.Server` prototypes
 * (so it covers the sockets `http`, `https` and `fetch` make, and `instanceof` is untouched):
 *
 * - a socket that is **connecting** belongs to the thread that called `connect`;
 * - a socket with a **request in flight** (the thread wrote, no data has arrived since) belongs to
 *   the thread that wrote; the first data (or end) to arrive releases it, so an idle keep-alive
 *   socket in a pool belongs to nobody and survives the later death of whoever used it;
 * - a **server** belongs to the thread that called `listen`, with the connections it accepted.
 *
 * When the owner is interrupted (killed, or its Timeout fires), what it owns is destroyed (closed,
 * for a server) with the interruption as the error. Outside green threads nothing changes.
 * @example
 * import { monkeyPatch, withTimeout } from 'eventlet';
 * monkeyPatch({ net: true });
 * await withTimeout(0.2, () => fetch('http://localhost:8080/slow')); // the socket is destroyed
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import { hub, type Owned, type Scope } from '../hub.js';
import { patchedModules, type Patch } from './greening.js';

export * from 'node:net';

/** The green module as one object (the default export): Node's `net`; the green part is in hooks. */
export default net;

const kClaim = Symbol('eventlet.socketClaim');
const kServerClaim = Symbol('eventlet.serverClaim');
/** Set on a client socket connected in a green scope: its data is delivered in no scope (see `push`). */
const kUnownedData = Symbol('eventlet.unownedData');

type ClaimedSocket = net.Socket & { [kClaim]?: SocketClaim; [kUnownedData]?: true; encrypted?: boolean; secureConnecting?: boolean };
type ClaimedServer = net.Server & { [kServerClaim]?: ServerClaim; closeAllConnections?: () => void };

const socketPrototype = net.Socket.prototype as ClaimedSocket;
const serverPrototype = net.Server.prototype as ClaimedServer;
const native = {
  connect: socketPrototype.connect,
  write: socketPrototype.write,
  end: socketPrototype.end,
  push: socketPrototype.push,
  listen: serverPrototype.listen,
};

/**
 * Destroys `socket` with the interruption as the error, so whoever listens for its errors (`http`,
 * `fetch`, a driver) fails with it; a socket nobody listens on is closed quietly instead, since an
 * unhandled 'error' would crash the whole process for an interruption the program asked for.
 */
function destroyWith(socket: net.Socket, reason: unknown): void {
  if (socket.listenerCount('error') > 0) socket.destroy(reason as Error);
  else socket.destroy();
}

/**
 * A green scope's claim on a socket: destroyed on interruption while connecting (for a TLS client,
 * until its handshake is done: `secureConnecting`) or in flight.
 */
class SocketClaim implements Owned {
  inFlight = false;

  constructor(
    readonly socket: ClaimedSocket,
    readonly scope: Scope,
  ) {}

  interrupted(reason: unknown): void {
    this.forget();
    if (this.socket.connecting || this.socket.secureConnecting || this.inFlight) destroyWith(this.socket, reason);
  }

  scopeEnded(): void {
    this.forget();
  }

  release(): void {
    this.scope.disown(this);
    this.forget();
  }

  private forget(): void {
    if (this.socket[kClaim] === this) this.socket[kClaim] = undefined;
  }
}

/** A green scope's claim on a server and the connections it accepted: closed on interruption. */
class ServerClaim implements Owned {
  private readonly connections = new Set<net.Socket>();

  constructor(readonly server: ClaimedServer) {}

  accepted(socket: net.Socket): void {
    if (this.connections.size >= 64) for (const s of this.connections) if (s.destroyed) this.connections.delete(s);
    this.connections.add(socket);
  }

  interrupted(reason: unknown): void {
    this.server[kServerClaim] = undefined;
    this.server.close();
    this.server.closeAllConnections?.();
    for (const socket of this.connections) destroyWith(socket, reason);
    this.connections.clear();
  }

  scopeEnded(): void {
    this.server[kServerClaim] = undefined;
  }
}

/** True when sockets of this kind (TLS or plain) are green now. */
function isGreen(socket: ClaimedSocket): boolean {
  return patchedModules.has(socket.encrypted ? 'tls' : 'net');
}

/** Claims `socket` for the current green scope (moving a claim held by another scope). */
function claim(socket: ClaimedSocket, inFlight: boolean): void {
  const scope = hub.ownerScope();
  if (!scope || !isGreen(socket)) return;
  let current = socket[kClaim];
  if (current && current.scope !== scope) {
    current.release();
    current = undefined;
  }
  if (!current) {
    current = new SocketClaim(socket, scope);
    scope.adopt(current);
    socket[kClaim] = current;
  }
  if (inFlight) current.inFlight = true;
}

function connect(this: ClaimedSocket, ...args: unknown[]): net.Socket {
  claim(this, false);
  if (this[kClaim]) this[kUnownedData] = true;
  return (native.connect as (...a: unknown[]) => net.Socket).apply(this, args);
}

/**
 * True when a write on `socket` can be a request awaiting a reply: the socket can still receive
 * one. A write-only pipe (`process.stdout` piped) or a terminal never replies, so a green thread
 * printing to it does not own it (killing the thread must not destroy `process.stdout`).
 */
function awaitsReply(socket: ClaimedSocket): boolean {
  return socket.readable && !(socket as { isTTY?: boolean }).isTTY;
}

function write(this: ClaimedSocket, ...args: unknown[]): boolean {
  if (awaitsReply(this)) claim(this, true);
  return (native.write as (...a: unknown[]) => boolean).apply(this, args);
}

function end(this: ClaimedSocket, ...args: unknown[]): net.Socket {
  if (args.length > 0 && typeof args[0] !== 'function' && awaitsReply(this)) claim(this, true);
  return (native.end as (...a: unknown[]) => net.Socket).apply(this, args);
}

/**
 * A reply arrived: the writer's claim ends. A client socket a green thread connected delivers its
 * data (and end) in no green scope: Node would run those callbacks in the connecting thread's
 * context for the socket's whole life, so a pool handing the connection to the next queued
 * request from a data callback (pg-pool does) would make that request the opener's, and killing
 * the opener later would destroy another thread's request.
 */
function push(this: ClaimedSocket, chunk: unknown, encoding?: BufferEncoding): boolean {
  const current = this[kClaim];
  if (current && !this.connecting) current.release();
  if (this[kUnownedData] && hub.ownerScope() !== null) return hub.runUnowned(nativePush, this, chunk, encoding);
  return native.push.call(this, chunk, encoding);
}

function nativePush(socket: net.Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
  return native.push.call(socket, chunk, encoding);
}

/** A TLS server has `addContext`; its sockets are green when `tls` is patched. */
function serverKind(server: net.Server): 'tls' | 'net' {
  return 'addContext' in server ? 'tls' : 'net';
}

function listen(this: ClaimedServer, ...args: unknown[]): net.Server {
  const scope = hub.ownerScope();
  if (scope && !this[kServerClaim] && patchedModules.has(serverKind(this))) {
    const serverClaim = new ServerClaim(this);
    this[kServerClaim] = serverClaim;
    scope.adopt(serverClaim);
  }
  return (native.listen as (...a: unknown[]) => net.Server).apply(this, args);
}

diagnosticsChannel.subscribe('net.server.socket', (message) => {
  const socket = (message as { socket: net.Socket & { server?: ClaimedServer } }).socket;
  socket.server?.[kServerClaim]?.accepted(socket);
});

/**
 * The hooks on Node's socket and server prototypes; shared by the green `net` and `tls` (a TLS
 * socket is a `net.Socket`), each deciding per socket whether its module is patched.
 */
export const socketHooks: Patch[] = [
  { target: socketPrototype, key: 'connect', value: connect },
  { target: socketPrototype, key: 'write', value: write },
  { target: socketPrototype, key: 'end', value: end },
  { target: socketPrototype, key: 'push', value: push },
  { target: serverPrototype, key: 'listen', value: listen },
];

/** In-place replacements applied by `monkeyPatch({ net: true })`. */
export const patches: Patch[] = socketHooks;
