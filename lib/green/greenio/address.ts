/**
 * Socket addresses as eventlet's convenience functions take them: a `[host, port]` tuple, a
 * `{ host, port }` object, or a string, which is a Unix socket path. Parsed into the options Node's
 * `connect` and `listen` take; a socket's own addresses are reported back as `[host, port]` (or the
 * path, for a Unix socket).
 */
import net from 'node:net';
import { describe } from '../../validate.js';
import { kindError } from './errors.js';

/**
 * Where to connect or listen: `['127.0.0.1', 8080]`, `{ host: 'localhost', port: 8080 }`, or a
 * Unix socket path such as `'/tmp/app.sock'`. An empty host means "any address" for `listen` and
 * `localhost` for `connect`, as in eventlet.
 * @example const addr: Address = ['127.0.0.1', 0];
 */
export type Address = readonly [host: string, port: number] | { readonly host?: string; readonly port: number } | string;

/**
 * A socket's address as `getsockname()`/`getpeername()` report it: `[host, port]`, or a Unix path.
 * @example const [host, port] = sock.getpeername() as [string, number];
 */
export type SocketAddress = [host: string, port: number] | string;

/** An address family: IPv4 (`4`) or IPv6 (`6`); omitted, the host decides. @example const f: Family = 4; */
export type Family = 4 | 6;

/**
 * A parsed address: a TCP host and port, or a Unix socket path.
 * @example const target: Target = { kind: 'unix', path: '/tmp/app.sock' };
 */
export type Target = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Parses `value` as an {@link Address}; throws a TypeError or RangeError naming `where` and `name`.
 * @example parseAddress('connect', 'addr', ['localhost', 80]) // { kind: 'tcp', host: 'localhost', port: 80 }
 */
export function parseAddress(where: string, name: string, value: unknown): Target {
  if (typeof value === 'string') {
    if (value === '') throw new RangeError(`${where}: ${name} must not be an empty Unix socket path`);
    return { kind: 'unix', path: value };
  }
  let host: unknown;
  let port: unknown;
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new TypeError(`${where}: ${name} must be [host, port], got an array of ${value.length}`);
    [host, port] = value as unknown[];
  } else if (value !== null && typeof value === 'object' && 'port' in value) {
    ({ host, port } = value as { host?: unknown; port?: unknown });
    host ??= '';
  } else {
    throw new TypeError(`${where}: ${name} must be [host, port], { host, port } or a Unix socket path, got ${describe(value)}`);
  }
  if (typeof host !== 'string') throw new TypeError(`${where}: ${name} host must be a string, got ${describe(host)}`);
  if (typeof port !== 'number' || !Number.isInteger(port)) throw new TypeError(`${where}: ${name} port must be an integer, got ${describe(port)}`);
  if (port < 0 || port > 65535) throw new RangeError(`${where}: ${name} port must be 0..65535, got ${port}`);
  return { kind: 'tcp', host, port };
}

/**
 * Checks an optional address family (`4`, `6`, or `undefined`).
 * @example parseFamily('listen', 6) // 6
 */
export function parseFamily(where: string, value: unknown): Family | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (value === 4 || value === 6) return value;
  throw new RangeError(`${where}: family must be 4, 6 or undefined, got ${describe(value)}`);
}

/**
 * Checks that `target`'s host fits `family` when it is an IP literal.
 * @example checkFamily('connect', { kind: 'tcp', host: '::1', port: 80 }, 4) // throws RangeError
 */
export function checkFamily(where: string, target: Target, family: Family | undefined): void {
  if (family === undefined) return;
  if (target.kind === 'unix') throw new RangeError(`${where}: family ${family} does not apply to the Unix socket path ${JSON.stringify(target.path)}`);
  const literal = net.isIP(target.host);
  if (literal !== 0 && literal !== family) throw new RangeError(`${where}: host ${target.host} is not an IPv${family} address (family ${family})`);
}

/**
 * The `[host, port]` of a Node socket's local or remote end, or its Unix path (`''` when unnamed,
 * as Python reports an unnamed peer).
 * @example endpoint(socket.remoteAddress, socket.remotePort, '')
 */
export function endpoint(host: string | undefined, port: number | undefined, path: string): SocketAddress {
  if (host === undefined || port === undefined) return path;
  return [host, port];
}

/**
 * A listener's own address: `[host, port]` or its path; `ENOTCONN` when it is not listening.
 * @example listenerName(server); // ['127.0.0.1', 8080]
 */
export function listenerName(server: net.Server): SocketAddress {
  const address = server.address();
  if (address === null) throw kindError('GreenSocket.getsockname', 'the socket is not listening', 'ENOTCONN');
  return typeof address === 'string' ? address : [address.address, address.port];
}

/**
 * A connection's own address. A Unix connection (`unixPath` set) that was accepted is named after
 * the listener's path; a client (`isClient`) is unnamed (`''`). `ENOTCONN` when not connected.
 * @example localName(stream, '', true); // ['127.0.0.1', 53124]
 */
export function localName(stream: net.Socket, unixPath: string, isClient: boolean): SocketAddress {
  if (stream.localPort !== undefined) return endpoint(stream.localAddress, stream.localPort, '');
  if (unixPath !== '') return isClient ? '' : unixPath;
  throw kindError('GreenSocket.getsockname', 'the socket is not connected', 'ENOTCONN');
}

/**
 * A connection's peer address (`stream` null: the socket is closed). A Unix client's peer is the
 * path it connected to, an accepted connection's peer is unnamed. `ENOTCONN` when not connected.
 * @example peerName(stream, '', true); // ['127.0.0.1', 8080]
 */
export function peerName(stream: net.Socket | null, unixPath: string, isClient: boolean): SocketAddress {
  if (stream !== null && !stream.connecting && !stream.destroyed) {
    if (stream.remotePort !== undefined) return endpoint(stream.remoteAddress, stream.remotePort, '');
    if (unixPath !== '') return isClient ? unixPath : '';
  }
  throw kindError('GreenSocket.getpeername', 'the socket is not connected', 'ENOTCONN');
}
