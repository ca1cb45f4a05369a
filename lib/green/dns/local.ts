/**
 * The addresses this host has configured, as `getaddrinfo` looks at them for `AI_ADDRCONFIG` and
 * for sorting results (RFC 6724 source addresses). Read from the network interfaces at most once
 * a second.
 */
import { networkInterfaces } from 'node:os';

/** What the host's interfaces offer. @example if (!localAddresses().ipv4) console.log('IPv6 only'); */
export interface LocalAddresses {
  /** An IPv4 address other than 127.0.0.1 is configured (`AI_ADDRCONFIG`'s test). */
  readonly ipv4: boolean;
  /** An IPv6 address that is neither loopback nor link-local is configured. */
  readonly ipv6: boolean;
  /** `::1` is configured. */
  readonly ipv6Loopback: boolean;
  /** A link-local IPv6 address (fe80::/10) is configured. */
  readonly ipv6LinkLocal: boolean;
  /** The IPv6 addresses that are neither loopback nor link-local. */
  readonly ipv6Addresses: readonly string[];
}

const isLinkLocal6 = (address: string): boolean => /^fe[89ab]/i.test(address);

function scan(): LocalAddresses {
  let ipv4 = false;
  let ipv6Loopback = false;
  let ipv6LinkLocal = false;
  const ipv6Addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const { family, address } of entries ?? []) {
      if (family === 'IPv4') ipv4 ||= address !== '127.0.0.1';
      else if (address === '::1') ipv6Loopback = true;
      else if (isLinkLocal6(address)) ipv6LinkLocal = true;
      else ipv6Addresses.push(address);
    }
  }
  return { ipv4, ipv6: ipv6Addresses.length > 0, ipv6Loopback, ipv6LinkLocal, ipv6Addresses };
}

let cached: LocalAddresses | null = null;
let scannedAt = -Infinity;

/**
 * The host's configured addresses, current to within a second.
 * @example if (localAddresses().ipv6) console.log('this host has IPv6');
 */
export function localAddresses(): LocalAddresses {
  const now = performance.now();
  if (cached === null || now - scannedAt >= 1000) {
    cached = scan();
    scannedAt = now;
  }
  return cached;
}
