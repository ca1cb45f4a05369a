/**
 * The green `net` module: Node's `net` with sockets and servers owned by the green thread that
 * uses them:
 *
 * - a socket that is **connecting** belongs to the thread that called `connect`, and stays its
 *   own until the first data (or end) arrives, so a client waiting for a server that speaks first
 *   (MySQL, SMTP, FTP greetings) is released like one waiting for a reply;
 * - a socket with a **request in flight** (the thread wrote, no data has arrived since) belongs to
 *   the thread that wrote; the first data (or end) to arrive releases it, so an idle keep-alive
 *   socket in a pool belongs to nobody and survives the later death of whoever used it;
 * - a **server** belongs to the thread that called `listen`, with the connections it accepted.
 *
 * When the owner is interrupted (killed, or its Timeout fires), what it owns is destroyed (closed,
 * for a server) with the interruption as the error. Outside green threads nothing changes.
 *
 * Two ways in. `monkeyPatch({ net: true })` installs the hooks on Node's own `net.Socket` and
 * `net.Server` prototypes, so they cover every socket (those `http`, `https` and `fetch` make too).
 * Used on its own (`eventlet/green/net`, or inside `importPatched`), the module's `connect`,
 * `createConnection`, `Socket`, `Stream`, `Server` and `createServer` mark what they create, and the
 * same hooks act on marked sockets and servers only (as own methods of the instance, which call the
 * prototype's); Node's prototypes stay untouched. Either way `instanceof net.Socket` holds.
 * @example
 * import { monkeyPatch, withTimeout } from 'eventlet';
 * monkeyPatch({ net: true });
 * await withTimeout(0.2, () => fetch('http://localhost:8080/slow')); // the socket is destroyed
 * @example
 * import net from 'eventlet/green/net';
 * await withTimeout(0.2, () => once(net.connect(8080, 'localhost').end('hi'), 'data')); // destroyed
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { hub, type Owned, type Scope } from '../hub.js';
import { ConnectionThread } from './connection-thread.js';
import { greenConstructor, greenFunction, greenView, patchedModules, type Patch } from './greening.js';

export * from 'node:net';

const kClaim = Symbol('eventlet.socketClaim');
const kServerClaim = Symbol('eventlet.serverClaim');
/** Marks a socket or server made by the green module itself: green whatever is patched. */
const kGreen = Symbol('eventlet.green');
/** Set on a client socket connected in a green scope: its data is delivered in no scope (see `push`). */
const kUnownedData = Symbol('eventlet.unownedData');
/** The green thread serving an accepted connection (see connection-thread.ts). */
const kConnection = Symbol('eventlet.connectionThread');
/** Set on a server whose connections get no thread of their own (a `listen()` socket: `serve` spawns them). */
const kNoConnectionThreads = Symbol('eventlet.noConnectionThreads');

type ClaimedSocket = net.Socket & {
  [kClaim]?: SocketClaim;
  [kGreen]?: true;
  [kUnownedData]?: true;
  [kConnection]?: ConnectionThread;
  /** For a server-side TLS socket: the accepted socket it wraps. */
  _parent?: ClaimedSocket | null;
  encrypted?: boolean;
  secureConnecting?: boolean;
};
type ClaimedServer = net.Server & { [kServerClaim]?: ServerClaim; [kGreen]?: true; [kNoConnectionThreads]?: true; closeAllConnections?: () => void };

const socketPrototype = net.Socket.prototype as ClaimedSocket;
const serverPrototype = net.Server.prototype as ClaimedServer;
const native = {
  connect: socketPrototype.connect,
  write: socketPrototype.write,
  end: socketPrototype.end,
  push: socketPrototype.push,
  listen: serverPrototype.listen,
  emit: serverPrototype.emit,
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
 * until its handshake is done: `secureConnecting`), while waiting for the first data of a
 * connection it made (`greeting`), or in flight.
 */
class SocketClaim implements Owned {
  inFlight = false;
  /** The scope connected the socket and nothing has arrived since: the server may speak first. */
  greeting = false;

  constructor(
    readonly socket: ClaimedSocket,
    readonly scope: Scope,
  ) {}

