/**
 * Signals, both ways (lib/signals.ts, DESIGN.md §3 "Signals, both ways"): `currentSignal()` is the
 * AbortSignal of the innermost scope, aborted with the interruption; an AbortSignal interrupts a
 * `withTimeout` scope (`{ signal }`) or kills a thread (`thread.killOn(signal)`).
 */
import { expect } from 'chai';
import { getEventListeners, once, EventEmitter } from 'node:events';
import { currentSignal, getCurrent, GreenletExit, isTimeout, sleep, spawn, Timeout, withTimeout } from '../lib/index.js';
import { bad, errorFrom, inThread, never, rejectionOf, since } from './support.js';
import { PATCH_MODES, runFixture } from './fixture-runs.js';

describe('signals', () => {
  describe('currentSignal', () => {
    it("is the thread's own signal inside a green thread", async () => {
      const same = await inThread(async () => currentSignal() === getCurrent().signal);
      expect(same).to.equal(true);
    });

    it("is the withTimeout scope's signal inside one, aborted with the Timeout when the scope times out, the thread's left alone", async () => {
      const seen = await inThread(async () => {
        let signal: AbortSignal | undefined;
        const err = await rejectionOf(
          withTimeout(0.02, async () => {
            signal = currentSignal();
            await sleep(1);
          }),
        );
        return { differs: signal !== getCurrent().signal, aborted: signal!.aborted, reasonIsTheTimeout: signal!.reason === err && err instanceof Timeout, threadAborted: getCurrent().signal.aborted };
      });
      expect(seen).to.deep.equal({ differs: true, aborted: true, reasonIsTheTimeout: true, threadAborted: false });
    });

    it('is aborted with the kill exception when the thread around the withTimeout scope is killed', async () => {
      let signal: AbortSignal | undefined;
      const thread = spawn(() =>
        withTimeout(10, async () => {
          signal = currentSignal();
          await sleep(10);
        }),
      );
      await sleep(0.01);
      const exc = new GreenletExit('stop');
      await thread.kill(exc);
      expect(signal!.aborted).to.equal(true);
      expect(signal!.reason).to.equal(exc);
    });

    it('is aborted by a new Timeout made in the scope, which covers the whole scope', async () => {
      const reason = await inThread(() =>
        withTimeout(10, async () => {
          const signal = currentSignal();
          const t = new Timeout(0.02);
          await Promise.all([sleep(1), sleep(2)]).catch(() => {});
          t.cancel();
          return signal.reason === t;
        }),
      );
      expect(reason).to.equal(true);
    });

    it('is already aborted when asked for after the interruption, inside the interrupted scope', async () => {
      const aborted = await inThread(() =>
        withTimeout({ seconds: 0.02, timeoutValue: 'late' }, async () => {
          await sleep(1).catch(() => {});
          return currentSignal().aborted;
        }),
      );
      expect(aborted).to.equal(true);
    });

    it('removes the events.once listener of a stuck wait when the scope times out', async () => {
      const emitter = new EventEmitter();
      const err = await rejectionOf(withTimeout(0.02, () => once(emitter, 'message', { signal: currentSignal() })));
      expect(err).to.be.instanceOf(Timeout);
      expect(emitter.listenerCount('message')).to.equal(0);
    });

    it("is the main thread's outside green threads, and never aborts, even when a Timeout fires in the root", async () => {
      expect(currentSignal()).to.equal(getCurrent().signal);
      const t = new Timeout(0.02);
      expect(await rejectionOf(sleep(1))).to.equal(t);
      expect(currentSignal().aborted).to.equal(false);
      await sleep(0.01); // the interruption is over: nothing waits for the next point
    });
  });

  describe('withTimeout({ signal })', () => {
    it('rejects with signal.reason when the signal aborts, interrupting the cooperative point at once', async () => {
      const controller = new AbortController();
      const reason = new Error('client went away');
      setTimeout(() => controller.abort(reason), 20);
      const start = performance.now();
      const err = await rejectionOf(withTimeout({ signal: controller.signal }, () => sleep(5)));
      expect(err).to.equal(reason);
      expect(since(start)).to.be.below(1);
    });

    it('reports a TimeoutError reason (AbortSignal.timeout) as a timeout', async () => {
      const err = await rejectionOf(withTimeout({ signal: AbortSignal.timeout(20) }, () => sleep(5)));
      expect((err as Error).name).to.equal('TimeoutError');
      expect(isTimeout(err)).to.equal(true);
    });

    it('rejects at once with the reason of an already aborted signal, without calling fn', async () => {
      let called = false;
      const reason = new Error('already');
      const err = await rejectionOf(
        withTimeout({ signal: AbortSignal.abort(reason) }, async () => {
          called = true;
        }),
      );
      expect(err).to.equal(reason);
      expect(called).to.equal(false);
    });

    it('gives control back within 100 ms of the abort when fn awaits a never-settling promise', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 20);
      const start = performance.now();
      const err = await rejectionOf(withTimeout({ signal: controller.signal }, never));
      expect((err as Error).message).to.equal('stop');
      expect(since(start)).to.be.below(0.12);
    });

    it('aborts the scope signal with the reason, so a signal handed on stops too', async () => {
      const controller = new AbortController();
      let inner: AbortSignal | undefined;
      setTimeout(() => controller.abort(new Error('stop')), 20);
      await rejectionOf(
        withTimeout({ signal: controller.signal }, async () => {
          inner = currentSignal();
          await sleep(5);
        }),
      );
      expect(inner!.aborted).to.equal(true);
      expect((inner!.reason as Error).message).to.equal('stop');
    });

    it('still times out with its seconds, returning timeoutValue, when the signal stays quiet', async () => {
      const controller = new AbortController();
      const value = await withTimeout({ seconds: 0.02, signal: controller.signal, timeoutValue: 'late' }, () => sleep(5));
      expect(value).to.equal('late');
    });

    it('leaves no abort listener on the signal once it has settled', async () => {
      const controller = new AbortController();
      await withTimeout({ seconds: 1, signal: controller.signal }, () => sleep(0));
      await rejectionOf(withTimeout({ signal: controller.signal }, () => Promise.reject(new Error('x'))));
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(0);
    });

    it('touches nothing outside its scope: the thread it runs in goes on', async () => {
      const controller = new AbortController();
      const result = await inThread(async () => {
        setTimeout(() => controller.abort(new Error('stop')), 20);
        await withTimeout({ signal: controller.signal }, () => sleep(5)).catch(() => {});
        await sleep(0.01);
        return getCurrent().signal.aborted;
      });
      expect(result).to.equal(false);
    });

    it('rejects a signal that is not an AbortSignal with a TypeError naming options.signal, without calling fn', async () => {
      let called = false;
      const err = await errorFrom(() =>
        withTimeout({ signal: bad({ aborted: false }) }, async () => {
          called = true;
        }),
      );
      expect(err).to.be.instanceOf(TypeError);
      expect((err as Error).message).to.match(/^withTimeout: options\.signal must be an AbortSignal/);
      expect(called).to.equal(false);
    });
  });

  describe('GreenThread.killOn(signal)', () => {
    it('kills the thread with signal.reason when the signal aborts, and returns the thread', async () => {
      const controller = new AbortController();
      const thread = spawn(() => sleep(5));
      expect(thread.killOn(controller.signal)).to.equal(thread);
      await sleep(0.01);
      const reason = new Error('cancelled by the user');
      controller.abort(reason);
      expect(await rejectionOf(thread.wait())).to.equal(reason);
    });

    it('never runs a thread whose signal is already aborted', async () => {
      let ran = false;
      const thread = spawn(() => {
        ran = true;
      }).killOn(AbortSignal.abort());
      const err = await rejectionOf(thread.wait());
      expect((err as Error).name).to.equal('AbortError');
      expect(ran).to.equal(false);
      await sleep(0);
      expect(ran).to.equal(false);
    });

    it('stops a thread after a deadline with AbortSignal.timeout, which isTimeout recognises', async () => {
      const start = performance.now();
      const err = await rejectionOf(spawn(() => sleep(5)).killOn(AbortSignal.timeout(20)).wait());
      expect(isTimeout(err)).to.equal(true);
      expect(since(start)).to.be.below(1);
    });

    it('removes its abort listener when the thread ends', async () => {
      const controller = new AbortController();
      const thread = spawn(() => sleep(0)).killOn(controller.signal);
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(1);
      await thread.wait();
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(0);
    });

    it('rejects something that is not an AbortSignal with a TypeError naming signal', async () => {
      const thread = spawn(() => sleep(0));
      expect(() => thread.killOn(bad('soon'))).to.throw(TypeError, /^GreenThread\.killOn: signal must be an AbortSignal/);
      await thread.wait();
    });
  });

  describe('one signal for many threads and scopes', () => {
    it('adds a single abort listener to the signal however many wait on it, and none once they are done', async () => {
      const controller = new AbortController();
      const threads = Array.from({ length: 12 }, () => spawn(() => sleep(5)).killOn(controller.signal));
      const scopes = Array.from({ length: 12 }, () => withTimeout({ signal: controller.signal }, () => sleep(5)));
      await sleep(0.01);
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(1);
      threads.forEach((thread) => thread.kill());
      await Promise.allSettled(threads.map((thread) => thread.wait()));
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(1); // the scopes still wait
      controller.abort(new Error('shutting down'));
      await Promise.allSettled(scopes);
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(0);
    });

    it('kills each of 20 threads and 20 scopes on one signal, without a listener-leak warning on Node 20', async () => {
      const { report } = await runFixture<SharedSignalReport>('shared-abort-signal.mjs', PATCH_MODES[0]!); // stderr must stay empty
      expect(report).to.deep.equal({ listenersWhileWaiting: 1, killed: 40, listenersAfter: 0 });
    });
  });
});

/** What fixtures/shared-abort-signal.mjs reports. */
interface SharedSignalReport {
  listenersWhileWaiting: number;
  killed: number;
  listenersAfter: number;
}
