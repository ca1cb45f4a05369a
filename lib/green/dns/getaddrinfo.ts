/**
 * What `getaddrinfo` and `getnameinfo` do for Node, done without the libuv thread pool: the hosts
 * file first, `localhost` always answered locally (RFC 6761), then the configured name servers
 * asked through c-ares with resolv.conf's search list, `ndots`, `timeout` and `attempts`.
 * Every query of one look-up runs on one private c-ares channel, so cancelling it (the `signal`)
 * cancels exactly that look-up.
 */
import dns from 'node:dns';
import { gaiError, gaiFromQueryError, type GaiError } from './errors.js';
import { hostsAddresses, hostsName } from './hosts.js';
import { poolFor, type Lease } from './leases.js';
import { localAddresses } from './local.js';
import { orderAddresses, type ResultOrder } from './order.js';
import { candidateNames, resolverConfig } from './resolvconf.js';
import { serviceName } from './services.js';

/** Node's own pieces, captured before anything is patched. */
const NativeResolver = dns.Resolver;
const nativeQuery = {
  resolve4: dns.Resolver.prototype.resolve4,
  resolve6: dns.Resolver.prototype.resolve6,
  reverse: dns.Resolver.prototype.reverse,
};
const { ADDRCONFIG, V4MAPPED, ALL } = dns;

/** A parsed `lookup` call. @example { hostname: 'db', family: 0, hints: dns.ADDRCONFIG, order: 'verbatim' } */
export interface AddressRequest {
  readonly hostname: string;
  /** 0 (any), 4 or 6. */
  readonly family: number;
  /** `dns.ADDRCONFIG`, `dns.V4MAPPED`, `dns.ALL`. */
  readonly hints: number;
  readonly order: ResultOrder;
}

/** The addresses `getaddrinfo` would pick from the IPv4 and IPv6 ones known for a name. */
function pick(v4: readonly string[], v6: readonly string[], family: number, hints: number, both: readonly string[]): string[] {
  if (family === 4) return [...v4];
  if (family !== 6) return [...both];
  if (!(hints & V4MAPPED) || (v6.length > 0 && !(hints & ALL))) return [...v6];
  return [...v6, ...v4.map((address) => `::ffff:${address}`)];
}

/** The family actually asked for once `AI_ADDRCONFIG` is applied, as the C library applies it. */
function addrconfigFamily({ hostname, family, hints }: AddressRequest): number {
  if (!(hints & ADDRCONFIG)) return family;
  const { ipv4, ipv6 } = localAddresses();
  if (family === 0) return ipv4 === ipv6 ? 0 : ipv4 ? 4 : 6;
  if ((family === 4 && !ipv4) || (family === 6 && !ipv6)) throw gaiError('EAI_NONAME', 'getaddrinfo', hostname);
  return family;
}

const isLocalhost = (name: string): boolean => /^localhost\.?$/i.test(name);

/**
 * The answer known without asking a server: the hosts file's, or loopback for a `localhost` the
 * hosts file does not list at all. A hosts file that lists `localhost` is the whole answer, as
 * in the C library: with only `127.0.0.1 localhost`, an IPv6 look-up finds nothing.
 */
function localAnswer(hostname: string, family: number, hints: number): string[] {
  const entries = hostsAddresses(hostname);
  const v4 = entries.filter((e) => e.family === 4).map((e) => e.address);
  const v6 = entries.filter((e) => e.family === 6).map((e) => e.address);
  const fromHosts = pick(v4, v6, family, hints, entries.map((e) => e.address));
  if (entries.length > 0 || !isLocalhost(hostname)) return fromHosts;
  return pick(['127.0.0.1'], ['::1'], family, hints, ['::1', '127.0.0.1']);
}

/** True for a name that is an address in the C library's own shorthand (`127.1`, `0x7f.1`, `2130706433`). */
export function isNumericShorthand(hostname: string): boolean {
  return /^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$/i.test(hostname);
}

/** Runs one c-ares query on the lease's channel; never rejects. */
function query(lease: Lease, method: keyof typeof nativeQuery, name: string): Promise<PromiseSettledResult<string[]>> {
  return new Promise((resolve) => {
    try {
      nativeQuery[method].call(lease.resolver as dns.Resolver, name, (err: Error | null, answer: string[]) =>
        resolve(err ? { status: 'rejected', reason: err } : { status: 'fulfilled', value: answer }),
      );
    } catch (err) {
      resolve({ status: 'rejected', reason: err });
    }
  });
}

/** What asking the servers about one candidate name gave. */
type NameAnswer = { addresses: string[] } | { gai: GaiError; searchOn: boolean };

const answered = (result: PromiseSettledResult<string[]> | undefined): string[] => (result?.status === 'fulfilled' ? result.value : []);

/**
 * Whether, after this failure, the next search domain is tried: yes after "no such name",
 * "no data" and a server failure, as the C library does; no after a time-out or a refusal.
 */