  interrupted(reason: unknown): void {
    this.forget();
    if (this.socket.connecting || this.socket.secureConnecting || this.inFlight || this.greeting) destroyWith(this.socket, reason);
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

  /** Closes the server; each connection's thread is killed (which destroys the connection). */
  interrupted(reason: unknown): void {
    this.server[kServerClaim] = undefined;
    this.server.close();
    this.server.closeAllConnections?.();
    for (const socket of this.connections) {
      const thread = (socket as ClaimedSocket)[kConnection];
      if (thread) void thread.kill(reason);
      else destroyWith(socket, reason);
    }
    this.connections.clear();
  }

  scopeEnded(): void {
    this.server[kServerClaim] = undefined;
  }
}

/** True when the socket was made green, or sockets of its kind (TLS or plain) are patched. */
function isGreen(socket: ClaimedSocket): boolean {
  return socket[kGreen] === true || patchedModules.has(socket.encrypted ? 'tls' : 'net');
}

/**
 * Claims `socket` for the current green scope (moving a claim held by another scope). An accepted
 * connection served by its own thread (or a TLS socket over one) is never claimed: that thread owns
 * it, and what its handlers write is a reply, not a request awaiting one.
 */
function claim(socket: ClaimedSocket, inFlight: boolean): void {
  if (socket[kConnection] !== undefined || socket._parent?.[kConnection] !== undefined) return;
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

/**
 * Claims a client socket that starts connecting, until its first data arrives; its data will then
 * be delivered in no scope.
 */
function claimConnecting(socket: ClaimedSocket): void {
  claim(socket, false);
  const current = socket[kClaim];
  if (!current) return;
  current.greeting = true;
  socket[kUnownedData] = true;
}

/**
 * True when a write on `socket` can be a request awaiting a reply: the socket can still receive
 * one. A write-only pipe (`process.stdout` piped) or a terminal never replies, so a green thread
 * printing to it does not own it (killing the thread must not destroy `process.stdout`).
 */
function awaitsReply(socket: ClaimedSocket): boolean {
  return socket.readable && !(socket as { isTTY?: boolean }).isTTY;
}

/** Runs the method a hook wraps: Node's, or the one an own hook found on the instance. */
type Call = (self: never, args: unknown[]) => unknown;

/** What each hook does around the method it wraps: claims, releases, then `call`. */
const around = {
  connect(socket: ClaimedSocket, args: unknown[], call: Call): unknown {
    claimConnecting(socket);
    return call(socket as never, args);
  },
  write(socket: ClaimedSocket, args: unknown[], call: Call): unknown {
    if (awaitsReply(socket)) claim(socket, true);
    return call(socket as never, args);
  },
  end(socket: ClaimedSocket, args: unknown[], call: Call): unknown {
    if (args.length > 0 && typeof args[0] !== 'function' && awaitsReply(socket)) claim(socket, true);
    return call(socket as never, args);
  },
  /**
   * A reply arrived: the writer's claim ends. A client socket a green thread connected delivers its
   * data (and end) in no green scope: Node would run those callbacks in the connecting thread's
   * context for the socket's whole life, so a pool handing the connection to the next queued
   * request from a data callback (pg-pool does) would make that request the opener's, and killing
   * the opener later would destroy another thread's request.
   */
  push(socket: ClaimedSocket, args: unknown[], call: Call): unknown {
    const thread = socket[kConnection];
    if (thread !== undefined) return thread.ended || hub.storage.getStore() === thread ? call(socket as never, args) : hub.reenter(thread, call, socket as never, args);
    const current = socket[kClaim];
    if (current && !socket.connecting) current.release();
    if (socket[kUnownedData] && hub.ownerScope() !== null) return hub.runUnowned(call, socket as never, args);
    return call(socket as never, args);
  },
  listen(server: ClaimedServer, args: unknown[], call: Call): unknown {
    const scope = hub.ownerScope();
    if (scope && !server[kServerClaim] && isGreenServer(server)) {
      const serverClaim = new ServerClaim(server);
      server[kServerClaim] = serverClaim;
      scope.adopt(serverClaim);
    }
    return call(server as never, args);
  },
  /**
   * A green server accepted a connection: it gets its own green thread, in which the `'connection'`
   * listeners run (and so, for `http`, the parser that calls the request handlers).
   */
  emit(server: ClaimedServer, args: unknown[], call: Call): unknown {
    if (args[0] !== 'connection' || server[kNoConnectionThreads] || !isGreenServer(server)) return emitInThread(server, args, call);
    const socket = args[1] as ClaimedSocket;
    if (!(socket instanceof net.Socket) || socket[kConnection] !== undefined) return emitInThread(server, args, call);
    const thread = new ConnectionThread(socket, (reason) => destroyWith(socket, reason));
    socket[kConnection] = thread;
    guardSocketEvents(socket, thread);
    return thread.serve(() => thread.emit(server, args, call));
  },
};

/** The connection thread running now (also inside a `withTimeout` scope of one), or null. */
function currentConnectionThread(): ConnectionThread | null {
  const root = hub.storage.getStore()?.root;
  return root instanceof ConnectionThread ? root : null;
}

/**
 * Emits an event with `call` (the emitter's `emit`); inside a connection thread, through the
 * thread, which handles its listeners' rejections by its own interruptions (`'request'` handlers
 * that a kill or Timeout of the thread made fail).
 */
function emitInThread(emitter: EventEmitter, args: unknown[], call: Call): unknown {
  const thread = currentConnectionThread();
  return thread === null ? call(emitter as never, args) : thread.emit(emitter, args, call);
}

/**
 * Gives an accepted socket served by `thread` an own `emit` (non-enumerable) that emits the
 * events the thread delivers (its data callbacks) through the thread; other events as before.
 */
function guardSocketEvents(socket: ClaimedSocket, thread: ConnectionThread): void {
  const inherited: Call = (self, args) => (Object.getPrototypeOf(socket) as EventEmitter).emit.apply(self, args as [string]);
  Object.defineProperty(socket, 'emit', {
    value: function emit(this: EventEmitter, ...args: unknown[]): unknown {
      return hub.storage.getStore()?.root === thread ? thread.emit(this, args, inherited) : inherited(this as never, args);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

type HookName = keyof typeof around;

/** `EventEmitter.prototype`, whose `emit` a server inherits (read at each call: `domain` replaces it). */
const emitterPrototype = Object.getPrototypeOf(serverPrototype) as { emit: (...args: unknown[]) => boolean };

/**
 * The prototype hook of `emit`, on every server event (`'request'` too): anything but
 * `'connection'` emitted outside a connection thread goes straight to the inherited `emit`, with
 * no arguments array made; inside one, through the thread (as {@link emitInThread} does, with the
 * current thread looked up once).
 */
function prototypeEmit(this: ClaimedServer, event: string | symbol): unknown {
  // eslint-disable-next-line prefer-rest-params
  if (event === 'connection') return around.emit(this, Array.prototype.slice.call(arguments), callInheritedEmit);
  const thread = currentConnectionThread();
  // eslint-disable-next-line prefer-rest-params
  if (thread === null) return emitterPrototype.emit.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  return thread.emit(this, Array.prototype.slice.call(arguments), callInheritedEmit);
}

const callInheritedEmit: Call = (self, args) => emitterPrototype.emit.apply(self, args);

/** A prototype hook: `around[name]` with Node's own method. */
function prototypeHook(name: HookName) {
  const method = native[name] as (...args: unknown[]) => unknown;
  const call: Call = (self, args) => method.apply(self, args);
  const hook = around[name] as (self: never, args: unknown[], call: Call) => unknown;
  return function (this: never, ...args: unknown[]): unknown {
    return hook(this, args, call);
  };
}

/** A TLS server has `addContext`; its sockets are green when `tls` is patched. */
function serverKind(server: net.Server): 'tls' | 'net' {
  return 'addContext' in server ? 'tls' : 'net';
}

/** True when the server was made green, or servers of its kind are patched. */
function isGreenServer(server: ClaimedServer): boolean {
  return server[kGreen] === true || patchedModules.has(serverKind(server));
}

/**
 * Keeps `server`'s connections out of connection threads: its owner gives each connection a
 * thread of its own (a `listen()` socket, whose connections `serve` hands to handler threads).
 * @example acceptsWithoutThreads(net.createServer({ pauseOnConnect: true }));
 */
export function acceptsWithoutThreads<S extends net.Server>(server: S): S {
  (server as S & ClaimedServer)[kNoConnectionThreads] = true;
  return server;
}

diagnosticsChannel.subscribe('net.server.socket', (message) => {
  const socket = (message as { socket: ClaimedSocket & { server?: ClaimedServer } }).socket;
  if (socket.server?.[kGreen]) markSocket(socket);
  socket.server?.[kServerClaim]?.accepted(socket);
});

/**
 * The hooks on Node's socket and server prototypes; shared by the green `net` and `tls` (a TLS
 * socket is a `net.Socket`), each deciding per socket whether its module is patched.
 */
export const socketHooks: Patch[] = [
  { target: socketPrototype, key: 'connect', value: prototypeHook('connect') },
  { target: socketPrototype, key: 'write', value: prototypeHook('write') },
  { target: socketPrototype, key: 'end', value: prototypeHook('end') },
  { target: socketPrototype, key: 'push', value: prototypeHook('push') },
  { target: serverPrototype, key: 'listen', value: prototypeHook('listen') },
  { target: serverPrototype, key: 'emit', value: prototypeEmit },
];

/** In-place replacements applied by `monkeyPatch({ net: true })`. */
export const patches: Patch[] = socketHooks;

/**
 * Gives `target` the hooks named in `names` as own, non-enumerable accessor properties, so one
 * object is green without touching any prototype. Each reads as a method that runs the hook around
 * the method the instance would otherwise have: the inherited one (a subclass's override, or
 * Node's), or one assigned to the instance later — Node itself assigns some (`connect` resets an
 * instance's `write`), and such an assignment must not remove the hook.
 */
function ownHooks(target: object, names: readonly HookName[]): void {
  for (const name of names) {
    let assigned: ((...args: unknown[]) => unknown) | undefined;
    const call: Call = (self, args) => (assigned ?? (Object.getPrototypeOf(self) as Record<string, (...a: unknown[]) => unknown>)[name]!).apply(self, args);
    const hook = around[name] as (self: never, args: unknown[], call: Call) => unknown;
    const method = function (this: never, ...args: unknown[]): unknown {
      return hook(this, args, call);
    };
    Object.defineProperty(target, name, {
      get: () => method,
      set: (value: (...args: unknown[]) => unknown) => {
        assigned = value === (Object.getPrototypeOf(target) as Record<string, unknown>)[name] ? undefined : value;
      },
      configurable: true,
      enumerable: false,
    });
  }
}

const SOCKET_HOOKS: readonly HookName[] = ['connect', 'write', 'end', 'push'];

/**
 * Makes one socket green on its own (whatever is patched): owned by the green thread that
 * connects or writes on it. Returns the socket.
 * @example markSocket(tls.connect(443, 'example.com'));
 */
export function markSocket<S extends net.Socket>(socket: S): S {
  const marked = socket as S & ClaimedSocket;
  if (marked[kGreen]) return socket;
  marked[kGreen] = true;
  ownHooks(marked, SOCKET_HOOKS);
  return socket;
}

/**
 * Marks `socket`, which the caller has just asked to connect, and claims it for the current green
 * scope as connecting (Node's `connect` functions call `socket.connect` before returning it).
 * @example export const connect = connectedBy(net.connect);
 */
export function connectedBy<F extends (...args: never[]) => net.Socket>(native: F): F {
  return greenFunction(native, function (this: unknown, ...args: Parameters<F>) {
    const socket = markSocket(native.apply(this, args)) as ClaimedSocket;
    claimConnecting(socket);
    return socket;
  } as F);
}

/**
 * Makes one server green on its own: owned, with the connections it accepts, by the green thread
 * that calls `listen`; its accepted sockets are green too. Returns the server.
 * @example markServer(net.createServer(handler));
 */
export function markServer<S extends net.Server>(server: S): S {
  const marked = server as S & ClaimedServer;
  if (marked[kGreen]) return server;
  marked[kGreen] = true;
  ownHooks(marked, ['listen', 'emit']);
  return server;
}

/**
 * `net.connect`, with the socket it returns green.
 * @example spawn(() => net.connect(5432, 'db.local').write(startup)); // killed: the socket is destroyed
 */
export const connect = connectedBy(net.connect);
/**
 * `net.createConnection`, with the socket it returns green.
 * @example const socket = net.createConnection({ port: 6379 });
 */
export const createConnection = connectedBy(net.createConnection);
/**
 * `net.Socket`, whose instances (also of subclasses) are green; `instanceof` is Node's.
 * @example new net.Socket().connect(80, 'example.com'); // owned by the calling green thread
 */
export const Socket = greenConstructor(net.Socket, markSocket);
/**
 * `net.Stream` (Node's alias of `Socket`): the green `Socket`.
 * @example net.Stream === net.Socket; // true
 */
export const Stream = Socket;
/**
 * `net.Server`, whose instances are green.
 * @example new net.Server(onConnection).listen(0); // closed if the listening thread is killed
 */
export const Server = greenConstructor(net.Server, markServer);
/**
 * `net.createServer`, with the server it returns green.
 * @example net.createServer((socket) => socket.end('hi')).listen(8000);
 */
export const createServer = greenFunction(net.createServer, function (this: unknown, ...args: Parameters<typeof net.createServer>) {
  return markServer(net.createServer.apply(this, args));
} as typeof net.createServer);

/**
 * The green module as one object (the default export): a view of Node's `net` (reads and writes
 * of settings reach Node's module) in which the functions and classes above are the green ones.
 */
export default greenView(net, { connect, createConnection, Socket, Stream, Server, createServer });
