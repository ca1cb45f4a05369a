/**
 * Timeout, withTimeout and isTimeout.
 * Numbers such as (#74) refer to the checklist in shared/reference/eventlet-behaviour.md §11.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { getCurrent, GreenletExit, isTimeout, sleep, spawn, Timeout, withTimeout } from '../lib/index.js';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';
import { bad, captureErrorReports, errorFrom, inThread, libraryCall, liveTimers, never, rejectionOf, since } from './support.js';

/** What a thread's cooperative point threw, or `'no exception'`. */
async function thrownAt(point: () => Promise<unknown>): Promise<unknown> {
  try {
    await point();
    return 'no exception';
  } catch (err) {
    return err;
  }
}

/** Runs an ES module program from the repository root (so 'eventlet' is this package); resolves with its stdout and milliseconds. */
function runProgram(source: string): Promise<{ stdout: string; ms: number }> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err || stderr !== '') reject(new Error(`program failed: ${err?.message ?? ''}\n${stdout}\n${stderr}`));
      else resolve({ stdout: stdout.trim(), ms: performance.now() - started });
    });
  });
}

describe('timeouts', () => {
  const reports = captureErrorReports();

  describe('Timeout', () => {
    it('starts at once: pending right after construction, with its seconds, until cancelled', () => {
      const timeout = new Timeout(1);
      try {
        expect(timeout.pending).to.equal(true);
        expect(timeout.seconds).to.equal(1);
        expect(timeout.expired).to.equal(false);
      } finally {
        timeout.cancel();
      }
      expect(timeout.pending).to.equal(false);
      timeout.cancel();
      expect(timeout.pending).to.equal(false);
    });

    it('is thrown, itself, at the cooperative point where its thread waits, and is no longer pending (#72)', async () => {
      const start = performance.now();
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.02);
        const thrown = await thrownAt(() => sleep(1));
        return { timeout, thrown, pending: timeout.pending, expired: timeout.expired };
      });
      expect(outcome.thrown).to.equal(outcome.timeout);
      expect(outcome.thrown).to.be.an.instanceOf(Timeout);
      expect(outcome.thrown).to.be.an.instanceOf(Error);
      expect(outcome.pending).to.equal(false);
      expect(outcome.expired).to.equal(true);
      expect(since(start)).to.be.at.least(0.015).and.below(0.2);
    });

    it('can be thrown by hand and caught as a Timeout without being pending (#72)', () => {
      const timeout = new Timeout();
      expect(timeout.pending).to.equal(false);
      let caught: unknown;
      try {
        throw timeout;
      } catch (err) {
        caught = err;
      }
      expect(caught).to.equal(timeout);
      expect(caught).to.be.an.instanceOf(Timeout);
    });

    it('is an Error, so a plain catch sees it and instanceof tells it apart (deliberate difference from #79)', () => {
      const timeout = new Timeout();
      expect(timeout).to.be.an.instanceOf(Error);
      expect(timeout.name).to.equal('Timeout');
      expect(new GreenletExit()).to.not.be.an.instanceOf(Timeout);
      expect(new Error('plain')).to.not.be.an.instanceOf(Timeout);
    });

    it('inspects compactly, as console.log shows it: its stack, seconds and state, none of its scope or thread', async () => {
      const err = (await rejectionOf(inThread(() => withTimeout(0.01, () => sleep(1))))) as Timeout;
      const text = inspect(err);
      expect(text.startsWith(err.stack!)).to.equal(true);
      expect(text.slice(err.stack!.length)).to.equal(" { seconds: 0.01, state: 'expired' }");
      expect(Object.keys(err).sort()).to.deep.equal(['exception', 'isTimeout', 'name', 'seconds']);
      expect(() => JSON.stringify(err)).to.not.throw();
    });

    it('describes itself without crashing (#73)', () => {
      const one = new Timeout(1);
      const silent = new Timeout(2, false);
      try {
        expect(String(one)).to.contain('1 second');
        expect(String(silent)).to.contain('2 seconds (silent)');
        expect(String(new Timeout(null, RangeError))).to.be.a('string');
        expect(String(new Timeout(null, false))).to.be.a('string');
        expect(new Timeout(null, new Error('x')).stack).to.be.a('string');
      } finally {
        one.cancel();
        silent.cancel();
      }
    });

    it('emits no process warning when constructed and cancelled (#77)', async () => {
      const warnings: unknown[] = [];
      const onWarning = (warning: unknown): void => {
        warnings.push(warning);
      };
      process.on('warning', onWarning);
      try {
        const timeout = new Timeout(1);
        timeout.cancel();
        await sleep(0.01);
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).to.deep.equal([]);
    });

    it('with exception undefined or true throws itself (#78)', async () => {
      for (const exception of [undefined, true]) {
        const outcome = await inThread(async () => {
          const timeout = new Timeout(0.01, exception);
          return { timeout, thrown: await thrownAt(() => sleep(1)) };
        });
        expect(outcome.thrown).to.equal(outcome.timeout);
      }
    });

    it('with an Error class throws a new instance of that class (#78)', async () => {
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.01, RangeError);
        return { timeout, thrown: await thrownAt(() => sleep(1)) };
      });
      expect(outcome.thrown).to.be.an.instanceOf(RangeError);
      expect(outcome.thrown).to.not.be.an.instanceOf(Timeout);
    });

    it('with an Error instance throws that instance (#78)', async () => {
      const err = new Error('v');
      const thrown = await inThread(async () => {
        new Timeout(0.01, err);
        return thrownAt(() => sleep(1));
      });
      expect(thrown).to.equal(err);
    });

    it('with exception false ends its thread quietly: wait() resolves and nothing is reported (#78)', async () => {
      const log: string[] = [];
      const start = performance.now();
      const thread = spawn(async () => {
        new Timeout(0.02, false);
        await sleep(1);
        log.push('not reached');
        return 'not reached';
      });
      expect(await thread.wait()).to.equal(undefined);
      expect(since(start)).to.be.below(0.5);
      expect(thread.dead).to.equal(true);
      expect(log).to.deep.equal([]);
      expect(reports).to.deep.equal([]);
    });

    it('with seconds 0 fires at the first sleep(0) (#80)', async () => {
      for (let i = 0; i < 50; i++) {
        const outcome = await inThread(async () => {
          const timeout = new Timeout(0);
          const thrown = await thrownAt(() => sleep(0));
          timeout.cancel();
          return thrown === timeout ? 'fired' : thrown;
        });
        expect(outcome, `attempt ${i}`).to.equal('fired');
      }
    });

    it('with seconds null or undefined never fires (#80)', async () => {
      const thrown = await inThread(async () => {
        const forNull = new Timeout(null);
        const forUndefined = new Timeout();
        expect(forNull.pending).to.equal(false);
        expect(forUndefined.pending).to.equal(false);
        expect(forNull.seconds).to.equal(null);
        return thrownAt(() => sleep(0.03));
      });
      expect(thrown).to.equal('no exception');
    });

    it('refuses start() while pending, and can be restarted after cancel() (#81)', async () => {
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.01);
        let startError: unknown;
        try {
          timeout.start();
        } catch (err) {
          startError = err;
        }
        timeout.cancel();
        const pendingAfterCancel = timeout.pending;
        const whileCancelled = await thrownAt(() => sleep(0.03));
        timeout.start();
        const pendingAfterRestart = timeout.pending;
        const afterRestart = await thrownAt(() => sleep(1));
        return { timeout, startError, pendingAfterCancel, whileCancelled, pendingAfterRestart, afterRestart };
      });
      expect(outcome.startError).to.be.an.instanceOf(Error).with.property('message').that.matches(/already/);
      expect(outcome.pendingAfterCancel).to.equal(false);
      expect(outcome.whileCancelled).to.equal('no exception');
      expect(outcome.pendingAfterRestart).to.equal(true);
      expect(outcome.afterRestart).to.equal(outcome.timeout);
    });

    it('does not interrupt synchronous work, and fires at the next cooperative point instead (#82)', async () => {
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.01);
        const end = performance.now() + 50;
        let spins = 0;
        while (performance.now() < end) spins++;
        const thrown = await thrownAt(() => sleep(0));
        return { loopFinished: spins > 0, fired: thrown === timeout };
      });
      expect(outcome).to.deep.equal({ loopFinished: true, fired: true });
    });

    it('interrupts only the thread that created it', async () => {
      const start = performance.now();
      const victim = spawn(async () => {
        new Timeout(0.02);
        await sleep(1);
      });
      const victimError = rejectionOf(victim.wait());
      const bystander = spawn(async () => {
        await sleep(0.06);
        return 'bystander done';
      });
      await sleep(0.06);
      expect(since(start)).to.be.at.least(0.055);
      expect(await victimError).to.be.an.instanceOf(Timeout);
      expect(await bystander.wait()).to.equal('bystander done');
    });

    it('does not fire once cancelled by `using` at the end of its block (#83)', async () => {
      const outcome = await inThread(async () => {
        let scoped: Timeout;
        {
          using timeout = new Timeout(0.03);
          scoped = timeout;
          await sleep(0.005);
        }
        const pendingAfterBlock = scoped.pending;
        const later = await thrownAt(() => sleep(0.06));
        return { pendingAfterBlock, later };
      });
      expect(outcome).to.deep.equal({ pendingAfterBlock: false, later: 'no exception' });
    });

    it('is cancelled by [Symbol.dispose]()', async () => {
      const thrown = await inThread(async () => {
        const timeout = new Timeout(0.02);
        timeout[Symbol.dispose]();
        expect(timeout.pending).to.equal(false);
        return thrownAt(() => sleep(0.05));
      });
      expect(thrown).to.equal('no exception');
    });

    it('never outlives the thread that created it', async () => {
      let timeout!: Timeout;
      const thread = spawn(() => {
        timeout = new Timeout(10);
        return 'done';
      });
      expect(await thread.wait()).to.equal('done');
      expect(timeout.pending).to.equal(false);
    });

    it('aborts its thread signal with the exception when it fires', async () => {
      const outcome = await inThread(async () => {
        const signal = getCurrent().signal;
        const timeout = new Timeout(0.01);
        await thrownAt(() => sleep(1));
        return { aborted: signal.aborted, reasonIsTimeout: signal.reason === timeout };
      });
      expect(outcome).to.deep.equal({ aborted: true, reasonIsTimeout: true });
    });

    it('abandons a thread stuck on a never-settling promise: wait() rejects with the Timeout within 100 ms of the deadline', async () => {
      let timeout!: Timeout;
      const start = performance.now();
      const thread = spawn(async () => {
        timeout = new Timeout(0.03);
        await never();
      });
      const thrown = await rejectionOf(thread.wait());
      expect(thrown).to.equal(timeout);
      expect(thread.dead).to.equal(true);
      expect(since(start)).to.be.at.least(0.025).and.below(0.13);
    });

    it('leaves a thread that caught it and parked again to run on, even through a later non-cooperative await', async () => {
      const thread = spawn(async () => {
        const timeout = new Timeout(0.01);
        try {
          await sleep(10);
        } catch (err) {
          if (err !== timeout) throw err;
        }
        await sleep(0);
        await new Promise((resolve) => setTimeout(resolve, 60));
        return 'survived';
      });
      expect(await thread.wait()).to.equal('survived');
    });

    it('makes wait() report the Timeout when the thread fails with an error it caused', async () => {
      let timeout!: Timeout;
      const thread = spawn(async () => {
        timeout = new Timeout(0.01);
        try {
          await sleep(1);
        } catch (err) {
          throw new Error('driver failed', { cause: err });
        }
      });
      expect(await rejectionOf(thread.wait())).to.equal(timeout);
    });

    it('is not thrown again after a library call it interrupted failed and the caller cancelled it', async () => {
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.02);
        const failure = (await libraryCall('error').catch((err: unknown) => err)) as Error;
        timeout.cancel();
        await sleep(0.01);
        return { message: failure.message, causedByIt: failure.cause === timeout, after: 'slept' };
      });
      expect(outcome).to.deep.equal({ message: 'socket hang up', causedByIt: true, after: 'slept' });
    });

    it('is not thrown again after a library call it interrupted failed and the caller disposed of it', async () => {
      const outcome = await inThread(async () => {
        const timeout = new Timeout(0.02);
        await libraryCall('error').catch(() => {});
        timeout[Symbol.dispose]();
        return thrownAt(() => sleep(0.01));
      });
      expect(outcome).to.equal('no exception');
    });

    it('is thrown at the next cooperative point when a library swallowed the error and nobody cancelled it', async () => {
      let timeout!: Timeout;
      const thrown = await inThread(async () => {
        timeout = new Timeout(0.02);
        await libraryCall('error').catch(() => {});
        return thrownAt(() => sleep(0.01));
      });
      expect(thrown).to.equal(timeout);
    });

    it('leaves the waiting exception of another Timeout in place when cancelled', async () => {
      let fired!: Timeout;
      const thrown = await inThread(async () => {
        fired = new Timeout(0.02);
        const other = new Timeout(5);
        await libraryCall('error').catch(() => {});
        other.cancel();
        return thrownAt(() => sleep(0.01));
      });
      expect(thrown).to.equal(fired);
    });

    it('makes wait() reject with it when the body returns after the call it interrupted ended without an error', async () => {
      let timeout!: Timeout;
      const thread = spawn(async () => {
        timeout = new Timeout(0.02);
        return `child ${await libraryCall('quietly')}`;
      });
      expect(await rejectionOf(thread.wait())).to.equal(timeout);
    });

    it('lets wait() resolve when the body cancelled it after the call it interrupted ended without an error', async () => {
      const thread = spawn(async () => {
        const timeout = new Timeout(0.02);
        const outcome = await libraryCall('quietly');
        timeout.cancel();
        return `child ${outcome}`;
      });
      expect(await thread.wait()).to.equal('child exited');
    });

    it('ends a thread quietly when silent and the body returns after the call it interrupted ended without an error', async () => {
      const thread = spawn(async () => {
        new Timeout(0.02, false);
        return `child ${await libraryCall('quietly')}`;
      });
      expect(await thread.wait()).to.equal(undefined);
    });

    it('does not keep the process alive by itself when armed outside any green thread', async () => {
      const { stdout, ms } = await runProgram("import { Timeout } from 'eventlet'; new Timeout(20); console.log('armed');");
      expect(stdout).to.equal('armed');
      expect(ms).to.be.below(10_000);
    });

    it('keeps the process alive for a top-level cooperative point that nothing else would wake, and is thrown there', async () => {
      const program = "import { Timeout, Queue } from 'eventlet'; const t = new Timeout(0.2); const s = performance.now(); const e = await new Queue().get().catch((e) => e); console.log(e === t, performance.now() - s >= 190);";
      expect((await runProgram(program)).stdout).to.equal('true true');
    });

    it('does not disturb the main thread when created and cancelled outside any green thread', async () => {
      const timeout = new Timeout(0.02);
      timeout.cancel();
      expect(await thrownAt(() => sleep(0.04))).to.equal('no exception');
    });

    it('rejects bad arguments with an error naming the argument and arms nothing', () => {
      const timers = liveTimers();
      expect(() => new Timeout(-1)).to.throw(RangeError, /\bseconds\b/);
      expect(() => new Timeout(bad('x'))).to.throw(TypeError, /\bseconds\b/);
      expect(() => new Timeout(NaN)).to.throw(TypeError, /\bseconds\b/);
      expect(() => new Timeout(1, bad(42))).to.throw(TypeError, /\bexception\b/);
      expect(liveTimers()).to.equal(timers);
    });
  });

  describe('withTimeout', () => {
    it('resolves with what fn returns, passing it the arguments (#74)', async () => {
      expect(await withTimeout(1, (a: number, b: number) => a + b, 1, 2)).to.equal(3);
      expect(await withTimeout(1, sleep, 0.01)).to.equal(undefined);
    });

    it('rejects with its Timeout when fn takes too long (#74)', async () => {
      const start = performance.now();
      const thrown = await rejectionOf(withTimeout(0.02, sleep, 1));
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect((thrown as Timeout).seconds).to.equal(0.02);
      expect(since(start)).to.be.at.least(0.015).and.below(0.12);
    });

    it('resolves with timeoutValue instead when given options (#74)', async () => {
      expect(await withTimeout({ seconds: 0.02, timeoutValue: 'X' }, sleep, 1)).to.equal('X');
      expect(await withTimeout({ seconds: 0.02, timeoutValue: undefined }, sleep, 1)).to.equal(undefined);
      expect(await withTimeout({ seconds: 1, timeoutValue: 'X' }, () => 'fn value')).to.equal('fn value');
    });

    it('never times out with seconds null', async () => {
      expect(await withTimeout(null, async () => (await sleep(0.03), 'done'))).to.equal('done');
      expect(await withTimeout({ seconds: null, timeoutValue: 'X' }, async () => (await sleep(0.03), 'done'))).to.equal('done');
    });

    it('lets an outer Timeout pass through an inner withTimeout that has a timeoutValue (#75)', async () => {
      const outcome = await inThread(async () => {
        const outer = new Timeout(0.02);
        const thrown = await thrownAt(() => withTimeout({ seconds: 0.5, timeoutValue: 'b' }, sleep, 1));
        return thrown === outer ? 'outer Timeout' : thrown;
      });
      expect(outcome).to.equal('outer Timeout');
    });

    it('lets an outer withTimeout pass through an inner one (#75)', async () => {
      const thrown = await rejectionOf(withTimeout(0.02, () => withTimeout({ seconds: 0.5, timeoutValue: 'b' }, sleep, 1)));
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect((thrown as Timeout).seconds).to.equal(0.02);
    });

    it('passes fn errors through unchanged', async () => {
      const err = new Error('fn failed');
      expect(
        await rejectionOf(
          withTimeout(1, async () => {
            await sleep(0);
            throw err;
          }),
        ),
      ).to.equal(err);
      expect(
        await rejectionOf(
          withTimeout(1, () => {
            throw err;
          }),
        ),
      ).to.equal(err);
    });

    it('rejects within 100 ms of the deadline even when fn awaits a never-settling promise', async () => {
      const start = performance.now();
      const thrown = await rejectionOf(withTimeout(0.05, never));
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect(since(start)).to.be.at.least(0.045).and.below(0.15);
    });

    it('gives a green thread control back when fn is stuck, and the thread goes on with its own work', async () => {
      const start = performance.now();
      const outcome = await inThread(async () => {
        const thrown = await thrownAt(() => withTimeout(0.03, never));
        const elapsed = since(start);
        await sleep(0.01);
        return { timedOut: thrown instanceof Timeout, elapsed, after: 'continued' };
      });
      expect(outcome.timedOut).to.equal(true);
      expect(outcome.after).to.equal('continued');
      expect(outcome.elapsed).to.be.below(0.13);
    });

    it('reports its Timeout whatever error fn surfaced after it fired', async () => {
      const thrown = await rejectionOf(
        withTimeout(0.02, async () => {
          try {
            await sleep(1);
          } catch (err) {
            throw new Error('driver failed', { cause: err });
          }
        }),
      );
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect((thrown as Timeout).seconds).to.equal(0.02);
    });

    it('rejects with its Timeout when fn returns after the call it interrupted ended without an error', async () => {
      const start = performance.now();
      const thrown = await rejectionOf(withTimeout(0.02, async () => `child ${await libraryCall('quietly')}`));
      expect(thrown).to.be.an.instanceOf(Timeout);
      expect((thrown as Timeout).seconds).to.equal(0.02);
      expect(since(start)).to.be.below(0.5);
    });

    it('resolves with timeoutValue when fn returns after the call it interrupted ended without an error', async () => {
      expect(await withTimeout({ seconds: 0.02, timeoutValue: 'late' }, () => libraryCall('quietly'))).to.equal('late');
    });

    it('rejects with its Timeout when fn caught the library error it caused and returned', async () => {
      const thrown = await rejectionOf(withTimeout(0.02, () => libraryCall('error').catch(() => 'recovered')));
      expect(thrown).to.be.an.instanceOf(Timeout);
    });

    it('resolves with what fn returns after catching its Timeout at a cooperative point', async () => {
      const value = await withTimeout(0.02, async () => {
        await libraryCall('error').catch(() => {});
        return (await thrownAt(() => sleep(1))) instanceof Timeout ? 'caught at sleep' : 'not caught';
      });
      expect(value).to.equal('caught at sleep');
    });

    it('does not let concurrent top-level calls interfere with each other', async () => {
      const start = performance.now();
      const stuck = rejectionOf(withTimeout(0.03, never));
      const slow = rejectionOf(withTimeout(0.06, sleep, 1));
      const fine = withTimeout(1, async () => {
        await sleep(0.1);
        return 'fine';
      });
      const bare = withTimeout(1, async () => {
        await new Promise((resolve) => setTimeout(resolve, 80));
        return 'bare';
      });
      const stuckError = await stuck;
      const stuckElapsed = since(start);
      const [slowError, fineValue, bareValue] = await Promise.all([slow, fine, bare]);
      expect(stuckError).to.be.an.instanceOf(Timeout).with.property('seconds', 0.03);
      expect(stuckElapsed).to.be.below(0.13);
      expect(slowError).to.be.an.instanceOf(Timeout).with.property('seconds', 0.06);
      expect(slowError).to.not.equal(stuckError);
      expect(fineValue).to.equal('fine');
      expect(bareValue).to.equal('bare');
    });

    it('does not interrupt a sibling green thread or the thread it runs in beyond its own scope', async () => {
      const sibling = spawn(async () => {
        await sleep(0.05);
        return 'sibling done';
      });
      const outcome = await inThread(async () => {
        const value = await withTimeout({ seconds: 0.01, timeoutValue: 'timed out' }, sleep, 1);
        await sleep(0.05);
        return value;
      });
      expect(outcome).to.equal('timed out');
      expect(await sibling.wait()).to.equal('sibling done');
    });

    it('is interrupted by a kill of its thread, which wait() reports', async () => {
      const thread = spawn(() => withTimeout(1, sleep, 10));
      const waited = rejectionOf(thread.wait());
      await sleep(0);
      const start = performance.now();
      await thread.kill();
      expect(since(start)).to.be.below(0.1);
      expect(await waited).to.be.an.instanceOf(GreenletExit);
    });

    it('clears its timer when fn settles first', async () => {
      await sleep(0); // mocha arms its own test timer once the test returns its promise
      const timers = liveTimers();
      expect(await withTimeout(10, () => 'quick')).to.equal('quick');
      expect(await withTimeout(10, async () => (await sleep(0), 'after a yield'))).to.equal('after a yield');
      expect(liveTimers()).to.equal(timers);
    });

    it('rejects bad arguments with an error naming the argument, without calling fn', async () => {
      let calls = 0;
      const fn = (): void => {
        calls++;
      };
      expect(await errorFrom(() => withTimeout(1, bad(42)))).to.be.an.instanceOf(TypeError).with.property('message').that.matches(/\bfn\b/);
      expect(await errorFrom(() => withTimeout(bad('x'), fn))).to.be.an.instanceOf(TypeError).with.property('message').that.matches(/\bseconds\b/);
      expect(await errorFrom(() => withTimeout(-1, fn))).to.be.an.instanceOf(RangeError).with.property('message').that.matches(/\bseconds\b/);
      expect(await errorFrom(() => withTimeout(bad({ seconds: 1, timeout: 2 }), fn)))
        .to.be.an.instanceOf(TypeError)
        .with.property('message')
        .that.matches(/\btimeout\b/);
      expect(await errorFrom(() => withTimeout(bad({ seconds: 'soon' }), fn))).to.be.an.instanceOf(TypeError);
      expect(calls).to.equal(0);
    });
  });

  describe('isTimeout', () => {
    it('is true for a Timeout, fired or not (#76)', () => {
      expect(isTimeout(new Timeout())).to.equal(true);
      expect(isTimeout(new Timeout(null, false))).to.equal(true);
    });

    it('is true for an error whose cause chain holds a Timeout (#76)', () => {
      const timeout = new Timeout();
      const direct = new Error('socket closed', { cause: timeout });
      const nested = new Error('query failed', { cause: new Error('socket closed', { cause: timeout }) });
      expect(isTimeout(direct)).to.equal(true);
      expect(isTimeout(nested)).to.equal(true);
    });

    it('is true for anything marked isTimeout, like eventlet wrap_is_timeout (#76)', () => {
      expect(isTimeout(Object.assign(new Error('custom'), { isTimeout: true }))).to.equal(true);
    });

    it('is true for the TimeoutError DOMException of AbortSignal.timeout, and errors caused by it', async () => {
      const signal = AbortSignal.timeout(1);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      expect((signal.reason as Error).name).to.equal('TimeoutError');
      expect(isTimeout(signal.reason)).to.equal(true);
      expect(isTimeout(new Error('fetch failed', { cause: signal.reason }))).to.equal(true);
    });

    it('is false for plain errors, AbortError and non-errors', () => {
      expect(isTimeout(new Error('timeout'))).to.equal(false);
      expect(isTimeout(new Error('wrapped', { cause: new Error('inner') }))).to.equal(false);
      expect(isTimeout(new DOMException('aborted', 'AbortError'))).to.equal(false);
      expect(isTimeout(new GreenletExit())).to.equal(false);
      expect(isTimeout('timeout')).to.equal(false);
      expect(isTimeout(null)).to.equal(false);
      expect(isTimeout(undefined)).to.equal(false);
      expect(isTimeout({ isTimeout: false })).to.equal(false);
    });

    it('is false, without hanging, for an error whose cause chain loops', () => {
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      (a as { cause?: unknown }).cause = b;
      expect(isTimeout(a)).to.equal(false);
    });
  });
});

