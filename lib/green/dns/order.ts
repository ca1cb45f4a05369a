/**
 * The order of `lookup` results: Node's `ipv4first` and `ipv6first` (a stable partition), and
 * `verbatim`, which for Node means "as getaddrinfo returned them" — sorted by the C library per
 * RFC 6724. The rules that decide real cases are applied here: unusable destinations last (rule
 * 1), destinations whose label matches a local source address first (rule 5), then higher
 * precedence (rule 6), the original order otherwise. So `localhost` with both `::1` and
 * `127.0.0.1` gives `::1` first, and a host with only private IPv6 prefers IPv4.
 */
import { isIP } from 'node:net';
import { normalizeAddress } from './hosts.js';
import { localAddresses, type LocalAddresses } from './local.js';

/** Node's result orders (`dns.setDefaultResultOrder`, `lookup`'s `order`). @example const order: ResultOrder = 'ipv4first'; */
export type ResultOrder = 'ipv4first' | 'ipv6first' | 'verbatim';

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail counts as two groups). */
function groups(address: string): number[] {
  const [head, tail] = normalizeAddress(address.replace(/%.*/, '')).split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16));
}

interface Policy {
  precedence: number;
  label: number;
}

/** RFC 6724's default policy table for an IPv6 destination (not ::1, not IPv4-mapped). */
function policy6(g: number[]): Policy {
  if (g[0] === 0x2002) return { precedence: 30, label: 2 };
  if (g[0] === 0x2001 && g[1] === 0) return { precedence: 5, label: 5 };
  if ((g[0]! & 0xfe00) === 0xfc00) return { precedence: 3, label: 13 };
  if (g.slice(0, 6).every((x) => x === 0)) return { precedence: 1, label: 3 };
  if ((g[0]! & 0xffc0) === 0xfec0) return { precedence: 1, label: 11 };
  if (g[0] === 0x3ffe) return { precedence: 1, label: 12 };
  return { precedence: 40, label: 1 };
}

interface Rank {
  usable: boolean;
  matchesSource: boolean;
  precedence: number;
}

function rank(address: string, local: LocalAddresses): Rank {
  if (isIP(address) === 4) return { usable: address.startsWith('127.') || local.ipv4, matchesSource: true, precedence: 35 };
  const g = groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return { usable: local.ipv4, matchesSource: true, precedence: 35 };
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return { usable: local.ipv6Loopback, matchesSource: true, precedence: 50 };
  if ((g[0]! & 0xffc0) === 0xfe80) return { usable: local.ipv6LinkLocal, matchesSource: true, precedence: 40 };
  const { precedence, label } = policy6(g);
  const matchesSource = local.ipv6Addresses.some((source) => policy6(groups(source)).label === label);
  return { usable: local.ipv6, matchesSource, precedence };
}

/** Sorts destinations as the C library's RFC 6724 sort does in the cases that matter (see above). */
function sortRfc6724(addresses: readonly string[]): string[] {
  const local = localAddresses();
  const ranked = addresses.map((address, index) => ({ address, index, ...rank(address, local) }));
  ranked.sort(
    (a, b) =>
      Number(b.usable) - Number(a.usable) ||
      Number(b.matchesSource) - Number(a.matchesSource) ||
      b.precedence - a.precedence ||
      a.index - b.index,
  );
  return ranked.map((r) => r.address);
}

/**
 * Puts look-up results in Node's `order`: sorted as `getaddrinfo` sorts them, then (unless
 * `verbatim`) one family moved first. IPv4-mapped IPv6 addresses count as IPv6, as Node counts them.
 * @example orderAddresses(['::1', '127.0.0.1'], 'ipv4first') // ['127.0.0.1', '::1']
 */
export function orderAddresses(addresses: readonly string[], order: ResultOrder): string[] {
  const sorted = sortRfc6724(addresses);
  if (order === 'verbatim') return sorted;
  const v4 = sorted.filter((a) => isIP(a) === 4);
  const v6 = sorted.filter((a) => isIP(a) !== 4);
  return order === 'ipv4first' ? [...v4, ...v6] : [...v6, ...v4];
}
