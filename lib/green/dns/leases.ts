/**
 * c-ares channels lent to one operation at a time, so that an interrupted operation can be
 * cancelled without touching anyone else's queries (`resolver.cancel()` cancels every query of a
 * channel).
 *
 * - A **pooled lease** borrows a private `Resolver` pointed at the servers Node's own resolver
 *   uses at that moment; it can always be cancelled, and goes back to a small pool afterwards.
 * - A **shared lease** runs on a resolver the user made; it is cancelled only while it is the
 *   only query in flight on that resolver (counted across every call made through green methods),
 *   otherwise the query is left to end on its own and its answer is dropped.
 */

/** What green DNS needs of a `dns.Resolver` or `dns.promises.Resolver`. @example const channel: Channel = new dns.Resolver(); */
export interface Channel {
  cancel(): void;
  getServers(): string[];
  setServers(servers: readonly string[]): void;
}

/** A channel lent to one operation. @example const lease = pool.lease(servers); try { ... } finally { lease.release(); } */
export interface Lease<R extends Channel = Channel> {
  /** The resolver to run the operation's queries on. */
  readonly resolver: R;
  /** Cancels the operation's queries, when that hurts no other query; later calls do nothing. */
  cancel(): void;
  /** The operation's queries have all called back: the lease ends. Idempotent. */
  release(): void;
}

/** How many queries are in flight on each user resolver. */
const inFlight = new WeakMap<object, number>();

/**
 * Lends a user's resolver to one query.
 * @example const lease = sharedLease(resolver); resolver.resolve4(name, (err, a) => { lease.release(); ... });
 */
export function sharedLease<R extends Channel>(resolver: R): Lease<R> {
  inFlight.set(resolver, (inFlight.get(resolver) ?? 0) + 1);
  let released = false;
  return {
    resolver,
    cancel() {
      if (!released && inFlight.get(resolver) === 1) resolver.cancel();
    },
    release() {
      if (released) return;
      released = true;
      inFlight.set(resolver, inFlight.get(resolver)! - 1);
    },
  };
}

const sameServers = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Private resolvers made by `create`, lent one operation at a time; at most `size` idle ones kept.
 * @example
 * const pool = new ResolverPool(() => new dns.Resolver());
 * const lease = pool.lease(dns.getServers());
 */
export class ResolverPool<R extends Channel> {
  private readonly idle: R[] = [];

  constructor(
    private readonly create: () => R,
    private readonly size = 4,
  ) {}

  /** Lends a resolver asking `servers` (as `getServers()` lists them). */
  lease(servers: readonly string[]): Lease<R> {
    const resolver = this.idle.pop() ?? this.create();
    if (!sameServers(resolver.getServers(), servers)) resolver.setServers(servers);
    let released = false;
    return {
      resolver,
      cancel: () => {
        if (!released) resolver.cancel();
      },
      release: () => {
        if (released) return;
        released = true;
        if (this.idle.length < this.size) this.idle.push(resolver);
      },
    };
  }
}

/** Pools by a key (resolver class and options), made on first use. */
const pools = new Map<string, ResolverPool<Channel>>();

/**
 * The pool for `key`, made with `create` the first time.
 * @example poolFor('lookup 5000/2', () => new dns.Resolver({ timeout: 5000, tries: 2 }))
 */
export function poolFor<R extends Channel>(key: string, create: () => R): ResolverPool<R> {
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new ResolverPool<Channel>(create)));
  return pool as ResolverPool<R>;
}
