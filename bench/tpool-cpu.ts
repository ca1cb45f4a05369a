/**
 * Workload: n CPU-bound tasks (a recursive fib(30), ~10 ms each) run with `tpool.execute` from n green
 * threads at once, against the same function called n times inline on the main thread. The pool
 * has its default size, one thread per core; it is started by the warm-up run, so the measured run
 * pays no worker start-up. Reports ns per task; ratio = tpool / inline, so on 2 cores the goal of
 * a 1.8× speed-up is a ratio <= 0.56.
 */
import { loadEventlet, nsPerOp, runIfMain, type Workload } from './harness.js';

/** The CPU-bound task: self-contained, as tpool sends it as source. */
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The argument that makes one task take roughly 10 ms on this machine (unloaded). */
const FIB_N = 30;

export const workload: Workload = {
  id: 'tpool-cpu',
  title: 'CPU-bound tasks, fib(30) each',
  unit: 'ns/op',
  n: 60,
  warmup: 8,
  maxReps: 5,
  variants: {
    async tpool(n) {
      const { spawn, tpool } = await loadEventlet();
      // the pool stays up between the warm-up and the measured run (an idle pool lets the process exit)
      return nsPerOp(n, async () => {
        const threads = Array.from({ length: n }, () => spawn(() => tpool.execute(fib, FIB_N)));
        for (const thread of threads) await thread.wait();
      });
    },
    async inline(n) {
      return nsPerOp(n, async () => {
        for (let i = 0; i < n; i++) fib(FIB_N);
      });
    },
  },
  comparisons: [{ ours: 'tpool', baseline: 'inline', label: 'the same calls inline on the main thread', goal: 0.56 }],
  note: 'tpool-cpu: 60 fib(30) tasks (~10 ms each) on tpool (default size: one thread per core) vs called inline one after another. Goal: ratio <= 0.56, i.e. >= 1.8x faster on 2 cores.',
};

await runIfMain(import.meta.url, workload);
