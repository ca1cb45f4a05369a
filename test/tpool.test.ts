/**
 * tpool: execute on worker threads (function source and module exports), interruption by kill and
 * Timeout, the pool's size and killall, and a program using it in a child process.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { debug, GreenletExit, isTimeout, sleep, spawn, tpool, withTimeout } from '../lib/index.js';
import { PATCH_MODES, runFixture } from './fixture-runs.js';
import { activeResources, bad, EARLY_MS, errorFrom, rejectionOf, waitFor } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const esmTasks = path.join(root, 'fixtures/tpool-tasks.mjs');
const cjsTasks = path.join(root, 'fixtures/tpool-tasks.cjs');

// The tasks below are sent to the workers as source text: each uses only its arguments and globals.

/** Spins the CPU for `ms` milliseconds: no await, nothing the main thread could interrupt. */
function spin(ms: number): string {
  const end = Date.now() + ms;
  while (Date.now() < end);
  return `spun ${ms} ms`;
}

/** Adds to `counter[0]` while it spins for `ms`: the count stops moving once its worker is terminated. */
function countWhileSpinning(counter: Int32Array, ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) Atomics.add(counter, 0, 1);
  return Atomics.load(counter, 0);
}

/** Counts itself in `started[0]`, then waits (up to `ms`) until `expected` tasks have started; returns how many it saw. */
function meetOthers(started: Int32Array, expected: number, ms: number): number {
  Atomics.add(started, 0, 1);
  const end = Date.now() + ms;
  while (Atomics.load(started, 0) < expected && Date.now() < end);
  return Atomics.load(started, 0);
}

/** A fresh shared counter. */
const sharedCounter = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));

/** The number of OS threads of this process. */
const osThreads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

interface ProgramReport {
  mode: string;
  sum?: number;
  threads?: number;
  timedOut?: boolean;
  error?: string;
}

