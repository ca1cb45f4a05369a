/**
 * The green `dns` module: everything `node:dns` exports, with
 *
 * - `lookup` and `lookupService` that never call `getaddrinfo`/`getnameinfo` on the libuv thread
 *   pool: they read the hosts file and ask the configured servers through c-ares (see
 *   dns/getaddrinfo.ts), in and outside green threads, with Node's results and errors;
 * - the `resolve*` family, `reverse` and `Resolver` methods, which are Node's own outside green
 *   threads and cooperative points inside them (see dns/queries.ts);
 * - the same for `promises` (`dns/promises`).
 *
 * Inside a green thread, killing it or its `Timeout` firing rejects a pending look-up or query at
 * once with that exception and cancels the c-ares query.
 * @example
 * import dns from 'eventlet/green/dns';
 * const { address } = await dns.promises.lookup('localhost'); // never waits for the thread pool
 */
import dns from 'node:dns';
import { lookup, lookupService, promisesLookup, promisesLookupService } from './dns/lookup.js';
import { observerPatches } from './dns/observers.js';
import { greenModuleQuery, greenResolverMethod, NodeQueries, queryMethodNames, type QueryForm } from './dns/queries.js';
import { greenFunction, patchesFor, updateOriginal, type Patch } from './greening.js';

export * from 'node:dns';
export { lookup, lookupService } from './dns/lookup.js';

/** Node's own module and functions, captured before anything is patched. */
const native = { ...dns };
const nativePromises = { ...dns.promises };
const nativeResolverMethods: Record<string, Function> = { ...dns.Resolver.prototype };
const nativePromisesResolverMethods: Record<string, Function> = { ...dns.promises.Resolver.prototype };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;
type ModuleObject = Record<string, unknown>;

/** Node's `dns` and `dns/promises` module objects, as plain records of properties. */
const dnsModule = dns as unknown as ModuleObject;
const promisesModule = dns.promises as unknown as ModuleObject;

/** Green versions of a resolver prototype's query methods. */
function greenMethods(methods: Record<string, Function>, form: QueryForm): Record<string, AnyFunction> {
  const green: Record<string, AnyFunction> = {};
  for (const name of queryMethodNames(methods)) green[name] = greenResolverMethod(name, methods[name] as AnyFunction, form);
  return green;
}

const resolverMethods = greenMethods(nativeResolverMethods, 'callback');
const promisesResolverMethods = greenMethods(nativePromisesResolverMethods, 'promise');

/** Puts green query methods on a class's prototype, as Node defines its own (enumerable). */
function defineMethods(prototype: object, methods: Record<string, AnyFunction>): void {
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(prototype, name, { value, writable: true, enumerable: true, configurable: true });
  }
}

/**
 * Green `dns.Resolver`: Node's, whose queries are cooperative points inside green threads
 * (cancelled on interruption when nothing else is in flight on the resolver).
 * @example const resolver = new Resolver(); resolver.setServers(['127.0.0.1']); resolver.resolve4('example.test', cb);
 */
export class Resolver extends dns.Resolver {}
defineMethods(Resolver.prototype, resolverMethods);

/** Green `dns.promises.Resolver`. */
class PromisesResolver extends dns.promises.Resolver {}
Object.defineProperty(PromisesResolver, 'name', { value: 'Resolver' });
defineMethods(PromisesResolver.prototype, promisesResolverMethods);

/** Green module-level queries (`resolve`, `resolve4`, ..., `reverse`) of `module`, over Node's resolver `methods`. */
function moduleQueries(module: ModuleObject, methods: Record<string, Function>, form: QueryForm): { node: NodeQueries; green: Record<string, AnyFunction> } {
  const names = queryMethodNames(methods).filter((name) => typeof module[name] === 'function');
  const node = new NodeQueries(module, names);
  const green: Record<string, AnyFunction> = {};
  for (const name of names) green[name] = greenModuleQuery(name, node, methods[name] as AnyFunction, form);
  return { node, green };
}

const { node: nodeQueries, green: queries } = moduleQueries(dnsModule, nativeResolverMethods, 'callback');
const { node: nodePromisesQueries, green: promisesQueries } = moduleQueries(promisesModule, nativePromisesResolverMethods, 'promise');

/** The module objects whose query functions Node rebinds on `setServers`, with their green ones. */
const rebound = (): Array<{ module: ModuleObject; node: NodeQueries; green: ModuleObject }> => [
  { module: dnsModule, node: nodeQueries, green: greenFunctions },
  { module: promisesModule, node: nodePromisesQueries, green: promisesFunctions },
];

/** The green functions now in place on Node's module objects. */
function greenInPlace(): Array<{ module: ModuleObject; name: string; value: unknown }> {
  const found: Array<{ module: ModuleObject; name: string; value: unknown }> = [];
  for (const { module, green } of rebound()) {
    for (const [name, value] of Object.entries(green)) if (module[name] === value) found.push({ module, name, value });
  }
  return found;
}

/**
 * A green `setServers`: Node's, which gives Node a new default resolver and binds new query
 * functions to it on `dns` (and `dns/promises`); the green functions that were in place on those
 * module objects are put back.
 */
function greenSetServers<F extends AnyFunction>(nodeSetServers: F): F {
  const green = function setServers(this: unknown, ...args: unknown[]): unknown {
    const inPlace = greenInPlace();
    const result: unknown = nodeSetServers.apply(this, args);
    for (const { node } of rebound()) node.record();
    for (const { module, name, value } of inPlace) {
      if (module[name] !== value) updateOriginal(module, name, module[name]);
      module[name] = value;
    }
    return result;
  };
  return greenFunction(nodeSetServers, green as F);
}

