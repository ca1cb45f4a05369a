/**
 * Green threads: spawn, spawnN, spawnAfter, sleep, getCurrent, GreenThread, GreenletExit.
 * Numbers such as (#16) refer to the checklist in shared/reference/eventlet-behaviour.md §11.
 */
import { once, EventEmitter } from 'node:events';
import { expect } from 'chai';
import { inspect } from 'node:util';
import { GreenThread, GreenletExit, spawn, spawnN, spawnAfter, sleep, getCurrent } from '../lib/index.js';
import { bad, captureErrorReports, errorFrom, libraryCall, never, rejectionOf, since } from './support.js';

describe('green threads', () => {
  const reports = captureErrorReports();

  describe('spawn', () => {
    it('passes its arguments to fn, runs it once, and wait() resolves with its return value (#1)', async () => {
      let calls = 0;
      const thread = spawn((a: number, options: { b: number }) => {
        calls++;
        return [a, options];
      }, 1, { b: 2 });
      expect(await thread.wait()).to.deep.equal([1, { b: 2 }]);
      expect(await thread.wait()).to.deep.equal([1, { b: 2 }]);
      expect(calls).to.equal(1);
    });

    it('resolves wait() with the value an async fn resolves to', async () => {
      const thread = spawn(async (x: number) => {
        await sleep(0.001);
        return x * 2;
      }, 21);
      expect(await thread.wait()).to.equal(42);
    });

    it('never runs fn synchronously nor in a microtask, but on the next hub turn', async () => {
      const log: string[] = [];
      spawn(() => log.push('thread'));
      queueMicrotask(() => log.push('microtask'));
      process.nextTick(() => log.push('nextTick'));
      expect(log).to.deep.equal([]);
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(log).to.deep.equal(['nextTick', 'microtask', 'thread']);
    });

    it('does not yield: the spawner keeps running until it reaches a cooperative point (#17)', async () => {
      const log: string[] = [];
      spawn(() => log.push('child'));
      log.push('parent');
      await sleep(0);
      expect(log).to.deep.equal(['parent', 'child']);
    });

    it('runs spawned threads in spawn order (#16)', async () => {
      const log: number[] = [];
      for (let i = 0; i < 5; i++) spawn((n: number) => log.push(n), i);
      await sleep(0);
      expect(log).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it('starts many threads spawned together on one hub turn (no microtask runs between them)', async () => {
      let turn = 0;
      const seen: number[] = [];
      for (let i = 0; i < 1000; i++) {
        spawn(() => {
          seen.push(turn);
          queueMicrotask(() => turn++);
        });
      }
      await sleep(0);
      expect(seen).to.have.length(1000);
      expect(new Set(seen).size).to.equal(1);
    });

    it('runs a spawned thread even when its spawner has already returned (#14)', async () => {
      const log: string[] = [];
      const parent = spawn(() => {
        spawn(() => log.push('pop'));
        return 'parent done';
      });
      expect(await parent.wait()).to.equal('parent done');
      await sleep(0.01);
      expect(log).to.deep.equal(['pop']);
    });

    it('does not kill the threads a killed thread spawned (#14)', async () => {
      let child!: GreenThread<string>;
      const parent = spawn(async () => {
        child = spawn(async () => {
          await sleep(0.02);
          return 'child done';
        });
        await sleep(10);
      });
      await sleep(0);
      await parent.kill();
      expect(parent.dead).to.equal(true);
      expect(await child.wait()).to.equal('child done');
    });

    it('returns a GreenThread whose state goes scheduled, running, parked, dead', async () => {
      let inside: string | undefined;
      const thread = spawn(async () => {
        inside = getCurrent().state;
        await sleep(0.02);
      });
      expect(thread).to.be.an.instanceOf(GreenThread);
      expect(thread.state).to.equal('scheduled');
      expect(thread.started).to.equal(false);
      expect(thread.dead).to.equal(false);
      await sleep(0);
      expect(inside).to.equal('running');
      expect(thread.started).to.equal(true);
      expect(thread.state).to.equal('parked');
      await thread.wait();
      expect(thread.state).to.equal('dead');
      expect(thread.dead).to.equal(true);
    });
  });

  describe('spawnN', () => {
    it('returns a handle that is not dead before the spawner yields and is dead after one yield (#2)', async () => {
      const calls: unknown[][] = [];
      const handle = spawnN((a: number, options: { b: number }) => {
        calls.push([a, options]);
      }, 2, { b: 3 });
      expect(handle.dead).to.equal(false);
      expect(calls).to.deep.equal([]);
      await sleep(0);
      expect(handle.dead).to.equal(true);
      expect(calls).to.deep.equal([[2, { b: 3 }]]);
    });

    it('never runs fn when the handle is killed before it starts (#4)', async () => {
      let ran = false;
      const handle = spawnN(() => {
        ran = true;
      });
      await handle.kill();
      expect(handle.dead).to.equal(true);
      await sleep(0.01);
      expect(ran).to.equal(false);
      expect(reports).to.deep.equal([]);
    });

    it('sends its errors to the hub error reporter and never to an unhandled rejection', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const syncError = new Error('thrown synchronously');
        const asyncError = new Error('rejected later');
        spawnN(() => {
          throw syncError;
        });
        spawnN(async () => {
          await sleep(0);
          throw asyncError;
        });
        await sleep(0.02);
        expect(reports.map((r) => r.err)).to.deep.equal([syncError, asyncError]);
        expect(unhandled).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('does not report a spawnN thread that exits by throwing GreenletExit', async () => {
      const handle = spawnN(() => {
        throw new GreenletExit();
      });
      await sleep(0.01);
      expect(handle.dead).to.equal(true);
      expect(reports).to.deep.equal([]);
    });
  });

  describe('spawnAfter', () => {
    it('starts fn with its arguments after the delay and wait() returns its value (#8)', async () => {
      const start = performance.now();
      const thread = spawnAfter(0.1, (x: number) => x, 20);
      await sleep(0.05);
      expect(thread.started).to.equal(false);
      expect(await thread.wait()).to.equal(20);
      expect(since(start)).to.be.at.least(0.095);
    });

    it('never runs fn when cancelled before the delay, and wait() rejects with GreenletExit (#9)', async () => {
      let ran = false;
      const thread = spawnAfter(0.05, () => {
        ran = true;
      });
      await thread.cancel();
      expect(thread.dead).to.equal(true);
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
      await sleep(0.1);
      expect(ran).to.equal(false);
    });

    it('ignores cancel() once the thread has started, so wait() still returns its value (#10)', async () => {
      const thread = spawnAfter(0, async () => {
        await sleep(0.03);
        return 22;
      });
      await sleep(0.01);
      expect(thread.started).to.equal(true);
      await thread.cancel();
      expect(thread.dead).to.equal(false);
      expect(await thread.wait()).to.equal(22);
    });

    it('kills a started thread with kill(), so wait() rejects with GreenletExit (#11)', async () => {
      const thread = spawnAfter(0, async () => {
        await sleep(10);
        return 22;
      });
      await sleep(0.01);
      expect(thread.started).to.equal(true);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
    });

    it('starts at once for a negative delay', async () => {
      const thread = spawnAfter(-1, () => 'ran');
      expect(await thread.wait()).to.equal('ran');
    });
  });

  describe('sleep', () => {
    it('sleep(0) lets every ready green thread and queued callback run, then resumes', async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const log: string[] = [];
      setImmediate(() => log.push('immediate'));
      spawn(() => log.push('a'));
      spawn(() => log.push('b'));
      await sleep(0);
      expect(log).to.have.members(['immediate', 'a', 'b']);
    });

    it('sleep(0) interleaves threads that yield to each other', async () => {
      const log: string[] = [];
      const worker = async (name: string): Promise<void> => {
        for (let i = 0; i < 3; i++) {
          log.push(`${name}${i}`);
          await sleep(0);
        }
      };
      const a = spawn(worker, 'a');
      const b = spawn(worker, 'b');
      await Promise.all([a.wait(), b.wait()]);
      expect(log).to.deep.equal(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    });

    it('suspends the caller for at least the given seconds', async () => {
      const start = performance.now();
      await sleep(0.05);
      expect(since(start)).to.be.at.least(0.045);
    });

    it('treats a negative delay like sleep(0) (#23)', async () => {
      const log: string[] = [];
      spawn(() => log.push('other'));
      await sleep(-1);
      expect(log).to.deep.equal(['other']);
    });

    it('works outside any green thread, even from a plain timer callback (#22)', async () => {
      const slept = await new Promise<string>((resolve, reject) => {
        setTimeout(() => {
          sleep(0)
            .then(() => sleep(0.01))
            .then(() => resolve('slept'), reject);
        }, 1);
      });
      expect(slept).to.equal('slept');
    });
  });

  describe('inspection', () => {
    it("inspects as its id, name and state, with what it is parked on, none of its internals", async () => {
      const thread = spawn(() => sleep(1));
      thread.name = 'sleeper';
      expect(inspect(thread)).to.equal(`GreenThread#${thread.id} (sleeper) { scheduled }`);
      await sleep(0.01);
      expect(inspect(thread)).to.equal(`GreenThread#${thread.id} (sleeper) { parked: 'sleep' }`);
      expect(inspect({ thread })).to.equal(`{ thread: GreenThread#${thread.id} (sleeper) { parked: 'sleep' } }`);
      await thread.kill();
      expect(inspect(thread)).to.equal(`GreenThread#${thread.id} (sleeper) { dead }`);
    });
  });

  describe('getCurrent', () => {
    it('returns the main green thread outside any spawned thread, which cannot be killed', async () => {
      const main = getCurrent();
      expect(main).to.be.an.instanceOf(GreenThread);
      expect(main).to.equal(getCurrent());
      expect(main.name).to.equal('main');
      expect(main.dead).to.equal(false);
      const inThread = await spawn(() => getCurrent()).wait();
      expect(inThread).to.not.equal(main);
      expect(await rejectionOf(main.kill())).to.be.an.instanceOf(TypeError);
    });

    it('returns the thread itself inside it, also in callbacks and continuations it started', async () => {
      const seen: unknown[] = [];
      const thread = spawn(async () => {
        seen.push(getCurrent());
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(getCurrent());
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.push(getCurrent());
            resolve();
          }, 1),
        );
      });
      await thread.wait();
      expect(seen).to.have.length(3);
      for (const current of seen) expect(current).to.equal(thread);
    });

    it('keeps each thread its own identity across switches (#25)', async () => {
      const worker = async (): Promise<boolean> => {
        const me = getCurrent();
        for (let i = 0; i < 5; i++) {
          await sleep(0);
          if (getCurrent() !== me) return false;
        }
        return true;
      };
      const threads = [spawn(worker), spawn(worker), spawn(worker)];
      expect(await Promise.all(threads.map((t) => t.wait()))).to.deep.equal([true, true, true]);
    });
  });

  describe('GreenThread.wait', () => {
    it('resolves every waiter, before and after the thread ended, with the same value', async () => {
      const result = { answer: 42 };
      const thread = spawn(async () => {
        await sleep(0.01);
        return result;
      });
      const early = [thread.wait(), thread.wait()];
      expect(await Promise.all(early)).to.deep.equal([result, result]);
      expect(await thread.wait()).to.equal(result);
    });

    it('rejects with the very exception the thread threw (#18)', async () => {
      const err = new RangeError('boom');
      const thread = spawn(async () => {
        await sleep(0);
        throw err;
      });
      expect(await rejectionOf(thread.wait())).to.equal(err);
      expect(reports).to.deep.equal([]);
    });

    it('rejects at once with an Error when a thread waits for itself, instead of hanging', async () => {
      const thread = spawn(async () => {
        await sleep(0);
        return Promise.race([rejectionOf(getCurrent().wait()), sleep(0.5).then(() => 'still waiting')]);
      });
      const err = await thread.wait();
      expect(err).to.be.an.instanceOf(Error);
      expect((err as Error).message).to.equal(`GreenThread.wait: a green thread cannot wait for itself (GreenThread#${thread.id} calling its own wait() would never finish)`);
      expect(thread.dead).to.equal(true);
    });

    it('rejects at once when the main thread waits for itself from outside any spawned thread', async () => {
      const err = await Promise.race([rejectionOf(getCurrent().wait()), sleep(0.5).then(() => 'still waiting')]);
      expect(err).to.be.an.instanceOf(Error);
      expect((err as Error).message).to.match(/^GreenThread\.wait: a green thread cannot wait for itself \(GreenThread#\d+ \(main\) calling its own wait\(\) would never finish\)$/);
    });
  });

  describe('GreenThread.link and unlink', () => {
    it('calls a link with the thread and its curried arguments when the thread ends (#5)', async () => {
      const calls: unknown[][] = [];
      const thread = spawn((x: number) => x, 5);
      thread.link((gt, a: number, options: { b: number }) => calls.push([gt, a, options]), 4, { b: 5 });
      expect(calls).to.deep.equal([]);
      expect(await thread.wait()).to.equal(5);
      expect(calls).to.have.length(1);
      expect(calls[0]![0]).to.equal(thread);
      expect(calls[0]!.slice(1)).to.deep.equal([4, { b: 5 }]);
    });

    it('calls a link at once, synchronously, when the thread has already ended (#6)', async () => {
      const thread = spawn(() => 'done');
      await thread.wait();
      const calls: unknown[][] = [];
      thread.link((gt, a: number, options: { b: number }) => calls.push([gt, a, options]), 4, { b: 5 });
      expect(calls).to.have.length(1);
      expect(calls[0]![0]).to.equal(thread);
      expect(calls[0]!.slice(1)).to.deep.equal([4, { b: 5 }]);
    });

    it('runs a link added from inside a link callback exactly once (#7)', async () => {
      let inner = 0;
      const thread = spawn(() => 1);
      thread.link((gt) => gt.link(() => inner++));
      await thread.wait();
      await sleep(0.01);
      expect(inner).to.equal(1);
    });

    it('calls links when the thread fails or is killed too', async () => {
      const ended: string[] = [];
      const failing = spawn(() => {
        throw new Error('failed');
      });
      failing.link(() => ended.push('failing'));
      const killed = spawn(() => sleep(10));
      killed.link(() => ended.push('killed'));
      await sleep(0);
      await killed.kill();
      await sleep(0);
      expect(ended).to.have.members(['failing', 'killed']);
    });

    it('unlink() removes a link: true the first time, false the second (#21)', async () => {
      let called = 0;
      const callback = (): void => {
        called++;
      };
      const thread = spawn(() => 1);
      expect(thread.unlink(callback)).to.equal(false);
      thread.link(callback);
      expect(thread.unlink(callback)).to.equal(true);
      expect(thread.unlink(callback)).to.equal(false);
      await thread.wait();
      expect(called).to.equal(0);
    });

    it('unlink() matches the curried arguments too', async () => {
      const seen: number[] = [];
      const callback = (_gt: unknown, n: number): void => {
        seen.push(n);
      };
      const thread = spawn(() => 1);
      thread.link(callback, 1);
      thread.link(callback, 2);
      expect(thread.unlink(callback, 3)).to.equal(false);
      expect(thread.unlink(callback, 1)).to.equal(true);
      await thread.wait();
      expect(seen).to.deep.equal([2]);
    });

    it('reports a link callback that throws, and wait() still gives the thread result', async () => {
      const err = new Error('bad link');
      const thread = spawn(() => 'result');
      thread.link(() => {
        throw err;
      });
      expect(await thread.wait()).to.equal('result');
      expect(reports).to.have.length(1);
      expect(reports[0]!.err).to.equal(err);
      expect(reports[0]!.source).to.contain('link');
    });
  });

  describe('GreenThread.kill', () => {
    it('makes a thread that has not started never run; wait() rejects with GreenletExit and a second kill changes nothing (#3)', async () => {
      let ran = false;
      const thread = spawn(() => {
        ran = true;
      });
      await thread.kill();
      expect(thread.dead).to.equal(true);
      expect(thread.state).to.equal('dead');
      const first = await rejectionOf(thread.wait());
      expect(first).to.be.an.instanceOf(GreenletExit);
      await sleep(0.01);
      expect(ran).to.equal(false);
      await thread.kill(new Error('again'));
      expect(await rejectionOf(thread.wait())).to.equal(first);
      expect(reports).to.deep.equal([]);
    });

    it('throws the exception at the point where a parked thread waits, and its finally blocks run before kill() settles', async () => {
      const log: string[] = [];
      const thread = spawn(async () => {
        try {
          log.push('start');
          await sleep(10);
          log.push('not reached');
        } catch (err) {
          log.push(err instanceof GreenletExit ? 'caught GreenletExit' : 'caught something else');
          throw err;
        } finally {
          log.push('finally');
        }
      });
      await sleep(0);
      expect(thread.state).to.equal('parked');
      const start = performance.now();
      await thread.kill();
      expect(since(start)).to.be.below(0.1);
      expect(log).to.deep.equal(['start', 'caught GreenletExit', 'finally']);
      expect(thread.dead).to.equal(true);
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
    });

    it('makes wait() reject with the exception given to kill() (#20)', async () => {
      const err = new Error('k');
      const thread = spawn(() => sleep(10));
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      await thread.kill(err);
      expect(await waited).to.equal(err);
    });

    it('lets a victim that catches GreenletExit return a value, which wait() resolves with (#19)', async () => {
      const thread = spawn(async () => {
        try {
          await sleep(10);
          return 'not killed';
        } catch (err) {
          if (err instanceof GreenletExit) return 'caught';
          throw err;
        }
      });
      await sleep(0);
      await thread.kill();
      expect(await thread.wait()).to.equal('caught');
    });

    it('makes wait() reject with the kill exception when the body returns after the call it killed ended without an error', async () => {
      const thread = spawn(async () => `child ${await libraryCall('quietly')}`);
      await sleep(0);
      const exc = new GreenletExit('shutting down');
      await thread.kill(exc);
      expect(await rejectionOf(thread.wait())).to.equal(exc);
    });

    it('makes wait() reject with the kill exception when the body caught the library error the kill caused and returned', async () => {
      const thread = spawn(() => libraryCall('error').catch(() => 'recovered'));
      await sleep(0);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
    });

    it('lets a victim that caught the kill at its next cooperative point, after a library error, return a value', async () => {
      const thread = spawn(async () => {
        await libraryCall('error').catch(() => {});
        try {
          await sleep(1);
          return 'not killed';
        } catch (err) {
          return err instanceof GreenletExit ? 'caught at sleep' : 'caught something else';
        }
      });
      await sleep(0);
      await thread.kill();
      expect(await thread.wait()).to.equal('caught at sleep');
    });

    it('settles once a victim that caught the exception is parked again, and the victim then runs on (#15)', async () => {
      const log: string[] = [];
      const thread = spawn(async () => {
        log.push('start');
        try {
          await sleep(10);
        } catch {
          log.push('except');
          await sleep(0);
          log.push('finished');
        }
      });
      await sleep(0.02);
      await thread.kill();
      expect(log).to.deep.equal(['start', 'except']);
      expect(thread.dead).to.equal(false);
      await thread.wait();
      expect(log).to.deep.equal(['start', 'except', 'finished']);
    });

    it('does not abandon a victim that handled the exception and later awaits something that is not a cooperative point', async () => {
      const thread = spawn(async () => {
        try {
          await sleep(10);
        } catch {
          await sleep(0);
          await new Promise((resolve) => setTimeout(resolve, 60));
          return 'survived';
        }
        return 'not killed';
      });
      await sleep(0);
      await thread.kill();
      expect(await thread.wait()).to.equal('survived');
    });

    it('does nothing to a thread that is already dead', async () => {
      const thread = spawn(() => 'done');
      expect(await thread.wait()).to.equal('done');
      await thread.kill(new Error('late'));
      expect(thread.dead).to.equal(true);
      expect(await thread.wait()).to.equal('done');
      expect(reports).to.deep.equal([]);
    });

    it('abandons a thread stuck on a never-settling promise: kill() settles and wait() rejects within a few ms', async () => {
      const err = new Error('stop');
      const thread = spawn(() => never());
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      expect(thread.state).to.equal('running');
      const start = performance.now();
      const killing = thread.kill(err);
      expect(thread.state).to.equal('dying');
      await killing;
      expect(since(start)).to.be.below(0.1);
      expect(thread.dead).to.equal(true);
      expect(thread.state).to.equal('dead');
      expect(await waited).to.equal(err);
    });

    it('abandons a victim that catches the exception and then awaits a never-settling promise', async () => {
      const thread = spawn(async () => {
        try {
          await sleep(10);
        } catch {
          await never();
        }
      });
      await sleep(0);
      const start = performance.now();
      await thread.kill();
      expect(since(start)).to.be.below(0.1);
      expect(thread.dead).to.equal(true);
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
    });

    it('poisons an abandoned thread: every later cooperative point in it throws the kill exception, and its late result is dropped', async () => {
      const err = new Error('killed');
      const after: string[] = [];
      let release!: (value: string) => void;
      const thread = spawn(async () => {
        const value = await new Promise<string>((resolve) => (release = resolve));
        after.push(`got ${value}`);
        for (const label of ['first', 'second']) {
          try {
            await sleep(0);
            after.push(`${label} sleep returned`);
          } catch (e) {
            after.push(e === err ? `${label} point threw` : `${label} point threw something else`);
          }
        }
        return 'late result';
      });
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      await thread.kill(err);
      expect(thread.dead).to.equal(true);
      release('x');
      await sleep(0.02);
      expect(after).to.deep.equal(['got x', 'first point threw', 'second point threw']);
      expect(await waited).to.equal(err);
      expect(thread.dead).to.equal(true);
    });

    it('lets a thread kill itself: it exits at its next cooperative point', async () => {
      const log: string[] = [];
      const thread = spawn(async () => {
        void getCurrent().kill();
        log.push('still running');
        await sleep(0);
        log.push('not reached');
      });
      expect(await rejectionOf(thread.wait())).to.be.an.instanceOf(GreenletExit);
      expect(log).to.deep.equal(['still running']);
    });

    it('interrupts a thread parked in wait() on another thread, leaving the other running', async () => {
      const other = spawn(async () => {
        await sleep(0.03);
        return 'other done';
      });
      const waiter = spawn(() => other.wait());
      await sleep(0);
      await waiter.kill();
      expect(await rejectionOf(waiter.wait())).to.be.an.instanceOf(GreenletExit);
      expect(await other.wait()).to.equal('other done');
    });
  });

  describe('GreenThread.signal', () => {
    it('is aborted with the kill exception as its reason when the thread is killed', async () => {
      const err = new Error('stop');
      const thread = spawn(() => sleep(10));
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      const signal = thread.signal;
      expect(signal.aborted).to.equal(false);
      await thread.kill(err);
      expect(signal.aborted).to.equal(true);
      expect(signal.reason).to.equal(err);
      await waited;
    });

    it('is not aborted when the thread ends on its own', async () => {
      const thread = spawn(async () => {
        await sleep(0.001);
        return getCurrent().signal;
      });
      const signal = await thread.wait();
      expect(signal.aborted).to.equal(false);
      expect(thread.signal.aborted).to.equal(false);
    });

    it('stops an API that was handed it, and wait() reports the kill exception rather than the API error', async () => {
      const err = new Error('stop');
      const emitter = new EventEmitter();
      let apiError: unknown;
      const thread = spawn(async () => {
        try {
          await once(emitter, 'never', { signal: getCurrent().signal });
        } catch (e) {
          apiError = e;
          throw e;
        }
      });
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      const start = performance.now();
      await thread.kill(err);
      expect(since(start)).to.be.below(0.1);
      expect((apiError as Error).name).to.equal('AbortError');
      expect(await waited).to.equal(err);
    });
  });

  describe('GreenletExit', () => {
    it('is an Error named GreenletExit with a default message', () => {
      const exit = new GreenletExit();
      expect(exit).to.be.an.instanceOf(Error);
      expect(exit.name).to.equal('GreenletExit');
      expect(exit.message).to.be.a('string').and.not.equal('');
      expect(new GreenletExit('bye').message).to.equal('bye');
    });

    it('ends a thread that throws it itself: wait() rejects with it and nothing is reported', async () => {
      const exit = new GreenletExit('quietly');
      const thread = spawn(() => {
        throw exit;
      });
      await sleep(0.01);
      expect(reports).to.deep.equal([]);
      expect(await rejectionOf(thread.wait())).to.equal(exit);
    });
  });

  describe('error reporting', () => {
    it('reports a failure that nobody waits on exactly once, naming the thread (#18)', async () => {
      const err = new Error('boom');
      const thread = spawn(() => {
        throw err;
      });
      await sleep(0.01);
      expect(reports).to.have.length(1);
      expect(reports[0]!.err).to.equal(err);
      expect(reports[0]!.source).to.contain(String(thread.id));
      expect(await rejectionOf(thread.wait())).to.equal(err);
      await sleep(0.01);
      expect(reports).to.have.length(1);
    });

    it('does not report a failure that a link observes', async () => {
      const thread = spawn(() => {
        throw new Error('seen by link');
      });
      let linked = false;
      thread.link(() => {
        linked = true;
      });
      await sleep(0.01);
      expect(linked).to.equal(true);
      expect(reports).to.deep.equal([]);
      await rejectionOf(thread.wait());
    });

    it('never reports a thread killed with GreenletExit, started or not', async () => {
      const unstarted = spawn(() => 1);
      await unstarted.kill();
      const parked = spawn(() => sleep(10));
      await sleep(0);
      await parked.kill();
      const stuck = spawn(() => never());
      await sleep(0);
      await stuck.kill();
      await sleep(0.01);
      expect([unstarted.dead, parked.dead, stuck.dead]).to.deep.equal([true, true, true]);
      expect(reports).to.deep.equal([]);
    });

    it('reports a thread killed with another exception when nobody waits on it', async () => {
      const err = new Error('custom kill');
      const thread = spawn(() => sleep(10));
      await sleep(0);
      await thread.kill(err);
      expect(reports.map((r) => r.err)).to.deep.equal([err]);
    });
  });

  describe('argument validation', () => {
    it('rejects a fn that is not a function with a TypeError naming fn', () => {
      expect(() => spawn(bad(42))).to.throw(TypeError, /\bfn\b/);
      expect(() => spawnN(bad('x'))).to.throw(TypeError, /\bfn\b/);
      expect(() => spawnAfter(1, bad(null))).to.throw(TypeError, /\bfn\b/);
      const thread = spawn(() => 1);
      expect(() => thread.link(bad({}))).to.throw(TypeError, /\bfn\b/);
    });

    it('names the function in the message', () => {
      expect(() => spawn(bad(42))).to.throw(/spawn/);
      expect(() => spawnN(bad(42))).to.throw(/spawnN/);
      expect(() => spawnAfter(1, bad(42))).to.throw(/spawnAfter/);
    });

    it('rejects seconds that are not a number with a TypeError naming seconds', async () => {
      expect(() => spawnAfter(bad('1'), () => 1)).to.throw(TypeError, /\bseconds\b/);
      expect(() => spawnAfter(NaN, () => 1)).to.throw(TypeError, /\bseconds\b/);
      expect(await errorFrom(() => sleep(bad('1')))).to.be.an.instanceOf(TypeError).with.property('message').that.matches(/\bseconds\b/);
      expect(await errorFrom(() => sleep(NaN))).to.be.an.instanceOf(TypeError);
    });

    it('schedules nothing when validation fails (a scheduled bad fn would fail and be reported)', async () => {
      expect(() => spawn(bad(42))).to.throw(TypeError);
      expect(() => spawnN(bad(42))).to.throw(TypeError);
      expect(() => spawnAfter(0, bad(42))).to.throw(TypeError);
      await sleep(0.01);
      expect(reports).to.deep.equal([]);
    });
  });
});
