/**
 * Workload: HTTP throughput of examples/http-cluster.js with 2 workers against 1 worker. The
 * cluster runs in its own processes; this process is the load generator: 50 keep-alive requests
 * in flight to `/` (a green thread per request in the worker), n requests in all. Reports requests
 * per second. Recorded, no goal: on this 2-core machine the load generator shares the cores with
 * the workers, so a second worker can only take what the client leaves.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { runIfMain, type Workload } from './harness.js';
import { get } from './http-keepalive.js';

const CONCURRENCY = 50;
const EXAMPLE = fileURLToPath(new URL('../../examples/http-cluster.js', import.meta.url));

/** Starts the example with `workers` workers; resolves with its process and port once all listen. */
async function startCluster(workers: number): Promise<{ cluster: ChildProcessWithoutNullStreams; port: number }> {
  const cluster = spawn(process.execPath, [EXAMPLE, '0', String(workers)]);
  let output = '';
  cluster.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  cluster.stdout.setEncoding('utf8');
  for (;;) {
    const match = /workers on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
    if (match) return { cluster, port: Number(match[1]) };
    const [chunk] = (await Promise.race([once(cluster.stdout, 'data'), once(cluster, 'exit').then(() => [null])])) as [string | null];
    if (chunk === null) throw new Error(`http-cluster exited before listening:\n${output}`);
    output += chunk;
  }
}

/** Requests per second from 50 clients in flight, n requests in all, against `workers` workers. */
async function throughput(workers: number, n: number): Promise<number> {
  const { cluster, port } = await startCluster(workers);
  // one agent per client: each keeps its own connection, which cluster or the kernel gives to a worker
  const agents = Array.from({ length: CONCURRENCY }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let issued = 0;
  const client = async (agent: http.Agent): Promise<void> => {
    while (issued < n) {
      issued++;
      await get(http, agent, port);
    }
  };
  try {
    const start = process.hrtime.bigint();
    await Promise.all(agents.map(client));
    return n / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    for (const agent of agents) agent.destroy();
    const exited = once(cluster, 'exit');
    cluster.kill('SIGTERM');
    await exited;
  }
}

export const workload: Workload = {
  id: 'http-cluster',
  title: 'http-cluster req/s, 50 keep-alive clients',
  unit: 'req/s',
  n: 20_000,
  warmup: 0,
  maxReps: 3,
  variants: {
    two: (n) => throughput(2, n),
    one: (n) => throughput(1, n),
  },
  comparisons: [{ ours: 'two', baseline: 'one', label: '1 worker', higherIsBetter: true }],
  note: 'http-cluster: examples/http-cluster.js (a green thread per request) with 2 workers vs 1; 50 keep-alive clients in this process, 20k GET / in all. Recorded, no goal: the load generator shares the 2 cores with the workers.',
};

await runIfMain(import.meta.url, workload);
