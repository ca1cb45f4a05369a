// Semaphores (lib/semaphore.ts): Semaphore, BoundedSemaphore, CappedSemaphore.
// Reference: DESIGN.md §3 ("semaphore waiters are served first-in first-out", "Bad input"),
// eventlet-behaviour.md §5 and checklist #44 (Semaphore part), #92-#96.
import { expect } from 'chai';
import { inspect } from 'node:util';
import { BoundedSemaphore, CappedSemaphore, GreenletExit, Semaphore, sleep, spawn, withTimeout } from '../lib/index.js';
import { EARLY_MS, liveTimers, rejectionOf, timerBaseline, witness } from './support.js';

describe('Semaphore', function () {
  describe('construction', function () {
    it('defaults to one unit', function () {
      const sem = new Semaphore();
      expect(sem.counter).to.equal(1);
      expect(sem.locked()).to.equal(false);
    });

    it('accepts 0, 1 and 1e3, truncating fractions like int() (#44)', function () {
      expect(new Semaphore(0).counter).to.equal(0);
      expect(new Semaphore(1).counter).to.equal(1);
      expect(new Semaphore(1e3).counter).to.equal(1000);
      expect(new Semaphore(2.9).counter).to.equal(2);
    });

    it("rejects Semaphore('foo') with a TypeError naming the value (#44)", function () {
      expect(() => new Semaphore('foo' as unknown as number)).to.throw(TypeError, /^Semaphore: value must be a number, got string "foo"/);
      expect(() => new Semaphore(NaN)).to.throw(TypeError, /value/);
      expect(() => new BoundedSemaphore(null as unknown as number)).to.throw(TypeError, /^BoundedSemaphore: value must be a number, got null/);
    });

    it('rejects Semaphore(-1) with a RangeError naming the value (#44)', function () {
      expect(() => new Semaphore(-1)).to.throw(RangeError, /^Semaphore: value must be >= 0, got -1/);
      expect(() => new BoundedSemaphore(-1)).to.throw(RangeError, /BoundedSemaphore: value/);
      expect(() => new Semaphore(Infinity)).to.throw(RangeError, /value must be finite/);
    });
  });

  describe('acquire and release', function () {
    it('takes a free unit at once without yielding', async function () {
      const sem = new Semaphore(2);
      const other = witness();
      expect(await sem.acquire()).to.equal(true);
      expect(await sem.acquire()).to.equal(true);
      expect(other.ran()).to.equal(false);
      expect(sem.counter).to.equal(0);
      expect(sem.locked()).to.equal(true);
    });

    it('waits while no unit is free and resumes on the next turn after a release', async function () {
      const sem = new Semaphore(0);
      const log: string[] = [];
      const waiter = spawn(async () => {
        await sem.acquire();
        log.push('acquired');
      });
      await sleep(0);
      expect(sem.waiting).to.equal(1);
      expect(sem.release()).to.equal(true);
      log.push('released');
      expect(log).to.deep.equal(['released']);
      await waiter.wait();
      expect(log).to.deep.equal(['released', 'acquired']);
      expect(sem.counter).to.equal(0);
      expect(sem.waiting).to.equal(0);
    });

    it('lets release raise the counter above the initial value and never yields', function () {
      const sem = new Semaphore(1);
      const other = witness();
      sem.release();
      sem.release();
      expect(sem.counter).to.equal(3);
      expect(other.ran()).to.equal(false);
    });

    it('reports locked() when the counter is 0 and bounded() never for a plain Semaphore', async function () {
      const sem = new Semaphore(1);
      expect(sem.locked()).to.equal(false);
      expect(sem.bounded()).to.equal(false);
      await sem.acquire();
      expect(sem.locked()).to.equal(true);
      sem.release();
      sem.release();
      expect(sem.bounded()).to.equal(false);
    });

    it('reports balance as free units minus waiting acquirers', async function () {
      const sem = new Semaphore(1);
      expect(sem.balance).to.equal(1);
      await sem.acquire();
      expect(sem.balance).to.equal(0);
      const waiters = [0, 1].map(() => spawn(() => sem.acquire()));
      await sleep(0);
      expect(sem.balance).to.equal(-2);
      sem.release();
      sem.release();
      await Promise.all(waiters.map((w) => w.wait()));
      expect(sem.balance).to.equal(0);
    });

    it('wakes five blocked acquirers first-in first-out (#96)', async function () {
      const sem = new Semaphore(0);
      const order: number[] = [];
      const waiters = [0, 1, 2, 3, 4].map((i) =>
        spawn(async () => {
          await sem.acquire();
          order.push(i);
        }),
      );
      await sleep(0);
      for (let i = 0; i < 5; i++) {
        sem.release();
        await sleep(0);
      }
      await Promise.all(waiters.map((w) => w.wait()));
      expect(order).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it('queues a blocking acquire behind earlier waiters even while a released unit is not yet handed over', async function () {
      const sem = new Semaphore(0);
      const order: string[] = [];
      const first = spawn(async () => {
        await sem.acquire();
        order.push('first');
      });
      await sleep(0);
      sem.release();
      const late = sem.acquire().then(() => order.push('late'));
      await first.wait();
      expect(order).to.deep.equal(['first']);
      expect(sem.waiting).to.equal(1);
      sem.release();
      await late;
      expect(order).to.deep.equal(['first', 'late']);
    });

    it('lets a non-blocking acquire barge in before a woken waiter, without losing its wake-up', async function () {
      const sem = new Semaphore(0);
      const waiter = spawn(() => sem.acquire());
      await sleep(0);
      sem.release();
      expect(sem.locked()).to.equal(false);
      expect(await sem.acquire(false)).to.equal(true);
      await sleep(0);
      await sleep(0);
      expect(waiter.dead).to.equal(false);
      expect(sem.waiting).to.equal(1);
      expect(sem.counter).to.equal(0);
      sem.release();
      expect(await waiter.wait()).to.equal(true);
      expect(sem.counter).to.equal(0);
    });

    it('gives two workers contending for a mutex nearly equal shares (#95)', async function () {
      const mutex = new Semaphore(1);
      const counts = [0, 0];
      let stop = false;
      const worker = async (no: number): Promise<void> => {
        while (!stop) {
          await mutex.acquire();
          try {
            counts[no]!++;
            await sleep(0.001);
          } finally {
            mutex.release();
          }
        }
      };
      const workers = [spawn(worker, 0), spawn(worker, 1)];
      await sleep(0.15);
      stop = true;
      await Promise.all(workers.map((w) => w.wait()));
      const least = Math.min(...counts);
      expect(least, `counts ${counts.join('/')}`).to.be.at.least(10);
      expect(Math.abs(counts[0]! - counts[1]!), `counts ${counts.join('/')}`).to.be.at.most(Math.max(1, Math.floor(least * 0.1)));
    });
  });

  describe('blocking = false and timeouts', function () {
    it('resolves acquire(false) false at once when locked (#94)', async function () {
      const sem = new Semaphore(0);
      const other = witness();
      expect(await sem.acquire(false)).to.equal(false);
      expect(other.ran()).to.equal(false);
      expect(sem.waiting).to.equal(0);
    });

    it('resolves acquire(false) true when a unit is free', async function () {
      const sem = new Semaphore(1);
      expect(await sem.acquire(false)).to.equal(true);
      expect(sem.counter).to.equal(0);
    });

    it('resolves acquire(true, 0.05) false after at least the timeout, then forgets the waiter and its timer (#94)', async function () {
      const sem = new Semaphore(0);
      const timersBefore = await timerBaseline();
      const start = performance.now();
      expect(await sem.acquire(true, 0.05)).to.equal(false);
      const ms = performance.now() - start;
      expect(ms).to.be.at.least(50 - EARLY_MS);
      expect(ms).to.be.below(2000);
      expect(sem.waiting).to.equal(0);
      expect(sem.balance).to.equal(0);
      expect(liveTimers()).to.equal(timersBefore);
    });

    it('resolves a timed acquire true when a release comes first, and clears its timer', async function () {
      const sem = new Semaphore(0);
      const timersBefore = await timerBaseline();
      const waiter = spawn(() => sem.acquire(true, 30));
      await sleep(0);
      expect(liveTimers()).to.equal(timersBefore + 1);
      sem.release();
      expect(await waiter.wait()).to.equal(true);
      expect(liveTimers()).to.equal(timersBefore);
    });

    it('does not let a timed-out waiter take a later release', async function () {
      const sem = new Semaphore(0);
      expect(await sem.acquire(true, 0.01)).to.equal(false);
      sem.release();
      expect(sem.counter).to.equal(1);
      expect(await sem.acquire(false)).to.equal(true);
    });

    it('treats a timeout of -1 as waiting for ever, with no timer', async function () {
      const sem = new Semaphore(0);
      const timersBefore = await timerBaseline();
      const waiter = spawn(() => sem.acquire(true, -1));
      await sleep(0);
      expect(sem.waiting).to.equal(1);
      expect(liveTimers()).to.equal(timersBefore);
      sem.release();
      expect(await waiter.wait()).to.equal(true);
      expect(await sem.acquire(false, -1)).to.equal(false);
    });

    it('rejects acquire(false, timeout) with a TypeError naming the timeout (#94)', function () {
      const sem = new Semaphore(0);
      expect(() => sem.acquire(false, 1)).to.throw(TypeError, /Semaphore\.acquire: can't specify timeout for non-blocking acquire/);
      expect(sem.waiting).to.equal(0);
    });

    it('rejects a negative timeout other than -1 with a RangeError naming it', function () {
      const sem = new Semaphore(0);
      expect(() => sem.acquire(true, -2)).to.throw(RangeError, /Semaphore\.acquire: timeout must be >= 0/);
      expect(() => sem.acquire(true, 'soon' as unknown as number)).to.throw(TypeError, /timeout must be a number of seconds/);
    });

    it('rejects a blocking flag that is not a boolean, naming it', function () {
      expect(() => new Semaphore(1).acquire(1 as unknown as boolean)).to.throw(TypeError, /Semaphore\.acquire: blocking must be a boolean, got number 1/);
    });
  });

  describe('interruption', function () {
    it('removes a killed waiter and its timer; the next release goes to the next waiter', async function () {
      const sem = new Semaphore(0);
      const timersBefore = await timerBaseline();
      const victim = spawn(() => sem.acquire(true, 30));
      const survivor = spawn(() => sem.acquire());
      await sleep(0);
      expect(sem.waiting).to.equal(2);
      await victim.kill();
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
      expect(sem.waiting).to.equal(1);
      expect(sem.balance).to.equal(-1);
      expect(liveTimers()).to.equal(timersBefore);
      sem.release();
      expect(await survivor.wait()).to.equal(true);
      expect(sem.counter).to.equal(0);
    });

    it('removes a waiter whose withTimeout expired without taking a unit', async function () {
      const sem = new Semaphore(0);
      expect(await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => sem.acquire())).to.equal('gave up');
      expect(sem.waiting).to.equal(0);
      sem.release();
      expect(sem.counter).to.equal(1);
    });
  });
});

describe('BoundedSemaphore', function () {
  it('throws a RangeError when released above its initial value (#96)', function () {
    const sem = new BoundedSemaphore(1);
    expect(() => sem.release()).to.throw(RangeError, /BoundedSemaphore\.release: semaphore released too many times/);
    expect(sem.counter).to.equal(1);
  });

  it('releases what was acquired and reports bounded() at its initial value', async function () {
    const sem = new BoundedSemaphore(2);
    expect(sem.originalCounter).to.equal(2);
    expect(sem.bounded()).to.equal(true);
    await sem.acquire();
    expect(sem.bounded()).to.equal(false);
    expect(sem.release()).to.equal(true);
    expect(sem.bounded()).to.equal(true);
    expect(() => sem.release()).to.throw(RangeError);
  });

  it('hands a release to a waiter like Semaphore', async function () {
    const sem = new BoundedSemaphore(1);
    await sem.acquire();
    const waiter = spawn(() => sem.acquire());
    await sleep(0);
    sem.release();
    expect(await waiter.wait()).to.equal(true);
    expect(sem.counter).to.equal(0);
  });
});

describe('CappedSemaphore', function () {
  it('tracks the balance through acquires and releases that wait on each other (#92)', async function () {
    const sem = new CappedSemaphore(2, 3);
    expect(await sem.acquire()).to.equal(true);
    expect(await sem.acquire()).to.equal(true);
    const releaser = spawn(() => sem.release());
    expect(await sem.acquire()).to.equal(true);
    expect(sem.balance).to.equal(-3);
    for (let i = 0; i < 3; i++) expect(await sem.release()).to.equal(true);
    const acquirer = spawn(() => sem.acquire());
    expect(await sem.release()).to.equal(true);
    expect(sem.balance).to.equal(3);
    expect(await releaser.wait()).to.equal(true);
    expect(await acquirer.wait()).to.equal(true);
  });

  it('passes a release to a waiting acquire when count and limit are 0 (#93)', async function () {
    const sem = new CappedSemaphore(0, 0);
    const acquirer = spawn(() => sem.acquire());
    await sleep(0);
    expect(await withTimeout({ seconds: 1, timeoutValue: 'deadlock' }, () => sem.release())).to.equal(true);
    expect(await acquirer.wait()).to.equal(true);
    expect(sem.counter).to.equal(0);
  });

  it('passes an acquire to a waiting release when count and limit are 0 (#93)', async function () {
    const sem = new CappedSemaphore(0, 0);
    const releaser = spawn(() => sem.release());
    await sleep(0);
    expect(await withTimeout({ seconds: 1, timeoutValue: 'deadlock' }, () => sem.acquire())).to.equal(true);
    expect(await releaser.wait()).to.equal(true);
    expect(sem.counter).to.equal(0);
  });

  it('waits in acquire at 0 and in release at the limit', async function () {
    const sem = new CappedSemaphore(0, 1);
    expect(sem.locked()).to.equal(true);
    expect(sem.bounded()).to.equal(false);
    const acquirer = spawn(() => sem.acquire());
    await sleep(0);
    expect(acquirer.dead).to.equal(false);
    expect(await sem.release()).to.equal(true);
    expect(await acquirer.wait()).to.equal(true);
    expect(sem.counter).to.equal(0);

    expect(await sem.release()).to.equal(true);
    expect(sem.counter).to.equal(1);
    expect(sem.bounded()).to.equal(true);
    const releaser = spawn(() => sem.release());
    await sleep(0);
    expect(releaser.dead).to.equal(false);
    expect(await sem.acquire()).to.equal(true);
    expect(await releaser.wait()).to.equal(true);
    expect(sem.counter).to.equal(1);
  });

  it('resolves acquire(false) false at 0 and release(false) false at the limit, changing nothing', async function () {
    const sem = new CappedSemaphore(0, 1);
    expect(await sem.acquire(false)).to.equal(false);
    expect(await sem.release(false)).to.equal(true);
    expect(await sem.release(false)).to.equal(false);
    expect(sem.counter).to.equal(1);
    expect(await sem.acquire(false)).to.equal(true);
    expect(sem.counter).to.equal(0);
    expect(sem.balance).to.equal(-1);
  });

  it('leaves the counts as they were when a waiting acquire or release is interrupted', async function () {
    const sem = new CappedSemaphore(0, 1);
    const balance = sem.balance;
    expect(await withTimeout({ seconds: 0.01, timeoutValue: 'gave up' }, () => sem.acquire())).to.equal('gave up');
    expect([sem.counter, sem.balance]).to.deep.equal([0, balance]);
    await sem.release();
    const full = sem.balance;
    const releaser = spawn(() => sem.release());
    await sleep(0);
    await releaser.kill();
    expect([sem.counter, sem.balance]).to.deep.equal([1, full]);
    expect(await sem.release(false)).to.equal(false);
    expect(await sem.acquire(false)).to.equal(true);
    expect(sem.counter).to.equal(0);
  });

  it('validates count and limit, naming them', function () {
    expect(() => new CappedSemaphore(-1, 3)).to.throw(RangeError, /CappedSemaphore: count must be >= 0/);
    expect(() => new CappedSemaphore(4, 3)).to.throw(RangeError, /count \(4\) cannot be more than limit \(3\)/);
    expect(() => new CappedSemaphore('2' as unknown as number, 3)).to.throw(TypeError, /CappedSemaphore: count must be a number/);
    expect(() => new CappedSemaphore(1, undefined as unknown as number)).to.throw(TypeError, /CappedSemaphore: limit must be a number/);
  });

  it('throws a TypeError naming blocking when it is not a boolean', function () {
    const sem = new CappedSemaphore(1, 2);
    expect(() => sem.acquire('no' as unknown as boolean)).to.throw(TypeError, /CappedSemaphore\.acquire: blocking must be a boolean/);
    expect(() => sem.release(0 as unknown as boolean)).to.throw(TypeError, /CappedSemaphore\.release: blocking must be a boolean/);
    expect(sem.counter).to.equal(1);
  });
});

describe('semaphore inspection', function () {
  it('inspects compactly, as console.log shows it: its count and waiters, none of its internals', async function () {
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiter = spawn(() => sem.acquire());
    await sleep(0);
    expect(inspect(sem)).to.equal('Semaphore { counter: 0, waiting: 1 }');
    sem.release();
    await waiter.wait();
    expect(inspect({ bounded: new BoundedSemaphore(2) })).to.equal('{ bounded: BoundedSemaphore { counter: 2, waiting: 0 } }');
    expect(inspect(new CappedSemaphore(1, 3))).to.equal('CappedSemaphore { counter: 1, balance: -1 }');
  });
});
