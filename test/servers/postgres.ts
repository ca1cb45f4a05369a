/**
 * A throwaway PostgreSQL server for the tests and the pg benchmark: `initdb` into a temporary
 * folder, then `postgres` on 127.0.0.1 and a free port, its Unix socket in that folder, trust
 * authentication, durability off (nothing in it needs to survive). When we are root both run as
 * the `postgres` user, since PostgreSQL refuses to run as root. Not a test file itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { findExecutable, freePort, isRoot, makeTempDir, removeDir, runToCompletion, ServerProcess, stoppable, userIds, type RunAs } from './child.js';

/** A running throwaway PostgreSQL server. */
export interface Postgres {
  /** Connection string: `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string;
  port: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** From an exit handler: kills the server and removes its folder, synchronously. */
  killNow(): void;
}

/** Debian and Ubuntu keep the server programs out of the PATH, in a folder per major version. */
function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  try {
    return fs
      .readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join(root, v, 'bin'));
  } catch {
    return [];
  }
}

/** Where `initdb` and `postgres` are, or why they cannot be used. @example if ('missing' in findPostgres()) skip(); */
export function findPostgres(): { initdb: string; postgres: string; owner: RunAs | null } | { missing: string } {
  const initdb = findExecutable('initdb', debianBinDirs());
  if (!initdb) return { missing: 'PostgreSQL is not installed (no initdb on the PATH or in /usr/lib/postgresql/*/bin)' };
  const postgres = findExecutable('postgres', [path.dirname(fs.realpathSync(initdb)), ...debianBinDirs()]);
  if (!postgres) return { missing: `PostgreSQL's postgres program was not found next to ${initdb}` };
  if (!isRoot()) return { initdb, postgres, owner: null };
  const owner = userIds('postgres');
  if (!owner) return { missing: 'running as root, and there is no postgres user to run PostgreSQL as' };
  return { initdb, postgres, owner };
}

/** True once a client can connect and run a query. */
async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Settings for a throwaway server: fast, and it notices vanished clients within 100 ms. */
function serverArgs(data: string, dir: string, port: number): string[] {
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: '200',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    client_connection_check_interval: '100ms',
  };
  return ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])];
}

/**
 * Creates a cluster in a new temporary folder and starts a server on it; throws with the reason
 * (and the server's log) when PostgreSQL is missing or does not come up within `seconds`.
 * @example
 * const server = await startPostgres();
 * const pool = new pg.Pool({ connectionString: server.url });
 * // ...
 * await server.stop();
 */
export async function startPostgres(seconds = 30): Promise<Postgres> {
  const found = findPostgres();
  if ('missing' in found) throw new Error(found.missing);
  const dir = makeTempDir('eventlet-pg-', found.owner);
  try {
    const data = path.join(dir, 'data');
    runToCompletion(found.initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], found.owner);
    return await startOn(found.postgres, found.owner, dir, data, seconds);
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

/** Starts the server on a free port, trying another port if that one was taken meanwhile. */
async function startOn(program: string, owner: RunAs | null, dir: string, data: string, seconds: number): Promise<Postgres> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const spec = { label: 'PostgreSQL', command: program, args: serverArgs(data, dir, port), owner, logFile: path.join(dir, 'server.log'), stopSignal: 'SIGINT' as const, killSignal: 'SIGQUIT' as const };
    try {
      const server = await ServerProcess.start(spec, () => answers(url), seconds);
      return handle(server, url, port, dir);
    } catch (err) {
      if (attempt >= 3 || !/could not bind|already in use/i.test(String(err))) throw err;
    }
  }
}

function handle(server: ServerProcess, url: string, port: number, dir: string): Postgres {
  return { url, port, ...stoppable(server, dir) };
}
