/**
 * The green `resolve*` family and `reverse`, for the module functions and for `Resolver`
 * instances, callback and promise forms. Each runs Node's own method (same arguments, results
 * and errors); inside a green scope the wait is a cooperative point whose interruption cancels
 * the query:
 *
 * - The module functions use Node's default resolver, which every part of the process shares,
 *   so inside a green scope they run on a private channel asking the same servers (see
 *   leases.ts), which can be cancelled alone. Outside green scopes they are Node's own.
 * - A `Resolver` the user made keeps its own servers, timeout, tries and local address, so its
 *   queries run on it. Interrupting one cancels the resolver only while that query is its only
 *   one in flight; otherwise the interrupted caller still gets the interruption at once and the
 *   query's late answer is dropped (c-ares cannot cancel a single query). To count in-flight
 *   queries, calls outside green scopes go through a thin wrapper that changes nothing else.
 */
import dns from 'node:dns';
import { hub } from '../../hub.js';
import { started, toCallback } from './cooperative.js';
import { poolFor, sharedLease, type Channel, type Lease } from './leases.js';
import { greenFunction } from '../greening.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Method = (this: any, ...args: any[]) => any;

/**
 * The query methods of a Node resolver prototype on this Node version (`resolve`, `resolve4`, ..., `reverse`).
 * @example queryMethodNames(dns.Resolver.prototype) // ['resolveAny', 'resolve4', ..., 'reverse', 'resolve']
 */
export function queryMethodNames(prototype: object): string[] {
  return Object.getOwnPropertyNames(prototype).filter((name) => name === 'reverse' || name.startsWith('resolve'));
}

/** Where Node finds the callback of a callback-form query. */
function callbackIndex(name: string, args: readonly unknown[]): number {
  if (name === 'resolve') return typeof args[1] === 'function' ? 1 : 2;
  return args.length > 2 ? 2 : 1;
}

/** Calls Node's `method` on the lease's resolver; a synchronous throw (bad arguments) ends the lease. */
function begin(method: Method, lease: Lease, args: unknown[]): unknown {
  try {
    return method.apply(lease.resolver, args);
  } catch (err) {
    lease.release();
    throw err;
  }
}

/** A callback-form query outside green scopes: Node's, with the lease ended before the callback. */
function plainCallbackQuery(method: Method, lease: Lease, args: unknown[], index: number): unknown {
  const callback = args[index] as Method;
  const replaced = [...args];
  replaced[index] = function (this: unknown, ...results: unknown[]) {
    lease.release();
    return callback.apply(this, results);
  };
  return begin(method, lease, replaced);
}

/** A callback-form query inside a green scope: a cooperative point; the callback gets the interruption at once. */
function greenCallbackQuery(what: string, method: Method, lease: Lease, args: unknown[], index: number): unknown {
  const callback = args[index] as Method;
  const replaced = [...args];
  let settle!: (err: unknown, results: unknown[]) => void;
  const answer = new Promise<unknown[]>((resolve, reject) => (settle = (err, results) => (err ? reject(err) : resolve(results))));
  replaced[index] = (err: unknown, ...results: unknown[]) => {
    lease.release();
    settle(err, results);
  };
  const request = begin(method, lease, replaced);
  toCallback(started(what, answer, () => lease.cancel()), callback, (results) => results);
  return request;
}

/** A callback-form query, green or plain. */
function callbackQuery(what: string, method: Method, lease: Lease, args: unknown[], index: number, green: boolean): unknown {
  return green ? greenCallbackQuery(what, method, lease, args, index) : plainCallbackQuery(method, lease, args, index);
}

/** A promise-form query: the lease ends when Node's promise settles; inside a green scope, a cooperative point. */
function promiseQuery(what: string, method: Method, lease: Lease, args: unknown[], green: boolean): Promise<unknown> {
  const answer = begin(method, lease, args) as Promise<unknown>;
  const ended = answer.then(
    (value) => {
      lease.release();
      return value;
    },
    (err: unknown) => {
      lease.release();
      throw err;
    },
  );
  return green ? started(what, ended, () => lease.cancel()) : ended;
}

