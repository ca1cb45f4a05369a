/**
 * The green `timers` module. Outside green threads every function is Node's own. Inside one,
 * `setTimeout`, `setInterval` and `setImmediate` (module and globals) create timers owned by the
 * thread (cleared when it is interrupted; a thread that ends on its own leaves them running), and
 * the `timers/promises` waits are cooperative points that reject with the interruption at once.
 * @example
 * import { setTimeout } from 'eventlet/green/timers';
 * spawn(() => setTimeout(() => console.log('never, if the thread is killed first'), 1000));
 */
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import { hub, type Owned, type Scope } from '../hub.js';
import { greenFunction, patchesFor, type Patch } from './greening.js';

export * from 'node:timers';

/** Node's own functions, captured before anything is patched. */
const native = { ...timers };
const nativePromises = { ...timersPromises, scheduler: timersPromises.scheduler };

const kOwnership = Symbol('eventlet.timerOwnership');

type Clear = (timer: unknown) => void;

/** A live timer owned by a green scope: cleared if the scope is interrupted. */
class OwnedTimer implements Owned {
  constructor(
    private readonly timer: object,
    private readonly clear: Clear,
    private readonly scope: Scope,
  ) {}

  interrupted(): void {
    // An unref()'d timer keeps nothing alive and is a library's housekeeping shared by everyone
    // (undici's timer wheel is created, once per process, by whichever fetch comes first):
    // clearing it would break the library for every other thread, so it is left running.
    if ((this.timer as { hasRef?: () => boolean }).hasRef?.() === false) return;
    this.clear(this.timer);
  }

  release(): void {
    this.scope.disown(this);
  }
}

function ownTimer(timer: object, clear: Clear): void {
  const scope = hub.ownerScope();
  if (!scope) return;
  const ownership = new OwnedTimer(timer, clear, scope);
  scope.adopt(ownership);
  (timer as Record<symbol, OwnedTimer>)[kOwnership] = ownership;
}

function releaseTimer(timer: unknown): void {
  if (timer !== null && typeof timer === 'object') (timer as Record<symbol, OwnedTimer | undefined>)[kOwnership]?.release();
}

