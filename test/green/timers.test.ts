/**
 * The green `timers` module, applied in place by `monkeyPatch({ net, tls, timers })`: timers made
 * in a green thread (or `withTimeout` scope) are cleared when it is interrupted, and the
 * `timers/promises` waits are cooperative points. Outside green threads every function behaves
 * like Node's own. See DESIGN.md §3 "Cooperative points and interruption" and "Patching".
 */
import { expect } from 'chai';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import { GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { activeResources, never, pause, rejectionOf, since } from '../support.js';

/** The error `fn()` throws, or `undefined`. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** The fields of an error that Node's users rely on. */
function errorFields(err: unknown): Record<string, unknown> {
  const e = err as NodeJS.ErrnoException & { cause?: unknown };
  return { class: e?.constructor?.name, name: e?.name, code: e?.code, message: e?.message, cause: e?.cause };
}

type Wait = (signal?: AbortSignal) => Promise<unknown>;

/** A `timers/promises` wait, and a `withTimeout` delay that fires before it would end on its own. */
interface WaitCase {
  name: string;
  wait: Wait;
  /** `setImmediate` ends on the next turn, so only `withTimeout(0)` (which fires on the next hub turn, first) beats it. */
  timeoutSeconds: number;
}

describe('green timers (monkeyPatch({ net, tls, timers }))', () => {
  const timerNames = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'] as const;
  const nodeTimers = { ...timers } as Record<string, unknown>;
  const nodeGlobals = Object.fromEntries(timerNames.map((name) => [name, globalThis[name]])) as Record<string, unknown>;
  const nodePromises = { ...timersPromises } as Record<string, unknown>;
  const nodeScheduler = timersPromises.scheduler;

  /** Each `timers/promises` wait, given a signal of the caller's own. */
  const waits: WaitCase[] = [
    { name: 'timers/promises setTimeout', timeoutSeconds: 0.05, wait: (signal) => timersPromises.setTimeout(10_000, 'value', { signal }) },
    { name: 'timers/promises setImmediate', timeoutSeconds: 0, wait: (signal) => timersPromises.setImmediate('value', { signal }) },
    {
      name: 'timers/promises setInterval',
      timeoutSeconds: 0.05,
      wait: async (signal) => {
        for await (const value of timersPromises.setInterval(10_000, 'value', { signal })) return value;
      },
    },
    { name: 'timers/promises scheduler.wait', timeoutSeconds: 0.05, wait: (signal) => timersPromises.scheduler.wait(10_000, { signal }) },
    { name: 'util.promisify(setTimeout)', timeoutSeconds: 0.05, wait: (signal) => promisify(setTimeout)(10_000, 'value', { signal }) },
  ];

  before(() => monkeyPatch({ net: true, tls: true, timers: true }));
  after(() => unpatch());

  let baseline: string[];
  beforeEach(async () => {
    await pause(5);
    baseline = activeResources();
  });

  afterEach(async () => {
    await pause(20);
    expect(activeResources(), 'active resources after the test').to.deep.equal(baseline);
  });

  describe('inside a green thread that is killed', () => {
    for (const [how, wait] of [
      ['awaiting something that is not a cooperative point', never],
      ['parked at sleep()', () => sleep(10)],
    ] as Array<[string, () => Promise<unknown>]>) {
      it(`clears setTimeout, setInterval and setImmediate from node:timers and the globals (thread ${how}): their callbacks never run`, async () => {
        const ran: string[] = [];
        const thread = spawn(async () => {
          timers.setTimeout(() => ran.push('timers.setTimeout'), 30);
          globalThis.setTimeout(() => ran.push('setTimeout'), 30);
          timers.setInterval(() => ran.push('timers.setInterval'), 10);
          globalThis.setInterval(() => ran.push('setInterval'), 10);
          timers.setImmediate(() => ran.push('timers.setImmediate'));
          globalThis.setImmediate(() => ran.push('setImmediate'));
          await wait();
        });
        await sleep(0); // the thread has made its timers; its immediates run on the next turn
        const during = activeResources().length;
        await thread.kill();
        expect(during, 'active resources while the thread lived').to.be.at.least(baseline.length + 6);
        await pause(100);
        expect(ran).to.deep.equal([]);
        expect(activeResources()).to.deep.equal(baseline);
      });
    }

    it('a withTimeout scope that times out clears the timers made inside it, and only those', async () => {
      const ran: string[] = [];
      const thread = spawn(async () => {
        setTimeout(() => ran.push('made by the thread'), 100);
        const err = await rejectionOf(withTimeout(0.02, async () => {
          setTimeout(() => ran.push('made in the scope'), 50);
          setInterval(() => ran.push('interval made in the scope'), 50);
          await never();
        }));
        return err;
      });
      expect(await thread.wait()).to.be.instanceOf(Timeout);
      await pause(150);
      expect(ran).to.deep.equal(['made by the thread']);
    });

    it('a timer the thread cleared itself stays cleared, and clearTimeout works inside threads', async () => {
      const ran: string[] = [];
      const thread = spawn(async () => {
        const timer = setTimeout(() => ran.push('cleared by the thread'), 20);
        clearTimeout(timer);
        const interval = setInterval(() => ran.push('interval cleared by the thread'), 10);
        clearInterval(interval);
        const immediate = setImmediate(() => ran.push('immediate cleared by the thread'));
        clearImmediate(immediate);
        await sleep(10);
      });
      await sleep(0.05);
      await thread.kill();
      await pause(50);
      expect(ran).to.deep.equal([]);
    });

    it("leaves an unref()'d timer running: it keeps nothing alive and is a library's housekeeping, shared by everyone", async () => {
      let ticks = 0;
      let housekeeping: NodeJS.Timeout | undefined;
      const thread = spawn(async () => {
        housekeeping = setInterval(() => ticks++, 5);
        housekeeping.unref();
        await never();
      });
      try {
        await sleep(0);
        await thread.kill();
        const before = ticks;
        await pause(60);
        expect(ticks).to.be.above(before);
      } finally {
        clearInterval(housekeeping);
      }
    });
  });

  describe('a green thread that ends on its own', () => {
    it('leaves its timers running: they fire after it ended, and killing it then changes nothing', async () => {
      const ran: string[] = [];
      let interval: NodeJS.Timeout | undefined;
      const thread = spawn(() => {
        setTimeout(() => ran.push('setTimeout'), 30);
        timers.setImmediate(() => ran.push('setImmediate'));
        interval = setInterval(() => ran.push('setInterval'), 10);
      });
      await thread.wait();
      await thread.kill();
      try {
        await pause(80);
        expect(ran).to.include.members(['setTimeout', 'setImmediate', 'setInterval']);
        expect(ran.filter((r) => r === 'setInterval').length).to.be.above(1);
      } finally {
        clearInterval(interval);
      }
    });

    it('gets the values the promise forms resolve with', async () => {
      const values = await spawn(async () => {
        const fromInterval: string[] = [];
        for await (const value of timersPromises.setInterval(5, 'tick')) if (fromInterval.push(value) === 2) break;
        return [
          await timersPromises.setTimeout(5, 'timeout'),
          await timersPromises.setImmediate('immediate'),
          await timersPromises.scheduler.wait(5),
          await promisify(setTimeout)(5, 'promisified'),
          fromInterval,
        ];
      }).wait();
      expect(values).to.deep.equal(['timeout', 'immediate', undefined, 'promisified', ['tick', 'tick']]);
    });
  });

  describe('timers/promises waits inside a green thread are cooperative points', () => {
    for (const { name, wait, timeoutSeconds } of waits) {
      it(`${name} rejects with the kill exception at once, and its timer is cleared`, async () => {
        const exc = new GreenletExit('stop waiting');
        let seenInThread: unknown;
        const thread = spawn(async () => {
          try {
            return await wait();
          } catch (err) {
            seenInThread = err;
            throw err;
          }
        });
        await sleep(0);
        const state = thread.state;
        const start = performance.now();
        await thread.kill(exc);
        expect(since(start)).to.be.below(0.05);
        expect(state, 'where the thread waited').to.equal('parked');
        expect(seenInThread).to.equal(exc);
        expect(await rejectionOf(thread.wait())).to.equal(exc);
      });

      it(`${name} under withTimeout(${timeoutSeconds}) rejects with the Timeout as soon as it fires`, async () => {
        const start = performance.now();
        const err = await rejectionOf(spawn(() => withTimeout(timeoutSeconds, () => wait())).wait());
        expect(err).to.be.instanceOf(Timeout);
        expect(since(start)).to.be.within(timeoutSeconds * 0.9, timeoutSeconds + 0.1);
      });

      it(`${name} still stops on the caller's own AbortSignal, with Node's AbortError`, async () => {
        const controller = new AbortController();
        const reason = new Error('the caller gave up');
        const thread = spawn(() => rejectionOf(wait(controller.signal)));
        await sleep(0);
        controller.abort(reason);
        const err = await thread.wait();
        expect(err).to.include({ name: 'AbortError', code: 'ABORT_ERR' });
        expect((err as { cause?: unknown }).cause).to.equal(reason);
      });
    }
  });

  describe("outside green threads the patched functions behave like Node's", () => {
    it("keeps timers/promises' scheduler an object of Node's Scheduler class: new scheduler.constructor() throws ERR_ILLEGAL_CONSTRUCTOR", () => {
      const { scheduler } = timersPromises;
      expect(scheduler).to.not.equal(nodeScheduler);
      expect(scheduler.constructor).to.equal(nodeScheduler.constructor);
      expect(() => new (scheduler.constructor as new () => unknown)()).to.throw(TypeError).with.property('code', 'ERR_ILLEGAL_CONSTRUCTOR');
      expect(Object.keys(scheduler)).to.deep.equal(Object.keys(nodeScheduler));
    });

    it('setTimeout, setInterval and setImmediate return the same kinds of object as Node, with ref, unref, hasRef and refresh working', async () => {
      const nodeTimeout = (nodeTimers.setTimeout as typeof setTimeout)(() => {}, 1000);
      const nodeImmediate = (nodeTimers.setImmediate as typeof setImmediate)(() => {});
      try {
        const timeout = setTimeout(() => {}, 1000);
        const interval = setInterval(() => {}, 1000);
        const immediate = setImmediate(() => {});
        expect(timeout.constructor).to.equal(nodeTimeout.constructor);
        expect(interval.constructor).to.equal(nodeTimeout.constructor);
        expect(immediate.constructor).to.equal(nodeImmediate.constructor);
        expect(timeout.hasRef()).to.equal(true);
        expect(timeout.unref()).to.equal(timeout);
        expect(timeout.hasRef()).to.equal(false);
        expect(timeout.ref()).to.equal(timeout);
        expect(timeout.refresh()).to.equal(timeout);
        expect(typeof +timeout).to.equal('number');
        expect(immediate.hasRef()).to.equal(true);
        clearTimeout(timeout);
        clearInterval(interval);
        clearImmediate(immediate);
      } finally {
        clearTimeout(nodeTimeout);
        clearImmediate(nodeImmediate);
      }
    });

    it('callbacks get their extra arguments; clearTimeout works with the timer or its numeric id; refresh() re-arms', async () => {
      const ran: unknown[] = [];
      setTimeout((a: string, b: number) => ran.push(['setTimeout', a, b]), 1, 'a', 2);
      setImmediate((a: string) => ran.push(['setImmediate', a]), 'i');
      const byObject = setTimeout(() => ran.push('cleared by object'), 5);
      const byId = setTimeout(() => ran.push('cleared by id'), 5);
      clearTimeout(byObject);
      clearTimeout(+byId);
      const start = performance.now();
      let firedAfter = 0;
      const refreshed = setTimeout(() => (firedAfter = since(start)), 40);
      await pause(25);
      refreshed.refresh();
      await pause(100);
      expect(ran).to.have.deep.members([['setImmediate', 'i'], ['setTimeout', 'a', 2]]);
      expect(firedAfter).to.be.above(0.06);
    });

    it('the promise forms resolve with the value, as Node\'s do', async () => {
      const fromInterval: string[] = [];
      for await (const value of timersPromises.setInterval(5, 'tick')) if (fromInterval.push(value) === 2) break;
      expect([
        await timersPromises.setTimeout(5, 'timeout'),
        await timersPromises.setImmediate('immediate'),
        await timersPromises.scheduler.wait(5),
        await promisify(setTimeout)(5, 'promisified'),
        await promisify(setImmediate)('promisified immediate'),
        fromInterval,
      ]).to.deep.equal(['timeout', 'immediate', undefined, 'promisified', 'promisified immediate', ['tick', 'tick']]);
    });

    it("bad arguments fail with Node's own errors", async () => {
      const nodeSetTimeout = nodeTimers.setTimeout as (...args: unknown[]) => unknown;
      const nodeSetInterval = nodeTimers.setInterval as (...args: unknown[]) => unknown;
      const nodeWait = nodePromises.setTimeout as (...args: unknown[]) => Promise<unknown>;
      expect(errorFields(thrownBy(() => (setTimeout as unknown as (...args: unknown[]) => unknown)('not a function', 10)))).to.deep.equal(
        errorFields(thrownBy(() => nodeSetTimeout('not a function', 10))),
      );
      expect(errorFields(thrownBy(() => (setInterval as unknown as (...args: unknown[]) => unknown)(null, 10)))).to.deep.equal(
        errorFields(thrownBy(() => nodeSetInterval(null, 10))),
      );
      const badSignal = { signal: 'not a signal' };
      const green = await rejectionOf((timersPromises.setTimeout as (...args: unknown[]) => Promise<unknown>)(10, 'v', badSignal));
      const node = await rejectionOf(nodeWait(10, 'v', badSignal));
      expect(errorFields(green)).to.deep.equal(errorFields(node));
      expect(errorFields(green)).to.include({ code: 'ERR_INVALID_ARG_TYPE' });
    });

    it('an already aborted signal rejects at once with the same AbortError as Node', async () => {
      const reason = new Error('aborted before');
      const signal = AbortSignal.abort(reason);
      const green = await rejectionOf(timersPromises.setTimeout(10, 'v', { signal }));
      const node = await rejectionOf((nodePromises.setTimeout as typeof timersPromises.setTimeout)(10, 'v', { signal }));
      expect(errorFields(green)).to.deep.equal(errorFields(node));
    });

    it("the functions look like Node's: names, lengths, and util.promisify's custom form", () => {
      for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout'] as const) {
        const green = timers[name];
        const node = nodeTimers[name] as (...args: unknown[]) => unknown;
        expect(green, name).not.to.equal(node);
        expect(green.name, `${name}.name`).to.equal(node.name);
        expect(green.length, `${name}.length`).to.equal(node.length);
        expect(globalThis[name], `globalThis.${name}`).to.equal(green);
      }
      expect(typeof (setTimeout as unknown as Record<symbol, unknown>)[promisify.custom]).to.equal('function');
      expect(promisify(setTimeout)).to.equal(timersPromises.setTimeout);
      expect(promisify(setImmediate)).to.equal(timersPromises.setImmediate);
    });
  });

  describe('unpatch()', () => {
    it("restores the globals, node:timers and node:timers/promises to Node's own functions (identity)", () => {
      expect(globalThis.setTimeout).not.to.equal(nodeGlobals.setTimeout);
      unpatch();
      try {
        for (const name of timerNames) {
          expect(globalThis[name], `globalThis.${name}`).to.equal(nodeGlobals[name]);
          expect((timers as Record<string, unknown>)[name], `timers.${name}`).to.equal(nodeTimers[name]);
        }
        for (const name of ['setTimeout', 'setImmediate', 'setInterval']) {
          expect((timersPromises as Record<string, unknown>)[name], `timers/promises.${name}`).to.equal(nodePromises[name]);
        }
        expect(timersPromises.scheduler).to.equal(nodeScheduler);
      } finally {
        monkeyPatch({ net: true, tls: true, timers: true });
      }
      expect(globalThis.setTimeout).not.to.equal(nodeGlobals.setTimeout);
    });
  });
});
