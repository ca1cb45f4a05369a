// Queues (lib/queue.ts): LightQueue, Queue, PriorityQueue, LifoQueue, Empty, Full.
// Reference: DESIGN.md §3 "Queues and events", eventlet-behaviour.md §3 and checklist #47-#71.
// We serve waiting getters and putters first-in first-out on purpose, so order is asserted.
import { expect } from 'chai';
import { inspect } from 'node:util';
import {
  Empty,
  Full,
  GreenletExit,
  LifoQueue,
  LightQueue,
  PriorityQueue,
  Queue,
  Timeout,
  sleep,
  spawn,
  withTimeout,
  type GreenThread,
} from '../lib/index.js';
import { EARLY_MS, liveTimers, rejectionOf, timed, timerBaseline, witness } from './support.js';

/** Runs `fn` in a plain Node callback outside any green thread (eventlet's "hub context"). */
function fromRawCallback<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    }),
  );
}

describe('queue', function () {
  describe('maxsize', function () {
    it('is unbounded for undefined, null, a negative size or Infinity, so put never waits (#68)', async function () {
      for (const size of [undefined, null, -1, -100, Infinity]) {
        const q = new Queue<number>(size);
        expect(q.maxsize, `maxsize ${String(size)}`).to.equal(null);
        for (let i = 0; i < 50; i++) await q.put(i);
        expect(q.qsize()).to.equal(50);
        expect(q.full()).to.equal(false);
      }
    });

    it('makes Queue(0) a channel that is both empty and full, with qsize 0 (#68)', function () {
      const q = new Queue(0);
      expect(q.maxsize).to.equal(0);
      expect(q.empty()).to.equal(true);
      expect(q.full()).to.equal(true);
      expect(q.qsize()).to.equal(0);
    });

    it('bounds Queue(n): empty and not full at first, full at n items (#68)', function () {
      const q = new Queue<string>(2);
      expect(q.maxsize).to.equal(2);
      expect(q.empty()).to.equal(true);
      expect(q.full()).to.equal(false);
      q.putNowait('a');
      expect(q.empty()).to.equal(false);
      expect(q.full()).to.equal(false);
      q.putNowait('b');
      expect(q.full()).to.equal(true);
      expect(() => q.putNowait('c')).to.throw(Full);
      expect(q.qsize()).to.equal(2);
    });

    it('truncates a fractional size like int()', function () {
      expect(new Queue(2.9).maxsize).to.equal(2);
    });
  });

  describe('put and get', function () {
    it('returns what was put (#47)', async function () {
      const q = new Queue<string>();
      await q.put('hi');
      expect(await q.get()).to.equal('hi');
    });

    it('returns items first-in first-out', async function () {
      const q = new LightQueue<number>();
      for (const n of [3, 1, 2]) q.putNowait(n);
      expect([await q.get(), await q.get(), await q.get()]).to.deep.equal([3, 1, 2]);
    });

    it('hands an item to a getter spawned before the put (#48)', async function () {
      const q = new Queue<string>();
      const getter = spawn(() => withTimeout(0.1, () => q.get()));
      await sleep(0);
      await q.put('hi2');
      expect(await getter.wait()).to.equal('hi2');
    });

    it('takes the item of a putter spawned before the get (#55)', async function () {
      const q = new Queue<string>(0);
      const putter = spawn(async () => {
        await q.put('sent');
        return 'put done';
      });
      expect(await q.get()).to.equal('sent');
      expect(await putter.wait()).to.equal('put done');
    });

    it('does not yield on an unbounded put or on a get with items stored (#71)', async function () {
      const q = new Queue<number>();
      const other = witness();
      await q.put(1);
      await q.put(2);
      expect(await q.get()).to.equal(1);
      expect(other.ran()).to.equal(false);
      await sleep(0);
      expect(other.ran()).to.equal(true);
    });

    it('does not yield inside a green thread either (#71)', async function () {
      const q = new Queue<number>(5);
      const thread = spawn(async () => {
        const other = witness();
        await q.put(1);
        const item = await q.get();
        return [item, other.ran()];
      });
      expect(await thread.wait()).to.deep.equal([1, false]);
    });

    it('does not yield when putting to a waiting getter; the getter resumes on the next hub turn', async function () {
      const q = new Queue<string>();
      const log: string[] = [];
      spawn(async () => {
        log.push(`got ${await q.get()}`);
      });
      await sleep(0);
      expect(q.getting()).to.equal(1);
      await q.put('x');
      log.push('put returned');
      expect(log).to.deep.equal(['put returned']);
      await sleep(0);
      expect(log).to.deep.equal(['put returned', 'got x']);
      expect(q.getting()).to.equal(0);
    });

    it('lets a thread that puts and then gets take its own item back before a parked getter', async function () {
      const q = new Queue<string>();
      const getter = spawn(() => q.get());
      await sleep(0);
      await q.put('mine');
      expect(await q.get()).to.equal('mine');
      await sleep(0);
      expect(q.getting()).to.equal(1);
      await q.put('theirs');
      expect(await getter.wait()).to.equal('theirs');
    });

    it('reports getting() as 1 while a getter is parked and 0 once it is served (#58)', async function () {
      const q = new Queue<string>();
      expect(q.getting()).to.equal(0);
      const getter = spawn(() => q.get());
      await sleep(0);
      expect(q.getting()).to.equal(1);
      q.putNowait('x');
      expect(await getter.wait()).to.equal('x');
      expect(q.getting()).to.equal(0);
    });

    it('serves waiting getters first-in first-out (#53)', async function () {
      const q = new Queue<number>();
      const getters = [0, 1, 2, 3].map(() => spawn(() => q.get()));
      await sleep(0);
      expect(q.getting()).to.equal(4);
      for (const n of [10, 11, 12, 13]) await q.put(n);
      const results = await Promise.all(getters.map((g) => g.wait()));
      expect(results).to.deep.equal([10, 11, 12, 13]);
    });

    it('serves waiting putters first-in first-out', async function () {
      const q = new Queue<string>(1);
      q.putNowait('first');
      const putters = ['a', 'b', 'c'].map((item) => spawn(() => q.put(item)));
      await sleep(0);
      expect(q.putting()).to.equal(3);
      const got: string[] = [];
      for (let i = 0; i < 4; i++) got.push(await q.get());
      expect(got).to.deep.equal(['first', 'a', 'b', 'c']);
      await Promise.all(putters.map((p) => p.wait()));
      expect(q.putting()).to.equal(0);
    });

    it('lets a bounded putter in only as slots free up (#49)', async function () {
      const q = new Queue<string>(2);
      const putter = spawn(async () => {
        for (const item of ['a', 'b', 'c']) await q.put(item);
        return 'all put';
      });
      await sleep(0);
      await sleep(0);
      expect(q.qsize()).to.equal(2);
      expect(q.putting()).to.equal(1);
      expect(await q.get()).to.equal('a');
      await sleep(0);
      expect(q.qsize()).to.equal(2);
      expect(q.putting()).to.equal(0);
      expect(await putter.wait()).to.equal('all put');
      expect([await q.get(), await q.get()]).to.deep.equal(['b', 'c']);
    });
  });

  describe('timeouts and block = false', function () {
    it('rejects get with Empty once the timeout has elapsed, not before (#68)', async function () {
      const q = new Queue<string>();
      const result = await timed(() => q.get(true, 0.05));
      expect(result.error).to.be.instanceOf(Empty);
      expect(result.ms).to.be.at.least(50 - EARLY_MS);
      expect(result.ms).to.be.below(2000);
      expect(q.getting()).to.equal(0);
    });

    it('rejects a put to a full queue with Full once the timeout has elapsed, leaving the queue as it was', async function () {
      const q = new Queue<string>(1);
      q.putNowait('kept');
      const result = await timed(() => q.put('dropped', true, 0.05));
      expect(result.error).to.be.instanceOf(Full);
      expect(result.ms).to.be.at.least(50 - EARLY_MS);
      expect(result.ms).to.be.below(2000);
      expect(q.putting()).to.equal(0);
      expect(q.qsize()).to.equal(1);
      expect(q.getNowait()).to.equal('kept');
      expect(q.unfinishedTasks).to.equal(1);
    });

    it('rejects a channel put with no getter with Full after its timeout; getNowait throws Empty (#62)', async function () {
      const q = new Queue<string>(0);
      expect(await rejectionOf(q.put('hi', true, 0.001))).to.be.instanceOf(Full);
      expect(() => q.getNowait()).to.throw(Empty);
      expect(q.putting()).to.equal(0);
    });

    it('waits for ever when the timeout is null', async function () {
      const q = new Queue<string>();
      const timersBefore = await timerBaseline();
      const getter = spawn(() => q.get(true, null));
      await sleep(0);
      expect(q.getting()).to.equal(1);
      expect(liveTimers()).to.equal(timersBefore);
      await sleep(0.02);
      expect(q.getting()).to.equal(1);
      q.putNowait('late');
      expect(await getter.wait()).to.equal('late');
    });

    it('rejects get(false) on an empty queue with Empty at once, ignoring the timeout (#68)', async function () {
      const q = new Queue<string>();
      const timersBefore = await timerBaseline();
      const result = timed(() => q.get(false, 5));
      expect(liveTimers()).to.equal(timersBefore);
      const { ms, error } = await result;
      expect(error).to.be.instanceOf(Empty);
      expect(ms).to.be.below(100);
      expect(q.getting()).to.equal(0);
    });

    it('rejects put(item, false) on a full queue with no getter with Full at once, ignoring the timeout', async function () {
      const q = new Queue<string>(1);
      q.putNowait('a');
      const { ms, error } = await timed(() => q.put('b', false, 5));
      expect(error).to.be.instanceOf(Full);
      expect(ms).to.be.below(100);
      expect(q.qsize()).to.equal(1);
      expect(q.putting()).to.equal(0);
    });

    it('gets and puts with block = false when they can', async function () {
      const q = new Queue<string>(1);
      await q.put('a', false);
      expect(await q.get(false)).to.equal('a');
    });

    it('hands put(item, false) on a channel to a waiting getter', async function () {
      const q = new Queue<string>(0);
      const getter = spawn(() => q.get());
      await sleep(0);
      await q.put('direct', false);
      expect(q.getting()).to.equal(0);
      expect(await getter.wait()).to.equal('direct');
    });

    it('takes a waiting putter item with get(false) on a channel', async function () {
      const q = new Queue<string>(0);
      const putter = spawn(() => q.put('offered'));
      await sleep(0);
      expect(await q.get(false)).to.equal('offered');
      await putter.wait();
      expect(q.putting()).to.equal(0);
    });

    it('makes putNowait and getNowait throw Full and Empty synchronously', function () {
      const q = new Queue<number>(1);
      q.putNowait(1);
      expect(() => q.putNowait(2)).to.throw(Full, 'queue is full');
      expect(q.getNowait()).to.equal(1);
      expect(() => q.getNowait()).to.throw(Empty, 'queue is empty');
    });

    it('makes Empty and Full Error subclasses with their own names', function () {
      expect(new Empty()).to.be.instanceOf(Error);
      expect(new Empty().name).to.equal('Empty');
      expect(new Full()).to.be.instanceOf(Error);
      expect(new Full().name).to.equal('Full');
    });
  });

  describe('interrupted waiters', function () {
    it('removes a killed getter so it never swallows the next item', async function () {
      const q = new Queue<string>();
      const victim = spawn(() => q.get());
      const survivor = spawn(() => q.get());
      await sleep(0);
      expect(q.getting()).to.equal(2);
      await victim.kill();
      expect(q.getting()).to.equal(1);
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
      await q.put('item');
      expect(await survivor.wait()).to.equal('item');
    });

    it('leaves an item put in the same turn to the next getter when the parked getter is killed', async function () {
      const q = new Queue<string>();
      const victim = spawn(() => q.get());
      await sleep(0);
      q.putNowait('x');
      await victim.kill();
      await sleep(0);
      expect(q.getNowait()).to.equal('x');
    });

    it('removes a getter whose withTimeout expired, and its timer (#57)', async function () {
      const q = new Queue<string>();
      const timersBefore = await timerBaseline();
      for (let i = 0; i < 2; i++) {
        const value = await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => q.get(true, 5));
        expect(value).to.equal('gave up');
      }
      expect(q.getting()).to.equal(0);
      expect(liveTimers()).to.equal(timersBefore);
      q.putNowait('item');
      expect(await q.get()).to.equal('item');
    });

    it('lets a getter stopped by a Timeout report it; later puts and gets still round-trip (#54)', async function () {
      class TimedOut extends Error {}
      const q = new Queue<string>();
      const getter = spawn(async () => {
        const timeout = new Timeout(0, TimedOut);
        try {
          return await q.get();
        } catch (err) {
          return err instanceof TimedOut ? 'timed out' : err;
        } finally {
          timeout.cancel();
        }
      });
      expect(await getter.wait()).to.equal('timed out');
      expect(q.getting()).to.equal(0);
      await q.put('hi');
      expect(await q.get()).to.equal('hi');
    });

    it('gives the item to the live getter when another getter dies waiting (#56)', async function () {
      const q = new Queue<string>();
      const dying = spawn(() => withTimeout({ seconds: 0.01, timeoutValue: 'timed out' }, () => q.get()));
      const live = spawn(() => q.get());
      expect(await dying.wait()).to.equal('timed out');
      await q.put('hi');
      expect(await live.wait()).to.equal('hi');
    });

    it('clears the timer of a killed getter that had a timeout and restores getting()', async function () {
      const q = new Queue<string>();
      const timersBefore = await timerBaseline();
      const getter = spawn(() => q.get(true, 30));
      await sleep(0);
      expect(liveTimers()).to.equal(timersBefore + 1);
      await getter.kill();
      expect(q.getting()).to.equal(0);
      expect(liveTimers()).to.equal(timersBefore);
    });

    it('drops the item of a killed putter, clears its timer and restores putting()', async function () {
      const q = new Queue<string>(1);
      q.putNowait('a');
      const timersBefore = await timerBaseline();
      const putter = spawn(() => q.put('never', true, 30));
      await sleep(0);
      expect(q.putting()).to.equal(1);
      expect(liveTimers()).to.equal(timersBefore + 1);
      await putter.kill();
      expect(q.putting()).to.equal(0);
      expect(liveTimers()).to.equal(timersBefore);
      expect(q.getNowait()).to.equal('a');
      await sleep(0);
      expect(q.qsize()).to.equal(0);
      expect(q.unfinishedTasks).to.equal(1);
    });

    it('drops the item of a channel putter whose withTimeout expired', async function () {
      const q = new Queue<string>(0);
      const value = await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => q.put('never'));
      expect(value).to.equal('gave up');
      expect(q.putting()).to.equal(0);
      expect(() => q.getNowait()).to.throw(Empty);
    });
  });

  describe('channel (Queue(0))', function () {
    it("does not complete a sender's put until a receiver gets (#50)", async function () {
      const q = new Queue<string>(0);
      const log: string[] = [];
      const sender = spawn(async () => {
        await q.put('hi');
        log.push('sent');
      });
      await sleep(0);
      await sleep(0);
      expect(log).to.deep.equal([]);
      expect(q.putting()).to.equal(1);
      expect(await q.get()).to.equal('hi');
      await sender.wait();
      expect(log).to.deep.equal(['sent']);
    });

    it('hands a channel put to a waiting getter in order (#59)', async function () {
      const q = new Queue<string>(0);
      const events: string[] = [];
      const consumer = spawn(async () => {
        events.push(await q.get());
        events.push(await q.get());
      });
      events.push('sending');
      await q.put('hello');
      events.push('sent hello');
      await q.put('world');
      events.push('sent world');
      expect(events).to.deep.equal(['sending', 'hello', 'sent hello', 'world', 'sent world']);
      await consumer.wait();
    });

    it("delivers to a waiting getter before the putter resumes, which needs one more yield (#60)", async function () {
      const q = new Queue<string>(0);
      const events: string[] = [];
      const producer = spawn(async () => {
        events.push('sending hello');
        await q.put('hello');
        events.push('sending world');
        await q.put('world');
        events.push('sent world');
      });
      events.push('waiting');
      events.push(await q.get());
      events.push(await q.get());
      expect(events).to.deep.equal(['waiting', 'sending hello', 'hello', 'sending world', 'world']);
      await sleep(0);
      expect(events).to.deep.equal(['waiting', 'sending hello', 'hello', 'sending world', 'world', 'sent world']);
      await producer.wait();
    });

    it('pairs three getters with three putters (#61)', async function () {
      const q = new Queue<number>(0);
      const getters = [0, 1, 2].map(() => spawn(() => q.get()));
      await sleep(0);
      const putters = [1, 2, 3].map((n) => spawn(() => q.put(n)));
      await Promise.all(putters.map((p) => p.wait()));
      expect(q.getting()).to.equal(0);
      expect(q.putting()).to.equal(0);
      expect(await Promise.all(getters.map((g) => g.wait()))).to.deep.equal([1, 2, 3]);
    });

    it('counts an item handed to a getter as an unfinished task; join on an empty queue returns at once (#63)', async function () {
      const q = new Queue<string>(0);
      const getter = spawn(() => q.get());
      await sleep(0);
      await q.put('X', false);
      expect(await getter.wait()).to.equal('X');
      expect(q.unfinishedTasks).to.equal(1);
      q.taskDone();
      expect(q.unfinishedTasks).to.equal(0);
      const other = witness();
      await q.join();
      expect(other.ran()).to.equal(false);
    });

    it('delivers ten puts to the ten live getters in order while ten killed getters get nothing (#64)', async function () {
      const q = new Queue<number>(0);
      const good: GreenThread<number>[] = [];
      const bad: GreenThread<number>[] = [];
      for (let i = 0; i < 10; i++) {
        bad.push(spawn(() => q.get()));
        good.push(spawn(() => q.get()));
      }
      await sleep(0);
      expect(q.getting()).to.equal(20);
      await Promise.all(bad.map((thread) => thread.kill(new GreenletExit('scheduled exception'))));
      expect(q.getting()).to.equal(10);
      for (let i = 0; i < 10; i++) await q.put(i);
      expect(await Promise.all(good.map((g) => g.wait()))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('swaps with a parked putter or getter from a plain Node callback, staying empty and full (#66)', async function () {
      const q = new Queue<number>(0);
      const putter = spawn(async () => {
        await q.put(5);
        return 'putter done';
      });
      await sleep(0);
      const got = await fromRawCallback(() => {
        const states = [q.empty(), q.full()];
        const item = q.getNowait();
        return { item, states: [...states, q.empty(), q.full()] };
      });
      expect(got).to.deep.equal({ item: 5, states: [true, true, true, true] });
      expect(await putter.wait()).to.equal('putter done');

      const getter = spawn(() => q.get());
      await sleep(0);
      const states = await fromRawCallback(() => {
        q.putNowait(10);
        return [q.empty(), q.full()];
      });
      expect(states).to.deep.equal([true, true]);
      expect(await getter.wait()).to.equal(10);
    });
  });

  describe('from a plain Node callback', function () {
    it('lets putNowait on Queue(1) succeed once then throw Full, and getNowait return the item then throw Empty (#65)', async function () {
      const q = new Queue<number>(1);
      const outcome = await fromRawCallback(() => {
        q.putNowait(4);
        const secondPut = (() => {
          try {
            q.putNowait(5);
            return 'stored';
          } catch (err) {
            return err;
          }
        })();
        const first = q.getNowait();
        const secondGet = (() => {
          try {
            return q.getNowait();
          } catch (err) {
            return err;
          }
        })();
        return { secondPut, first, secondGet };
      });
      expect(outcome.secondPut).to.be.instanceOf(Full);
      expect(outcome.first).to.equal(4);
      expect(outcome.secondGet).to.be.instanceOf(Empty);
    });
  });

  describe('resize', function () {
    it('lets a blocked channel sender complete after resize(1) and a yield (#51)', async function () {
      const q = new Queue<string>(0);
      const sender = spawn(async () => {
        await q.put('hi');
        return 'sent';
      });
      await sleep(0);
      expect(q.putting()).to.equal(1);
      q.resize(1);
      expect(q.maxsize).to.equal(1);
      await sleep(0);
      expect(await sender.wait()).to.equal('sent');
      expect(q.qsize()).to.equal(1);
      expect(q.getNowait()).to.equal('hi');
    });

    it('lets blocked senders complete after resize(null) and a yield (#51)', async function () {
      const q = new Queue<string>(0);
      const senders = ['a', 'b', 'c'].map((item) => spawn(() => q.put(item)));
      await sleep(0);
      expect(q.putting()).to.equal(3);
      q.resize(null);
      expect(q.maxsize).to.equal(null);
      await sleep(0);
      await Promise.all(senders.map((s) => s.wait()));
      expect(q.putting()).to.equal(0);
      expect(q.qsize()).to.equal(3);
    });

    it('wakes putters of a bounded queue only up to the new size', async function () {
      const q = new Queue<number>(1);
      q.putNowait(0);
      const putters = [1, 2, 3].map((n) => spawn(() => q.put(n)));
      await sleep(0);
      q.resize(3);
      await sleep(0);
      expect(q.qsize()).to.equal(3);
      expect(q.putting()).to.equal(1);
      expect(q.full()).to.equal(true);
      expect(q.getNowait()).to.equal(0);
      await Promise.all(putters.map((p) => p.wait()));
      expect([q.getNowait(), q.getNowait(), q.getNowait()]).to.deep.equal([1, 2, 3]);
    });

    it('keeps every item when shrinking, staying full until drained (#52)', async function () {
      const q = new Queue<number>(5);
      for (let i = 0; i < 5; i++) q.putNowait(i);
      q.resize(1);
      expect(q.maxsize).to.equal(1);
      expect(q.qsize()).to.equal(5);
      expect(q.full()).to.equal(true);
      expect(() => q.putNowait(5)).to.throw(Full);
      const drained: number[] = [];
      for (let i = 0; i < 4; i++) drained.push(q.getNowait());
      expect(q.full()).to.equal(true);
      drained.push(q.getNowait());
      expect(q.full()).to.equal(false);
      expect(drained).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it('treats a negative resize as unbounded and rejects a non-number naming the size', function () {
      const q = new Queue(1);
      q.resize(-1);
      expect(q.maxsize).to.equal(null);
      expect(() => q.resize('big' as unknown as number)).to.throw(TypeError, /Queue\.resize.*size.*string "big"/);
      expect(q.maxsize).to.equal(null);
    });
  });

  describe('taskDone and join', function () {
    it('counts every item put as an unfinished task until taskDone', async function () {
      const q = new Queue<string>();
      expect(q.unfinishedTasks).to.equal(0);
      q.putNowait('a');
      await q.put('b');
      expect(q.unfinishedTasks).to.equal(2);
      q.getNowait();
      expect(q.unfinishedTasks).to.equal(2);
      q.taskDone();
      expect(q.unfinishedTasks).to.equal(1);
    });

    it('makes join wait until every item is marked done', async function () {
      const q = new Queue<string>();
      q.putNowait('a');
      q.putNowait('b');
      let joined = false;
      const joiner = spawn(async () => {
        await q.join();
        joined = true;
      });
      await sleep(0);
      q.taskDone();
      await sleep(0);
      await sleep(0);
      expect(joined).to.equal(false);
      q.taskDone();
      await joiner.wait();
      expect(joined).to.equal(true);
    });

    it('throws RangeError when taskDone is called more times than items were put (#69)', function () {
      const q = new Queue<number>();
      expect(() => q.taskDone()).to.throw(RangeError, /called too many times/);
      q.putNowait(1);
      q.taskDone();
      expect(() => q.taskDone()).to.throw(RangeError, /Queue\.taskDone/);
      expect(q.unfinishedTasks).to.equal(0);
    });

    it('removes a joiner whose withTimeout expired; later joins still work', async function () {
      const q = new Queue<number>();
      q.putNowait(1);
      expect(await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => q.join())).to.equal('gave up');
      const joiner = spawn(() => q.join());
      await sleep(0);
      q.taskDone();
      await joiner.wait();
    });

    it('gives LightQueue no task tracking (#69)', function () {
      const q = new LightQueue<number>() as unknown as Record<string, unknown>;
      expect(q.taskDone).to.equal(undefined);
      expect(q.join).to.equal(undefined);
      expect(q.unfinishedTasks).to.equal(undefined);
      expect(new Queue()).to.be.instanceOf(LightQueue);
    });
  });

  describe('PriorityQueue', function () {
    it('returns the lowest item first (#70)', async function () {
      const q = new PriorityQueue<number>();
      for (const n of [3, 1, 2]) await q.put(n);
      expect([await q.get(), await q.get(), await q.get()]).to.deep.equal([1, 2, 3]);
    });

    it('orders [priority, data] tuples by priority, then by data', function () {
      const q = new PriorityQueue<[number, string]>();
      const items: Array<[number, string]> = [[2, 'b'], [1, 'z'], [3, 'a'], [1, 'a'], [2, 'a']];
      for (const item of items) q.putNowait(item);
      const out: Array<[number, string]> = [];
      while (!q.empty()) out.push(q.getNowait());
      expect(out).to.deep.equal([[1, 'a'], [1, 'z'], [2, 'a'], [2, 'b'], [3, 'a']]);
    });

    it('keeps heap order over many random items', function () {
      const q = new PriorityQueue<number>();
      const input = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
      for (const n of input) q.putNowait(n);
      const out: number[] = [];
      while (!q.empty()) out.push(q.getNowait());
      expect(out).to.deep.equal([...input].sort((a, b) => a - b));
    });

    it('orders strings and bigints by value', function () {
      const words = new PriorityQueue<string>();
      for (const w of ['pear', 'apple', 'fig']) words.putNowait(w);
      expect([words.getNowait(), words.getNowait(), words.getNowait()]).to.deep.equal(['apple', 'fig', 'pear']);
      const big = new PriorityQueue<bigint>();
      for (const b of [10n, 2n, 7n]) big.putNowait(b);
      expect([big.getNowait(), big.getNowait(), big.getNowait()]).to.deep.equal([2n, 7n, 10n]);
    });

    it('uses a custom compare function', function () {
      const q = new PriorityQueue<{ due: number; name: string }>(null, { compare: (a, b) => b.due - a.due });
      for (const [due, name] of [[1, 'soon'], [9, 'late'], [5, 'mid']] as const) q.putNowait({ due, name });
      expect([q.getNowait().name, q.getNowait().name, q.getNowait().name]).to.deep.equal(['late', 'mid', 'soon']);
    });

    it('gives a waiting getter the lowest of the items put in the same turn', async function () {
      const q = new PriorityQueue<number>();
      const getter = spawn(() => q.get());
      await sleep(0);
      for (const n of [3, 1, 2]) q.putNowait(n);
      expect(await getter.wait()).to.equal(1);
      expect([q.getNowait(), q.getNowait()]).to.deep.equal([2, 3]);
    });

    it('throws a TypeError for items it cannot order, leaving the queue unchanged', function () {
      const q = new PriorityQueue<unknown>();
      q.putNowait(1);
      q.putNowait(2);
      expect(() => q.putNowait('a')).to.throw(TypeError, /cannot order.*compare/);
      expect(() => q.putNowait({})).to.throw(TypeError, /PriorityQueue/);
      expect(() => q.putNowait([1])).to.throw(TypeError);
      expect(q.qsize()).to.equal(2);
      expect(q.unfinishedTasks).to.equal(2);
      expect([q.getNowait(), q.getNowait()]).to.deep.equal([1, 2]);
      expect(q.empty()).to.equal(true);
    });

    it('rejects put with the TypeError of an unorderable item', async function () {
      const q = new PriorityQueue<unknown>();
      q.putNowait(1);
      expect(await rejectionOf(q.put({ priority: 0 }))).to.be.instanceOf(TypeError);
      expect(q.qsize()).to.equal(1);
    });

    it('fails a waiting putter whose item cannot be ordered instead of leaving it parked', async function () {
      const q = new PriorityQueue<unknown>(2);
      q.putNowait(1);
      q.putNowait(2);
      const putter = spawn(() => q.put('three'));
      await sleep(0);
      expect(q.putting()).to.equal(1);
      expect(q.getNowait()).to.equal(1);
      expect(await rejectionOf(putter.wait())).to.be.instanceOf(TypeError);
      expect(q.putting()).to.equal(0);
      expect(q.qsize()).to.equal(1);
      expect(q.unfinishedTasks).to.equal(2);
    });

    it('rejects a compare option that is not a function', function () {
      expect(() => new PriorityQueue(null, { compare: 'asc' as unknown as () => number })).to.throw(
        TypeError,
        /PriorityQueue: options\.compare must be a function, got string "asc"/,
      );
    });

    it('is bounded and tracks tasks like Queue', async function () {
      const q = new PriorityQueue<number>(1);
      q.putNowait(5);
      expect(q.full()).to.equal(true);
      expect(await rejectionOf(q.put(1, false))).to.be.instanceOf(Full);
      q.getNowait();
      q.taskDone();
      await q.join();
    });
  });

  describe('LifoQueue', function () {
    it('returns the most recent item first (#70)', async function () {
      const q = new LifoQueue<number>();
      for (const n of [1, 2, 3]) await q.put(n);
      expect([await q.get(), await q.get(), await q.get()]).to.deep.equal([3, 2, 1]);
    });

    it('is bounded, admits waiting putters and tracks tasks like Queue', async function () {
      const q = new LifoQueue<number>(2);
      q.putNowait(1);
      q.putNowait(2);
      expect(q.full()).to.equal(true);
      const putter = spawn(() => q.put(3));
      await sleep(0);
      expect(q.getNowait()).to.equal(2);
      await putter.wait();
      expect([q.getNowait(), q.getNowait()]).to.deep.equal([3, 1]);
      expect(q.unfinishedTasks).to.equal(3);
    });
  });

  describe('async iteration', function () {
    it('yields items as they come and leaves the rest after break', async function () {
      const q = new Queue<number>();
      const producer = spawn(async () => {
        for (let i = 0; i < 5; i++) {
          await q.put(i);
          await sleep(0);
        }
      });
      const seen: number[] = [];
      for await (const item of q) {
        seen.push(item);
        if (item === 2) break;
      }
      expect(seen).to.deep.equal([0, 1, 2]);
      await producer.wait();
      expect(q.getting()).to.equal(0);
      expect([q.getNowait(), q.getNowait()]).to.deep.equal([3, 4]);
    });

    it('stops a for-await consumer that is killed without losing the next item', async function () {
      const q = new Queue<number>();
      const seen: number[] = [];
      const consumer = spawn(async () => {
        for await (const item of q) seen.push(item);
      });
      q.putNowait(1);
      await sleep(0);
      await sleep(0);
      expect(seen).to.deep.equal([1]);
      expect(q.getting()).to.equal(1);
      await consumer.kill();
      expect(q.getting()).to.equal(0);
      q.putNowait(2);
      expect(q.getNowait()).to.equal(2);
    });
  });

  describe('bad input', function () {
    it('rejects a maxsize that is not a number, naming it', function () {
      expect(() => new Queue('x' as unknown as number)).to.throw(TypeError, /^Queue: maxsize must be a number.*got string "x"/);
      expect(() => new LightQueue(NaN)).to.throw(TypeError, /LightQueue: maxsize/);
      expect(() => new PriorityQueue({} as unknown as number)).to.throw(TypeError, /PriorityQueue: maxsize/);
      expect(() => new LifoQueue(true as unknown as number)).to.throw(TypeError, /LifoQueue: maxsize/);
    });

    it('rejects a block flag that is not a boolean, naming it, without storing the item', function () {
      const q = new Queue<number>();
      expect(() => q.put(1, 'yes' as unknown as boolean)).to.throw(TypeError, /Queue\.put: block must be a boolean/);
      expect(() => q.get(1 as unknown as boolean)).to.throw(TypeError, /Queue\.get: block must be a boolean/);
      expect(q.qsize()).to.equal(0);
      expect(q.unfinishedTasks).to.equal(0);
    });

    it('rejects a timeout that is not a number of seconds >= 0, naming it, without storing the item', function () {
      const q = new Queue<number>(0);
      expect(() => q.put(1, true, 'soon' as unknown as number)).to.throw(TypeError, /Queue\.put: timeout must be a number of seconds/);
      expect(() => q.put(1, true, -1)).to.throw(RangeError, /Queue\.put: timeout must be >= 0/);
      expect(() => q.get(true, NaN)).to.throw(TypeError, /Queue\.get: timeout/);
      expect(() => q.get(true, -0.5)).to.throw(RangeError, /Queue\.get: timeout/);
      expect(q.putting()).to.equal(0);
      expect(q.getting()).to.equal(0);
    });
  });
});

describe('queue inspection', function () {
  it('inspects compactly, as console.log shows it: maxsize, qsize, getters and putters, none of its internals', async function () {
    const q = new Queue<number>(1);
    q.putNowait(1);
    const putter = spawn(() => q.put(2));
    await sleep(0);
    expect(inspect(q)).to.equal('Queue { maxsize: 1, qsize: 1, getters: 0, putters: 1 }');
    expect(q.getNowait()).to.equal(1);
    await putter.wait();
    const empty = new LightQueue();
    const getter = spawn(() => empty.get());
    await sleep(0);
    expect(inspect([empty], { breakLength: Infinity })).to.equal('[ LightQueue { maxsize: null, qsize: 0, getters: 1, putters: 0 } ]');
    await getter.kill();
    expect(inspect(new PriorityQueue(5))).to.equal('PriorityQueue { maxsize: 5, qsize: 0, getters: 0, putters: 0 }');
    expect(inspect(new LifoQueue(0))).to.equal('LifoQueue { maxsize: 0, qsize: 0, getters: 0, putters: 0 }');
  });
});