function failure(results: readonly PromiseSettledResult<string[]>[]): NameAnswer {
  const errors = results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }) : null)).filter((e) => e !== null);
  const cancelled = errors.find((e) => e?.code === 'ECANCELLED');
  if (cancelled) throw cancelled;
  const outcomes = errors.map((e) => ({ gai: gaiFromQueryError(e), servfail: e?.code === 'ESERVFAIL' }));
  for (const gai of ['EAI_NONAME', 'EAI_NODATA'] as const) if (outcomes.some((o) => o.gai === gai)) return { gai, searchOn: true };
  if (outcomes.some((o) => o.gai === 'EAI_FAIL')) return { gai: 'EAI_FAIL', searchOn: false };
  return { gai: 'EAI_AGAIN', searchOn: outcomes.every((o) => o.servfail) };
}

/** Asks for the A and/or AAAA records of one name, in parallel on one channel. */
async function askName(lease: Lease, name: string, family: number, hints: number): Promise<NameAnswer> {
  const wantV4 = family !== 6 || (hints & V4MAPPED) !== 0;
  const wantV6 = family !== 4;
  const [a, aaaa] = await Promise.all([wantV4 ? query(lease, 'resolve4', name) : undefined, wantV6 ? query(lease, 'resolve6', name) : undefined]);
  const v4 = answered(a);
  const v6 = answered(aaaa);
  const addresses = pick(v4, v6, family, hints, [...v4, ...v6]);
  if (addresses.length > 0) return { addresses };
  return failure([a, aaaa].filter((r) => r !== undefined));
}

/**
 * The private channel for look-ups, with resolv.conf's timeout and attempts, asking the servers
 * of Node's default resolver now (read from the module: `setServers` gives Node a new default
 * resolver and rebinds `getServers`).
 */
function leaseChannel(): Lease {
  const { timeout, attempts } = resolverConfig();
  const pool = poolFor(`getaddrinfo ${timeout}/${attempts}`, () => new NativeResolver({ timeout: timeout * 1000, tries: attempts }));
  return pool.lease(dns.getServers());
}

/** Runs `work` on a leased channel that `signal` cancels; the lease ends when `work` has. */
async function withChannel<T>(signal: AbortSignal | undefined, work: (lease: Lease) => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const lease = leaseChannel();
  const cancel = (): void => lease.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await work(lease);
  } finally {
    signal?.removeEventListener('abort', cancel);
    lease.release();
  }
}

/**
 * Asks the servers about each candidate name in turn, as `res_search` does; gives the addresses,
 * or the C library's verdict when no name had any.
 */
async function searchNames(lease: Lease, request: AddressRequest, family: number, signal: AbortSignal | undefined): Promise<string[] | GaiError> {
  let last: GaiError = 'EAI_NONAME';
  let nodata = false;
  for (const name of candidateNames(request.hostname, resolverConfig())) {
    signal?.throwIfAborted();
    const result = await askName(lease, name, family, request.hints);
    if ('addresses' in result) return result.addresses;
    last = result.gai;
    nodata ||= result.gai === 'EAI_NODATA';
    if (!result.searchOn) return last;
  }
  return last === 'EAI_NONAME' && nodata ? 'EAI_NODATA' : last;
}

async function askServers(request: AddressRequest, family: number, signal: AbortSignal | undefined): Promise<string[]> {
  const outcome = await withChannel(signal, (lease) => searchNames(lease, request, family, signal));
  if (typeof outcome === 'string') throw gaiError(outcome, 'getaddrinfo', request.hostname);
  return outcome;
}

/**
 * The addresses `getaddrinfo` gives for a look-up, in Node's result order. Rejects with Node's
 * `getaddrinfo` error (ENOTFOUND, EAI_AGAIN, EAI_FAIL), or with the signal's reason.
 * @example await getaddrinfo({ hostname: 'localhost', family: 0, hints: 0, order: 'verbatim' }) // ['127.0.0.1']
 */
export async function getaddrinfo(request: AddressRequest, signal?: AbortSignal): Promise<string[]> {
  const family = addrconfigFamily(request);
  const local = localAnswer(request.hostname, family, request.hints);
  const addresses = local.length > 0 ? local : await askServers(request, family, signal);
  return orderAddresses(addresses, request.order);
}

/** The name of `address`: the hosts file's, `localhost` for loopback, or a PTR query's first. */
async function nameOf(address: string, signal: AbortSignal | undefined): Promise<string> {
  const known = hostsName(address) ?? (address === '127.0.0.1' || address === '::1' ? 'localhost' : undefined);
  if (known !== undefined) return known;
  const result = await withChannel(signal, async (lease) => query(lease, 'reverse', address));
  if (result.status === 'fulfilled' && result.value.length > 0) return result.value[0]!;
  const err = result.status === 'rejected' ? (result.reason as { code?: string }) : null;
  if (err?.code === 'ECANCELLED') throw err;
  throw gaiError(gaiFromQueryError(err) === 'EAI_AGAIN' ? 'EAI_AGAIN' : 'EAI_NONAME', 'getnameinfo', address);
}

/**
 * What `getnameinfo` gives for an address and TCP port: the host's name (hosts file, then a PTR
 * query) and the service's (services database, else the port number). Rejects with Node's
 * `getnameinfo` error (ENOTFOUND, EAI_AGAIN), or with the signal's reason.
 * @example await getnameinfo('127.0.0.1', 22) // { hostname: 'localhost', service: 'ssh' }
 */
export async function getnameinfo(address: string, port: number, signal?: AbortSignal): Promise<{ hostname: string; service: string }> {
  const hostname = await nameOf(address, signal);
  return { hostname, service: serviceName(port) };
}
