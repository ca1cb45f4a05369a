/**
 * The green `child_process` module: a child started inside a green thread belongs to it and is
 * terminated (SIGTERM, then SIGKILL after the grace) when the thread is interrupted; outside green
 * threads, and for a thread that ends on its own or hands a detached child on, nothing changes.
 */
import { expect } from 'chai';
import nodeChildProcess from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import greenChildProcess, * as green from '../../lib/green/child_process.js';
import { getHub, GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { bad, never, rejectionOf, waitFor } from '../support.js';

/** True while a process with this pid exists (not yet reaped). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds from `start` until `pid` is gone (polled every 10 ms, gives up after `ms`). */
async function msUntilGone(pid: number | undefined, start: number, ms = 3000): Promise<number> {
  await waitFor(`pid ${pid} to be gone`, () => !alive(pid), ms / 1000);
  return performance.now() - start;
}

describe('green child_process', () => {
  const started: nodeChildProcess.ChildProcess[] = [];
  /** Remembers a child so that the test's end kills it whatever happened. */
  const track = <C extends nodeChildProcess.ChildProcess>(child: C): C => (started.push(child), child);

  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  describe('the module on its own', () => {
    it('exports every name of Node\'s child_process, with Node\'s sync functions unchanged', () => {
      for (const name of Object.keys(nodeChildProcess)) expect(green, name).to.have.property(name);
      expect(green.spawnSync).to.equal(nodeChildProcess.spawnSync);
      expect(greenChildProcess.execSync).to.equal(nodeChildProcess.execSync);
      expect(new green.ChildProcess()).to.be.instanceOf(nodeChildProcess.ChildProcess);
    });

    it('sends SIGTERM to a spawned child when its thread is killed: the pid is gone within 1 s and stdio is closed', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const thread = spawn(async () => {
        child = track(green.spawn('sleep', ['30']));
        await never();
      });
      await waitFor('the child', () => child?.pid !== undefined);
      const start = performance.now();
      await thread.kill();
      expect(await msUntilGone(child!.pid, start)).to.be.below(1000);
      expect(child!.signalCode).to.equal('SIGTERM');
      expect([child!.stdin!.destroyed, child!.stdout!.destroyed, child!.stderr!.destroyed]).to.deep.equal([true, true, true]);
    });

    it('rejects util.promisify(execFile) with the Timeout at once, and the child gets SIGTERM', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const start = performance.now();
      const err = await rejectionOf(
        withTimeout(0.1, () => {
          const promise = promisify(green.execFile)('sleep', ['30']);
          child = track(promise.child);
          return promise;
        }),
      );
      expect(err).to.be.instanceOf(Timeout);
      expect(performance.now() - start).to.be.below(300);
      expect(await msUntilGone(child!.pid, start)).to.be.below(1000);
    });

    it('calls exec\'s callback with the kill exception, not with the child\'s exit', async () => {
      let received: unknown = 'not called';
      const thread = spawn(() => new Promise<void>((resolve) => track(green.exec('sleep 30', (err) => ((received = err), resolve())))));
      await sleep(0.05);
      await thread.kill();
      await waitFor('the callback', () => received !== 'not called');
      expect(received).to.be.instanceOf(GreenletExit);
    });

    it('still returns a child from exec in a thread whose kill is waiting to be thrown, and terminates it at once', async () => {
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      let child: nodeChildProcess.ChildProcess | undefined;
      let received: unknown = 'not called';
      const thread = spawn(async () => {
        await gate; // not a cooperative point: the kill waits for the next one
        child = track(green.exec('sleep 30', (err) => (received = err)));
        await never();
      });
      await sleep(0.05);
      const killed = thread.kill();
      open();
      await killed;
      expect(child).to.be.instanceOf(nodeChildProcess.ChildProcess);
      await waitFor('the callback', () => received !== 'not called');
      expect(received).to.be.instanceOf(GreenletExit);
      expect(await msUntilGone(child!.pid, performance.now())).to.be.below(1000);
    });

    it('terminates a forked Node child when its thread times out', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlet-fork-'));
      const script = path.join(dir, 'idle.cjs');
      fs.writeFileSync(script, 'setInterval(() => {}, 1000);\n');
      let child: nodeChildProcess.ChildProcess | undefined;
      try {
        const err = await rejectionOf(
          withTimeout(0.2, async () => {
            child = track(green.fork(script));
            await never();
          }),
        );
        expect(err).to.be.instanceOf(Timeout);
        expect(await msUntilGone(child!.pid, performance.now())).to.be.below(1000);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('sends SIGKILL after terminationGrace to a child that ignores SIGTERM', async () => {
      const hub = getHub();
      const saved = hub.terminationGrace;
      hub.terminationGrace = 0.3;
      try {
        let child: nodeChildProcess.ChildProcess | undefined;
        const thread = spawn(async () => {
          child = track(green.spawn('sh', ['-c', 'trap "" TERM; echo ready; sleep 30']));
          await never();
        });
        await waitFor('the child', () => child !== undefined);
        await once(child!.stdout!, 'data'); // the trap is set
        const start = performance.now();
        await thread.kill();
        const ms = await msUntilGone(child!.pid, start);
        expect(ms).to.be.within(250, 1000);
        expect(child!.signalCode).to.equal('SIGKILL');
      } finally {
        hub.terminationGrace = saved;
      }
    });

    it('owns a child made with new ChildProcess() and spawned by hand inside a thread', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const thread = spawn(async () => {
        child = track(new green.ChildProcess());
        (child as unknown as { spawn(options: object): void }).spawn({ file: process.execPath, args: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], stdio: 'pipe' });
        await never();
      });
      await waitFor('the child', () => child?.pid !== undefined);
      const start = performance.now();
      await thread.kill();
      expect(await msUntilGone(child!.pid, start)).to.be.below(1000);
    });

    it('leaves alone a child the thread handed on with detached: true and unref()', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const thread = spawn(async () => {
        child = track(green.spawn('sleep', ['30'], { detached: true, stdio: 'ignore' }));
        child.unref();
        await never();
      });
      await waitFor('the child', () => child !== undefined);
      await thread.kill();
      await sleep(0.2);
      expect(alive(child!.pid)).to.equal(true);
    });

    it('leaves running the child of a thread that ended on its own', async () => {
      const child = track(await spawn(() => green.spawn('sleep', ['30'])).wait());
      await sleep(0.1);
      expect(alive(child.pid)).to.equal(true);
      expect(child.stdout!.destroyed).to.equal(false);
    });

    it('is Node\'s own outside green threads: promisify(execFile) resolves with stdout and carries the child', async () => {
      const promise = promisify(green.execFile)('echo', ['hi']);
      expect(promise.child).to.be.instanceOf(nodeChildProcess.ChildProcess);
      expect(await promise).to.deep.equal({ stdout: 'hi\n', stderr: '' });
    });

    it('passes Node\'s own argument errors through synchronously inside a green thread', async () => {
      const err = await spawn(() => {
        try {
          green.execFile(bad(42), () => {});
        } catch (e) {
          return e;
        }
        return null;
      }).wait();
      expect(err).to.be.instanceOf(TypeError).with.property('code', 'ERR_INVALID_ARG_TYPE');
    });
  });

  describe('monkeyPatch({ child_process: true })', () => {
    const spawnTakenEarly = nodeChildProcess.spawn;

    before(() => monkeyPatch({ child_process: true }));
    after(() => unpatch('child_process'));

    it('owns a child spawned through a reference to spawn taken before patching (the prototype hook)', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const thread = spawn(async () => {
        child = track(spawnTakenEarly('sleep', ['30']));
        await never();
      });
      await waitFor('the child', () => child?.pid !== undefined);
      const start = performance.now();
      await thread.kill();
      expect(await msUntilGone(child!.pid, start)).to.be.below(1000);
    });

    it('makes util.promisify(exec) of the patched module a cooperative point', async () => {
      let child: nodeChildProcess.ChildProcess | undefined;
      const thread = spawn(async () => {
        const promise = promisify(nodeChildProcess.exec)('sleep 30');
        child = track(promise.child);
        return promise;
      });
      await sleep(0.05);
      const start = performance.now();
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(await msUntilGone(child!.pid, start)).to.be.below(1000);
    });
  });

  describe('getHub().terminationGrace', () => {
    it('defaults to 1 s and rejects what is not a number of seconds', () => {
      const hub = getHub();
      expect(hub.terminationGrace).to.equal(1);
      expect(() => (hub.terminationGrace = bad('5'))).to.throw(TypeError, /hub\.terminationGrace: seconds must be a number of seconds, got string "5"/);
      expect(() => (hub.terminationGrace = -1)).to.throw(RangeError, /hub\.terminationGrace: seconds must be >= 0 seconds, got -1/);
      expect(hub.terminationGrace).to.equal(1);
    });
  });
});
