/**
 * Workload 4: a producer and a consumer green thread passing n items through Queue(100),
 * against the same pair of async functions (each in its own AsyncLocalStorage context) passing
 * them through a minimal promise channel of the same shape: bounded to 100, `put`/`get` return
 * promises, waiters served first-in first-out, a waiter woken by resolving its promise directly
 * (a microtask, no event-loop turn).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadEventlet, nsPerOp, runIfMain, type Workload } from './harness.js';

const CAPACITY = 100;

/** The baseline: a bounded FIFO channel built from plain promises. */
export class PromiseChannel<T> {
  private readonly items: T[] = [];
  private readonly getters: Array<(item: T) => void> = [];
  private readonly putters: Array<{ item: T; resolve: () => void }> = [];

  constructor(private readonly capacity: number) {}

  put(item: T): Promise<void> {
    const getter = this.getters.shift();
    if (getter) {
      getter(item);
      return Promise.resolve();
    }
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.putters.push({ item, resolve }));
  }

  get(): Promise<T> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      const putter = this.putters.shift();
      if (putter) {
        this.items.push(putter.item);
        putter.resolve();
      }
      return Promise.resolve(item);
    }
    const putter = this.putters.shift();
    if (putter) {
      putter.resolve();
      return Promise.resolve(putter.item);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }
}

export const workload: Workload = {
  id: 'queue',
  title: 'Queue(100) put/get, 200k items',
  unit: 'ns/op',
  n: 200_000,
  warmup: 20_000,
  variants: {
    async ours(n) {
      const { Queue, spawn } = await loadEventlet();
      return nsPerOp(n, async () => {
        const queue = new Queue<number>(CAPACITY);
        const producer = spawn(async () => {
          for (let i = 0; i < n; i++) await queue.put(i);
        });
        const consumer = spawn(async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += await queue.get();
          return sum;
        });
        await producer.wait();
        return consumer.wait();
      });
    },
    async channelAls(n) {
      const als = new AsyncLocalStorage<{ id: number }>();
      return nsPerOp(n, async () => {
        const channel = new PromiseChannel<number>(CAPACITY);
        const producer = als.run({ id: 1 }, async () => {
          for (let i = 0; i < n; i++) await channel.put(i);
        });
        const consumer = als.run({ id: 2 }, async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += await channel.get();
          return sum;
        });
        await producer;
        return consumer;
      });
    },
  },
  comparisons: [{ ours: 'ours', baseline: 'channelAls', label: 'promise channel(100), in als.run' }],
  note: 'queue baseline: a minimal bounded FIFO channel of plain promises (bench/queue.ts PromiseChannel), waiters resolved directly (microtask hand-off); producer and consumer each in als.run.',
};

await runIfMain(import.meta.url, workload);