/** Private channels asking the default resolver's servers (module functions inside green scopes). */
const defaultPool = poolFor('default', () => new dns.Resolver());

/** The green module-level functions made here. */
const greenModuleFunctions = new WeakSet<object>();

/**
 * Node's own module-level query functions of `dns` or `dns.promises`. Node binds them to its
 * default resolver and binds new ones to a new default resolver on every `setServers()`, so they
 * are read from the module when needed; while the module holds a green function instead (patched
 * in place), the one Node bound last is used, as recorded by {@link NodeQueries.record}.
 * @example const nodeQueries = new NodeQueries(dns); nodeQueries.current('resolve4', green);
 */
export class NodeQueries {
  private readonly bound = new Map<string, Method>();

  constructor(
    private readonly module: Record<string, unknown>,
    private readonly names: readonly string[],
  ) {
    this.record();
  }

  /** Remembers the module's functions that are Node's (call after Node's `setServers`). */
  record(): void {
    for (const name of this.names) {
      const value = this.module[name];
      if (typeof value === 'function' && !greenModuleFunctions.has(value)) this.bound.set(name, value as Method);
    }
  }

  /** Node's function `name` now. */
  current(name: string): Method {
    const value = this.module[name];
    return typeof value === 'function' && !greenModuleFunctions.has(value) ? (value as Method) : this.bound.get(name)!;
  }

  /** The servers of Node's default resolver, as this module reports them now. */
  servers(): string[] {
    return (this.module.getServers as () => string[])();
  }
}

/** Which form a query method has. @example greenResolverMethod('resolve4', method, 'promise') */
export type QueryForm = 'callback' | 'promise';

/**
 * A green `Resolver.prototype` query method over Node's `method` (see the file comment).
 * @example Resolver.prototype.resolve4 = greenResolverMethod('resolve4', dns.Resolver.prototype.resolve4, 'callback');
 */
export function greenResolverMethod<F extends Method>(name: string, method: F, form: QueryForm): F {
  const what = `dns ${form === 'promise' ? 'promises ' : ''}${name}`;
  const green = function (this: unknown, ...args: unknown[]): unknown {
    if (this === null || typeof this !== 'object') return method.apply(this, args);
    const inScope = hub.ownerScope() !== null;
    if (form === 'promise') return promiseQuery(what, method, sharedLease(this as Channel), args, inScope);
    const index = callbackIndex(name, args);
    if (typeof args[index] !== 'function') return method.apply(this, args);
    return callbackQuery(what, method, sharedLease(this as Channel), args, index, inScope);
  };
  return greenFunction(method, green as F);
}

/**
 * A green module-level query (`dns.resolve4`, `dns.promises.reverse`, ...): Node's own outside
 * green scopes; inside one, Node's resolver `method` run on a private channel asking the same
 * servers.
 * @example export const resolve4 = greenModuleQuery('resolve4', new NodeQueries(dns, ['resolve4']), dns.Resolver.prototype.resolve4, 'callback');
 */
export function greenModuleQuery<F extends Method>(name: string, node: NodeQueries, method: Method, form: QueryForm): F {
  const what = `dns ${form === 'promise' ? 'promises ' : ''}${name}`;
  const green = function (this: unknown, ...args: unknown[]): unknown {
    if (hub.ownerScope() === null) return node.current(name).apply(this, args);
    if (form === 'promise') return promiseQuery(what, method, defaultPool.lease(node.servers()), args, true);
    const index = callbackIndex(name, args);
    if (typeof args[index] !== 'function') return node.current(name).apply(this, args);
    return callbackQuery(what, method, defaultPool.lease(node.servers()), args, index, true);
  };
  greenModuleFunctions.add(green);
  return greenFunction(node.current(name) as F, green as F);
}
