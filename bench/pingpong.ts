/**
 * Workload 2: two green threads taking turns with `sleep(0)`, n switches in all (n/2 each),
 * against two async functions taking turns with `await new Promise(r => setImmediate(r))`:
 * once each run in its own AsyncLocalStorage context (as green threads always are: the package
 * keeps its store enabled, which on Node 20/22 makes every await dearer), once without.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { immediate, loadEventlet, nsPerOp, runIfMain, type Workload } from './harness.js';

async function immediates(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await immediate();
}

export const workload: Workload = {
  id: 'pingpong',
  title: 'sleep(0) ping-pong, 2 threads',
  unit: 'ns/op',
  n: 200_000,
  warmup: 20_000,
  variants: {
    async ours(n) {
      const { spawn, sleep } = await loadEventlet();
      const body = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await sleep(0);
      };
      return nsPerOp(n, async () => {
        const a = spawn(body, n / 2);
        const b = spawn(body, n / 2);
        await a.wait();
        await b.wait();
      });
    },
    async immediateAls(n) {
      const als = new AsyncLocalStorage<{ id: number }>();
      return nsPerOp(n, () => Promise.all([als.run({ id: 1 }, immediates, n / 2), als.run({ id: 2 }, immediates, n / 2)]));
    },
    async immediate(n) {
      return nsPerOp(n, () => Promise.all([immediates(n / 2), immediates(n / 2)]));
    },
  },
  comparisons: [
    { ours: 'ours', baseline: 'immediateAls', label: 'setImmediate per await, in als.run', goal: 1.0 },
    { ours: 'ours', baseline: 'immediate', label: 'setImmediate per await, no ALS', goal: 1.1 },
  ],
  note:
    'pingpong: a switch is one Point and one promise, and one setImmediate per hub turn (both threads\' points share a batch). Profiled (Node 24, 1M switches): the hub\'s clock reading, Date.now(), is the largest own cost of a park (4.4% of samples; 110-430 ns per call on this VM under load, ~40 ns idle), taken when a thread parks outside a hub turn, i.e. in the microtasks after it. ' +
    'Tried and dropped: ending the turn\'s moment in a reaction to a settled promise, so those parks need no reading: a promise reaction costs 0.6-0.9 µs on Node 24 and ~2 µs on Node 20 with the package\'s async hooks, more than the clock reading it saves.',
};

await runIfMain(import.meta.url, workload);
