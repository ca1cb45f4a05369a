/**
 * Workload: how late a green `sleep(0.01)` wakes up while tpool keeps every worker busy with
 * CPU-bound tasks (one per worker, restarted as each ends), against the same sleeps with nothing
 * else running. Reports the p99 lateness in ms (p50 as an extra). Goal: p99 < 5 ms, i.e. the
 * event loop stays responsive while the work runs on the other threads.
 */
import { loadEventlet, runIfMain, type Measured, type Workload } from './harness.js';

/** One tpool task: ~50 ms of CPU. Self-contained, as tpool sends it as source. */
function burn(ms: number): number {
  const end = Date.now() + ms;
  let spins = 0;
  while (Date.now() < end) spins++;
  return spins;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sleeps 10 ms `n` times in a green thread; resolves with the p99 (p50 extra) lateness in ms. */
async function lateness(n: number): Promise<Measured> {
  const { sleep } = await loadEventlet();
  const late: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await sleep(0.01);
    late.push(performance.now() - start - 10);
  }
  late.sort((a, b) => a - b);
  return { value: percentile(late, 99), extra: { p50: percentile(late, 50) } };
}

export const workload: Workload = {
  id: 'tpool-responsive',
  title: 'sleep(0.01) lateness, tpool busy',
  unit: 'ms',
  n: 300,
  warmup: 20,
  maxReps: 3,
  variants: {
    async busy(n) {
      const { spawn, tpool, GreenletExit } = await loadEventlet();
      const size = Number(process.env.EVENTLET_THREADPOOL_SIZE) || (await import('node:os')).availableParallelism();
      let done = 0;
      const keepBusy = async (): Promise<void> => {
        for (;;) {
          await tpool.execute(burn, 50);
          done++;
        }
      };
      const workers = Array.from({ length: size }, () => spawn(keepBusy));
      await tpool.execute(burn, 1); // the pool is up before the clock starts
      const measured = await lateness(n);
      await Promise.all(workers.map((w) => w.kill(new GreenletExit())));
      await tpool.killall();
      if (done === 0) throw new Error('tpool-responsive: no task finished while measuring');
      return measured;
    },
    async idle(n) {
      return lateness(n);
    },
  },
  comparisons: [{ ours: 'busy', baseline: 'idle', label: 'the same sleeps with tpool idle', oursBelow: 5 }],
  note: 'tpool-responsive: 300 green sleep(0.01) while every tpool worker (one per core) burns CPU in 50 ms tasks, restarted as they end; p99 lateness. Goal: busy p99 < 5 ms; ratio = busy p99 / idle p99.',
};

await runIfMain(import.meta.url, workload);
