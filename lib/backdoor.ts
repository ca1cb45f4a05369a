/**
 * eventlet's backdoor: an interactive console served on a socket, to inspect and tune a running
 * process in place (`nc 127.0.0.1 3000`, `nc -U /tmp/app.sock`). Each connection gets its own
 * `node:repl` session whose input and output are the socket, with `eventlet` (the package) and the
 * caller's locals in its context; top-level `await` works. It is unauthenticated, so it listens
 * on loopback addresses (or a Unix socket) unless `allowRemote` says otherwise. The package's
 * `backdoor` is {@link backdoorServing} given the package's own namespace (in `index.ts`, which
 * this file therefore does not import).
 */
import net from 'node:net';
import { Console } from 'node:console';
import { once } from 'node:events';
import type { REPLServer } from 'node:repl';
import { GreenSocket } from './green/greenio.js';
import { getHub } from './hub.js';
import { describe, isThenable } from './validate.js';

/**
 * Where the backdoor listens: a port on 127.0.0.1, a `[host, port]` tuple or `{ host, port }`
 * (eventlet's addresses), a Unix socket path, a `net.Server` that is already listening, or the
 * listening {@link GreenSocket} that `listen()` gives (or its promise, as eventlet's
 * `spawn(backdoor.backdoor_server, listen(('127.0.0.1', 3000)))` passes it).
 */
export type BackdoorAddress =
  | number
  | readonly [host: string, port: number]
  | { host?: string; port: number }
  | string
  | net.Server
  | GreenSocket<net.Server>
  | PromiseLike<GreenSocket<net.Server>>;

/** Options of {@link backdoor}. */
export interface BackdoorOptions {
  /** Allow a host that is not a loopback address (anyone who can connect runs code). Default false. */
  allowRemote?: boolean;
  /** The REPL prompt. Default `'eventlet> '`. */
  prompt?: string;
}

/** A running backdoor: where it listens, how many sessions are open, and `close()`. */
export interface Backdoor {
  /** The listening server. */
  readonly server: net.Server;
  /** The address it listens on (`{ address, family, port }`, or the Unix socket path). */
  readonly address: net.AddressInfo | string;
  /** How many console sessions are open. */
  readonly sessions: number;
  /** Closes the server and every open session; resolves once the server has closed. */
  close(): Promise<void>;
}

const WHERE = 'backdoor';

/**
 * The package's `backdoor(sock, locals?, options?)`: serves a console on `sock` (see
 * {@link BackdoorAddress}); each connection gets a Node REPL with `eventlet` and the entries of
 * `locals` as variables. Resolves once it listens. Refuses a host that is not a loopback address
 * unless `options.allowRemote`.
 */
export interface BackdoorServer {
  (sock: BackdoorAddress, locals?: Record<string, unknown>, options?: BackdoorOptions): Promise<Backdoor>;
  /**
   * eventlet's `backdoor.backdoor_server(sock, locals)`: the same function, so
   * `spawn(backdoor.backdoor_server, listen(['127.0.0.1', 3000]))` ports literally.
   */
  backdoor_server: BackdoorServer;
}

/**
 * The `backdoor` function whose consoles have `api` in scope as `eventlet` (the package gives it
 * its own namespace).
 * @example
 * import * as eventlet from './index.js';
 * export const backdoor = backdoorServing(eventlet);
 */
