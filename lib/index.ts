/**
 * eventlet for Node.js — the public surface. Green threads, their control primitives, and
 * eventlet's snake_case names as aliases of the same function objects.
 * @example
 * import { spawn, withTimeout, GreenPool } from 'eventlet';
 */
import { backdoorServing } from './backdoor.js';
import { getCurrent, spawnAfter, spawnN } from './greenthread.js';
import { importPatched } from './import-patched.js';
import { isMonkeyPatched, monkeyPatch } from './patcher.js';
import { wrapSsl } from './convenience.js';
import { isTimeout, withTimeout } from './timeout.js';
/** This module's own namespace: the default export, and the `eventlet` of backdoor consoles. */
import * as eventlet from './index.js';

export { getHub, type Hub, type ErrorReporter } from './hub.js';
export {
  GreenThread,
  GreenletExit,
  spawn,
  spawnN,
  spawnAfter,
  sleep,
  getCurrent,
  type GreenThreadOptions,
  type LinkCallback,
} from './greenthread.js';
export { Timeout, withTimeout, isTimeout, type TimeoutException, type WithTimeoutOptions } from './timeout.js';
export { currentSignal } from './signals.js';
export { Event } from './event.js';
export { Semaphore, BoundedSemaphore, CappedSemaphore } from './semaphore.js';
export { LightQueue, Queue, PriorityQueue, LifoQueue, Empty, Full, type Compare } from './queue.js';
export { GreenPool, GreenPile } from './greenpool.js';
export * as debug from './debug.js';
export * as tpool from './tpool.js';
export { type Backdoor, type BackdoorAddress, type BackdoorOptions } from './backdoor.js';
/**
 * Serves a console on `sock` (see {@link BackdoorAddress}): each connection gets a Node REPL with
 * `eventlet` and the entries of `locals` as variables. Resolves once it listens. Refuses a host
 * that is not a loopback address unless `options.allowRemote`. `backdoor.backdoor_server` is the
 * same function (eventlet's name).
 * @example
 * import { backdoor } from 'eventlet';
 * const door = await backdoor(3000, { cache });  // then: nc 127.0.0.1 3000
 * // eventlet> eventlet.debug.formatGreenThreads()
 * await door.close();
 */
export const backdoor = backdoorServing(eventlet);

/** eventlet's `spawn_n`: the same function as {@link spawnN}. */
export const spawn_n = spawnN;
/** eventlet's `spawn_after`: the same function as {@link spawnAfter}. */
export const spawn_after = spawnAfter;
/**
 * eventlet's `getcurrent`: the same function as {@link getCurrent}.
 * @example spawn(() => console.log(getcurrent().id));
 */
export const getcurrent = getCurrent;
/**
 * eventlet's `with_timeout`: the same function as {@link withTimeout}.
 * @example await with_timeout(2, fetchPage, url);
 */
export const with_timeout = withTimeout;
/**
 * eventlet's `is_timeout`: the same function as {@link isTimeout}.
 * @example if (is_timeout(err)) retry();
 */
export const is_timeout = isTimeout;
export { monkeyPatch, unpatch, isMonkeyPatched, original, type MonkeyPatchOptions } from './patcher.js';
export { importPatched, type ImportPatchedOptions } from './import-patched.js';

/** eventlet's `monkey_patch`: the same function as {@link monkeyPatch}. */
export const monkey_patch = monkeyPatch;
/**
 * eventlet's `is_monkey_patched`: the same function as {@link isMonkeyPatched}.
 * @example if (!is_monkey_patched('net')) monkey_patch();
 */
export const is_monkey_patched = isMonkeyPatched;
/**
 * eventlet's `import_patched`: the same function as {@link importPatched}.
 * @example const { default: pg } = await import_patched('pg');
 */
export const import_patched = importPatched;

export { connect, listen, wrapSsl, serve, StopServe, type ServeHandler, type WrapSslOptions } from './convenience.js';
export { GreenSocket, SocketTimeout, BlockingIOError, type Address, type SocketAddress, type Family } from './green/greenio.js';
/**
 * eventlet's `wrap_ssl`: the same function as {@link wrapSsl}.
 * @example const secure = await wrap_ssl(await connect(['example.com', 443]), { servername: 'example.com' });
 */
export const wrap_ssl = wrapSsl;

/**
 * The whole API as one object, the module namespace itself, so Python's `import eventlet` ports
 * literally: `eventlet.spawn(...)`, `eventlet.Timeout`, `eventlet.debug`.
 * @example
 * import eventlet from 'eventlet';
 * await eventlet.spawn(eventlet.sleep, 0.1).wait();
 */
export default eventlet as unknown as Eventlet;
/** The type of the whole API (`typeof import('eventlet')`), as the default export has it. */
export type Eventlet = Omit<typeof import('./index.js'), 'default'>;
