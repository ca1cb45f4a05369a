/**
 * GreenPool and GreenPile (lib/greenpool.ts): bounded concurrency, waiting spawners, resize,
 * waitall, imap/starmap and piles of results in spawn order.
 * Numbers such as (#36) refer to the checklist in shared/reference/eventlet-behaviour.md §11;
 * "§10.n" to the eventlet bugs a port must not copy.
 */
import { expect } from 'chai';
import { inspect } from 'node:util';
import {
  debug,
  Event,
  GreenletExit,
  GreenPile,
  GreenPool,
  Queue,
  sleep,
  spawn,
  Timeout,
  withTimeout,
  type GreenThread,
} from '../lib/index.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bad, captureErrorReports, errorFrom, liveTimers, rejectionOf, witness } from './support.js';

/** [start, start + 1, ..., start + n - 1] */
const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

/** An exception class in the role of Python's RuntimeError. */
class RuntimeError extends Error {
  constructor(message = 'runtime error') {
    super(message);
    this.name = 'RuntimeError';
  }
}

type Settled<T> = { settled: false } | { settled: true; value?: T; error?: unknown };

/**
 * How `promise` settled within `seconds` (measured with a plain Node timer), or `settled: false`
 * if it is still pending then: the way to tell "hangs" from "finishes" without hanging the test.
 */
async function within<T>(promise: Promise<T>, seconds: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), seconds * 1000);
  });
  const settled = promise.then(
    (value): Settled<T> => ({ settled: true, value }),
    (error: unknown): Settled<T> => ({ settled: true, error }),
  );
  try {
    return await Promise.race([settled, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The value `promise` resolves with within `seconds`; fails the test if it hangs or rejects. */
async function valueWithin<T>(promise: Promise<T>, seconds = 2): Promise<T> {
  const outcome = await within(promise, seconds);
  if (!outcome.settled) throw new Error(`still pending after ${seconds} s (hang)`);
  if ('error' in outcome && outcome.error !== undefined) throw outcome.error;
  return outcome.value as T;
}

/** Everything an async iterator yields, until done. */
async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Calls `next()` `n` times, recording each value or, for a rejection, `onError(err)`. */
async function nextEach<T>(it: AsyncIterator<T>, n: number, onError: (err: unknown) => unknown): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const step = await valueWithin(it.next());
      seen.push(step.done ? 'done' : step.value);
    } catch (err) {
      seen.push(onError(err));
    }
  }
  return seen;
}

/** Counts how many jobs run at once. */
function concurrency(): { enter: () => void; leave: () => void; readonly peak: number; readonly active: number } {
  let active = 0;
  let peak = 0;
  return {
    enter: () => {
      active++;
      peak = Math.max(peak, active);
    },
    leave: () => {
      active--;
    },
    get peak() {
      return peak;
    },
    get active() {
      return active;
    },
  };
}

