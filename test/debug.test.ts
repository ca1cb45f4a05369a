/**
 * eventlet.debug (lib/debug.ts, lib/blocking-detector.ts): the list of live green threads with
 * their state and where they wait, captured park stacks, event-loop blocking reports naming the
 * thread that blocked, and which thread failures the hub reports.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import green from '../lib/green/dns.js';
import { promises as greenTimers } from '../lib/green/timers.js';
import { BlockingDetected } from '../lib/blocking-detector.js';
import { debug, Event, GreenletExit, LightQueue, Semaphore, sleep, spawn, spawnAfter, spawnN, type GreenThread } from '../lib/index.js';
import { bad, captureErrorReports, never, pause } from './support.js';

/** Keeps the CPU busy for `ms` milliseconds without yielding. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** What debug.greenThreads() says about `thread` (fails the test if it is not listed). */
function infoOf(thread: GreenThread<unknown>): debug.GreenThreadInfo {
  const info = debug.greenThreads().find((t) => t.thread === thread);
  if (!info) throw new Error(`${thread.toString()} is not listed`);
  return info;
}

/** True if `thread` is in debug.greenThreads(). */
const listed = (thread: GreenThread<unknown>): boolean => debug.greenThreads().some((t) => t.thread === thread);

describe('debug', () => {
  afterEach(() => {
    debug.captureStacks(false);
    debug.hubBlockingDetection(false);
    debug.hubExceptions(false);
  });

  describe('greenThreads()', () => {
    it('lists a spawned thread as scheduled before it starts, with its id and the name set on it', async () => {
      const first = spawn(sleep, 0);
      const second = spawn(sleep, 0);
      second.name = 'worker-2';
      const info = infoOf(second);
      expect(info).to.include({ id: second.id, name: 'worker-2', state: 'scheduled', waitingOn: null, since: null, stack: null });
      expect(second.id, 'ids increase with creation').to.be.greaterThan(first.id);
      expect(infoOf(first).name).to.equal(undefined);
      await Promise.all([first.wait(), second.wait()]);
    });

    it('tells what each parked thread waits on: sleep, queue get, event wait, semaphore acquire, green thread wait, dns and timers/promises calls', async () => {
      const silentDns = dgram.createSocket('udp4');
      silentDns.bind(0, '127.0.0.1');
      await once(silentDns, 'listening');
      const resolver = new green.promises.Resolver({ timeout: 10_000, tries: 1 });
      resolver.setServers([`127.0.0.1:${silentDns.address().port}`]);
      const queue = new LightQueue<number>();
      const event = new Event<void>();
      const semaphore = new Semaphore(0);
      const sleeper = spawn(sleep, 10);
      const threads = {
        sleep: sleeper,
        'queue get': spawn(() => queue.get()),
        'event wait': spawn(() => event.wait()),
        'semaphore acquire': spawn(() => semaphore.acquire()),
        'green thread wait': spawn(() => sleeper.wait()),
        'dns promises resolve4': spawn(() => resolver.resolve4('nowhere.test')),
        'timers/promises setTimeout': spawn(() => greenTimers.setTimeout(10_000)),
      };
      await pause(20);
      const seen = Object.fromEntries(Object.entries(threads).map(([, t]) => [infoOf(t).waitingOn, infoOf(t).state]));
      expect(seen).to.deep.equal(Object.fromEntries(Object.keys(threads).map((what) => [what, 'parked'])));
      for (const thread of Object.values(threads)) await thread.kill();
      silentDns.close();
    });

    it('tells since when a thread has been parked, to within a hub turn', async () => {
      const before = Date.now();
      const thread = spawn(sleep, 5);
      await pause(200);
      const info = infoOf(thread);
      expect(info.since).to.be.within(before - 1, before + 150);
      expect(info.seconds).to.be.within(0.18, 1);
      await thread.kill();
    });

    it('stamps a point parked after a wake-up from a timer with the time of that wake-up', async () => {
      const event = new Event<void>();
      let woke = 0;
      const thread = spawn(async () => {
        await sleep(0.2);
        woke = Date.now();
        await event.wait();
      });
      await pause(400);
      expect(infoOf(thread).waitingOn).to.equal('event wait');
      expect(infoOf(thread).since, 'stamped when the sleep ended').to.be.within(woke - 20, woke + 1);
      event.send();
      await thread.wait();
    });

    it('stamps a point parked after awaiting something that is not a cooperative point with the time it parked', async () => {
      const event = new Event<void>();
      let parked = 0;
      const thread = spawn(async () => {
        await pause(300); // Node's own timer: no hub turn, no point
        parked = Date.now();
        await event.wait();
      });
      await pause(400);
      expect(infoOf(thread).since, 'stamped when it parked').to.be.within(parked - 20, parked + 1);
      event.send();
      await thread.wait();
    });

    it('stamps the first point of a thread started by spawnAfter with the time it started', async () => {
      const event = new Event<void>();
      let started = 0;
      const thread = spawnAfter(0.2, () => {
        started = Date.now();
        return event.wait();
      });
      await pause(400);
      expect(infoOf(thread).since, 'stamped when it started').to.be.within(started - 20, started + 1);
      event.send();
      await thread.wait();
    });

    it('shows a thread awaiting something that is not a cooperative point as running, waiting on nothing', async () => {
      const thread = spawn(never);
      await sleep(0);
      expect(infoOf(thread)).to.include({ state: 'running', waitingOn: null, seconds: null });
      await thread.kill();
    });

    it('shows a killed thread that has not finished yet as dying', async () => {
      const thread = spawn(never);
      await sleep(0);
      const killed = thread.kill();
      expect(infoOf(thread).state).to.equal('dying');
      await killed;
      expect(listed(thread), 'abandoned, so ended').to.equal(false);
    });

    it('forgets threads once they end: returned, failed, killed before starting, killed while parked, spawnN', async () => {
      const reports = [] as unknown[];
      const hub = (await import('../lib/index.js')).getHub();
      const saved = hub.errorReporter;
      hub.errorReporter = (err) => reports.push(err);
      try {
        const before = debug.greenThreads().length;
        const threads: GreenThread<unknown>[] = [];
        for (let i = 0; i < 250; i++) {
          threads.push(spawn(async () => i));
          threads.push(spawn(async () => Promise.reject(new Error('boom'))));
          threads.push(spawnN(sleep, 0));
          threads.push(spawn(sleep, 10));
        }
        expect(debug.greenThreads().length).to.equal(before + 1000);
        await threads[3]!.kill(); // killed before it started
        await sleep(0.01);
        for (const t of threads) if (!t.dead) await t.kill();
        await sleep(0);
        expect(threads.filter(listed)).to.deep.equal([]);
        expect(debug.greenThreads().length).to.equal(before);
      } finally {
        hub.errorReporter = saved;
      }
    });

    it('holds no reference to a thread once it has ended and the hub has taken two more turns', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const refs: WeakRef<GreenThread<unknown>>[] = [];
      for (let i = 0; i < 3; i++) refs.push(new WeakRef(spawn(async () => new Array(1000).fill(i))));
      await pause(50); // they run and end; nothing else makes the hub turn
      gc();
      expect(refs.map((r) => r.deref())).to.deep.equal([undefined, undefined, undefined]);
    });

    it('does not list the main thread', () => {
      expect(debug.greenThreads().map((t) => t.name)).not.to.include('main');
    });
  });

  describe('captureStacks()', () => {
    async function parkedInNamedFunction(queue: LightQueue<number>): Promise<number> {
      return await queue.get();
    }

    it('gives no stacks by default', async () => {
      const queue = new LightQueue<number>();
      const thread = spawn(parkedInNamedFunction, queue);
      await sleep(0);
      expect(infoOf(thread).stack).to.equal(null);
      queue.put(1);
      await thread.wait();
    });

    it('with captureStacks(true), gives the stack where the thread parked, naming the function and file', async () => {
      debug.captureStacks(true);
      const queue = new LightQueue<number>();
      const thread = spawn(parkedInNamedFunction, queue);
      await sleep(0);
      const stack = infoOf(thread).stack!;
      expect(stack).to.match(/parkedInNamedFunction .*debug\.test\.js/);
      expect(stack, 'the hub frames left out').not.to.match(/Hub\.park|tracer/);
      queue.put(1);
      await thread.wait();
    });

    it('throws a TypeError naming the argument for a non-boolean', () => {
      expect(() => debug.captureStacks(bad('yes'))).to.throw(TypeError, 'debug.captureStacks: on must be a boolean, got string "yes"');
    });
  });

  describe('formatGreenThreads()', () => {
    it('prints the live threads as a table: id, name, state, what each waits on and for how long', async () => {
      const queue = new LightQueue<number>();
      const consumer = spawn(() => queue.get());
      consumer.name = 'consumer';
      const later = spawn(sleep, 0);
      await sleep(0.05);
      const lines = debug.formatGreenThreads().split('\n');
      expect(lines[0]).to.match(/^\s*id\s+name\s+state\s+waiting on\s+for$/);
      const row = lines.find((l) => l.includes('consumer'))!;
      expect(row).to.match(new RegExp(`^\\s*${consumer.id}\\s+consumer\\s+parked\\s+queue get\\s+0\\.0[4-9]\\d s$`));
      expect(lines.some((l) => l.trim().startsWith(`${later.id} `)), 'a thread that ended is not shown').to.equal(false);
      queue.put(1);
      await consumer.wait();
    });

    it('with captured stacks, prints each parked thread\'s stack under its row', async () => {
      debug.captureStacks(true);
      const event = new Event<void>();
      const thread = spawn(async function waitsForTheEvent() {
        await event.wait();
      });
      await sleep(0);
      const lines = debug.formatGreenThreads().split('\n');
      const row = lines.findIndex((l) => l.trim().startsWith(`${thread.id} `));
      expect(lines[row + 1]).to.match(/^ {6}at /);
      expect(lines.slice(row + 1).join('\n')).to.match(/waitsForTheEvent/);
      event.send();
      await thread.wait();
    });
  });

  describe('hubBlockingDetection()', () => {
    const reports = captureErrorReports();
    const blockings = (): BlockingDetected[] => reports.map((r) => r.err).filter((e): e is BlockingDetected => e instanceof BlockingDetected);

    it('reports a thread that busy-loops 300 ms, naming it, through the hub\'s error reporter', async () => {
      debug.hubBlockingDetection(true, 0.1);
      const thread = spawn(async () => {
        await sleep(0);
        busy(300);
        await sleep(0);
      });
      thread.name = 'busy';
      await thread.wait();
      await pause(150);
      const named = blockings().filter((b) => b.thread === thread);
      expect(named).to.have.length(1);
      const [report] = named;
      expect(reports.find((r) => r.err === report)!.source).to.equal('the blocking detector');
      expect(report!.thread).to.equal(thread);
      expect(report!.seconds).to.be.within(0.29, 0.6);
      expect(report!.message).to.match(new RegExp(`^the event loop was blocked for 0\\.\\d{3} s \\(resolution 0\\.1 s\\) by GreenThread#${thread.id} \\(busy\\)$`));
      expect(report!.resumedAt).to.equal(null);
    });

    it('with captured stacks, tells where the blocking thread had last resumed', async () => {
      debug.captureStacks(true);
      debug.hubBlockingDetection(true, 0.1);
      const thread = spawn(async function resumesThenSpins() {
        await sleep(0.01);
        busy(300);
        await sleep(0);
      });
      await thread.wait();
      await pause(150);
      const [report] = blockings().filter((b) => b.thread === thread);
      expect(report!.resumedAt).to.match(/resumesThenSpins .*debug\.test\.js/);
      expect(report!.stack).to.match(/which had last resumed at:\n\s+at /);
    });

    it('reports a block by code outside green threads without naming a thread', async () => {
      debug.hubBlockingDetection(true, 0.1);
      await pause(20);
      busy(300);
      await pause(150);
      const long = blockings().filter((b) => b.seconds >= 0.2);
      expect(long).to.have.length(1);
      expect(long[0]!.thread).to.equal(null);
      expect(long[0]!.seconds).to.be.within(0.2, 0.6);
    });

    it('does not report threads that sleep or take turns, however long', async () => {
      debug.hubBlockingDetection(true, 0.1);
      const sleeper = spawn(sleep, 0.3);
      const turns = spawn(async () => {
        for (let i = 0; i < 30; i++) {
          busy(5);
          await sleep(0);
        }
      });
      await Promise.all([sleeper.wait(), turns.wait()]);
      await pause(150);
      // (a loaded machine may pause the whole process now and then: only blame matters here)
      expect(blockings().filter((b) => b.thread === sleeper || b.thread === turns)).to.deep.equal([]);
    });

    it('stops with hubBlockingDetection(false): a later block is not reported', async () => {
      debug.hubBlockingDetection(true, 0.1);
      debug.hubBlockingDetection(false);
      spawn(() => busy(300));
      await pause(200);
      expect(blockings()).to.deep.equal([]);
    });

    it('keeps one detector when switched on again: one block, one report, with the latest resolution', async () => {
      debug.hubBlockingDetection(true, 0.1);
      debug.hubBlockingDetection(true, 0.2);
      spawn(() => busy(300));
      await pause(300);
      const long = blockings().filter((b) => b.seconds >= 0.25);
      expect(long.map((b) => b.message.match(/resolution [\d.]+ s/)![0])).to.deep.equal(['resolution 0.2 s']);
    });

    it('keeps the running detector when switched on again with the same resolution: a block just before is still reported', async () => {
      debug.hubBlockingDetection(true, 0.1);
      await pause(20);
      busy(300);
      debug.hubBlockingDetection(true, 0.1);
      await pause(150);
      const long = blockings().filter((b) => b.seconds >= 0.2);
      expect(long).to.have.length(1);
      expect(long[0]!.seconds).to.be.within(0.2, 0.6);
    });

    it('reports a block that ended since its last tick when switched to another resolution or off', async () => {
      debug.hubBlockingDetection(true, 0.1);
      await pause(20);
      busy(300);
      debug.hubBlockingDetection(true, 0.2);
      await pause(20);
      busy(300);
      debug.hubBlockingDetection(false);
      await pause(150);
      const long = blockings().filter((b) => b.seconds >= 0.25);
      expect(long.map((b) => b.message.match(/resolution [\d.]+ s/)![0])).to.deep.equal(['resolution 0.1 s', 'resolution 0.2 s']);
    });

    it('never keeps the process alive (its timer is unref\'d)', async () => {
      const index = fileURLToPath(new URL('../lib/index.js', import.meta.url));
      const script = `const { debug } = await import(${JSON.stringify(index)}); debug.hubBlockingDetection(true, 0.05);`;
      const started = Date.now();
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
      );
      expect(Date.now() - started).to.be.below(5000);
    });

    it('validates its arguments: on a boolean, resolution seconds > 0', () => {
      expect(() => debug.hubBlockingDetection(bad('on'))).to.throw(TypeError, 'debug.hubBlockingDetection: on must be a boolean, got string "on"');
      expect(() => debug.hubBlockingDetection(true, 0)).to.throw(RangeError, 'debug.hubBlockingDetection: resolution must be a finite number of seconds > 0, got 0');
      expect(() => debug.hubBlockingDetection(true, -1)).to.throw(RangeError, 'debug.hubBlockingDetection: resolution must be a finite number of seconds > 0, got -1');
      expect(() => debug.hubBlockingDetection(true, Infinity)).to.throw(RangeError, 'resolution must be a finite number of seconds > 0, got Infinity');
      expect(() => debug.hubBlockingDetection(true, bad('1'))).to.throw(TypeError, 'resolution must be a number of seconds, got string "1"');
    });
  });

  describe('hubExceptions()', () => {
    const reports = captureErrorReports();

    it('by default reports only failures nobody waits on', async () => {
      const boom = new Error('boom');
      const waited = spawn(async () => Promise.reject(boom));
      const waiting = waited.wait().catch((e: unknown) => e);
      const unobserved = spawn(async () => Promise.reject(new Error('unseen')));
      await sleep(0.01);
      expect(await waiting).to.equal(boom);
      expect(reports.map((r) => r.source)).to.deep.equal([unobserved.toString()]);
    });

    it('with hubExceptions(true) reports every failure once, also of threads someone waits on; never a GreenletExit', async () => {
      debug.hubExceptions(true);
      const boom = new Error('boom');
      const waited = spawn(async () => Promise.reject(boom));
      const waiting = waited.wait().catch((e: unknown) => e);
      const killed = spawn(sleep, 10);
      const killedWait = killed.wait().catch((e: unknown) => e);
      await sleep(0);
      await killed.kill();
      expect(await waiting, 'wait() still rejects').to.equal(boom);
      expect(await killedWait).to.be.instanceOf(GreenletExit);
      expect(reports).to.deep.equal([{ err: boom, source: waited.toString() }]);
    });

    it('throws a TypeError naming the argument for a non-boolean', () => {
      expect(() => debug.hubExceptions(bad(1))).to.throw(TypeError, 'debug.hubExceptions: on must be a boolean, got number 1');
    });
  });
});
