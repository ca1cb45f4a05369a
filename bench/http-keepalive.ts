/**
 * Workload 7: an `http` server and a keep-alive client in one process, 50 requests in flight,
 * n requests in all. `patched` applies `monkeyPatch()` first and issues the requests from 50
 * green threads of a GreenPool; `unpatched` runs the same client from 50 plain async functions
 * without loading the package. Reports requests per second (higher is better).
 */
import type { Agent } from 'node:http';
import { cpuSecondsSince, loadEventlet, runIfMain, type Measured, type Workload } from './harness.js';

const CONCURRENCY = 50;

type Http = typeof import('node:http');

/**
 * One GET over the keep-alive agent, body drained.
 * @example await get(http, new http.Agent({ keepAlive: true }), 8080);
 */
export function get(http: Http, agent: Agent, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.on('error', reject);
      res.on('end', resolve);
      res.resume();
    });
    req.on('error', reject);
  });
}

/** How many requests (the first ones) have the green thread their handler runs in checked. */
const CHECKED_REQUESTS = 100;

/**
 * Starts the server and the agent, runs `drive(worker)` and returns requests per second, with the
 * requests per second of this process's CPU time (`per CPU-second`, see {@link cpuSecondsSince}).
 * With `currentThread` (the package's `getCurrent`), checks that the first requests' handlers
 * ran in connection threads, so the patched variant never measures without them.
 */
async function serve(n: number, drive: (worker: () => Promise<void>) => Promise<void>, currentThread?: () => { name?: string }): Promise<Measured> {
  const http = await import('node:http');
  const handlerThreads: Array<string | undefined> = [];
  const server = http.createServer((_req, res) => {
    if (currentThread !== undefined && handlerThreads.length < CHECKED_REQUESTS) handlerThreads.push(currentThread().name);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < n) {
      issued++;
      await get(http, agent, port);
    }
  };
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await drive(worker);
  const cpuSeconds = cpuSecondsSince(cpu);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (currentThread !== undefined) expectConnectionThreads(handlerThreads);
  return { value: n / seconds, extra: { 'per CPU-second': n / cpuSeconds } };
}

/** Throws unless every handler ran in a connection thread (named `connection <peer>`). */
function expectConnectionThreads(names: Array<string | undefined>): void {
  const outside = names.findIndex((name) => name?.startsWith('connection ') !== true);
  if (names.length === 0 || outside !== -1) {
    throw new Error(`http-keepalive: a request handler ran in ${names.length === 0 ? 'no checked thread' : names[outside] ?? 'an unnamed thread'}, not in its connection's green thread`);
  }
}

export const workload: Workload = {
  id: 'http-keepalive',
  title: 'http keep-alive, 50 in flight',
  unit: 'req/s',
  n: 20_000,
  warmup: 2_000,
  variants: {
    async patched(n) {
      const { monkeyPatch, GreenPool, getCurrent } = await loadEventlet();
      monkeyPatch();
      const drive = async (worker: () => Promise<void>): Promise<void> => {
        const pool = new GreenPool(CONCURRENCY);
        for (let i = 0; i < CONCURRENCY; i++) await pool.spawn(worker);
        await pool.waitall();
      };
      return serve(n, drive, getCurrent);
    },
    async unpatched(n) {
      return serve(n, async (worker) => {
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      });
    },
  },
  comparisons: [{ ours: 'patched', baseline: 'unpatched', label: 'unpatched, async fns', goal: 0.97, higherIsBetter: true }],
  note: [
    'http-keepalive: server and client in one process; patched = monkeyPatch() + requests from 50 green threads (GreenPool), unpatched = the same client in 50 async functions. Ratio = patched rate / unpatched rate; "per CPU-second" = requests per second of the process\'s CPU time (steadier under other load). Patched runs with connection threads: every request handler runs in its connection\'s green thread (50 threads, one per keep-alive socket; the variant checks the first 100 handlers and fails otherwise).',
    'Profile (--cpu-prof, 20k requests): Node 20 — any AsyncLocalStorage enabled costs ~10% CPU per request on its own (unpatched with one store entered: 93-100 vs 81-93 µs/request here), since each request makes 22 nextTicks and dozens of promises, each running its init hook; that alone keeps Node 20 below 0.9. Package code was 4.7-5.7% of busy time; hot spots: the guarded emit copying the listener list and arguments on every socket event (~0.3 µs an event; now it reads _events as Node\'s emit does, ~0.02 µs) and the WeakRef each request is tracked by (connection-thread requestStarted, 0.6-1 µs; hooking the request\'s _destroy instead measured no cheaper, so it stays). Left: the in-flight claim of each client request (claim/adopt/release ~1%), that WeakRef (~1%), one AsyncLocalStorage.run per data chunk on the client side (runUnowned, ~250 ns on Node 24). The server\'s connection thread now enters its scope per chunk through a resource made once in it (hub.reenter: ~25 ns on Node 24 instead of ~250 ns).',
  ].join('\n'),
};

await runIfMain(import.meta.url, workload);
