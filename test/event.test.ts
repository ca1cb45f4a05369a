// Event (lib/event.ts): a one-shot value or exception broadcast to any number of waiters.
// Reference: DESIGN.md §3 "Queues and events", eventlet-behaviour.md §5 and checklist #84-#91.
import { expect } from 'chai';
import { inspect } from 'node:util';
import { Event, GreenletExit, Timeout, sleep, spawn, spawnN, withTimeout } from '../lib/index.js';
import { EARLY_MS, liveTimers, rejectionOf, timed, timerBaseline } from './support.js';

describe('Event', function () {
  describe('state', function () {
    it('starts not ready, with neither a result nor an exception', function () {
      const event = new Event();
      expect(event.ready()).to.equal(false);
      expect(event.hasResult()).to.equal(false);
      expect(event.hasException()).to.equal(false);
    });

    it('is ready with a result after send', function () {
      const event = new Event<number>();
      event.send(1);
      expect(event.ready()).to.equal(true);
      expect(event.hasResult()).to.equal(true);
      expect(event.hasException()).to.equal(false);
    });

    it('counts send() with no value as a result', async function () {
      const event = new Event();
      event.send();
      expect(event.hasResult()).to.equal(true);
      expect(await event.wait()).to.equal(undefined);
    });

    it('is ready with an exception after sendException', function () {
      const event = new Event();
      event.sendException(new Error('boom'));
      expect(event.ready()).to.equal(true);
      expect(event.hasResult()).to.equal(false);
      expect(event.hasException()).to.equal(true);
    });

    it('is fresh again after reset', function () {
      const event = new Event<number>();
      event.sendException(new Error('boom'));
      event.reset();
      expect(event.ready()).to.equal(false);
      expect(event.hasException()).to.equal(false);
      expect(event.hasResult()).to.equal(false);
    });
  });

  describe('poll', function () {
    it('returns notready (undefined by default) before send', function () {
      const event = new Event<number>();
      expect(event.poll()).to.equal(undefined);
      expect(event.poll('not yet')).to.equal('not yet');
    });

    it('returns the sent value', function () {
      const event = new Event<number>();
      event.send(7);
      expect(event.poll('not yet')).to.equal(7);
    });

    it('throws the sent exception', function () {
      const event = new Event();
      const boom = new Error('boom');
      event.sendException(boom);
      expect(() => event.poll()).to.throw(boom);
    });
  });

  describe('send and wait', function () {
    it('wakes a waiter with the value sent by a spawnN sender (#84)', async function () {
      const event = new Event<string>();
      spawnN(() => event.send('hello'));
      expect(await event.wait()).to.equal('hello');
    });

    it('wakes every waiter on one send, also when each throws afterwards (#85)', async function () {
      const event = new Event<number>();
      const woke: number[] = [];
      const waiters = [0, 1, 2, 3, 4].map((i) =>
        spawn(async () => {
          const value = await event.wait();
          woke.push(i);
          throw new Error(`waiter ${i} got ${String(value)}`);
        }),
      );
      await sleep(0);
      event.send(42);
      const errors = await Promise.all(waiters.map((w) => rejectionOf(w.wait())));
      expect(woke).to.deep.equal([0, 1, 2, 3, 4]);
      expect(errors.map((e) => (e as Error).message)).to.deep.equal([0, 1, 2, 3, 4].map((i) => `waiter ${i} got 42`));
    });

    it('resolves wait() at once, every time, once sent (#86)', async function () {
      const event = new Event<string>();
      event.send('value');
      let otherRan = false;
      spawnN(() => {
        otherRan = true;
      });
      expect(await event.wait()).to.equal('value');
      expect(await event.wait()).to.equal('value');
      expect(otherRan).to.equal(false);
    });

    it('throws on a second send without reset, keeping the first value (#86)', async function () {
      const event = new Event<string>();
      event.send('first');
      expect(() => event.send('second')).to.throw(Error, /re-send\(\) an already-triggered event/);
      expect(() => event.sendException(new Error('late'))).to.throw(Error, /already-triggered/);
      expect(await event.wait()).to.equal('first');
    });

    it('throws on reset of a fresh event (#86)', function () {
      const event = new Event();
      expect(() => event.reset()).to.throw(Error, /re-reset\(\) a fresh event/);
      event.send(1);
      event.reset();
      expect(() => event.reset()).to.throw(Error, /fresh event/);
    });

    it('runs a new send/wait round after reset (#86)', async function () {
      const event = new Event<string>();
      event.send('one');
      expect(await event.wait()).to.equal('one');
      event.reset();
      const waiter = spawn(() => event.wait());
      await sleep(0);
      event.send('two');
      expect(await waiter.wait()).to.equal('two');
    });

    it('does not yield on send: the parked waiter runs only once the sender yields (#91)', async function () {
      const event = new Event<string>();
      const log: string[] = [];
      spawn(async () => {
        log.push(`woke with ${await event.wait()}`);
      });
      await sleep(0);
      const returned = event.send('v');
      expect(returned).to.equal(undefined);
      log.push('sent');
      expect(log).to.deep.equal(['sent']);
      await sleep(0);
      expect(log).to.deep.equal(['sent', 'woke with v']);
    });

    it('skips a waiter killed between send and its wake-up', async function () {
      const event = new Event<string>();
      const victim = spawn(() => event.wait());
      const survivor = spawn(() => event.wait());
      await sleep(0);
      event.send('v');
      await victim.kill();
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
      expect(await survivor.wait()).to.equal('v');
    });
  });

  describe('exceptions', function () {
    it('makes wait() reject with the exception sent, and reset clears it so wait blocks again (#87)', async function () {
      const event = new Event();
      const boom = new Error('boom');
      event.send(undefined, boom);
      expect(await rejectionOf(event.wait())).to.equal(boom);
      event.reset();
      expect(await withTimeout({ seconds: 0.02, timeoutValue: 'still waiting' }, () => event.wait())).to.equal('still waiting');
      expect(event.ready()).to.equal(false);
    });

    it('hands a parked waiter exactly the exception object sent (#88)', async function () {
      const event = new Event();
      const sent = new TypeError('exactly this');
      const waiter = spawn(async () => {
        try {
          await event.wait();
          return 'no exception';
        } catch (err) {
          return err;
        }
      });
      await sleep(0);
      event.sendException(sent);
      expect(await waiter.wait()).to.equal(sent);
    });

    it('instantiates an exception class passed to send or sendException', async function () {
      class Cancelled extends Error {}
      const event = new Event();
      event.send(undefined, Cancelled);
      expect(await rejectionOf(event.wait())).to.be.instanceOf(Cancelled);
      const other = new Event();
      other.sendException(Cancelled);
      expect(() => other.poll()).to.throw(Cancelled);
    });

    it('makes sendException() with no argument send an Error', async function () {
      const event = new Event();
      event.sendException(undefined);
      expect(event.hasException()).to.equal(true);
      expect(await rejectionOf(event.wait())).to.be.instanceOf(Error);
    });
  });

  describe('wait with a timeout', function () {
    it('resolves undefined after the timeout and leaves the event unsent (#90)', async function () {
      const event = new Event<string>();
      const { ms, value, error } = await timed(() => event.wait(0.05));
      expect(error).to.equal(undefined);
      expect(value).to.equal(undefined);
      expect(ms).to.be.at.least(50 - EARLY_MS);
      expect(ms).to.be.below(2000);
      expect(event.ready()).to.equal(false);
    });

    it('resolves with the value when the send comes before the timeout (#90)', async function () {
      const event = new Event<boolean>();
      spawn(async () => {
        await sleep(0.05);
        event.send(true);
      });
      const { ms, value } = await timed(() => event.wait(2));
      expect(value).to.equal(true);
      expect(ms).to.be.at.least(50 - EARLY_MS);
      expect(ms).to.be.below(1500);
    });

    it('resolves undefined when the send comes after the timeout (#90)', async function () {
      const event = new Event<boolean>();
      const sender = spawn(async () => {
        await sleep(0.1);
        event.send(true);
      });
      const { ms, value } = await timed(() => event.wait(0.05));
      expect(value).to.equal(undefined);
      expect(ms).to.be.at.least(50 - EARLY_MS);
      await sender.wait();
      expect(await event.wait(0.05)).to.equal(true);
    });

    it('resolves undefined on the next turn for a timeout of 0 or less', async function () {
      const event = new Event();
      expect(await event.wait(0)).to.equal(undefined);
      expect(await event.wait(-1)).to.equal(undefined);
    });

    it('clears the timer of a timed wait once the event is sent', async function () {
      const event = new Event<number>();
      const timersBefore = await timerBaseline();
      const waiter = spawn(() => event.wait(30));
      await sleep(0);
      expect(liveTimers()).to.equal(timersBefore + 1);
      event.send(5);
      expect(await waiter.wait()).to.equal(5);
      expect(liveTimers()).to.equal(timersBefore);
    });

    it('clears the timer of a timed waiter that is killed, and it never sees a later send', async function () {
      const event = new Event<number>();
      const timersBefore = await timerBaseline();
      const waiter = spawn(() => event.wait(30));
      await sleep(0);
      expect(liveTimers()).to.equal(timersBefore + 1);
      await waiter.kill();
      expect(liveTimers()).to.equal(timersBefore);
      event.send(5);
      await sleep(0);
      expect(await rejectionOf(waiter.wait())).to.be.instanceOf(GreenletExit);
    });

    it('rejects a timeout that is not a number, naming it', function () {
      const event = new Event();
      expect(() => event.wait('soon' as unknown as number)).to.throw(TypeError, /Event\.wait: timeout must be a number of seconds, got string "soon"/);
      expect(() => event.wait(NaN)).to.throw(TypeError, /timeout/);
    });
  });

  describe('interruption', function () {
    it('lets a Timeout interrupt wait(); a later withTimeout on another event returns its value (#89)', async function () {
      class Stop extends Error {}
      const event = new Event();
      const other = new Event();
      const thread = spawn(async () => {
        const timeout = new Timeout(0, Stop);
        try {
          await event.wait();
          return 'not interrupted';
        } catch (err) {
          if (!(err instanceof Stop)) throw err;
        } finally {
          timeout.cancel();
        }
        return withTimeout({ seconds: 0.01, timeoutValue: 'X' }, () => other.wait());
      });
      expect(await thread.wait()).to.equal('X');
      expect(event.ready()).to.equal(false);
    });

    it('leaves the event usable by other waiters after one is timed out by withTimeout', async function () {
      const event = new Event<string>();
      expect(await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => event.wait())).to.equal('gave up');
      const waiter = spawn(() => event.wait());
      await sleep(0);
      event.send('later');
      expect(await waiter.wait()).to.equal('later');
    });
  });
});

describe('Event inspection', function () {
  it('inspects compactly, as console.log shows it: ready, how it was sent and its waiters, not its value or internals', async function () {
    const event = new Event<string>();
    const waiters = [spawn(() => event.wait()), spawn(() => event.wait())];
    await sleep(0);
    expect(inspect(event)).to.equal('Event { ready: false, waiting: 2 }');
    event.send('a long secret value');
    await Promise.all(waiters.map((waiter) => waiter.wait()));
    expect(inspect(event)).to.equal('Event { ready: true, hasResult: true, waiting: 0 }');
    const failed = new Event();
    failed.sendException(new Error('boom'));
    expect(inspect({ failed })).to.equal('{ failed: Event { ready: true, hasException: true, waiting: 0 } }');
  });
});
