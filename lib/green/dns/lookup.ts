/**
 * Node's `lookup` and `lookupService` API (callback and promise forms: arguments, validation,
 * options, results) over the green `getaddrinfo` and `getnameinfo` (getaddrinfo.ts). Node's
 * own functions handle every call that cannot reach the C library (no name, an IP address, bad
 * arguments), so those behave exactly as Node's, and every call made while a
 * `PerformanceObserver` watches `dns` entries, so that Node records them (cooperative points
 * inside green threads all the same).
 */
import dns from 'node:dns';
import { isIP } from 'node:net';
import { hub } from '../../hub.js';
import { cooperative, toCallback } from './cooperative.js';
import { getaddrinfo, getnameinfo, isNumericShorthand, type AddressRequest } from './getaddrinfo.js';
import type { ResultOrder } from './order.js';
import { dnsObserved } from './observers.js';
import { greenFunction } from '../greening.js';

/** Node's own functions, captured before anything is patched. */
const native = { lookup: dns.lookup, lookupService: dns.lookupService, getDefaultResultOrder: dns.getDefaultResultOrder };
const nativePromises = { lookup: dns.promises.lookup, lookupService: dns.promises.lookupService };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

const noop = (): void => {};

/**
 * True when Node's own look-up answers without asking anyone: no name, an IP address, a name it
 * rejects, or an address in the C library's shorthand (`127.1`), which `getaddrinfo` parses itself.
 */
function nodeAnswersItself(hostname: unknown): boolean {
  if (!hostname || typeof hostname !== 'string') return true;
  return hostname.includes('\0') || isIP(hostname) !== 0 || isNumericShorthand(hostname);
}

/** Whether this Node's `lookup` knows the `order` option (it ignores it otherwise). */
const knowsOrder = ((): boolean => {
  try {
    native.lookup('127.0.0.1', { order: 'bogus' } as unknown as dns.LookupOptions, noop);
    return false;
  } catch {
    return true;
  }
})();

interface RawLookupOptions {
  family?: number | 'IPv4' | 'IPv6';
  hints?: number;
  all?: boolean;
  verbatim?: boolean;
  order?: ResultOrder;
}

/** Reads `lookup`'s options once Node has validated them (a family number, an object, or nothing). */
function parseLookupOptions(hostname: string, options: unknown): AddressRequest & { all: boolean } {
  const request = { hostname, family: 0, hints: 0, all: false, order: native.getDefaultResultOrder() as ResultOrder };
  if (typeof options === 'number') request.family = options + 0;
  if (options === null || typeof options !== 'object') return request;
  const { family, hints, all, verbatim, order } = options as RawLookupOptions;
  if (hints != null) request.hints = hints >>> 0;
  if (family != null) request.family = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : family + 0;
  if (all != null) request.all = all;
  if (verbatim != null) request.order = verbatim ? 'verbatim' : 'ipv4first';
  if (order != null && knowsOrder) request.order = order;
  return request;
}

/**
 * Runs Node's own callback-form `fn` (whose entries a `PerformanceObserver` records): plainly
 * outside green threads, as a cooperative point inside one (the callback gets the interruption at
 * once; Node's late answer is dropped).
 */
function nodeCallback(what: string, fn: AnyFunction, self: unknown, args: unknown[]): unknown {
  const at = typeof args[args.length - 1] === 'function' ? args.length - 1 : -1;
  if (!hub.ownerScope() || at < 0) return fn.apply(self, args);
  const callback = args[at] as AnyFunction;
  hub.guardCallback(what, (_signal, done) => fn.apply(self, [...args.slice(0, at), done]), callback);
  return {};
}

/** Runs Node's own promise-form `fn` (see {@link nodeCallback}): a cooperative point inside green threads. */
function nodePromise(what: string, fn: AnyFunction, self: unknown, args: unknown[]): Promise<unknown> {
  return cooperative(what, () => fn.apply(self, args) as Promise<unknown>);
}

/** Throws what Node's `lookup` throws for these arguments, by asking it about an IP address instead. */
function validateLookup(args: ArrayLike<unknown>): void {
  const probe = Array.from(args, (arg, i) => (i === 0 ? '127.0.0.1' : typeof arg === 'function' ? noop : arg));
  (native.lookup as AnyFunction)(...probe);
}

/** The addresses of a look-up: a cooperative point inside green threads. */
function lookUp(request: AddressRequest): Promise<string[]> {
  return cooperative('dns lookup', (signal) => getaddrinfo(request, signal));
}

