/**
 * The system files green DNS reads instead of calling `getaddrinfo` (hosts, resolv.conf, services),
 * each parsed once and re-read when it changes. Reads are synchronous on purpose: they take
 * microseconds on the event loop, whereas `fs` callbacks would queue behind the libuv thread
 * pool, the very wait green DNS avoids.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the files are and how often a change is looked for. Tests and unusual systems may point
 * them elsewhere; a new path is read at the next look-up.
 * @example dnsFiles.hosts = '/tmp/test-hosts'; dnsFiles.recheckSeconds = 0;
 */
export const dnsFiles = {
  /** The hosts file (`/etc/hosts`; `%SystemRoot%\System32\drivers\etc\hosts` on Windows). */
  hosts: process.platform === 'win32' ? join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts') : '/etc/hosts',
  /** The resolver configuration: `search`, `domain` and `options` lines. */
  resolvConf: '/etc/resolv.conf',
  /** The services database, for `lookupService`'s service names. */
  services: '/etc/services',
  /** Seconds between two checks of a file's modification time. */
  recheckSeconds: 1,
};

/** The identity of a file's contents: when any part changes, the file is read again. */
function stamp(path: string): string {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : 'missing';
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return ''; // a missing or unreadable file counts as empty, as the C library treats it
  }
}

/**
 * A system file parsed on first use and re-parsed when its path, size or modification time
 * changes; the modification time is looked at no more than once per `dnsFiles.recheckSeconds`.
 * @example
 * const hosts = new CachedFile(() => dnsFiles.hosts, parseHosts);
 * hosts.get().byName.get('localhost');
 */
export class CachedFile<T> {
  private path = '';
  private stamp = '';
  private checkedAt = -Infinity;
  private value: T | undefined = undefined;

  constructor(
    private readonly pathOf: () => string,
    private readonly parse: (text: string) => T,
  ) {}

  /** The parsed contents, current to within `dnsFiles.recheckSeconds`. */
  get(): T {
    const path = this.pathOf();
    const now = performance.now();
    if (this.value !== undefined && path === this.path && now - this.checkedAt < dnsFiles.recheckSeconds * 1000) return this.value;
    this.checkedAt = now;
    const current = stamp(path);
    if (this.value === undefined || path !== this.path || current !== this.stamp) {
      this.value = this.parse(readText(path));
      this.path = path;
      this.stamp = current;
    }
    return this.value;
  }
}
