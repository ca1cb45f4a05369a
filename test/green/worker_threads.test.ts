/**
 * The green `worker_threads` module: a Worker created inside a green thread is terminated when the
 * thread is interrupted; one created outside, or by a thread that ends on its own, runs on.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import nodeWorkerThreads from 'node:worker_threads';
import * as green from '../../lib/green/worker_threads.js';
import { sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { never, rejectionOf, waitFor } from '../support.js';

/** A worker that runs until terminated. */
const IDLE = 'setInterval(() => {}, 1000);';

describe('green worker_threads', () => {
  it('exports every name of Node\'s worker_threads; a green Worker is a Node Worker', async () => {
    for (const name of Object.keys(nodeWorkerThreads)) expect(green, name).to.have.property(name);
    const worker = new green.Worker(IDLE, { eval: true });
    expect(worker).to.be.instanceOf(nodeWorkerThreads.Worker);
    await worker.terminate();
  });

  it('terminates a Worker created in a thread when the thread is killed: its exit event is seen', async () => {
    let exitCode: number | null = null;
    const thread = spawn(async () => {
      const worker = new green.Worker(IDLE, { eval: true });
      worker.on('exit', (code) => (exitCode = code));
      await never();
    });
    await sleep(0.1);
    await thread.kill();
    await waitFor('the worker (which never ends by itself) to exit', () => exitCode !== null, 2);
  });

  it('terminates the Worker of a withTimeout scope that times out, under monkeyPatch', async () => {
    monkeyPatch({ child_process: true });
    try {
      let exitCode: number | null = null;
      const err = await rejectionOf(
        withTimeout(0.1, async () => {
          const worker = new nodeWorkerThreads.Worker(IDLE, { eval: true });
          worker.on('exit', (code) => (exitCode = code));
          await once(worker, 'message');
        }),
      );
      expect(err).to.be.instanceOf(Timeout);
      await waitFor('the worker (which never ends by itself) to exit', () => exitCode !== null, 2);
    } finally {
      unpatch('child_process');
    }
  });

  it('leaves running the Worker of a thread that ended on its own', async () => {
    const worker = await spawn(() => new green.Worker(IDLE, { eval: true })).wait();
    let exited = false;
    worker.on('exit', () => (exited = true));
    await sleep(0.2);
    expect(exited).to.equal(false);
    await worker.terminate();
  });
});