/** Node's result entry: the family asked for, or the address's own. */
const entry = (address: string, family: number): dns.LookupAddress => ({ address, family: family || isIP(address) });

/**
 * Green `dns.lookup`: the hosts file, then the configured servers through c-ares — never
 * `getaddrinfo`, so it never waits for the libuv thread pool and can be cancelled. Results,
 * options (`family`, `all`, `hints`, `order`, `verbatim`) and errors are Node's; inside a green
 * thread it is a cooperative point.
 * @example lookup('localhost', { all: true }, (err, addresses) => console.log(addresses));
 */
export const lookup = greenFunction(native.lookup, function lookup(this: unknown, hostname: unknown, options: unknown, callback?: unknown) {
  if (nodeAnswersItself(hostname)) return (native.lookup as AnyFunction).apply(this, arguments as unknown as unknown[]);
  if (dnsObserved()) return nodeCallback('dns lookup', native.lookup, this, Array.from(arguments));
  validateLookup(arguments);
  const request = parseLookupOptions(hostname as string, options);
  const done = (typeof options === 'function' ? options : callback) as AnyFunction;
  toCallback(lookUp(request), done, (addresses) => {
    if (request.all) return [addresses.map((address) => entry(address, request.family))];
    const first = entry(addresses[0]!, request.family);
    return [first.address, first.family];
  });
  return {};
} as typeof dns.lookup);

/** Node's `validatePort`: a number or a non-blank string whose value is an integer in 0..65535. */
function isValidPort(port: unknown): boolean {
  if (typeof port !== 'number' && typeof port !== 'string') return false;
  if (typeof port === 'string' && port.trim().length === 0) return false;
  return +port === +port >>> 0 && +port <= 0xffff;
}

/** True when `lookupService` arguments pass Node's checks (otherwise Node's own throws its error). */
const validService = (address: unknown, port: unknown): boolean => typeof address === 'string' && isIP(address) !== 0 && isValidPort(port);

/**
 * Green `dns.lookupService`: the host's name from the hosts file or a PTR query through c-ares,
 * the service's from the services database — never `getnameinfo`. Results and errors are Node's.
 * @example lookupService('127.0.0.1', 22, (err, hostname, service) => console.log(hostname, service));
 */
export const lookupService = greenFunction(native.lookupService, function lookupService(this: unknown, address: unknown, port: unknown, callback: unknown) {
  if (arguments.length !== 3 || !validService(address, port) || typeof callback !== 'function') {
    return (native.lookupService as AnyFunction).apply(this, arguments as unknown as unknown[]);
  }
  if (dnsObserved()) return nodeCallback('dns lookupService', native.lookupService, this, Array.from(arguments));
  const service = cooperative('dns lookupService', (signal) => getnameinfo(address as string, +(port as number), signal));
  toCallback(service, callback as AnyFunction, (s) => [s.hostname, s.service]);
  return {};
} as typeof dns.lookupService);

/**
 * Green `dns.promises.lookup`: as {@link lookup}, returning a promise.
 * @example const { address, family } = await promisesLookup('localhost');
 */
export const promisesLookup = greenFunction(nativePromises.lookup, function lookup(this: unknown, hostname: unknown, options?: unknown) {
  if (nodeAnswersItself(hostname)) return (nativePromises.lookup as AnyFunction).apply(this, arguments as unknown as unknown[]);
  if (dnsObserved()) return nodePromise('dns lookup', nativePromises.lookup, this, Array.from(arguments));
  void (nativePromises.lookup as AnyFunction)('127.0.0.1', options); // throws Node's error for bad options
  const request = parseLookupOptions(hostname as string, options);
  return lookUp(request).then((addresses) =>
    request.all ? addresses.map((address) => entry(address, request.family)) : entry(addresses[0]!, request.family),
  );
} as typeof dns.promises.lookup);

/**
 * Green `dns.promises.lookupService`: as {@link lookupService}, returning a promise.
 * @example const { hostname, service } = await promisesLookupService('127.0.0.1', 22);
 */
export const promisesLookupService = greenFunction(nativePromises.lookupService, function lookupService(this: unknown, address: unknown, port: unknown) {
  if (arguments.length !== 2 || !validService(address, port)) {
    return (nativePromises.lookupService as AnyFunction).apply(this, arguments as unknown as unknown[]);
  }
  if (dnsObserved()) return nodePromise('dns promises lookupService', nativePromises.lookupService, this, Array.from(arguments));
  return cooperative('dns promises lookupService', (signal) => getnameinfo(address as string, +(port as number), signal));
} as typeof dns.promises.lookupService);
