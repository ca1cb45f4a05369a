/**
 * The hub: getHub(), the error reporter, the abandon grace period, and that green threads and
 * Timeouts leave no timers or handles behind.
 * Numbers such as (#24) refer to the checklist in shared/reference/eventlet-behaviour.md §11.
 */
import { expect } from 'chai';
import { getHub, GreenletExit, sleep, spawn, spawnN, Timeout, withTimeout, type GreenThread } from '../lib/index.js';
import { inspect } from 'node:util';
import { printError, type Point } from '../lib/hub.js';
import { bad, inThread, never, since } from './support.js';

type Report = { err: unknown; source: string };

/** The process's active resources, counted by type (`Timeout: 3`, `Immediate: 1`, ...). */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Runs `fn` with everything written to stderr captured instead of printed; returns the text. */
async function capturingStderr(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return chunks.join('');
}

/** How a thread ended: its value, or the kind of exception it failed with. */
function outcomeOf(thread: GreenThread<unknown>): Promise<string> {
  return thread.wait().then(
    () => 'returned',
    (err) => (err instanceof GreenletExit ? 'killed' : err instanceof Timeout ? 'timed out' : `failed: ${String(err)}`),
  );
}

describe('hub', () => {
  const hub = getHub();
  let reports: Report[];
  let savedReporter: typeof hub.errorReporter;
  let savedGrace: number;

  beforeEach(() => {
    reports = [];
    savedReporter = hub.errorReporter;
    savedGrace = hub.abandonGrace;
    hub.errorReporter = (err, source) => reports.push({ err, source });
  });

  afterEach(() => {
    hub.errorReporter = savedReporter;
    hub.abandonGrace = savedGrace;
  });

  describe('getHub', () => {
    it('returns the one hub of the process, with an error reporter and a grace period of a few ms', () => {
      expect(getHub()).to.equal(hub);
      expect(getHub()).to.equal(getHub());
      expect(savedReporter).to.be.a('function');
      expect(hub.abandonGrace).to.be.above(0).and.at.most(0.05);
    });
  });

  describe('errorReporter', () => {
    it('receives a failure nobody will see, with a source naming the green thread', async () => {
      const err = new Error('unseen');
      const thread = spawnN(() => {
        throw err;
      });
      await sleep(0.01);
      expect(reports).to.have.length(1);
      expect(reports[0]!.err).to.equal(err);
      expect(reports[0]!.source).to.contain(`GreenThread#${thread.id}`);
    });

    it('prints the error with its stack to stderr by default', async () => {
      hub.errorReporter = savedReporter;
      const err = new Error('printed by default');
      const text = await capturingStderr(async () => {
        spawnN(() => {
          throw err;
        });
        await sleep(0.01);
      });
      expect(text).to.contain('printed by default');
      expect(text).to.contain(err.stack!.split('\n')[1]!.trim());
    });

    it('can be replaced and restored', async () => {
      const mine: unknown[] = [];
      hub.errorReporter = (err) => mine.push(err);
      const err = new Error('to my reporter');
      spawnN(() => {
        throw err;
      });
      await sleep(0.01);
      expect(mine).to.deep.equal([err]);
      expect(reports).to.deep.equal([]);
    });

    it('does not crash the hub when the reporter itself throws', async () => {
      hub.errorReporter = () => {
        throw new Error('reporter broke');
      };
      let value: unknown;
      const text = await capturingStderr(async () => {
        spawnN(() => {
          throw new Error('first failure');
        });
        await sleep(0.01);
        value = await spawn(async () => {
          await sleep(0.005);
          return 'still running';
        }).wait();
      });
      expect(value).to.equal('still running');
      expect(text).to.contain('reporter broke');
      expect(text).to.contain('the hub error reporter');
    });

    it('prints both the original error with its source and the reporter\'s failure when the reporter throws', async () => {
      hub.errorReporter = () => {
        throw new Error('reporter broke');
      };
      const err = new Error('the original failure');
      let thread: GreenThread<void> | undefined;
      const text = await capturingStderr(async () => {
        thread = spawnN(() => {
          throw err;
        });
        await sleep(0.01);
      });
      expect(text).to.contain(`eventlet: GreenThread#${thread!.id}`);
      expect(text).to.contain(err.stack!.split('\n').slice(0, 2).join('\n'));
      expect(text).to.match(/eventlet: the hub error reporter \(while reporting the error above\) failed:\nError: reporter broke/);
      expect(text.indexOf('the original failure')).to.be.below(text.indexOf('reporter broke'));
    });

    it('rejects a reporter that is not a function with a TypeError naming errorReporter, and keeps the one in use', () => {
      const inUse = hub.errorReporter;
      expect(() => (hub.errorReporter = bad(42))).to.throw(TypeError, 'hub.errorReporter must be a function, or null/undefined for the default printError, got number 42');
      expect(() => (hub.errorReporter = bad('log'))).to.throw(TypeError, 'hub.errorReporter must be a function, or null/undefined for the default printError, got string "log"');
      expect(() => (hub.errorReporter = bad({}))).to.throw(TypeError, 'hub.errorReporter must be a function');
      expect(hub.errorReporter).to.equal(inUse);
    });

    it('goes back to the default printError when set to null or undefined', async () => {
      hub.errorReporter = null;
      expect(hub.errorReporter).to.equal(printError);
      hub.errorReporter = () => {};
      hub.errorReporter = undefined;
      expect(hub.errorReporter).to.equal(printError);
      const text = await capturingStderr(async () => {
        spawnN(() => {
          throw new Error('printed after a reset');
        });
        await sleep(0.01);
      });
      expect(text).to.contain('printed after a reset');
    });

    it('receives an exception thrown by a hub callback, and the rest of the batch and later sleeps run normally (#24)', async () => {
      const delay = 0.03;
      const err = new Error('callback failed');
      const ran: string[] = [];
      const before = performance.now();
      await sleep(delay);
      expect(since(before)).to.be.at.least(delay - 0.005);
      hub.schedule({
        run() {
          throw err;
        },
      });
      hub.schedule({
        run() {
          ran.push('next entry');
        },
      });
      const after = performance.now();
      await sleep(delay);
      expect(since(after)).to.be.at.least(delay - 0.005);
      expect(ran).to.deep.equal(['next entry']);
      expect(reports).to.have.length(1);
      expect(reports[0]!.err).to.equal(err);
      expect(reports[0]!.source).to.contain('hub callback');
    });
  });

  describe('park', () => {
    it('rejects with the error its arm throws, and the thread is no longer parked', async () => {
      const err = new Error('arm failed');
      const thread = spawn(async () => {
        const failure = await hub.park('broken arm', () => {
          throw err;
        }).catch((e: unknown) => e);
        return { failure, parked: hub.currentScope().parked };
      });
      expect(await thread.wait()).to.deep.equal({ failure: err, parked: false });
    });
  });

  describe('interrupt', () => {
    it('leaves an interruption that reaches no pending point for the next one, undelivered until then', async () => {
      const err = new Error('interrupted');
      const outcome = await inThread(async () => {
        const scope = hub.currentScope();
        const delivered = hub.interrupt(scope, err);
        const waiting = scope.undeliveredInterruption();
        const thrown = await hub.park('test point', () => {}).catch((e: unknown) => e);
        return { delivered, waiting: waiting?.reason, thrown, after: scope.undeliveredInterruption() };
      });
      expect(outcome).to.deep.equal({ delivered: false, waiting: err, thrown: err, after: null });
    });

    it('forgets a waiting interruption withdrawn by whoever raised it, and keeps another one', async () => {
      const mine = new Error('mine');
      const other = new Error('other');
      const outcome = await inThread(async () => {
        const scope = hub.currentScope();
        hub.interrupt(scope, mine);
        scope.withdrawPending(mine);
        const afterMine = scope.undeliveredInterruption();
        hub.interrupt(scope, other);
        scope.withdrawPending(mine);
        const thrown = await sleep(0).then(() => 'no exception', (e: unknown) => e);
        return { afterMine, thrown };
      });
      expect(outcome).to.deep.equal({ afterMine: null, thrown: other });
    });
  });

  describe('abandonGrace', () => {
    it('is how long a killed thread stuck outside cooperative points has before it is abandoned', async () => {
      hub.abandonGrace = 0.15;
      const stuck = spawn(() => never());
      await sleep(0);
      const start = performance.now();
      await stuck.kill();
      expect(since(start)).to.be.at.least(0.14).and.below(0.35);
      expect(stuck.dead).to.equal(true);
    });

    it('also applies to a Timeout firing into a stuck thread', async () => {
      hub.abandonGrace = 0.15;
      const start = performance.now();
      const stuck = spawn(async () => {
        new Timeout(0.01);
        await never();
      });
      const thrown = await stuck.wait().catch((err: unknown) => err);
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect(since(start)).to.be.at.least(0.15).and.below(0.4);
    });

    it('is 0.01 s by default and accepts any finite number of seconds >= 0, 0 included', () => {
      expect(savedGrace).to.equal(0.01);
      hub.abandonGrace = 0;
      expect(hub.abandonGrace).to.equal(0);
      hub.abandonGrace = 2.5;
      expect(hub.abandonGrace).to.equal(2.5);
    });

    it('rejects what is not a finite number of seconds >= 0 with a TypeError or RangeError naming it, keeping its value', () => {
      hub.abandonGrace = 0.2;
      expect(() => (hub.abandonGrace = -1)).to.throw(RangeError, 'hub.abandonGrace: seconds must be >= 0 seconds, got -1');
      expect(() => (hub.abandonGrace = bad('x'))).to.throw(TypeError, 'hub.abandonGrace: seconds must be a number of seconds, got string "x"');
      expect(() => (hub.abandonGrace = NaN)).to.throw(TypeError, 'hub.abandonGrace: seconds must be a number of seconds, got number NaN');
      expect(() => (hub.abandonGrace = bad(null))).to.throw(TypeError, 'hub.abandonGrace: seconds must be a number of seconds, got null');
      expect(() => (hub.abandonGrace = Infinity)).to.throw(RangeError, 'hub.abandonGrace: seconds must be finite and at most 2147483.647, got Infinity');
      expect(() => (hub.abandonGrace = 1e10)).to.throw(RangeError, 'hub.abandonGrace: seconds must be finite and at most 2147483.647, got 10000000000');
      expect(hub.abandonGrace).to.equal(0.2);
    });

    it('does not delay a kill delivered at a cooperative point', async () => {
      hub.abandonGrace = 1;
      const parked = spawn(() => sleep(10));
      await sleep(0);
      const start = performance.now();
      await parked.kill();
      expect(since(start)).to.be.below(0.1);
      expect(parked.dead).to.equal(true);
    });
  });

  describe('inspection', () => {
    it('inspects compactly, as console.log shows it: its settings and its run queue, none of its internals', () => {
      hub.abandonGrace = 0.05;
      const shown = inspect(hub).match(/^Hub \{ abandonGrace: 0\.05, terminationGrace: 1, ready: (\d+) \}$/);
      expect(shown, inspect(hub)).to.not.equal(null);
      const ready = Number(shown![1]);
      hub.schedule({ run() {} });
      hub.schedule({ run() {} });
      expect(inspect({ hub })).to.equal(`{ hub: Hub { abandonGrace: 0.05, terminationGrace: 1, ready: ${ready + 2} } }`);
    });
  });

  describe('resources', () => {
    it('releases what a thread adopts after a kill it has not seen yet (woken just before the kill), right after that step', async () => {
      const released: unknown[] = [];
      let adopted = false;
      let parked: Point<void> | undefined;
      let releasedBeforeNextStep = -1;
      const thread = spawn(async () => {
        await getHub().park<void>('test wait', (point) => {
          parked = point;
        });
        getHub().own({ interrupted: (reason) => released.push(reason) });
        adopted = true;
        await Promise.resolve();
        releasedBeforeNextStep = released.length;
        await never();
      });
      await sleep(0); // the thread is parked
      parked!.wake(undefined); // woken: it resumes on the next microtask...
      await thread.kill(); // ...but the kill comes first, with no point left to reject
      expect(adopted, 'the thread resumed from its woken point before it saw the kill').to.equal(true);
      expect(releasedBeforeNextStep).to.equal(1);
      expect(released).to.have.length(1);
      expect(released[0]).to.be.instanceOf(GreenletExit);
    });

    it('leaves the active resources as they were after 10,000 threads with Timeouts are killed, finish or time out', async function () {
      this.timeout(60_000);
      await sleep(0.02);
      const before = activeResources();
      const count = 10_000;
      const toKill: GreenThread<unknown>[] = [];
      const outcomes: Promise<string>[] = [];
      const expected: Record<string, number> = {};
      for (let i = 0; i < count; i++) {
        let thread: GreenThread<unknown>;
        let kind: string;
        switch (i % 6) {
          case 0: // killed while parked at a cooperative point
            thread = spawn(async () => {
              new Timeout(10);
              await sleep(10);
            });
            toKill.push(thread);
            kind = 'killed';
            break;
          case 1: // killed while awaiting a bare promise (abandoned)
            thread = spawn(async () => {
              new Timeout(10);
              await never();
            });
            toKill.push(thread);
            kind = 'killed';
            break;
          case 2: // finishes normally, its Timeout cancelled by `using`
            thread = spawn(async () => {
              using timeout = new Timeout(10);
              await sleep(0.001);
              return timeout.seconds;
            });
            kind = 'returned';
            break;
          case 3: // finishes normally, leaving its Timeout to be cancelled by the thread's end
            thread = spawn(async () => {
              new Timeout(10);
              await sleep(0);
            });
            kind = 'returned';
            break;
          case 4: // times out at a cooperative point
            thread = spawn(async () => {
              new Timeout(0.01);
              await sleep(10);
            });
            kind = 'timed out';
            break;
          default: // times out while awaiting a bare promise (abandoned)
            thread = spawn(async () => {
              new Timeout(0.01);
              await never();
            });
            kind = 'timed out';
        }
        expected[kind] = (expected[kind] ?? 0) + 1;
        outcomes.push(outcomeOf(thread));
      }
      await sleep(0);
      await Promise.all(toKill.map((thread) => thread.kill()));
      const results = await Promise.all(outcomes);
      const actual: Record<string, number> = {};
      for (const result of results) actual[result] = (actual[result] ?? 0) + 1;
      expect(actual).to.deep.equal(expected);
      await sleep(0.05);
      expect(activeResources()).to.deep.equal(before);
      expect(reports).to.deep.equal([]);
    });

    it('leaves the active resources as they were after 1,000 withTimeout calls that return, time out or get stuck', async function () {
      this.timeout(30_000);
      await sleep(0.02);
      const before = activeResources();
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) {
        if (i % 3 === 0) calls.push(withTimeout(10, sleep, 0.001));
        else if (i % 3 === 1) calls.push(withTimeout({ seconds: 0.01, timeoutValue: 'timed out' }, sleep, 10));
        else calls.push(withTimeout({ seconds: 0.01, timeoutValue: 'timed out' }, never));
      }
      const results = await Promise.all(calls);
      expect(results.filter((r) => r === 'timed out')).to.have.length(666);
      await sleep(0.05);
      expect(activeResources()).to.deep.equal(before);
    });
  });
});
