/**
 * The checks of GreenSocket's arguments (sizes, data, connect addresses and options), each error
 * a TypeError or RangeError naming the argument.
 */
import type net from 'node:net';
import { describe } from '../../validate.js';
import { type Address, type Family, checkFamily, parseAddress, parseFamily, type Target } from './address.js';

/** Options of {@link GreenSocket.connect}. @example await sock.connect(['::1', 80], { family: 6 }); */
export interface ConnectOptions {
  /** Address family of the connection (`4` or `6`); omitted, the host decides. */
  family?: Family;
  /** Local `[host, port]` to bind before connecting. */
  bind?: Address;
}

/**
 * A socket timeout: `null` (or `undefined`, `Infinity`) for none, else a number of seconds >= 0;
 * a TypeError/RangeError naming `seconds` otherwise.
 * @example checkTimeout('GreenSocket.settimeout', 2.5); // 2.5
 */
export function checkTimeout(where: string, seconds: unknown): number | null {
  if (seconds === null || seconds === undefined) return null;
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) throw new TypeError(`${where}: seconds must be a number or null, got ${describe(seconds)}`);
  if (seconds < 0) throw new RangeError(`${where}: seconds must be >= 0 or null, got ${seconds}`);
  return seconds === Infinity ? null : seconds;
}

/** What `send`/`sendall` take. */
export type Data = string | Uint8Array;

/**
 * An integer >= 0, or a TypeError/RangeError naming `name`.
 * @example checkSize('GreenSocket.recv', 'bufsize', 4096); // 4096
 */
export function checkSize(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${where}: ${name} must be an integer, got ${describe(value)}`);
  if (value < 0) throw new RangeError(`${where}: ${name} must be >= 0, got ${value}`);
  return value;
}

/**
 * A Buffer, Uint8Array or string, or a TypeError.
 * @example checkData('GreenSocket.sendall', 'ping'); // 'ping'
 */
export function checkData(where: string, value: unknown): Data {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw new TypeError(`${where}: data must be a Buffer, Uint8Array or string, got ${describe(value)}`);
}

/**
 * The bytes `data` takes on the wire.
 * @example byteLength('é'); // 2
 */
export function byteLength(data: Data): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

/**
 * Validates a connect request and turns it into Node's connect options.
 * @example connectRequest('GreenSocket.connect', 'address', ['localhost', 80], {}).options; // { host: 'localhost', port: 80 }
 */
export function connectRequest(where: string, name: string, address: unknown, options: unknown): { target: Target; options: net.NetConnectOpts } {
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