export function backdoorServing(api: object): BackdoorServer {
  async function backdoor(sock: BackdoorAddress, locals: Record<string, unknown> = {}, options: BackdoorOptions = {}): Promise<Backdoor> {
    if (isThenable(sock)) sock = (await sock) as BackdoorAddress;
    if (locals === null || typeof locals !== 'object') throw new TypeError(`${WHERE}: locals must be an object, got ${describe(locals)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
    const allowRemote = options.allowRemote ?? false;
    if (typeof allowRemote !== 'boolean') throw new TypeError(`${WHERE}: options.allowRemote must be a boolean, got ${describe(allowRemote)}`);
    const prompt = options.prompt ?? 'eventlet> ';
    if (typeof prompt !== 'string') throw new TypeError(`${WHERE}: options.prompt must be a string, got ${describe(prompt)}`);
    const given = sock instanceof GreenSocket ? listeningSocket(sock) : sock;
    const server = given instanceof net.Server ? listeningServer(given, allowRemote) : await listenOn(parseAddress(given, allowRemote));
    const { start } = await import('node:repl');
    return serveConsoles(server, (socket) => openSession(start, socket, prompt, api, { ...locals }));
  }
  backdoor.backdoor_server = backdoor;
  return backdoor;
}

/**
 * The `net.Server` of a listening GreenSocket, taken over from it (the GreenSocket can no longer
 * accept: the console sessions get the connections, and the server outlives the caller's thread).
 */
function listeningSocket(sock: GreenSocket<net.Server> | GreenSocket<net.Socket>): net.Server {
  if (!(sock.socket instanceof net.Server)) throw new TypeError(`${WHERE}: sock must be a listening GreenSocket (from listen()), got a connected one`);
  return (sock as GreenSocket<net.Server>).detach(WHERE);
}

/** Checks a server the caller made: it must listen, on a loopback address unless allowed. */
function listeningServer(server: net.Server, allowRemote: boolean): net.Server {
  const address = server.address();
  if (address === null) throw new TypeError(`${WHERE}: sock must be a listening net.Server (call listen() and wait for 'listening' first)`);
  if (typeof address !== 'string') requireLoopback(address.address, allowRemote);
  return server;
}

type ListenOptions = { host: string; port: number } | { path: string };

/** Reads a port, `[host, port]`, `{ host, port }` or Unix path into `listen()` options. */
function parseAddress(sock: unknown, allowRemote: boolean): ListenOptions {
  if (typeof sock === 'string') {
    if (sock.length === 0) throw new TypeError(`${WHERE}: sock must not be an empty path`);
    return { path: sock };
  }
  let host: unknown = '127.0.0.1';
  let port: unknown = sock;
  if (Array.isArray(sock)) [host, port] = sock as unknown[];
  else if (sock !== null && typeof sock === 'object') ({ host = '127.0.0.1', port } = sock as { host?: unknown; port?: unknown });
  else if (typeof sock !== 'number') throw new TypeError(`${WHERE}: sock must be a port, [host, port], { host, port }, a Unix socket path, a listening net.Server or GreenSocket, got ${describe(sock)}`);
  if (typeof host !== 'string') throw new TypeError(`${WHERE}: host must be a string, got ${describe(host)}`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${WHERE}: port must be an integer from 0 to 65535, got ${describe(port)}`);
  }
  requireLoopback(host, allowRemote);
  return { host, port };
}

/** Throws a RangeError for a host that is not a loopback address, unless remote hosts are allowed. */
function requireLoopback(host: string, allowRemote: boolean): void {
  if (allowRemote || isLoopback(host)) return;
  throw new RangeError(`${WHERE}: host ${JSON.stringify(host)} is not a loopback address; the backdoor runs any code sent to it, pass { allowRemote: true } to listen there anyway`);
}

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped 127.0.0.0/8. */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/** Listens on `options` with a new server, outside any green thread (the server outlives the caller). */
async function listenOn(options: ListenOptions): Promise<net.Server> {
  const server = getHub().runOutside(() => net.createServer());
  getHub().runOutside(() => server.listen(options));
  try {
    await once(server, 'listening'); // rejects with the server's 'error' instead
  } catch (err) {
    server.close();
    throw err;
  }
  return server;
}

/** A console session on one connection: the REPL and its socket. */
interface Session {
  repl: REPLServer;
  socket: net.Socket;
}

/** Runs `open` for each connection of `server`; the handle closes the server and every session. */
function serveConsoles(server: net.Server, open: (socket: net.Socket) => Session): Backdoor {
  const sessions = new Set<Session>();
  const onConnection = (socket: net.Socket): void => {
    const session = open(socket);
    sessions.add(session);
    socket.once('close', () => sessions.delete(session));
  };
  server.on('connection', onConnection);
  const address = server.address()!;
  let closed: Promise<void> | null = null;
  return {
    server,
    address,
    get sessions() {
      return sessions.size;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.off('connection', onConnection);
        server.close(() => resolve());
        for (const { repl, socket } of sessions) {
          repl.close();
          socket.destroy();
        }
        sessions.clear();
      });
      return closed;
    },
  };
}

/** Starts a REPL on `socket` with `api` as `eventlet`, a `console` writing to the socket, and `locals` in its context. */
function openSession(start: typeof import('node:repl').start, socket: net.Socket, prompt: string, api: object, locals: Record<string, unknown>): Session {
  socket.on('error', () => socket.destroy()); // a client that vanishes ends its session, nothing more
  socket.write(`eventlet backdoor on Node ${process.version}: \`eventlet\`${Object.keys(locals).length ? ` and ${Object.keys(locals).join(', ')}` : ''} in scope; .exit to leave\n`);
  const repl = start({ input: socket, output: socket, prompt, terminal: false, useGlobal: false, ignoreUndefined: true });
  // `console` writes to the session, not to the process's stdout
  Object.assign(repl.context, { eventlet: api, console: new Console({ stdout: socket, stderr: socket }) }, locals);
  repl.on('exit', () => socket.end());
  return { repl, socket };
}