interface DeliveryReport extends Ending {
  mode: string;
  keepAlive: string[];
  child: { outcome: string; elapsedMs: number };
  worker: { outcome: string; elapsedMs: number };
  socket: { outcome: string; elapsedMs: number };
  killed: string;
}

for (const mode of PATCH_MODES) {
  describe(`how an interruption reaches the body, in a program (${mode.title})`, function () {
    this.timeout(60_000);
    let report: DeliveryReport;

    before(async () => {
      report = (await runFixture<DeliveryReport>('interruption-delivery.mjs', mode)).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    it('leaves the next request on a keep-alive connection alone after a handler cancelled a Timeout that fired inside fetch', () => {
      expect(report.keepAlive).to.deep.equal(['a: handled', 'b: ok']);
    });

    it("rejects withTimeout with the Timeout on time when fn awaited a child's 'exit' that the interruption caused", () => {
      expect(report.child.outcome).to.equal('rejected Timeout');
      expect(report.child.elapsedMs).to.be.below(600);
    });

    it("rejects withTimeout with the Timeout on time when fn awaited a worker's 'exit' that the interruption caused", () => {
      expect(report.worker.outcome).to.equal('rejected Timeout');
      expect(report.worker.elapsedMs).to.be.below(600);
    });

    it("rejects withTimeout with the Timeout on time when fn awaited a socket's 'close' with no 'error' listener", () => {
      expect(report.socket.outcome).to.equal('rejected Timeout');
      expect(report.socket.elapsedMs).to.be.below(600);
    });

    it("makes wait() of a killed thread reject with the kill exception when it awaited a child's 'exit' that the kill caused", () => {
      expect(report.killed).to.equal('rejected GreenletExit');
    });

    it('leaves nothing open and nothing unhandled', () => {
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}
