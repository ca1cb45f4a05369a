/**
 * The database servers the real-client suites talk to, as a mocha root hook plugin (loaded by
 * `.mocharc.json`'s `require`): before the run it starts a throwaway PostgreSQL and Redis when
 * their programs are installed, and stops them (removing their folders) after it — also when the
 * run is interrupted (Ctrl-C, SIGTERM) or mocha exits early. The connection strings go into
 * `EVENTLET_TEST_PG_URL` and `EVENTLET_TEST_REDIS_URL`, so fixture programs started by the tests
 * see them too; set either yourself to use a server of your own instead.
 *
 * A suite calls `await needServers(this, 'postgres')` in its `before`: where a server is missing
 * it is skipped with a plain message, unless `CI` is set, where that is a failure.
 */
import type { Context } from 'mocha';
import { startPostgres, findPostgres } from './servers/postgres.js';
import { startRedis, findRedis } from './servers/redis.js';

/** The servers the suites can ask for. */
export type ServerName = 'postgres' | 'redis';

interface Running {
  stop(): Promise<void>;
  killNow(): void;
}

const servers: Record<ServerName, { label: string; env: string; install: string; find: () => object; start: () => Promise<{ url: string } & Running> }> = {
  postgres: { label: 'PostgreSQL', env: 'EVENTLET_TEST_PG_URL', install: 'apt-get install postgresql', find: findPostgres, start: startPostgres },
  redis: { label: 'Redis', env: 'EVENTLET_TEST_REDIS_URL', install: 'apt-get install redis-server', find: findRedis, start: startRedis },
};

const NAMES = Object.keys(servers) as ServerName[];

/** Why a server is not available: not installed (`missing`), or it failed to start. */
const unavailable = new Map<ServerName, { missing: boolean; message: string }>();
const running = new Set<Running>();
let starting: Promise<void> | null = null;

/** The connection string of a server that is up, or undefined. @example new pg.Pool({ connectionString: serverUrl('postgres') }) */
export function serverUrl(name: ServerName): string | undefined {
  return process.env[servers[name].env] || undefined;
}

/** Starts every installed server that no `EVENTLET_TEST_*_URL` points to already. Runs once. @example await startServers(); */
export function startServers(): Promise<void> {
  starting ??= Promise.all(NAMES.map(startOne)).then(() => undefined);
  return starting;
}

async function startOne(name: ServerName): Promise<void> {
  const server = servers[name];
  if (serverUrl(name)) return;
  const found = server.find();
  if ('missing' in found) {
    unavailable.set(name, { missing: true, message: String(found.missing) });
    return;
  }
  try {
    const started = await server.start();
    running.add(started);
    watchExit();
    process.env[server.env] = started.url;
  } catch (err) {
    unavailable.set(name, { missing: false, message: `${server.label} could not be started: ${(err as Error).message}` });
  }
}

/** Stops the servers this process started and removes their folders. @example await stopServers(); */
export async function stopServers(): Promise<void> {
  await starting?.catch(() => {});
  const stopping = [...running].map(async (server) => {
    running.delete(server);
    await server.stop();
  });
  await Promise.all(stopping);
  for (const name of NAMES) delete process.env[servers[name].env];
  starting = null;
}

/**
 * In a suite's `before`: resolves when the named servers are up; otherwise skips the suite with
 * a plain message, or, when `CI` is set, fails it with the reason.
 * @example
 * before(async function () { await needServers(this, 'postgres', 'redis'); });
 */
export async function needServers(context: Context, ...names: ServerName[]): Promise<void> {
  await startServers();
  const problems = names.filter((name) => !serverUrl(name)).map((name) => unavailable.get(name)?.message ?? `${servers[name].label} is not available`);
  if (problems.length === 0) return;
  if (process.env.CI) throw new Error(`CI is set, so this suite must run: ${problems.join('; ')}`);
  context.skip();
}

/** Tells the user plainly which suites are skipped, and why. */
function reportUnavailable(): void {
  for (const [name, { missing, message }] of unavailable) {
    const hint = missing ? ` (install it, e.g. \`${servers[name].install}\`, to run them)` : '';
    console.log(`  note: ${message}: the suites that need ${servers[name].label} ${process.env.CI ? 'will FAIL (CI is set)' : `are skipped${hint}`}.`);
  }
}

let exitWatched = false;

/** Kills what is still running if the process exits or is interrupted before `stopServers`. */
function watchExit(): void {
  if (exitWatched) return;
  exitWatched = true;
  const killAll = (): void => {
    for (const server of running) server.killNow();
    running.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Die of the signal, as if we had not listened, unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** The root hooks mocha runs once around the whole run. @example // .mocharc.json: "require": ["dist/test/servers.js"] */
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    this.timeout(60_000);
    await startServers();
    reportUnavailable();
  },
  async afterAll(this: Context): Promise<void> {
    this.timeout(30_000);
    await stopServers();
  },
};