describe('tpool', function () {
  this.timeout(20_000);

  before(() => tpool.setNumThreads(2));
  after(() => tpool.killall());

  describe('execute(fn, ...args)', () => {
    it('resolves with what the function returns, computed on a worker thread', async () => {
      const where = await tpool.execute(async () => {
        const { isMainThread, threadId } = await import('node:worker_threads');
        return { isMainThread, threadId };
      });
      expect(where.isMainThread).to.equal(false);
      expect(where.threadId).to.be.greaterThan(0);
    });

    it('passes the arguments and returns the result by structured clone', async () => {
      const input = { when: new Date(0), tags: new Map([['a', 1]]), bytes: new Uint8Array([1, 2, 3]) };
      const output = await tpool.execute((value: typeof input, extra: number[]) => {
        value.tags.set('b', 2);
        return { ...value, sum: value.bytes.reduce((a, b) => a + b, 0) + extra.length, isDate: value.when instanceof Date };
      }, input, [7, 8]);
      expect(output.sum).to.equal(8);
      expect(output.isDate).to.equal(true);
      expect([...output.tags]).to.deep.equal([['a', 1], ['b', 2]]);
      expect([...input.tags], 'the caller keeps its own copy').to.deep.equal([['a', 1]]);
    });

    it('resolves with what an async function resolves to, and runs a method definition', async () => {
      const tasks = {
        async later(x: number) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return x * 2;
        },
        triple(x: number) {
          return x * 3;
        },
      };
      expect(await tpool.execute(tasks.later, 21)).to.equal(42);
      expect(await tpool.execute(tasks.triple, 5)).to.equal(15);
    });

    it('rejects with the error the task threw: its class, name, message, code and the stack from the worker', async () => {
      const range = await rejectionOf(tpool.execute((n: number) => new Array(n), -1));
      expect(range).to.be.instanceOf(RangeError);
      expect((range as Error).message).to.equal('Invalid array length');
      const custom = await rejectionOf(tpool.execute(function failing(reason: string) {
        class QuotaError extends Error {
          code = 'EQUOTA';
          override name = 'QuotaError';
        }
        throw new QuotaError(reason);
      }, 'over quota'));
      expect(custom).to.be.instanceOf(Error);
      expect(custom).to.include({ name: 'QuotaError', message: 'over quota', code: 'EQUOTA' });
      expect((custom as Error).stack).to.match(/^QuotaError: over quota\n\s+at failing /);
    });

    it('rejects with a ReferenceError when the function uses a variable from around it: it is sent as source', async () => {
      const factor = 3;
      const err = await rejectionOf(tpool.execute((x: number) => x * factor, 2));
      expect(err).to.be.instanceOf(ReferenceError);
      expect((err as Error).message).to.equal('factor is not defined');
    });

    it('rejects with a thrown value that is not an Error as it is', async () => {
      expect(await rejectionOf(tpool.execute(() => { throw { code: 7 }; }))).to.deep.equal({ code: 7 });
    });

    it('rejects a result that cannot be cloned with a TypeError saying so, and the pool goes on', async () => {
      const err = await rejectionOf(tpool.execute(() => () => 1));
      expect(err).to.be.instanceOf(TypeError);
      expect((err as Error).message).to.match(/^tpool\.execute: the task's result cannot be sent back by structured clone: .*could not be cloned/);
      expect(await tpool.execute(() => 'still here')).to.equal('still here');
    });

    it('rejects arguments that cannot be cloned with a DataCloneError', async () => {
      const err = await rejectionOf(tpool.execute((f: () => number) => typeof f, () => 1));
      expect((err as Error).name).to.equal('DataCloneError');
    });
  });

  describe('execute({ module, name }, ...args)', () => {
    it('calls the default export of an ES module given by a path, relative to the working directory', async () => {
      expect(await tpool.execute({ module: path.relative(process.cwd(), esmTasks) }, 20)).to.equal(6765);
    });

    it('calls a named export of an ES module given by a URL, awaiting an async one', async () => {
      const threadId = await tpool.execute({ module: pathToFileURL(esmTasks), name: 'threadIdAfter' }, 5);
      expect(threadId).to.be.a('number').greaterThan(0);
      expect(await tpool.execute({ module: pathToFileURL(esmTasks).href, name: 'default' }, 10)).to.equal(55);
    });

    it('calls module.exports of a CommonJS module, and an export Node cannot detect statically', async () => {
      expect(await tpool.execute({ module: cjsTasks }, 14)).to.equal(42);
      expect(await tpool.execute({ module: cjsTasks, name: 'shout' }, 'hi')).to.equal('HI!');
    });

    it('rejects with the error a module function threw, its stack naming the module file', async () => {
      const esm = await rejectionOf(tpool.execute({ module: esmTasks, name: 'fail' }, 'no room'));
      expect(esm).to.include({ name: 'QuotaError', message: 'no room', code: 'EQUOTA' });
      expect((esm as Error).stack).to.include(pathToFileURL(esmTasks).href);
      const cjs = await rejectionOf(tpool.execute({ module: cjsTasks, name: 'fail' }, 'bad input'));
      expect(cjs).to.be.instanceOf(TypeError).and.include({ message: 'bad input', code: 'ECJS' });
      expect((cjs as Error).stack).to.include(cjsTasks);
    });

    it('rejects with a TypeError when the module exports no function under that name', async () => {
      const missing = await rejectionOf(tpool.execute({ module: esmTasks, name: 'nothingHere' }));
      expect(missing).to.be.instanceOf(TypeError);
      expect((missing as Error).message).to.equal(`tpool.execute: ${pathToFileURL(esmTasks).href} has no function as an export named "nothingHere" (found nothing)`);
      const notFunction = await rejectionOf(tpool.execute({ module: esmTasks, name: 'notAFunction' }));
      expect((notFunction as Error).message).to.match(/has no function as an export named "notAFunction" \(found number\)$/);
    });

    it("rejects with Node's ERR_MODULE_NOT_FOUND when the module file does not exist", async () => {
      const err = await rejectionOf(tpool.execute({ module: path.join(root, 'fixtures/no-such-tasks.mjs') }));
      expect(err).to.include({ code: 'ERR_MODULE_NOT_FOUND' });
    });
  });

  describe('bad task values', () => {
    it('throws a TypeError naming task for a value that is neither a function nor { module, name? }', async () => {
      for (const value of [42, null, undefined, 'spin']) {
        const err = await errorFrom(() => tpool.execute(bad(value)));
        expect(err, String(value)).to.be.instanceOf(TypeError);
        expect((err as Error).message).to.match(/^tpool\.execute: task must be a function or \{ module, name\? \}, got /);
      }
    });

    it('throws a TypeError naming task for a native function, a bound function and a class', () => {
      expect(() => tpool.execute(Math.max, 1, 2)).to.throw(TypeError, /^tpool\.execute: task must be a function whose source can be sent to a worker, got a native function \(function max\)/);
      expect(() => tpool.execute(spin.bind(null), 1)).to.throw(TypeError, /got a bound function \(function bound spin\)/);
      expect(() => tpool.execute(bad(class Job {}))).to.throw(TypeError, 'tpool.execute: task must be a function, got class Job');
    });

    it('throws a TypeError naming task.module or task.name when they are not a module and a string', () => {
      expect(() => tpool.execute(bad({ module: 42 }))).to.throw(TypeError, "tpool.execute: task.module must be a module file's URL or path, got number 42");
      expect(() => tpool.execute(bad({}))).to.throw(TypeError, 'task.module must be');
      expect(() => tpool.execute(bad({ module: esmTasks, name: 1 }))).to.throw(TypeError, 'tpool.execute: task.name must be a string, got number 1');
    });
  });

  describe('interruption', () => {
    before(() => tpool.setNumThreads(1));

    it("is a cooperative point: debug lists the waiting thread as parked on 'tpool execute'", async () => {
      const waiting = spawn(() => tpool.execute(spin, 5000));
      waiting.name = 'cruncher';
      await waitFor('the thread to park', () => debug.greenThreads().some((info) => info.name === 'cruncher' && info.state === 'parked'));
      expect(debug.greenThreads().find((info) => info.name === 'cruncher')).to.include({ waitingOn: 'tpool execute' });
      await waiting.kill();
    });
    after(() => tpool.setNumThreads(2));

    it('rejects withTimeout(0.2, () => execute(spin, 5000)) with the Timeout within 100 ms of the deadline, and the next task runs', async () => {
      await tpool.execute(spin, 1); // the worker is up
      const start = performance.now();
      const err = await rejectionOf(withTimeout(0.2, () => tpool.execute(spin, 5000)));
      const ms = performance.now() - start;
      expect(isTimeout(err)).to.equal(true);
      expect(ms).to.be.within(200 - EARLY_MS, 300);
      // one thread: the next task runs only because the spinning worker was terminated and replaced
      const next = performance.now();
      expect(await tpool.execute(spin, 10)).to.equal('spun 10 ms');
      expect(performance.now() - next).to.be.below(3000);
    });

    it('terminates the worker running an interrupted task: its counter stops moving', async () => {
      const counter = sharedCounter();
      const err = await rejectionOf(withTimeout(0.3, () => tpool.execute(countWhileSpinning, counter, 5000)));
      expect(isTimeout(err)).to.equal(true);
      await sleep(0.1); // termination is asynchronous
      const stopped = Atomics.load(counter, 0);
      expect(stopped).to.be.greaterThan(0);
      await sleep(0.2);
      expect(Atomics.load(counter, 0)).to.equal(stopped);
    });

    it('takes a queued task off the queue when its thread is killed: it never starts', async () => {
      const ran = sharedCounter();
      const busy = spawn(() => tpool.execute(spin, 400));
      const queued = spawn(() => tpool.execute(countWhileSpinning, ran, 1));
      await sleep(0.05);
      const killedAt = performance.now();
      await queued.kill();
      expect(await rejectionOf(queued.wait())).to.be.instanceOf(GreenletExit);
      expect(performance.now() - killedAt).to.be.below(100);
      expect(await busy.wait()).to.equal('spun 400 ms');
      expect(await tpool.execute(spin, 1)).to.equal('spun 1 ms'); // runs after where the queued one stood
      expect(Atomics.load(ran, 0)).to.equal(0);
    });
  });

  describe('interruption with two threads', () => {
    it("stops a killed thread's task while another thread's task finishes with its result", async () => {
      const killedCount = sharedCounter();
      const otherCount = sharedCounter();
      const killed = spawn(() => tpool.execute(countWhileSpinning, killedCount, 5000));
      const other = spawn(() => tpool.execute(countWhileSpinning, otherCount, 800));
      await waitFor('both tasks running', () => Atomics.load(killedCount, 0) > 0 && Atomics.load(otherCount, 0) > 0, 5);
      const killedAt = performance.now();
      await killed.kill();
      expect(await rejectionOf(killed.wait())).to.be.instanceOf(GreenletExit);
      expect(performance.now() - killedAt).to.be.below(100);
      const result = await other.wait();
      expect(result).to.be.greaterThan(0);
      const stopped = Atomics.load(killedCount, 0);
      await sleep(0.1);
      expect(Atomics.load(killedCount, 0)).to.equal(stopped);
    });
  });

  describe('the pool', () => {
    it('runs n tasks at once after setNumThreads(n), and one at a time after setNumThreads(1)', async () => {
      tpool.setNumThreads(3);
      const three = sharedCounter();
      const seen = await Promise.all([1, 2, 3].map(() => tpool.execute(meetOthers, three, 3, 5000)));
      expect(seen).to.deep.equal([3, 3, 3]);
      tpool.setNumThreads(1);
      const one = sharedCounter();
      const alone = await Promise.all([1, 2].map(() => tpool.execute(meetOthers, one, 2, 300)));
      expect(alone).to.deep.equal([1, 2]); // the first gave up waiting; the second started after it
      tpool.setNumThreads(2);
    });

    it('has set_num_threads, eventlet\'s name, as the same function as setNumThreads', () => {
      expect(tpool.set_num_threads).to.equal(tpool.setNumThreads);
    });

    it('throws a RangeError or TypeError naming n for a bad size', () => {
      expect(() => tpool.setNumThreads(0)).to.throw(RangeError, 'tpool.setNumThreads: n must be >= 1, got 0');
      expect(() => tpool.setNumThreads(-2)).to.throw(RangeError, 'tpool.setNumThreads: n must be >= 0, got -2');
      expect(() => tpool.setNumThreads(Infinity)).to.throw(RangeError, 'tpool.setNumThreads: n must be finite');
      expect(() => tpool.setNumThreads(1.5)).to.throw(RangeError, 'tpool.setNumThreads: n must be an integer, got 1.5');
      expect(() => tpool.setNumThreads(bad('4'))).to.throw(TypeError, 'tpool.setNumThreads: n must be a number, got string "4"');
    });

    it('killall() terminates every worker (OS threads and handles back to before); the next execute starts new ones', async () => {
      await tpool.killall();
      await waitFor("the earlier pools' ports to close", () => !activeResources().includes('MessagePort'));
      const threadsBefore = osThreads();
      const resourcesBefore = activeResources();
      expect(await tpool.execute(spin, 1)).to.equal('spun 1 ms');
      expect(osThreads()).to.be.greaterThan(threadsBefore);
      await withTimeout(0.1, () => tpool.execute(spin, 5000)).catch(() => {}); // one worker replaced
      await tpool.killall();
      await waitFor('the worker threads to exit', () => osThreads() <= threadsBefore);
      await waitFor(`the handles to be back to ${resourcesBefore.join(', ')}`, () => activeResources().join() === resourcesBefore.join());
      expect(await tpool.execute((a: number, b: number) => a * b, 6, 7)).to.equal(42);
    });

    it('rejects the tasks running or queued when killall() is called', async () => {
      const running = [1, 2, 3].map(() => rejectionOf(tpool.execute(spin, 5000)));
      await sleep(0.05);
      await tpool.killall();
      for (const err of await Promise.all(running)) expect((err as Error).message).to.equal('Terminating worker thread');
    });
  });

  describe('a program using tpool, in a child process', () => {
    for (const mode of PATCH_MODES) {
      it(`exits by itself when its work is done, also after a timed-out task, with one thread per core by default (${mode.title})`, async () => {
        const run = await runFixture<ProgramReport>('tpool-program.mjs', mode, { timeoutMs: 15_000 });
        expect(run.report).to.deep.equal({ mode: mode.env.EVENTLET_FIXTURE_PATCH, sum: 5, threads: Math.min(6, os.availableParallelism()), timedOut: true });
        expect(run.ms, 'the 10 s task was stopped, not waited for').to.be.below(8000);
      });
    }

    it('runs in a process started with per-process Node flags (--expose-gc), which workers cannot take', async () => {
      const run = await runFixture<ProgramReport>('tpool-program.mjs', PATCH_MODES[1]!, { nodeArgs: ['--expose-gc'], timeoutMs: 15_000 });
      expect(run.report).to.include({ sum: 5, timedOut: true });
    });

    it('uses EVENTLET_THREADPOOL_SIZE threads', async () => {
      for (const size of [1, 3]) {
        const run = await runFixture<ProgramReport>('tpool-program.mjs', PATCH_MODES[0]!, { env: { EVENTLET_THREADPOOL_SIZE: String(size) }, timeoutMs: 15_000 });
        expect(run.report.threads, `EVENTLET_THREADPOOL_SIZE=${size}`).to.equal(size);
      }
    });

    it('rejects execute with a RangeError naming EVENTLET_THREADPOOL_SIZE when it is not a positive integer', async () => {
      const run = await runFixture<ProgramReport>('tpool-program.mjs', PATCH_MODES[0]!, { env: { EVENTLET_THREADPOOL_SIZE: 'many' } });
      expect(run.report.error).to.equal('RangeError: tpool: EVENTLET_THREADPOOL_SIZE must be an integer >= 1, got "many"');
    });
  });
});