/** Wraps a one-shot timer callback so the timer is disowned when it fires. */
function releasingOnFire(callback: unknown, holder: { timer?: object }): unknown {
  if (typeof callback !== 'function') return callback;
  return function (this: unknown, ...args: unknown[]) {
    releaseTimer(holder.timer);
    return (callback as (...a: unknown[]) => unknown).apply(this, args);
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** A green `setTimeout`/`setImmediate`: `promisified` is what `util.promisify` gives for it. */
function greenOneShot<F extends AnyFunction>(create: F, clear: Clear, promisified: unknown): F {
  const green = function (this: unknown, callback: unknown, ...rest: unknown[]): object {
    if (!hub.ownerScope()) return create.call(this, callback, ...rest);
    const holder: { timer?: object } = {};
    const timer = create.call(this, releasingOnFire(callback, holder), ...rest) as object;
    holder.timer = timer;
    ownTimer(timer, clear);
    return timer;
  };
  Object.defineProperty(green, promisify.custom, { value: promisified, enumerable: false, writable: false, configurable: false });
  return greenFunction(create, green as F);
}

type TimerOptions = { signal?: AbortSignal; ref?: boolean } & Record<string, unknown>;

/** Adds the green signal to the caller's options (both abort the wait). */
function withSignal(options: unknown, signal: AbortSignal): unknown {
  if (options === undefined || options === null) return { signal };
  if (typeof options !== 'object') return options; // let Node report the bad argument
  const own = (options as TimerOptions).signal;
  return { ...(options as TimerOptions), signal: own ? AbortSignal.any([own, signal]) : signal };
}

function greenWait<A extends unknown[], R>(what: string, wait: (...args: A) => Promise<R>, optionsIndex: number): (...args: A) => Promise<R> {
  return greenFunction(wait, function (this: unknown, ...args: A) {
    if (!hub.ownerScope()) return wait.apply(this, args);
    return hub.guard(what, (signal) => {
      const withOptions = [...args] as unknown[];
      withOptions[optionsIndex] = withSignal(args[optionsIndex], signal);
      return wait.apply(this, withOptions as A);
    });
  } as (...args: A) => Promise<R>);
}

/** Green `setInterval` of `timers/promises`: each step is a cooperative point. */
function greenIntervalIterator(this: unknown, ...args: unknown[]): AsyncIterator<unknown> & AsyncIterable<unknown> {
  const start = nativePromises.setInterval as (...a: unknown[]) => AsyncIterator<unknown> & AsyncIterable<unknown>;
  if (!hub.ownerScope()) return start.apply(this, args);
  const controller = new AbortController();
  const withOptions = [...args];
  withOptions[2] = withSignal(args[2], controller.signal);
  const iterator = start.apply(this, withOptions);
  const ownership: Owned = { interrupted: (reason) => controller.abort(reason) };
  hub.own(ownership);
  return {
    next: () => hub.guard('timers/promises setInterval', () => iterator.next()),
    return: (value?: unknown) => iterator.return!(value),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Green `timers/promises`: inside a green thread each wait is a cooperative point.
 * @example await promises.setTimeout(100); // rejects at once if the thread is killed
 */
export const promises: typeof timersPromises = {
  ...nativePromises,
  setTimeout: greenWait('timers/promises setTimeout', nativePromises.setTimeout, 2),
  setImmediate: greenWait('timers/promises setImmediate', nativePromises.setImmediate, 1),
  setInterval: greenFunction(nativePromises.setInterval, greenIntervalIterator as typeof nativePromises.setInterval),
  scheduler: greenScheduler(nativePromises.scheduler),
};

/**
 * The green `scheduler`: an object of Node's own `Scheduler` class (so `scheduler.constructor`
 * is Node's, which throws `ERR_ILLEGAL_CONSTRUCTOR` when called) whose `wait` and `yield` are
 * cooperative points inside green threads.
 */
function greenScheduler(scheduler: typeof timersPromises.scheduler): typeof timersPromises.scheduler {
  const method = (value: unknown) => ({ value, writable: true, enumerable: false, configurable: true });
  return Object.create(Object.getPrototypeOf(scheduler) as object, {
    wait: method(greenWait('timers/promises scheduler.wait', scheduler.wait.bind(scheduler), 1)),
    yield: method(greenWait('timers/promises scheduler.yield', scheduler.yield.bind(scheduler), 0)),
  }) as typeof timersPromises.scheduler;
}

/**
 * Green `setTimeout`: inside a green thread the timer is cleared if the thread is interrupted.
 * @example setTimeout(() => console.log('tick'), 100);
 */
export const setTimeout = greenOneShot(native.setTimeout, native.clearTimeout as Clear, promises.setTimeout);

/**
 * Green `setImmediate`: inside a green thread the immediate is cleared if the thread is interrupted.
 * @example setImmediate(() => console.log('next turn'));
 */
export const setImmediate = greenOneShot(native.setImmediate, native.clearImmediate as Clear, promises.setImmediate);

/**
 * Green `setInterval`: inside a green thread the interval is cleared if the thread is interrupted.
 * @example const id = setInterval(poll, 1000);
 */
export const setInterval = greenFunction(native.setInterval, function (this: unknown, ...args: unknown[]) {
  const timer = (native.setInterval as (...a: unknown[]) => object).apply(this, args);
  ownTimer(timer, native.clearInterval as Clear);
  return timer;
} as typeof native.setInterval);

function greenClear<F extends AnyFunction>(clear: F): F {
  const green = function (this: unknown, timer: unknown): void {
    releaseTimer(timer);
    clear.call(this, timer);
  };
  return greenFunction(clear, green as F);
}

/** Green `clearTimeout`: also forgets the owning thread's claim. @example clearTimeout(t); */
export const clearTimeout = greenClear(native.clearTimeout);
/** Green `clearInterval`: also forgets the owning thread's claim. @example clearInterval(t); */
export const clearInterval = greenClear(native.clearInterval);
/** Green `clearImmediate`: also forgets the owning thread's claim. @example clearImmediate(t); */
export const clearImmediate = greenClear(native.clearImmediate);


const greenTimers = { ...native, setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate, promises };

/** The green module as one object (the default export). */
export default greenTimers;

/** In-place replacements applied by `monkeyPatch({ timers: true })`: the module, its promises and the globals. */
export const patches: Patch[] = [
  ...patchesFor(timers, { ...greenTimers, promises: timers.promises }),
  ...patchesFor(timersPromises, promises),
  ...patchesFor(globalThis, { setTimeout, setInterval, setImmediate, clearTimeout, clearInterval, clearImmediate }),
];