/** A `getServers` that asks Node's `module` now (Node binds a new one on every `setServers`). */
function liveGetServers(module: { getServers(): string[] }): () => string[] {
  return greenFunction(module.getServers, function getServers(): string[] {
    return module.getServers();
  });
}

/**
 * `dns.getServers`: the servers of Node's default resolver now, also after `setServers`.
 * @example getServers() // ['127.0.0.53']
 */
export const getServers: typeof dns.getServers = liveGetServers(dns);

/**
 * Green `dns.setServers`: Node's (the default resolver's servers, which green look-ups ask too).
 * @example setServers(['127.0.0.1:5353']);
 */
export const setServers: typeof dns.setServers = greenSetServers(native.setServers);

const promisesSetServers: AnyFunction = greenSetServers(nativePromises.setServers);

/**
 * Green `dns.promises` (`dns/promises`): `lookup` and `lookupService` green, queries cooperative.
 * @example const { address } = await promises.lookup('localhost');
 */
export const promises: typeof dns.promises = {
  ...nativePromises,
  ...promisesQueries,
  lookup: promisesLookup,
  lookupService: promisesLookupService,
  setServers: promisesSetServers,
  getServers: liveGetServers(dns.promises),
  Resolver: PromisesResolver,
} as typeof dns.promises;

/** The green functions of `dns.promises` (`Resolver` apart). */
const promisesFunctions: Record<string, AnyFunction> = { ...promisesQueries, lookup: promisesLookup, lookupService: promisesLookupService, setServers: promisesSetServers };

/** Green `dns.resolve`: Node's, a cooperative point inside green threads. @example resolve('example.test', 'MX', cb); */
export const resolve = queries.resolve as typeof dns.resolve;
/** Green `dns.resolve4`. @example resolve4('example.test', (err, addresses) => {}); */
export const resolve4 = queries.resolve4 as typeof dns.resolve4;
/** Green `dns.resolve6`. @example resolve6('example.test', (err, addresses) => {}); */
export const resolve6 = queries.resolve6 as typeof dns.resolve6;
/** Green `dns.resolveAny`. @example resolveAny('example.test', (err, records) => {}); */
export const resolveAny = queries.resolveAny as typeof dns.resolveAny;
/** Green `dns.resolveCaa`. @example resolveCaa('example.test', (err, records) => {}); */
export const resolveCaa = queries.resolveCaa as typeof dns.resolveCaa;
/** Green `dns.resolveCname`. @example resolveCname('www.example.test', (err, names) => {}); */
export const resolveCname = queries.resolveCname as typeof dns.resolveCname;
/** Green `dns.resolveMx`. @example resolveMx('example.test', (err, exchanges) => {}); */
export const resolveMx = queries.resolveMx as typeof dns.resolveMx;
/** Green `dns.resolveNaptr`. @example resolveNaptr('example.test', (err, records) => {}); */
export const resolveNaptr = queries.resolveNaptr as typeof dns.resolveNaptr;
/** Green `dns.resolveNs`. @example resolveNs('example.test', (err, names) => {}); */
export const resolveNs = queries.resolveNs as typeof dns.resolveNs;
/** Green `dns.resolvePtr`. @example resolvePtr('1.0.0.127.in-addr.arpa', (err, names) => {}); */
export const resolvePtr = queries.resolvePtr as typeof dns.resolvePtr;
/** Green `dns.resolveSoa`. @example resolveSoa('example.test', (err, soa) => {}); */
export const resolveSoa = queries.resolveSoa as typeof dns.resolveSoa;
/** Green `dns.resolveSrv`. @example resolveSrv('_http._tcp.example.test', (err, records) => {}); */
export const resolveSrv = queries.resolveSrv as typeof dns.resolveSrv;
/** Green `dns.resolveTlsa` (Node 22 and later; `undefined` before). @example resolveTlsa('_443._tcp.example.test', cb); */
export const resolveTlsa = queries.resolveTlsa as typeof dns.resolveTlsa;
/** Green `dns.resolveTxt`. @example resolveTxt('example.test', (err, records) => {}); */
export const resolveTxt = queries.resolveTxt as typeof dns.resolveTxt;
/** Green `dns.reverse`. @example reverse('127.0.0.1', (err, hostnames) => {}); */
export const reverse = queries.reverse as typeof dns.reverse;

/** The green functions of the module object (`Resolver` and `promises` apart). */
const greenFunctions: Record<string, AnyFunction> = { ...queries, lookup, lookupService, setServers };

/**
 * The green module as one object (the default export): every property of `node:dns`, green where it matters.
 * @example import dns from 'eventlet/green/dns'; dns.lookup('localhost', console.log);
 */
const greenDns: typeof dns = { ...native, ...greenFunctions, getServers, Resolver, promises } as typeof dns;
export default greenDns;

/**
 * In-place replacements applied by `monkeyPatch({ dns: true })`: the functions of `dns` and of
 * `dns.promises` (the same object as `dns/promises`), and the query methods of Node's own
 * `Resolver` prototypes, so resolvers made anywhere are green. `dns.Resolver` itself stays
 * Node's class (its instances are green through the prototype). `setServers` is replaced too:
 * Node's rebinds every module-level query function, and the green one puts the green ones back.
 * `PerformanceObserver`'s `observe` and `disconnect` are hooked to learn when `dns` entries are
 * watched (see dns/observers.ts).
 * @example applyPatches(patches);
 */
export const patches: Patch[] = [
  ...observerPatches,
  ...patchesFor(dns, greenFunctions),
  ...patchesFor(dns.promises, promisesFunctions),
  ...patchesFor(dns.Resolver.prototype, resolverMethods),
  ...patchesFor(dns.promises.Resolver.prototype, promisesResolverMethods),
];
