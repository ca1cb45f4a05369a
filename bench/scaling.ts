/**
 * Workload: how the cost of a green thread scales with the number of threads alive. With 10k,
 * 100k and 1M green threads parked on one Event, the variant reports the heap per parked thread
 * (after a full GC, as the memory workload measures it) and, as an extra, the cost of one
 * `sleep(0)` switch between two other threads while all of them stay parked. The baseline
 * variants do the same with async functions parked in `als.run` and two of them taking turns
 * with `await setImmediate`: V8's young-generation collections get dearer as the old generation
 * grows, whoever fills it, so "flat" is judged against them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { heapAfterGc, immediate, loadEventlet, runIfMain, type Measured, type Workload } from './harness.js';

/** Switches timed per variant (two threads taking turns with `sleep(0)`). */
const SWITCHES = 200_000;

/** A variant that parks `count` threads, then measures memory per thread and a switch's cost. */
function parked(count: number): (n: number) => Promise<Measured> {
  return async (n) => {
    const { Event, spawn, sleep } = await loadEventlet();
    const event = new Event<number>();
    const waiter = async (): Promise<number | undefined> => await event.wait();
    const threads = new Array(count);
    const before = heapAfterGc();
    for (let i = 0; i < count; i++) threads[i] = spawn(waiter);
    await sleep(0); // every thread has started and parked
    await sleep(0); // and the hub's bookkeeping has moved them to the long-lived list
    const after = heapAfterGc();
    if (threads[count - 1].state !== 'parked') throw new Error(`scaling: last thread is ${threads[count - 1].state}, not parked`);
    const switchNs = await timeSwitches(spawn, sleep, n);
    event.send(1);
    for (let i = 0; i < count; i++) await threads[i].wait();
    return { value: (after - before) / count, extra: { 'sleep(0)': switchNs } };
  };
}

/** Nanoseconds per `sleep(0)` switch of two threads taking turns, `switches` in all. */
async function timeSwitches(spawn: typeof import('../lib/index.js').spawn, sleep: typeof import('../lib/index.js').sleep, switches: number): Promise<number> {
  const body = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) await sleep(0);
  };
  const start = process.hrtime.bigint();
  const a = spawn(body, switches / 2);
  const b = spawn(body, switches / 2);
  await a.wait();
  await b.wait();
  return Number(process.hrtime.bigint() - start) / switches;
}

/** The baseline of {@link parked}: `count` async functions parked in `als.run`, switches by setImmediate. */
function alsParked(count: number): (n: number) => Promise<Measured> {
  return async (n) => {
    const als = new AsyncLocalStorage<{ id: number }>();
    const resolvers: Array<(value: number) => void> = [];
    const waiter = async (): Promise<number> => await new Promise<number>((resolve) => resolvers.push(resolve));
    const promises = new Array(count);
    const before = heapAfterGc();
    for (let i = 0; i < count; i++) promises[i] = als.run({ id: i }, waiter);
    await immediate();
    const after = heapAfterGc();
    const body = async (switches: number): Promise<void> => {
      for (let i = 0; i < switches; i++) await immediate();
    };
    const start = process.hrtime.bigint();
    await Promise.all([als.run({ id: -1 }, body, n / 2), als.run({ id: -2 }, body, n / 2)]);
    const switchNs = Number(process.hrtime.bigint() - start) / n;
    for (const resolve of resolvers.splice(0)) resolve(1);
    for (let i = 0; i < count; i++) await promises[i];
    return { value: (after - before) / count, extra: { switch: switchNs } };
  };
}

export const workload: Workload = {
  id: 'scaling',
  title: 'parked threads: 10k, 100k, 1M',
  unit: 'B/op',
  n: SWITCHES,
  warmup: 0,
  extraUnit: 'ns/op',
  maxReps: 3,
  variants: {
    parked10k: parked(10_000),
    parked100k: parked(100_000),
    parked1M: parked(1_000_000),
    alsParked10k: alsParked(10_000),
    alsParked1M: alsParked(1_000_000),
  },
  comparisons: [
    { ours: 'parked100k', baseline: 'parked10k', label: 'heap per thread, 100k vs 10k parked', goal: 1.1 },
    { ours: 'parked1M', baseline: 'parked10k', label: 'heap per thread, 1M vs 10k parked', goal: 1.1 },
    { ours: 'parked10k sleep(0)', baseline: 'alsParked10k switch', label: 'sleep(0) vs setImmediate switch, 10k parked' },
    { ours: 'parked1M sleep(0)', baseline: 'alsParked1M switch', label: 'sleep(0) vs setImmediate switch, 1M parked' },
    { ours: 'parked1M sleep(0)', baseline: 'parked10k sleep(0)', label: 'sleep(0) switch, 1M vs 10k parked (info)' },
    { ours: 'alsParked1M switch', baseline: 'alsParked10k switch', label: 'baseline switch, 1M vs 10k parked (info)' },
  ],
  note: 'scaling: heap per parked green thread (B) with 10k, 100k and 1M parked on one Event; the "sleep(0)" extras (ns) are one switch of two other threads while they all stay parked (the hub never walks parked threads). Baseline: async functions parked in als.run, switching with setImmediate. Both switches get dearer with 1M parked: V8\'s scavenges take longer as the old generation grows (--trace-gc: ~0.4 ms each with 10k parked, ~5 ms with 1M, for ours and the baseline alike), so flatness is the last two rows staying alike. At most 3 repetitions.',
};

await runIfMain(import.meta.url, workload);
