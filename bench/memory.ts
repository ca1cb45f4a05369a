/**
 * Workload 5: heap per parked waiter. n green threads parked on one Event, against n plain async
 * functions (no AsyncLocalStorage) parked on one shared promise. Both keep the n handles (the
 * GreenThreads, the async functions' promises) in a preallocated array. Heap used is read after a
 * full GC before starting them and once all are parked; the figure is the delta per waiter.
 * The goal's baseline gives each async function its own AsyncLocalStorage context and its own
 * promise, the least a killable waiter needs; the shared-promise variant is shown for scale.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { heapAfterGc, immediate, loadEventlet, runIfMain, type Workload } from './harness.js';

export const workload: Workload = {
  id: 'memory',
  title: '100k waiters parked on one event',
  unit: 'B/op',
  n: 100_000,
  warmup: 2_000,
  variants: {
    async ours(n) {
      const { Event, spawn, sleep } = await loadEventlet();
      const event = new Event<number>();
      const waiter = async (): Promise<number | undefined> => await event.wait();
      const threads = new Array(n);
      const before = heapAfterGc();
      for (let i = 0; i < n; i++) threads[i] = spawn(waiter);
      await sleep(0); // every thread has started and parked
      const after = heapAfterGc();
      if (threads[n - 1].state !== 'parked') throw new Error(`memory: last thread is ${threads[n - 1].state}, not parked`);
      event.send(1);
      for (let i = 0; i < n; i++) await threads[i].wait();
      return (after - before) / n;
    },
    async promise(n) {
      let release!: (value: number) => void;
      const shared = new Promise<number>((resolve) => (release = resolve));
      const waiter = async (): Promise<number> => await shared;
      const promises = new Array(n);
      const before = heapAfterGc();
      for (let i = 0; i < n; i++) promises[i] = waiter();
      await immediate();
      const after = heapAfterGc();
      release(1);
      for (let i = 0; i < n; i++) await promises[i];
      return (after - before) / n;
    },
    async alsPromise(n) {
      // for scale: what a thread-like waiter costs with nothing of this package — a context of
      // its own (als.run) and a promise of its own in a shared waiter list
      const als = new AsyncLocalStorage<{ id: number }>();
      const resolvers: Array<(value: number) => void> = [];
      const waiter = async (): Promise<number> => await new Promise<number>((resolve) => resolvers.push(resolve));
      const promises = new Array(n);
      const before = heapAfterGc();
      for (let i = 0; i < n; i++) promises[i] = als.run({ id: i }, waiter);
      await immediate();
      const after = heapAfterGc();
      for (const resolve of resolvers.splice(0)) resolve(1);
      for (let i = 0; i < n; i++) await promises[i];
      return (after - before) / n;
    },
  },
  comparisons: [
    { ours: 'ours', baseline: 'alsPromise', label: 'async fn in als.run, own promise', goal: 1.2 },
    { ours: 'ours', baseline: 'promise', label: 'async fn awaiting a shared promise (info)' },
  ],
  note:
    'memory: heap snapshots of 20k parked threads (Node 24) against 20k async functions parked in als.run: both hold the async function (generator 88 B, registers), its context frame (32 B + its table), the awaited promise and its resolvers. ' +
    'What a green thread adds: the GreenThread object 168 B (248 before this round), its Point 96 B, the promise and reaction that follow the end of its body 96 B, the reject function the point keeps 56 B, about 450 B in all; Node 20 adds 72 B per promise for the async-hook ids (4 promises vs 3). ' +
    'Cut this round: 48 B of rarely used scope state (made on first use), 32 B of flags folded into one status number and, on Node 24, the per-thread context frame and the two closures that followed the body (~150 B).',
};

await runIfMain(import.meta.url, workload);
