import { expect } from 'chai';
import { open } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { GreenThread, monkeyPatch, sleep, spawn, unpatch } from '../lib/index.js';
import { openFds } from './support.js';

const ownFile = fileURLToPath(import.meta.url);

/** Active resources as a multiset, so a comparison ignores their order. */
function resources(): string[] {
  return process.getActiveResourcesInfo().slice().sort();
}

describe('interruption across green modules (monkeyPatch)', function () {
  this.timeout(30_000);
  let server: http.Server;
  let url: string;
  let openRequests = 0;

  before(async () => {
    monkeyPatch();
    server = http.createServer((req) => {
      openRequests++;
      req.socket.on('close', () => openRequests--);
    });
    server.maxConnections = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slow`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    unpatch();
  });

  it('releases the file handles, timers and in-flight fetches of 300 threads killed together', async () => {
    await sleep(0.05);
    const fdsBefore = openFds();
    const resourcesBefore = resources();
    let timersFired = 0;
    const threads: GreenThread<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      threads.push(
        spawn(async () => {
          const handle = await open(ownFile, 'r');
          setTimeout(() => timersFired++, 60_000);
          return [handle, await fetch(url)];
        }),
      );
    }
    while (openRequests < 300) await sleep(0.01);
    expect(openFds()).to.be.above(fdsBefore + 300);

    await Promise.all(threads.map((thread) => thread.kill()));
    const outcomes = await Promise.all(threads.map((thread) => thread.wait().then(() => 'returned', (err: Error) => err.name)));
    expect(new Set(outcomes)).to.deep.equal(new Set(['GreenletExit']));

    const settled = (): boolean => openFds() === fdsBefore && openRequests === 0 && resources().join() === resourcesBefore.join();
    for (let waited = 0; waited < 2000 && !settled(); waited += 20) await sleep(0.02);
    expect(openRequests, 'connections the server still sees').to.equal(0);
    expect(openFds(), 'open fds').to.equal(fdsBefore);
    expect(resources()).to.deep.equal(resourcesBefore);
    expect(timersFired).to.equal(0);
  });
});