describe('greenpool', () => {
  const reports = captureErrorReports();

  describe('GreenPool constructor', () => {
    it('accepts 0, 1 and 1e3, giving that many free slots (#44)', () => {
      for (const [size, slots] of [
        [0, 0],
        [1, 1],
        [1e3, 1000],
      ] as const) {
        const pool = new GreenPool(size);
        expect(pool.size, `size for ${size}`).to.equal(slots);
        expect(pool.free(), `free() for ${size}`).to.equal(slots);
        expect(pool.running()).to.equal(0);
        expect(pool.waiting()).to.equal(0);
      }
    });

    it('has 1000 slots by default and truncates a fractional size, as int() does', () => {
      expect(new GreenPool().size).to.equal(1000);
      expect(new GreenPool().free()).to.equal(1000);
      expect(new GreenPool(2.9).size).to.equal(2);
      expect(new GreenPool(2.9).free()).to.equal(2);
    });

    it('rejects a size that is not a number with a TypeError naming size (#44)', () => {
      for (const value of ['foo', '5', null, NaN, {}, [3]]) {
        expect(() => new GreenPool(bad(value)), String(value))
          .to.throw(TypeError)
          .with.property('message')
          .that.matches(/GreenPool/)
          .and.matches(/size/);
      }
    });

    it('rejects a negative size with a RangeError naming size (#44)', () => {
      expect(() => new GreenPool(-1))
        .to.throw(RangeError)
        .with.property('message')
        .that.matches(/size/)
        .and.matches(/-1/);
    });

    it('makes every spawn wait in GreenPool(0) until it is resized (#44)', async () => {
      const pool = new GreenPool(0);
      let ran = false;
      const spawning = pool.spawn(() => {
        ran = true;
      });
      expect((await within(spawning, 0.05)).settled).to.equal(false);
      expect(pool.waiting()).to.equal(1);
      expect(ran).to.equal(false);
      pool.resize(1);
      const thread = await valueWithin(spawning);
      await thread.wait();
      expect(ran).to.equal(true);
    });
  });

  describe('spawn and spawnN', () => {
    it('returns each job\'s result from its thread, in spawn order, with GreenPool(4) and 10 jobs (#26)', async () => {
      const pool = new GreenPool(4);
      const threads: GreenThread<number>[] = [];
      for (const i of range(10)) threads.push(await pool.spawn((x: number) => x, i));
      const results: number[] = [];
      for (const t of threads) results.push(await t.wait());
      expect(results).to.deep.equal(range(10));
    });

    it('never runs more than size jobs at once, and waitall() sees every job done (#27)', async () => {
      const pool = new GreenPool(4);
      const meter = concurrency();
      const done: number[] = [];
      for (const i of range(10)) {
        await pool.spawn(async (x: number) => {
          meter.enter();
          await sleep(0.005);
          done.push(x);
          meter.leave();
        }, i);
        expect(pool.running()).to.be.at.most(4);
      }
      await pool.waitall();
      expect(done).to.deep.equal(range(10));
      expect(meter.peak).to.equal(4);
      expect(pool.running()).to.equal(0);
      expect(pool.free()).to.equal(4);
    });

    it('takes a free slot without yielding to other green threads, and gives it back once the job ends (#34)', async () => {
      const pool = new GreenPool(2);
      const other = witness();
      const thread = await pool.spawn(() => 'x');
      expect(other.ran(), 'spawn with a free slot yielded').to.equal(false);
      expect(pool.free()).to.equal(1);
      expect(pool.running()).to.equal(1);
      expect(await thread.wait()).to.equal('x');
      await sleep(0);
      expect(pool.free()).to.equal(2);
      expect(pool.running()).to.equal(0);
    });

    it('makes a spawnN into an exhausted pool yield, so the earlier spawnN jobs have run by then (#34)', async () => {
      const pool = new GreenPool(2);
      const log: number[] = [];
      await pool.spawnN((x: number) => log.push(x), 0);
      await pool.spawnN((x: number) => log.push(x), 1);
      expect(log).to.deep.equal([]);
      expect(pool.free()).to.equal(0);
      await valueWithin(pool.spawnN((x: number) => log.push(x), 2));
      expect(log.slice(0, 2)).to.deep.equal([0, 1]);
      await pool.waitall();
      expect(log).to.deep.equal([0, 1, 2]);
    });

    it('counts a spawn that found a free slot at once, so waitall() right after an unawaited spawnN waits for it', async () => {
      const pool = new GreenPool(2);
      let finished = false;
      void pool.spawnN(async () => {
        await sleep(0.02);
        finished = true;
      });
      expect(pool.running()).to.equal(1);
      await valueWithin(pool.waitall());
      expect(finished).to.equal(true);
    });

    it('starts pooled jobs in spawn order together with plain spawns', async () => {
      const pool = new GreenPool(4);
      const log: string[] = [];
      void pool.spawnN(() => log.push('pooled 1'));
      spawn(() => log.push('plain'));
      void pool.spawn(() => log.push('pooled 2'));
      await sleep(0);
      await sleep(0);
      expect(log).to.deep.equal(['pooled 1', 'plain', 'pooled 2']);
    });

    it('serves spawners waiting for a slot first-in first-out, for spawn and spawnN alike', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      const order: string[] = [];
      await pool.spawn(() => release.wait());
      const spawners = [
        spawn(() => pool.spawn(() => order.push('a'))),
        spawn(() => pool.spawnN(() => order.push('b'))),
        spawn(() => pool.spawn(() => order.push('c'))),
        spawn(() => pool.spawnN(() => order.push('d'))),
      ];
      await sleep(0.01);
      expect(pool.waiting()).to.equal(4);
      expect(order).to.deep.equal([]);
      release.send();
      for (const s of spawners) await valueWithin<unknown>(s.wait());
      await pool.waitall();
      expect(order).to.deep.equal(['a', 'b', 'c', 'd']);
    });

    it('reports waiting() 0, 1, 2 as spawners block, running() 1, and both 0 once all finished (#28)', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      await pool.spawn(() => release.wait());
      expect(pool.waiting()).to.equal(0);
      const first = spawn(() => pool.spawn(() => 'one'));
      await sleep(0);
      expect(pool.waiting()).to.equal(1);
      const second = spawn(() => pool.spawn(() => 'two'));
      await sleep(0);
      expect(pool.waiting()).to.equal(2);
      expect(pool.running()).to.equal(1);
      release.send();
      expect(await (await valueWithin(first.wait())).wait()).to.equal('one');
      expect(await (await valueWithin(second.wait())).wait()).to.equal('two');
      await pool.waitall();
      expect(pool.waiting()).to.equal(0);
      expect(pool.running()).to.equal(0);
    });

    it('lets a spawnN producer wake a pooled consumer: the log is cons1, prod, cons2 (#29)', async () => {
      const pool = new GreenPool(2);
      const evt = new Event<string>();
      const log: string[] = [];
      await pool.spawn(async () => {
        log.push('cons1');
        expect(await evt.wait()).to.equal('value');
        log.push('cons2');
      });
      await pool.spawnN(() => {
        log.push('prod');
        evt.send('value');
      });
      await valueWithin(pool.waitall());
      expect(log).to.deep.equal(['cons1', 'prod', 'cons2']);
    });

    it('lets a job spawn into its own full pool and wait for the child without deadlock (#31)', async () => {
      const pool = new GreenPool(1);
      const outer = await pool.spawn(async () => {
        const inner = await pool.spawn(() => 'reenter');
        return inner.wait();
      });
      expect(await valueWithin(outer.wait())).to.equal('reenter');
      await pool.waitall();
      expect(pool.free()).to.equal(1);
      expect(pool.running()).to.equal(0);
    });

    it('keeps a job spawning into its own full pool waiting until its child has ended, so a recursive crawl never has more jobs at work than slots', async () => {
      const pool = new GreenPool(5);
      let atWork = 0;
      let most = 0;
      let pages = 0;
      const fetchPage = async (depth: number): Promise<void> => {
        atWork++;
        most = Math.max(most, atWork);
        await sleep(0.002);
        atWork--;
        pages++;
        if (depth < 4) for (let i = 0; i < 3; i++) await pool.spawnN(fetchPage, depth + 1);
      };
      await pool.spawnN(fetchPage, 0);
      await valueWithin(pool.waitall(), 10);
      expect(pages).to.equal(1 + 3 + 9 + 27 + 81);
      expect(most, 'jobs at work at once').to.be.at.most(5);
      expect(pool.free()).to.equal(5);
      const single = new GreenPool(1);
      const child = await valueWithin((await single.spawn(async () => (await single.spawn(() => 'inner')).dead)).wait());
      expect(child, 'spawn() from the job of a full pool resolves once the child is dead').to.equal(true);
    });

    it('lets a spawnN job spawnN into its own full pool without deadlock (#31)', async () => {
      const pool = new GreenPool(1);
      const done = new Event<string>();
      await pool.spawnN(async () => {
        await pool.spawnN(() => done.send('reenter'));
      });
      expect(await done.wait(2)).to.equal('reenter');
      await valueWithin(pool.waitall());
      expect(pool.free()).to.equal(1);
    });

    it('stays usable after a job times out inside a queue get (pool smash) (#33)', async () => {
      const pool = new GreenPool(1);
      const queue = new Queue<string>();
      const smashed = await pool.spawn(async () => {
        const timeout = new Timeout(0.02);
        try {
          return await queue.get();
        } catch (err) {
          if (err !== timeout) throw err;
          return 'timed out';
        } finally {
          timeout.cancel();
        }
      });
      expect(await valueWithin(smashed.wait())).to.equal('timed out');
      const next = await valueWithin(pool.spawn(async () => {
        await queue.put('hi');
        return queue.get();
      }));
      expect(await valueWithin(next.wait())).to.equal('hi');
      await pool.waitall();
      expect(pool.free()).to.equal(1);
      expect(queue.getting()).to.equal(0);
    });

    for (const [label, make] of [
      ['RuntimeError', () => new RuntimeError('job failed')],
      ['GreenletExit', () => new GreenletExit()],
    ] as const) {
      it(`gives the slot back when a spawn job throws ${label} (#35)`, async () => {
        const pool = new GreenPool(2);
        const error = make();
        const thread = await pool.spawn(() => {
          throw error;
        });
        await pool.waitall();
        expect(pool.free()).to.equal(2);
        expect(pool.running()).to.equal(0);
        expect(await rejectionOf(thread.wait())).to.equal(error);
      });

      it(`gives the slot back when a spawnN job throws ${label}, reporting it unless it is GreenletExit (#35)`, async () => {
        const pool = new GreenPool(2);
        const error = make();
        await pool.spawnN(() => {
          throw error;
        });
        await pool.waitall();
        expect(pool.free()).to.equal(2);
        expect(pool.running()).to.equal(0);
        expect(reports.map((r) => r.err)).to.deep.equal(error instanceof GreenletExit ? [] : [error]);
      });
    }

    it('gives the slot back when a running job is killed, so the next spawner gets it (#35)', async () => {
      const pool = new GreenPool(1);
      let cleanedUp = false;
      const victim = await pool.spawn(async () => {
        try {
          await sleep(10);
        } finally {
          cleanedUp = true;
        }
      });
      await sleep(0.005);
      const next = pool.spawn(() => 'next');
      await victim.kill();
      expect(cleanedUp).to.equal(true);
      const thread = await valueWithin(next, 1);
      expect(await thread.wait()).to.equal('next');
      await pool.waitall();
      expect(pool.free()).to.equal(1);
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
    });

    it('rejects a spawn of something that is not a function with a TypeError naming fn, taking no slot', async () => {
      const pool = new GreenPool(2);
      for (const call of [() => pool.spawn(bad(42)), () => pool.spawnN(bad('f'))]) {
        const err = await errorFrom(call);
        expect(err).to.be.instanceOf(TypeError);
        expect((err as Error).message).to.match(/fn/);
      }
      expect(pool.free()).to.equal(2);
      expect(pool.running()).to.equal(0);
    });
  });

  describe('a spawner waiting in a full pool', () => {
    it('is interrupted by a Timeout(0, RuntimeError) in its thread, and resize() then adjusts free() (#32)', async () => {
      const pool = new GreenPool(2);
      const release = new Event();
      await pool.spawn(() => release.wait());
      await pool.spawn(() => release.wait());
      expect(pool.free()).to.equal(0);
      expect(pool.running()).to.equal(2);
      let ran = false;
      const attempt = spawn(async () => {
        const timeout = new Timeout(0, RuntimeError);
        try {
          await pool.spawn(() => {
            ran = true;
          });
          return 'spawned';
        } catch (err) {
          return err;
        } finally {
          timeout.cancel();
        }
      });
      expect(await valueWithin(attempt.wait())).to.be.instanceOf(RuntimeError);
      expect(pool.waiting()).to.equal(0);
      pool.resize(1);
      release.send();
      await valueWithin(pool.waitall());
      expect(pool.free()).to.equal(1);
      expect(pool.running()).to.equal(0);
      pool.resize(2);
      expect(pool.free()).to.equal(2);
      await sleep(0.01);
      expect(ran, 'the interrupted spawn still ran its job').to.equal(false);
    });

    it('is interrupted by withTimeout, leaves waiting() at 0 and takes no slot (#32, #41)', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      await pool.spawn(() => release.wait());
      let ran = false;
      const err = await rejectionOf(
        withTimeout(0.02, () =>
          pool.spawn(() => {
            ran = true;
          }),
        ),
      );
      expect(err).to.be.instanceOf(Timeout);
      expect(pool.waiting()).to.equal(0);
      release.send();
      await valueWithin(pool.waitall());
      expect(pool.free()).to.equal(1);
      expect(ran).to.equal(false);
    });

    it('is interrupted when its green thread is killed, and the spawners behind it keep their turn (#33, #41)', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      const order: string[] = [];
      await pool.spawn(() => release.wait());
      const first = spawn(() => pool.spawn(() => order.push('first')));
      const victim = spawn(() => pool.spawnN(() => order.push('victim')));
      const last = spawn(() => pool.spawn(() => order.push('last')));
      await sleep(0.01);
      expect(pool.waiting()).to.equal(3);
      await victim.kill();
      expect(pool.waiting()).to.equal(2);
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
      release.send();
      await valueWithin(first.wait());
      await valueWithin(last.wait());
      await valueWithin(pool.waitall());
      expect(order).to.deep.equal(['first', 'last']);
      expect(pool.waiting()).to.equal(0);
      expect(pool.free()).to.equal(1);
    });
  });

  describe('resize', () => {
    it('wakes spawners already waiting as soon as it grows the pool, unlike eventlet (§10.2)', async () => {
      const pool = new GreenPool(1);
      const holder = new Event();
      const started: string[] = [];
      await pool.spawn(() => holder.wait());
      const a = spawn(() => pool.spawn(() => started.push('a')));
      const b = spawn(() => pool.spawn(() => started.push('b')));
      await sleep(0.01);
      expect(pool.waiting()).to.equal(2);
      pool.resize(3);
      await valueWithin(a.wait(), 0.5);
      await valueWithin(b.wait(), 0.5);
      await sleep(0.01);
      expect(started).to.deep.equal(['a', 'b']);
      expect(pool.running(), 'the holder still runs').to.equal(1);
      expect(pool.waiting()).to.equal(0);
      holder.send();
      await pool.waitall();
      expect(pool.free()).to.equal(3);
    });

    it('makes free() negative when it shrinks below running() and kills nothing', async () => {
      const pool = new GreenPool(3);
      const release = new Event();
      const finished: number[] = [];
      for (const i of range(3)) {
        await pool.spawn(async (x: number) => {
          await release.wait();
          finished.push(x);
        }, i);
      }
      pool.resize(1);
      expect(pool.size).to.equal(1);
      expect(pool.free()).to.equal(-2);
      expect(pool.running()).to.equal(3);
      let lateRan = false;
      const late = pool.spawn(() => {
        lateRan = true;
      });
      await sleep(0.01);
      expect(pool.running()).to.equal(3);
      expect(lateRan).to.equal(false);
      release.send();
      await valueWithin(late);
      await valueWithin(pool.waitall());
      expect(finished).to.deep.equal([0, 1, 2]);
      expect(lateRan).to.equal(true);
      expect(pool.free()).to.equal(1);
    });

    it('validates the new size and leaves the pool unchanged when it is bad', () => {
      const pool = new GreenPool(3);
      expect(() => pool.resize(-1)).to.throw(RangeError, /newSize/);
      expect(() => pool.resize(bad('2'))).to.throw(TypeError, /newSize/);
      expect(pool.size).to.equal(3);
      expect(pool.free()).to.equal(3);
    });
  });

  describe('waitall', () => {
    it('returns at once on an empty pool, without yielding (#39)', async () => {
      const pool = new GreenPool(3);
      const other = witness();
      await valueWithin(pool.waitall());
      expect(other.ran()).to.equal(false);
    });

    it('waits for spawn and spawnN jobs alike', async () => {
      const pool = new GreenPool(5);
      const done: string[] = [];
      await pool.spawn(async () => {
        await sleep(0.02);
        done.push('spawn');
      });
      await pool.spawnN(async () => {
        await sleep(0.03);
        done.push('spawnN');
      });
      await valueWithin(pool.waitall());
      expect(done).to.have.members(['spawn', 'spawnN']);
      expect(pool.running()).to.equal(0);
    });

    it('rejects when called from one of the pool\'s own threads, which would never terminate (#39)', async () => {
      const pool = new GreenPool(2);
      const thread = await pool.spawn(() => pool.waitall());
      const err = await rejectionOf(valueWithin(thread.wait()));
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).message).to.match(/waitall/).and.match(/never terminate/);
      await valueWithin(pool.waitall());
    });

    it('does not hang when the pool drains while spawners are still waiting (§10.1)', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      const log: string[] = [];
      await pool.spawn(async () => {
        await release.wait();
        log.push('a');
      });
      const b = spawn(() =>
        pool.spawn(async () => {
          await sleep(0.005);
          log.push('b');
        }),
      );
      const c = spawn(() => pool.spawnN(() => log.push('c')));
      await sleep(0.01);
      expect(pool.waiting()).to.equal(2);
      const all = pool.waitall();
      release.send();
      await valueWithin(all);
      expect(log, 'waitall returned before the waiting spawners ran').to.deep.equal(['a', 'b', 'c']);
      expect(pool.running()).to.equal(0);
      await b.wait();
      await c.wait();
    });

    it('waits for spawners still waiting for a slot even while no job runs', async () => {
      const pool = new GreenPool(0);
      let finished = false;
      const spawning = pool.spawnN(async () => {
        await sleep(0.01);
        finished = true;
      });
      const all = pool.waitall();
      expect((await within(all, 0.03)).settled, 'waitall returned with a spawner waiting').to.equal(false);
      pool.resize(1);
      await valueWithin(all);
      expect(finished).to.equal(true);
      await spawning;
    });

    it('does not hang when the last waiting spawner gives up after the pool drained', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      await pool.spawn(() => release.wait());
      pool.resize(0);
      const givesUp = spawn(() => withTimeout(0.05, () => pool.spawn(() => 'never')));
      await sleep(0.005);
      expect(pool.waiting()).to.equal(1);
      const all = pool.waitall();
      release.send();
      expect((await within(all, 1)).settled, 'waitall hung').to.equal(true);
      expect(await rejectionOf(givesUp.wait())).to.be.instanceOf(Timeout);
    });

    it('does not hang in GreenPool(0) once the only spawner gives up', async () => {
      const pool = new GreenPool(0);
      const givesUp = spawn(() => withTimeout(0.03, () => pool.spawnN(() => 'never')));
      await sleep(0.005);
      const all = pool.waitall();
      expect((await within(all, 1)).settled, 'waitall hung').to.equal(true);
      expect(await rejectionOf(givesUp.wait())).to.be.instanceOf(Timeout);
    });

    it('can itself be interrupted by withTimeout while jobs run', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      await pool.spawn(() => release.wait());
      expect(await rejectionOf(withTimeout(0.02, () => pool.waitall()))).to.be.instanceOf(Timeout);
      release.send();
      await valueWithin(pool.waitall());
    });
  });

  describe('imap and starmap', () => {
    it('returns results in input order whatever the completion order (#36)', async () => {
      const pool = new GreenPool(4);
      const late = async (x: number): Promise<number> => {
        await sleep((10 - x) * 0.003);
        return x;
      };
      expect(await valueWithin(collect(pool.imap(late, range(10))))).to.deep.equal(range(10));
      expect(await valueWithin(collect(pool.imap((x: number) => x, range(10))))).to.deep.equal(range(10));
    });

    it('starmap spreads each item as the arguments, in input order (#36)', async () => {
      const pool = new GreenPool(4);
      const items = range(10).map((x) => [x]);
      expect(await valueWithin(collect(pool.starmap((x: number) => x, items)))).to.deep.equal(range(10));
      const sums = pool.starmap((a: number, b: number) => a + b, [
        [1, 2],
        [3, 4],
      ]);
      expect(await valueWithin(collect(sums))).to.deep.equal([3, 7]);
    });

    it('is done at the first next() over empty input (#36)', async () => {
      const pool = new GreenPool(4);
      expect(await valueWithin(pool.imap((x: number) => x, []).next())).to.deep.equal({ done: true, value: undefined });
      expect(await valueWithin(pool.starmap((x: number) => x, []).next())).to.have.property('done', true);
    });

    it('yields the argument arrays when fn is null (#37)', async () => {
      const pool = new GreenPool(4);
      expect(await valueWithin(collect(pool.imap(null, range(10))))).to.deep.equal(range(10).map((x) => [x]));
      expect(await valueWithin(collect(pool.starmap(null, [[1, 'a'], [2, 'b']])))).to.deep.equal([
        [1, 'a'],
        [2, 'b'],
      ]);
    });

    it('zips several iterables into the arguments (#37)', async () => {
      const pool = new GreenPool(4);
      const pairs = pool.imap((a: number, b: number) => [a, b], range(10), range(10, 10));
      expect(await valueWithin(collect(pairs))).to.deep.equal(range(10).map((x) => [x, x + 10]));
    });

    it('stops zipped iterables at the shortest, even when another is infinite (#37)', async () => {
      const pool = new GreenPool(4);
      function* naturals(): Generator<number> {
        for (let i = 0; ; i++) yield i;
      }
      expect(await valueWithin(collect(pool.imap((a: number, b: number) => a + b, [1, 2, 3], [10, 20])))).to.deep.equal([11, 22]);
      expect(await valueWithin(collect(pool.imap((a: string, n: number) => a + n, 'xyz', naturals())))).to.deep.equal(['x0', 'y1', 'z2']);
    });

    it('rejects next() with the error of item i at position i, and further next() calls go on (#38)', async () => {
      const pool = new GreenPool(4);
      const errors: Error[] = [];
      const it = pool.imap(async (x: number) => {
        await sleep(0.001);
        if (x === 1 || x === 7) {
          const err = new RuntimeError(`r${x}`);
          errors.push(err);
          throw err;
        }
        return x;
      }, range(10));
      const caught: unknown[] = [];
      const seen = await nextEach(it, 11, (err) => {
        caught.push(err);
        return 'r';
      });
      expect(seen).to.deep.equal([0, 'r', 2, 3, 4, 5, 6, 'r', 8, 9, 'done']);
      expect(caught).to.deep.equal(errors);
      expect((caught[0] as Error).message).to.equal('r1');
    });

    it('stops a for await loop at the first failed item, like list() (#38)', async () => {
      const pool = new GreenPool(4);
      const got: number[] = [];
      const it = pool.imap((x: number) => {
        if (x === 3) throw new RuntimeError('three');
        return x;
      }, range(10));
      const err = await errorFrom(async () => {
        for await (const x of it) got.push(x);
      });
      expect(err).to.be.instanceOf(RuntimeError);
      expect(got).to.deep.equal([0, 1, 2]);
      await it.return!();
      await valueWithin(pool.waitall());
    });

    it('awaits the promises a plain iterable yields before passing them, as for await would, and fails at the position of a rejected one', async () => {
      const pool = new GreenPool(3);
      expect(await valueWithin(collect(pool.imap((x: number) => x * 2, [Promise.resolve(1), 2, Promise.resolve(3)])))).to.deep.equal([2, 4, 6]);
      expect(await valueWithin(collect(pool.imap((a: number, b: number) => a + b, [1, Promise.resolve(2)], [Promise.resolve(10), 20])))).to.deep.equal([11, 22]);
      expect(await valueWithin(collect(pool.starmap((a: number, b: number) => a * b, [Promise.resolve([2, 3]), [4, 5]] as unknown as number[][])))).to.deep.equal([6, 20]);
      function* withRejected(): Generator<number | Promise<number>> {
        yield 1;
        yield Promise.reject(new RangeError('bad item')); // made when read: never unhandled
        yield 3;
      }
      const items = pool.imap((x: number) => x, withRejected());
      expect(await valueWithin(items.next())).to.deep.equal({ done: false, value: 1 });
      const err = await rejectionOf(valueWithin(items.next()));
      expect(err).to.be.instanceOf(RangeError).with.property('message', 'bad item');
      expect(await valueWithin(items.next())).to.deep.equal({ done: true, value: undefined });
    });

    it('stops zipped plain iterables like Python zip: the first exhausted one ends it, later ones are not read further', async () => {
      const pool = new GreenPool(3);
      let pulled = 0;
      function* counting(): Generator<number> {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      }
      expect(await valueWithin(collect(pool.imap((s: string, n: number) => s + n, 'ab', counting())))).to.deep.equal(['a0', 'b1']);
      expect(pulled, 'items pulled from the infinite iterable').to.equal(2);
    });

    it('closes a plain input iterator when the consumer breaks out: its finally runs and it is read no further', async () => {
      const pool = new GreenPool(2);
      let closed = false;
      let pulled = 0;
      function* source(): Generator<number> {
        try {
          for (let i = 0; i < 1000; i++) {
            pulled++;
            yield i;
          }
        } finally {
          closed = true;
        }
      }
      for await (const x of pool.imap((v: number) => v, source())) {
        expect(x).to.equal(0);
        break;
      }
      expect(closed, 'the generator finished').to.equal(true);
      expect(pulled, 'read ahead is bounded by the pool').to.be.below(10);
      await valueWithin(pool.waitall());
    });

    it('stops a map whose iterator was dropped unfinished once it is garbage collected: input closed, producer and work killed', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const pool = new GreenPool(4);
      let closed = 0;
      function* rows(): Generator<number> {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed++;
        }
      }
      const failing = (x: number): number => {
        if (x === 3) throw new RangeError('bad row');
        return x;
      };
      // Held until the count below is taken: a collection the engine starts by itself must not race it.
      const held: AsyncIterable<number>[] = [];
      for (let k = 0; k < 3; k++) {
        const map = pool.imap(failing, rows());
        held.push(map);
        const err = await rejectionOf((async () => {
          for await (const x of map) expect(x).to.be.below(3);
        })());
        expect(err).to.be.instanceOf(RangeError);
      }
      held.push(pool.imap(failing, rows())); // never iterated
      await sleep(0.01);
      const producers = (): number => debug.greenThreads().filter((t) => t.name === 'GreenPool.imap producer').length;
      expect(producers(), 'producers waiting before the iterators are collected').to.equal(4);
      held.length = 0;
      for (let i = 0; i < 5 && producers() > 0; i++) {
        gc();
        await sleep(0.01); // finalizers run in a later task, and the kills take a turn
      }
      expect(producers(), 'producers left').to.equal(0);
      expect(closed, 'inputs closed').to.equal(4);
      await valueWithin(pool.waitall());
      expect(pool.running()).to.equal(0);
    });

    it('does not end the process over a rejected promise among an array\'s items: the consumer catches it at its position', async () => {
      const pool = new GreenPool(2);
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const map = pool.imap((x: number) => x, [1, Promise.reject(new RangeError('item 2 failed'))]);
        await sleep(0.01); // a turn or more before the map reads the rejected item
        const got: number[] = [];
        const err = await rejectionOf((async () => {
          for await (const x of map) got.push(x);
        })());
        expect(got).to.deep.equal([1]);
        expect(err).to.be.instanceOf(RangeError).with.property('message', 'item 2 failed');
        await sleep(0.01);
        expect(unhandled).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('rejects at its position, with a TypeError, an iterator result that is not an object and a starmap item that is not an argument list', async () => {
      const pool = new GreenPool(2);
      const broken = { [Symbol.iterator]: () => ({ next: () => 5 }) } as unknown as Iterable<number>;
      const err = await rejectionOf(valueWithin(pool.imap((x: number) => x, broken).next()));
      expect(err).to.be.instanceOf(TypeError).with.property('message').that.matches(/iterator result 5 is not an object/);
      const items = pool.starmap((a: number) => a, [[1], 2] as unknown as number[][]);
      expect(await valueWithin(items.next())).to.deep.equal({ done: false, value: 1 });
      const notArgs = await rejectionOf(valueWithin(items.next()));
      expect(notArgs).to.be.instanceOf(TypeError).with.property('message', 'GreenPool.starmap: each item must be an array of arguments, got number 2');
      expect(await valueWithin(collect(pool.starmap((a: string, b: string) => a + b, [new Set(['x', 'y'])] as unknown as string[][])))).to.deep.equal(['xy']);
    });

    it('reports what the input\'s return() throws when a loop breaks out, instead of losing it', async () => {
      const pool = new GreenPool(2);
      const input = {
        i: 0,
        [Symbol.iterator]() {
          return this;
        },
        next() {
          return { done: false, value: this.i++ };
        },
        return(): IteratorResult<number> {
          throw new RangeError('cannot close the input');
        },
      };
      for await (const x of pool.imap((v: number) => v, input)) {
        expect(x).to.equal(0);
        break;
      }
      await valueWithin(pool.waitall());
      expect(reports.map((r) => [(r.err as Error).message, r.source])).to.deep.include(['cannot close the input', 'closing the input of GreenPool.imap']);
    });

    it('inspects as GreenPool.imap { running } or { finished }, none of its internals', async () => {
      const pool = new GreenPool(2);
      const items = pool.imap((x: number) => x, [1]);
      expect(inspect(items)).to.equal('GreenPool.imap { running }');
      await valueWithin(collect(items));
      expect(inspect(items)).to.equal('GreenPool.imap { finished }');
    });

    it('maps over async iterables, alone or zipped with sync ones', async () => {
      const pool = new GreenPool(3);
      async function* source(n: number): AsyncGenerator<number> {
        for (let i = 0; i < n; i++) {
          await sleep(0.001);
          yield i;
        }
      }
      expect(await valueWithin(collect(pool.imap((x: number) => x * 2, source(5))))).to.deep.equal([0, 2, 4, 6, 8]);
      expect(await valueWithin(collect(pool.imap((x: number, s: string) => s + x, source(5), ['a', 'b', 'c'])))).to.deep.equal([
        'a0',
        'b1',
        'c2',
      ]);
      const starred = pool.starmap((a: number, b: number) => a * b, (async function* () {
        yield [2, 3];
        yield [4, 5];
      })());
      expect(await valueWithin(collect(starred))).to.deep.equal([6, 20]);
    });

    it('rejects next() with the error of a failing input iterator, after the items read before it (§10.3)', async () => {
      const pool = new GreenPool(4);
      const broken = new RuntimeError('input broke');
      function* failing(): Generator<number> {
        yield 0;
        yield 1;
        throw broken;
      }
      const it = pool.imap((x: number) => x * 10, failing());
      const seen = await nextEach(it, 4, (err) => err);
      expect(seen).to.deep.equal([0, 10, broken, 'done']);
    });

    it('rejects next() when an async input iterator rejects, instead of hanging (§10.3)', async () => {
      const pool = new GreenPool(2);
      async function* failing(): AsyncGenerator<number> {
        yield 1;
        await sleep(0.005);
        throw new RuntimeError('async input broke');
      }
      const it = pool.imap((x: number) => x, failing());
      const seen = await nextEach(it, 3, (err) => (err as Error).message);
      expect(seen).to.deep.equal([1, 'async input broke', 'done']);
    });

    it('runs its work in the pool\'s own slots: running() counts it and other spawns wait behind it (§10.3)', async () => {
      const pool = new GreenPool(2);
      const release = new Event();
      const meter = concurrency();
      const it = pool.imap(async (x: number) => {
        meter.enter();
        await release.wait();
        meter.leave();
        return x;
      }, range(6));
      const first = it.next();
      await sleep(0.02);
      expect(pool.running()).to.equal(2);
      expect(pool.free()).to.equal(0);
      let extraRan = false;
      const extra = pool.spawn(() => {
        extraRan = true;
      });
      await sleep(0.02);
      expect(extraRan, 'a spawn ran beside imap work in a full pool').to.equal(false);
      release.send();
      expect(await valueWithin(first)).to.deep.equal({ done: false, value: 0 });
      expect(await valueWithin(collect(it))).to.deep.equal([1, 2, 3, 4, 5]);
      await valueWithin(extra);
      await valueWithin(pool.waitall());
      expect(extraRan).to.equal(true);
      expect(meter.peak).to.equal(2);
    });

    it('does not deadlock when called from a job of its own full pool', async () => {
      const pool = new GreenPool(1);
      const outer = await pool.spawn(() => collect(pool.imap((x: number) => x * 2, [1, 2, 3])));
      expect(await valueWithin(outer.wait())).to.deep.equal([2, 4, 6]);
      await valueWithin(pool.waitall());
      expect(pool.free()).to.equal(1);
    });

    it('reads its input lazily: with GreenPool(4), at most 2 * size + 2 items are pulled ahead of the consumer', async () => {
      const pool = new GreenPool(4);
      let pulled = 0;
      function* counting(): Generator<number> {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield i;
        }
      }
      const it = pool.imap(async (x: number) => {
        await sleep(0.001);
        return x;
      }, counting());
      expect(await valueWithin(it.next())).to.deep.equal({ done: false, value: 0 });
      await sleep(0.1);
      expect(pulled, 'items pulled after the first result').to.be.within(2, 2 * 4 + 2);
      const settledAt = pulled;
      await sleep(0.05);
      expect(pulled, 'the producer kept reading with nobody consuming').to.equal(settledAt);
      for (let consumed = 1; consumed < 20; consumed++) {
        expect((await valueWithin(it.next())).value).to.equal(consumed);
        expect(pulled - (consumed + 1)).to.be.at.most(2 * 4 + 2);
      }
      await it.return!();
    });

    it('kills the producer and the unconsumed work when a for await loop breaks out', async () => {
      const pool = new GreenPool(2);
      await sleep(0); // mocha arms its own test timer once the test body first yields
      const timersBefore = liveTimers();
      let pulled = 0;
      function* counting(): Generator<number> {
        for (let i = 0; i < 100; i++) {
          pulled++;
          yield i;
        }
      }
      const started = new Set<number>();
      const ended = new Set<number>();
      const completed = new Set<number>();
      const work = async (x: number): Promise<number> => {
        started.add(x);
        try {
          if (x >= 2) await sleep(5);
          completed.add(x);
          return x;
        } finally {
          ended.add(x);
        }
      };
      const got: number[] = [];
      for await (const x of pool.imap(work, counting())) {
        got.push(x);
        await sleep(0.05); // the producer runs ahead: quick jobs done, slow ones running, queue full
        break;
      }
      expect(got).to.deep.equal([0]);
      expect(started.size, 'slow jobs were started').to.be.at.least(3);
      expect(pool.running(), 'jobs still running in the pool after break').to.equal(0);
      expect([...ended].sort()).to.deep.equal([...started].sort());
      expect([...completed].filter((x) => x >= 2)).to.deep.equal([]);
      expect(liveTimers(), 'timers left behind').to.equal(timersBefore);
      const pulledAtBreak = pulled;
      await sleep(0.03);
      expect(pulled, 'the producer kept reading after break').to.equal(pulledAtBreak);
      expect(pool.running()).to.equal(0);
      expect(pool.waiting()).to.equal(0);
      expect(pool.free()).to.equal(2);
    });

    /** Maps 6 slow items over GreenPool(2) in `consume`; tells which items started, and which ran to their end. */
    async function interruptedConsumer(consume: (items: AsyncIterableIterator<number>) => Promise<unknown>): Promise<{ pool: GreenPool; started: number[]; finished: number[] }> {
      const pool = new GreenPool(2);
      const started: number[] = [];
      const finished: number[] = [];
      const slow = async (x: number): Promise<number> => {
        started.push(x);
        await sleep(0.1);
        finished.push(x);
        return x;
      };
      await rejectionOf(consume(pool.imap(slow, range(6, 1))));
      await sleep(0.3); // long enough for items 3 and 4 to start and end if nothing stopped them
      return { pool, started, finished };
    }

    async function consumeAll(items: AsyncIterableIterator<number>): Promise<number[]> {
      const got: number[] = [];
      for await (const x of items) got.push(x);
      return got;
    }

    it('kills the producer and the unconsumed work when the consuming thread is killed, as break does', async () => {
      const { pool, started, finished } = await interruptedConsumer(async (items) => {
        const consumer = spawn(consumeAll, items);
        await sleep(0.05);
        await consumer.kill();
        return consumer.wait();
      });
      expect(started, 'items started after the consumer was killed').to.deep.equal([1, 2]);
      expect(finished, 'items left running after the consumer was killed').to.deep.equal([]);
      expect(pool.running()).to.equal(0);
      expect(pool.free()).to.equal(2);
    });

    it('kills the producer and the unconsumed work when the consumer times out in withTimeout', async () => {
      const { pool, started, finished } = await interruptedConsumer((items) => withTimeout(0.05, consumeAll, items));
      expect(started, 'items started after the consumer timed out').to.deep.equal([1, 2]);
      expect(finished, 'items left running after the consumer timed out').to.deep.equal([]);
      expect(pool.running()).to.equal(0);
      expect(pool.free()).to.equal(2);
    });

    it('goes on after an item fails in a consumer that was killed before and carried on', async () => {
      const pool = new GreenPool(2);
      const got = await spawn(async () => {
        try {
          await sleep(5);
        } catch {
          // killed, handled, and the thread carries on
        }
        const items = pool.imap((x: number) => {
          if (x === 1) throw new RuntimeError('item 1');
          return x;
        }, range(3));
        const seen: unknown[] = [];
        for (let i = 0; i < 4; i++) seen.push(await items.next().then((step) => step.value, (err: Error) => err.message));
        return seen;
      }).killOn(AbortSignal.timeout(10)).wait();
      expect(got).to.deep.equal([0, 'item 1', 2, undefined]);
    });

    it('is done after return(), and return() twice is harmless', async () => {
      const pool = new GreenPool(2);
      const it = pool.imap((x: number) => x, range(10));
      expect((await it.next()).value).to.equal(0);
      expect(await it.return!()).to.deep.equal({ done: true, value: undefined });
      expect(await it.return!()).to.deep.equal({ done: true, value: undefined });
      expect(await valueWithin(it.next())).to.deep.equal({ done: true, value: undefined });
    });

    it('validates fn and the iterables with TypeErrors that name them', () => {
      const pool = new GreenPool(2);
      expect(() => pool.imap(bad(42), [1])).to.throw(TypeError, /fn/);
      expect(() => pool.imap((x: number) => x)).to.throw(TypeError, /iterable/);
      expect(() => pool.imap((x: number) => x, bad(5))).to.throw(TypeError, /iterables\[0\]/);
      expect(() => pool.imap((x: number) => x, [1], bad(null))).to.throw(TypeError, /iterables\[1\]/);
      expect(() => pool.starmap(bad('f'), [[1]])).to.throw(TypeError, /fn/);
      expect(() => pool.starmap((x: number) => x, bad(undefined))).to.throw(TypeError, /iterable/);
      expect(pool.running()).to.equal(0);
    });

    it('returns 1000 items strictly in order with bounded read-ahead under random delays (#45)', async function () {
      this.timeout(30000);
      const pool = new GreenPool(50);
      let pulled = 0;
      function* counting(): Generator<number> {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield i;
        }
      }
      let consumed = 0;
      let maxAhead = 0;
      const it = pool.imap(async (x: number) => {
        await sleep(Math.random() * 0.003);
        return x;
      }, counting());
      const got: number[] = [];
      for await (const x of it) {
        got.push(x);
        consumed++;
        maxAhead = Math.max(maxAhead, pulled - consumed);
      }
      expect(got).to.deep.equal(range(1000));
      expect(maxAhead).to.be.at.most(2 * 50 + 2);
      await valueWithin(pool.waitall());
    });
  });

  describe('GreenPile', () => {
    it('builds its own pool from a size, or shares the pool it is given', () => {
      expect(new GreenPile().pool.size).to.equal(1000);
      expect(new GreenPile(3).pool.size).to.equal(3);
      const pool = new GreenPool(2);
      expect(new GreenPile(pool).pool).to.equal(pool);
      expect(new GreenPile(3).counter).to.equal(0);
    });

    it('rejects a bad size with a TypeError or RangeError naming sizeOrPool', () => {
      expect(() => new GreenPile(bad('foo'))).to.throw(TypeError, /sizeOrPool/);
      expect(() => new GreenPile(-1)).to.throw(RangeError, /sizeOrPool/);
    });

    it('rejects a spawn of something that is not a function, leaving counter unchanged', async () => {
      const pile = new GreenPile(2);
      const err = await errorFrom(() => pile.spawn(bad(42)));
      expect(err).to.be.instanceOf(TypeError);
      expect((err as Error).message).to.match(/fn/);
      expect(pile.counter).to.equal(0);
    });

    it('iterates to the results of 10 spawns in GreenPile(4) (#40)', async () => {
      const pile = new GreenPile<number>(4);
      for (const i of range(10)) await pile.spawn((x: number) => x, i);
      expect(pile.counter).to.equal(10);
      expect(await valueWithin(collect(pile))).to.deep.equal(range(10));
      expect(pile.counter).to.equal(0);
    });

    it('yields in spawn order, not completion order (#40)', async () => {
      const pile = new GreenPile<number>(10);
      const completion: number[] = [];
      for (const i of range(6)) {
        await pile.spawn(async (x: number) => {
          await sleep((6 - x) * 0.004);
          completion.push(x);
          return x;
        }, i);
      }
      expect(await valueWithin(collect(pile))).to.deep.equal(range(6));
      expect(completion).to.deep.equal(range(6).reverse());
    });

    it('rejects next() with a failed job\'s error at its position and goes on: [0, 1, E2, 3, 4] (#46)', async () => {
      const pile = new GreenPile<number>(4);
      for (const i of range(5)) {
        await pile.spawn(async (x: number) => {
          await sleep(0.001);
          if (x === 2) throw new RuntimeError(`E${x}`);
          return x;
        }, i);
      }
      const seen = await nextEach(pile, 6, (err) => (err as Error).message);
      expect(seen).to.deep.equal([0, 1, 'E2', 3, 4, 'done']);
      expect(pile.counter).to.equal(0);
    });

    it('restores counter when a spawn into a full pile times out, and stays usable (#41)', async () => {
      const pile = new GreenPile<number>(4);
      const release = new Event();
      for (const i of range(4)) {
        await pile.spawn(async (x: number) => {
          await release.wait();
          return x;
        }, i);
      }
      expect(pile.counter).to.equal(4);
      let ran = false;
      const attempt = spawn(async () => {
        const timeout = new Timeout(0);
        try {
          await pile.spawn(() => {
            ran = true;
            return 99;
          });
          return 'spawned';
        } catch (err) {
          return err === timeout ? 'timed out' : err;
        } finally {
          timeout.cancel();
        }
      });
      expect(await valueWithin(attempt.wait())).to.equal('timed out');
      expect(pile.counter).to.equal(4);
      expect(pile.pool.waiting()).to.equal(0);
      release.send();
      for (const i of range(6, 4)) await valueWithin(pile.spawn((x: number) => x, i));
      expect(await valueWithin(collect(pile))).to.deep.equal(range(10));
      expect(ran).to.equal(false);
    });

    it('iterates an empty pile to [] without hanging (#42)', async () => {
      const pile = new GreenPile();
      expect(await valueWithin(collect(pile), 1)).to.deep.equal([]);
      expect(await valueWithin(pile.next(), 1)).to.deep.equal({ done: true, value: undefined });
    });

    it('keeps the results of two piles sharing one GreenPool(2) apart and in order (#43)', async () => {
      const pool = new GreenPool(2);
      const meter = concurrency();
      const piles = [new GreenPile<string>(pool), new GreenPile<string>(pool)];
      const fill = (pile: GreenPile<string>, name: string) =>
        spawn(async () => {
          for (const i of range(5)) {
            await pile.spawn(async (tag: string) => {
              meter.enter();
              await sleep(Math.random() * 0.004);
              meter.leave();
              return tag;
            }, `${name}${i}`);
          }
        });
      const fillers = [fill(piles[0]!, 'a'), fill(piles[1]!, 'b')];
      for (const f of fillers) await valueWithin(f.wait());
      expect(await valueWithin(collect(piles[0]!))).to.deep.equal(range(5).map((i) => `a${i}`));
      expect(await valueWithin(collect(piles[1]!))).to.deep.equal(range(5).map((i) => `b${i}`));
      expect(meter.peak).to.be.at.most(2);
    });

    it('ends a consumer waiting on the pile when the last pending spawn gives up, instead of hanging', async () => {
      const pool = new GreenPool(1);
      const release = new Event();
      await pool.spawn(() => release.wait()); // not part of the pile: keeps the pool full
      const pile = new GreenPile<string>(pool);
      const producer = spawn(() => withTimeout(0.05, () => pile.spawn(() => 'never')));
      await sleep(0.005);
      expect(pile.counter).to.equal(1);
      const consumer = spawn(() => collect(pile));
      expect(await valueWithin(consumer.wait(), 1)).to.deep.equal([]);
      expect(await rejectionOf(producer.wait())).to.be.instanceOf(Timeout);
      expect(pile.counter).to.equal(0);
      release.send();
      await pile.spawn(() => 'later');
      expect(await valueWithin(collect(pile))).to.deep.equal(['later']);
    });

    it('returns each of 3 producers\' tokens in increasing order under random sleeps and errors (#45)', async function () {
      this.timeout(30000);
      const pile = new GreenPile<[number, number]>(5);
      const producers = range(3).map((p) =>
        spawn(async () => {
          for (const i of range(30)) {
            await sleep(Math.random() * 0.002);
            await pile.spawn(async (id: number, token: number): Promise<[number, number]> => {
              await sleep(Math.random() * 0.003);
              if (token % 7 === 3) throw new RuntimeError(`${id}:${token}`);
              return [id, token];
            }, p, i);
          }
        }),
      );
      for (const p of producers) await valueWithin(p.wait(), 10);
      const byProducer: number[][] = [[], [], []];
      let failures = 0;
      for (;;) {
        try {
          const step = await valueWithin(pile.next());
          if (step.done) break;
          byProducer[step.value[0]]!.push(step.value[1]);
        } catch (err) {
          expect(err).to.be.instanceOf(RuntimeError);
          failures++;
        }
      }
      const expected = range(30).filter((t) => t % 7 !== 3);
      for (const tokens of byProducer) expect(tokens).to.deep.equal(expected);
      expect(failures).to.equal(3 * (30 - expected.length));
    });
  });
});

describe('pool inspection', () => {
  it('inspects a GreenPool compactly, as console.log shows it: size, running and waiting, none of its internals', async () => {
    const pool = new GreenPool(2);
    const threads = [await pool.spawn(() => sleep(5)), await pool.spawn(() => sleep(5))];
    const spawner = spawn(() => pool.spawn(() => sleep(0)));
    await sleep(0);
    expect(inspect(pool)).to.equal('GreenPool { size: 2, running: 2, waiting: 1 }');
    await spawner.kill();
    await Promise.all(threads.map((thread) => thread.kill()));
    expect(inspect({ pool })).to.equal('{ pool: GreenPool { size: 2, running: 0, waiting: 0 } }');
  });

  it('inspects a GreenPile as its counter and its pool', async () => {
    const pile = new GreenPile<number>(4);
    await pile.spawn(() => 1);
    expect(inspect(pile)).to.equal('GreenPile { counter: 1, pool: GreenPool { size: 4, running: 1, waiting: 0 } }');
    expect(await pile.next()).to.deep.equal({ done: false, value: 1 });
  });
});
