/**
 * Workload 6: `dns.lookup('localhost')` while the four libuv pool threads are busy (four
 * `crypto.pbkdf2` jobs, each restarted when it ends, so the pool stays full for the whole run).
 * Node's own lookup calls getaddrinfo on that pool and waits for a free thread; the green one
 * (dist/lib/green/dns.js) answers from /etc/hosts and the resolver without the pool. Reports the
 * p50 latency (p99 as an extra); a name from /etc/hosts besides localhost is looked up too.
 *
 * Sample counts are small on purpose: Node's baseline takes up to a pbkdf2 job per lookup, so it
 * takes 5 samples per name, the green variant 200 (`n` is the green count; Node's is n / 40).
 */
import crypto from 'node:crypto';
import nodeDns from 'node:dns';
import { readFileSync } from 'node:fs';
import { runIfMain, type Measured, type Workload } from './harness.js';

type Lookup = (host: string, callback: (err: Error | null, address: string) => void) => void;

/** How long one pbkdf2 job should keep its pool thread, in ms. */
const JOB_MS = 1000;

/** Keeps the four pool threads busy until the returned function is called. */
function occupyPool(): () => void {
  let stopped = false;
  const start = Date.now();
  crypto.pbkdf2Sync('x', 'y', 20_000, 32, 'sha512');
  const iterations = Math.max(20_000, Math.round((20_000 * JOB_MS) / Math.max(1, Date.now() - start)));
  const job = (): void => {
    if (!stopped) crypto.pbkdf2('x', 'y', iterations, 32, 'sha512', job);
  };
  for (let i = 0; i < 4; i++) job();
  return () => {
    stopped = true;
  };
}

/** The first name in /etc/hosts other than localhost, if any. */
function hostsName(): string | null {
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
      const name = names.find((n) => n && !n.startsWith('localhost') && !n.startsWith('ip6-'));
      if (name) return name;
    }
  } catch {
    // no hosts file: localhost only
  }
  return null;
}

function lookupMs(lookup: Lookup, host: string): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    lookup(host, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - start) / 1e6)));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Looks up localhost (and the hosts-file name) `count` times each with the pool busy. */
async function measure(lookup: Lookup, count: number): Promise<Measured> {
  const other = hostsName();
  await lookupMs(lookup, 'localhost'); // warm-up, pool still free
  const stop = occupyPool();
  try {
    await new Promise((resolve) => setTimeout(resolve, 50)); // the jobs have taken the threads
    const extra: Record<string, number> = {};
    const local: number[] = [];
    for (let i = 0; i < count; i++) local.push(await lookupMs(lookup, 'localhost'));
    local.sort((a, b) => a - b);
    extra.p99 = percentile(local, 99);
    if (other) {
      const named: number[] = [];
      for (let i = 0; i < count; i++) named.push(await lookupMs(lookup, other));
      named.sort((a, b) => a - b);
      extra[`${other} p50`] = percentile(named, 50);
    }
    return { value: percentile(local, 50), extra };
  } finally {
    stop();
  }
}

export const workload: Workload = {
  id: 'dns',
  title: 'dns.lookup(localhost), pool busy',
  unit: 'ms',
  n: 200,
  warmup: 0,
  maxReps: 3,
  variants: {
    async green(n) {
      const greenDns = await import('../lib/green/dns.js');
      return measure(greenDns.lookup as unknown as Lookup, n);
    },
    async node(n) {
      return measure(nodeDns.lookup as unknown as Lookup, Math.max(1, Math.round(n / 40)));
    },
  },
  comparisons: [{ ours: 'green', baseline: 'node', label: "Node's dns.lookup, p50", oursBelow: 10 }],
  note: 'dns: four pbkdf2 jobs (~1 s each, restarted) keep the libuv pool busy; p50 of 200 green look-ups vs 5 of Node\'s (each waits for a pool thread), at most 3 repetitions. Goal: green p50 < 10 ms; ratio = green p50 / node p50.',
};

await runIfMain(import.meta.url, workload);
