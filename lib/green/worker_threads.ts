/**
 * The green `worker_threads` module: Node's `worker_threads`, where a `Worker` created inside a
 * green thread belongs to it: when the thread is killed or its Timeout fires, the worker is
 * terminated (`worker.terminate()`, so its `'exit'` event follows); a thread that ends on its
 * own leaves its workers running, as in plain JavaScript. Outside green threads `Worker` is Node's.
 *
 * It is patched together with `child_process` (`monkeyPatch({ child_process: true })` replaces
 * `worker_threads.Worker` with the green class): both are "other threads of execution a green
 * thread started". The green `Worker` is Node's class behind a proxy, so `instanceof` and
 * subclassing work; a subclass defined before patching stays Node's.
 * @example
 * import { Worker } from 'eventlet/green/worker_threads';
 * await withTimeout(1, async () => {
 *   const worker = new Worker('./crunch.js');
 *   await once(worker, 'message');
 * }); // on timeout the worker is terminated
 */
import workerThreads from 'node:worker_threads';
import { hub } from '../hub.js';
import { Claim } from './claims.js';
import { greenConstructor, greenView, type Patch } from './greening.js';

export * from 'node:worker_threads';

/** Makes `worker`, just created, owned by the current green scope (terminated if it is interrupted). */
function claimWorker(worker: workerThreads.Worker): void {
  const scope = hub.ownerScope();
  if (!scope) return;
  const claim = new Claim(scope, 'interrupted', () => void worker.terminate().catch(() => {}));
  worker.once('exit', () => claim.drop());
}

/**
 * `worker_threads.Worker`, whose instances (also of subclasses) are owned by the green thread
 * that creates them; `instanceof` is Node's.
 * @example spawn(() => new Worker('./job.js')).kill(); // the worker is terminated
 */
export const Worker = greenConstructor(workerThreads.Worker, claimWorker);

/** In-place replacements applied by `monkeyPatch({ child_process: true })`. */
export const patches: Patch[] = [{ target: workerThreads, key: 'Worker', value: Worker }];

/**
 * The green module as one object (the default export): a view of Node's `worker_threads` in
 * which `Worker` is the green class.
 */
export default greenView(workerThreads, { Worker });
