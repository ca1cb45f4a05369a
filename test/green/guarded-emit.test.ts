/**
 * emitGuarded (lib/green/guarded-emit.ts): a connection thread emits its events with it, so it
 * must behave as `EventEmitter.prototype.emit` does for every listener layout (none, one, a `once`
 * wrapper, several), and watch the promises listeners return.
 */
import { expect } from 'chai';
import { EventEmitter, errorMonitor } from 'node:events';
import { emitGuarded } from '../../lib/green/guarded-emit.js';

const inherited = (self: never, args: unknown[]): unknown => EventEmitter.prototype.emit.apply(self as EventEmitter, args as [string]);

/** Collects the reasons of unhandled rejections until the returned function is called. */
function collectUnhandled(): () => Promise<unknown[]> {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    reasons.push(reason);
  };
  const listeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', onRejection);
  return async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onRejection);
    for (const listener of listeners) process.on('unhandledRejection', listener);
    return reasons;
  };
}

describe('emitGuarded', function () {
  it('calls a single listener with the arguments and this = the emitter, and returns true', function () {
    const emitter = new EventEmitter();
    const calls: unknown[][] = [];
    emitter.on('data', function (this: unknown, ...args: unknown[]) {
      calls.push([this, ...args]);
    });
    expect(emitGuarded(emitter, ['data', 1, 2, 3, 4], inherited, () => false)).to.equal(true);
    expect(emitGuarded(emitter, ['data'], inherited, () => false)).to.equal(true);
    expect(calls).to.deep.equal([
      [emitter, 1, 2, 3, 4],
      [emitter],
    ]);
  });

  it('returns false for an event nobody listens to, and throws an unheard error as emit does', function () {
    const emitter = new EventEmitter();
    expect(emitGuarded(emitter, ['data', 1], inherited, () => false)).to.equal(false);
    const boom = new Error('boom');
    expect(() => emitGuarded(emitter, ['error', boom], inherited, () => false)).to.throw(boom);
  });

  it('removes a once listener as it runs', function () {
    const emitter = new EventEmitter();
    let calls = 0;
    emitter.once('data', () => calls++);
    emitGuarded(emitter, ['data'], inherited, () => false);
    emitGuarded(emitter, ['data'], inherited, () => false);
    expect(calls).to.equal(1);
    expect(emitter.listenerCount('data')).to.equal(0);
  });

  it('calls every listener of the list as it was when the emit began', function () {
    const emitter = new EventEmitter();
    const order: string[] = [];
    const second = (): void => {
      order.push('second');
    };
    emitter.on('data', () => {
      order.push('first');
      emitter.off('data', second);
      emitter.on('data', () => order.push('added'));
    });
    emitter.on('data', second);
    emitGuarded(emitter, ['data'], inherited, () => false);
    expect(order).to.deep.equal(['first', 'second']);
  });

  it("throws a listener's exception to the caller and skips the listeners after it", function () {
    const emitter = new EventEmitter();
    let after = 0;
    const boom = new Error('listener failed');
    emitter.on('data', () => {
      throw boom;
    });
    emitter.on('data', () => after++);
    expect(() => emitGuarded(emitter, ['data'], inherited, () => false)).to.throw(boom);
    expect(after).to.equal(0);
  });

  it("tells errorMonitor listeners of an 'error' before the error listeners", function () {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    const err = new Error('bad');
    emitter.on(errorMonitor, (e: Error) => seen.push(`monitor ${e.message}`));
    emitter.on('error', (e: Error) => seen.push(`error ${e.message}`));
    emitGuarded(emitter, ['error', err], inherited, () => false);
    expect(seen).to.deep.equal(['monitor bad', 'error bad']);
  });

  it('handles the rejections the filter accepts and leaves every other one unhandled', async function () {
    const emitter = new EventEmitter();
    const mine = new Error('mine');
    const theirs = new Error('theirs');
    emitter.on('request', async (reason: Error) => {
      throw reason;
    });
    emitter.on('request', async () => {});
    const unhandled = collectUnhandled();
    emitGuarded(emitter, ['request', mine], inherited, (reason) => reason === mine);
    emitGuarded(emitter, ['request', theirs], inherited, (reason) => reason === mine);
    expect(await unhandled()).to.deep.equal([theirs]);
  });
});
