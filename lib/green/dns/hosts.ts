/**
 * The hosts file, as the C library's `files` source reads it: one address per line followed by
 * its canonical name and aliases, `#` starting a comment, names matched without regard to case.
 */
import { isIP } from 'node:net';
import { CachedFile, dnsFiles } from './files.js';

/** One address of a host name. @example { address: '127.0.0.1', family: 4 } */
export interface HostAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A parsed hosts file. @example parseHosts(text).byName.get('localhost') */
export interface HostsTable {
  /** Addresses by lower-cased name, in file order, without repeats. */
  readonly byName: ReadonlyMap<string, readonly HostAddress[]>;
  /** The canonical name (first name of the first line) by normalized address. */
  readonly byAddress: ReadonlyMap<string, string>;
}

/**
 * The form an address is compared in: IPv6 compressed and lower-cased, IPv4 as written.
 * @example normalizeAddress('0:0:0:0:0:0:0:1') // '::1'
 */
export function normalizeAddress(address: string): string {
  if (isIP(address) !== 6 || address.includes('%')) return address.toLowerCase();
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function addName(byName: Map<string, HostAddress[]>, name: string, entry: HostAddress): void {
  const key = name.toLowerCase();
  const list = byName.get(key) ?? [];
  if (!list.some((known) => known.address === entry.address)) list.push(entry);
  byName.set(key, list);
}

/**
 * Parses the text of a hosts file; lines whose first field is not an IP address are skipped.
 * @example parseHosts('127.0.0.1 localhost\n').byName.get('localhost') // [{ address: '127.0.0.1', family: 4 }]
 */
export function parseHosts(text: string): HostsTable {
  const byName = new Map<string, HostAddress[]>();
  const byAddress = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = isIP(address ?? '');
    if (!address || names.length === 0 || family === 0) continue;
    const entry: HostAddress = { address, family: family as 4 | 6 };
    for (const name of names) addName(byName, name, entry);
    const key = normalizeAddress(address);
    if (!byAddress.has(key)) byAddress.set(key, names[0]!);
  }
  return { byName, byAddress };
}

const hostsFile = new CachedFile(() => dnsFiles.hosts, parseHosts);

/**
 * The addresses the hosts file gives `name` (any case), in file order; empty when it has none.
 * @example hostsAddresses('localhost') // [{ address: '127.0.0.1', family: 4 }]
 */
export function hostsAddresses(name: string): readonly HostAddress[] {
  return hostsFile.get().byName.get(name.toLowerCase()) ?? [];
}

/**
 * The name the hosts file gives `address`, or `undefined`.
 * @example hostsName('127.0.0.1') // 'localhost'
 */
export function hostsName(address: string): string | undefined {
  return hostsFile.get().byAddress.get(normalizeAddress(address));
}
