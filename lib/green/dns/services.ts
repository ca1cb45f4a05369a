/**
 * The services database (`/etc/services`): the service name `lookupService` reports for a TCP
 * port, as `getnameinfo` does (the port number itself when the database has no name for it).
 */
import { CachedFile, dnsFiles } from './files.js';

/**
 * Parses the services database into TCP port → first service name.
 * @example parseServices('ssh 22/tcp\n').get(22) // 'ssh'
 */
export function parseServices(text: string): ReadonlyMap<number, string> {
  const byPort = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const [name, portProtocol] = line.replace(/#.*/, '').trim().split(/\s+/);
    const match = /^(\d+)\/tcp$/i.exec(portProtocol ?? '');
    if (!name || !match) continue;
    const port = Number(match[1]);
    if (!byPort.has(port)) byPort.set(port, name);
  }
  return byPort;
}

const servicesFile = new CachedFile(() => dnsFiles.services, parseServices);

/**
 * The service name of a TCP port, or the port as a decimal string.
 * @example serviceName(22) // 'ssh'; serviceName(54321) // '54321'
 */
export function serviceName(port: number): string {
  return servicesFile.get().get(port) ?? String(port);
}
