/**
 * One green thread per accepted connection (lib/green/connection-thread.ts, DESIGN.md §3 "One
 * green thread per connection"): where net or tls is green, a server's 'connection' listeners, the
 * socket's data callbacks and so http/https request handlers run in the connection's own thread.
 * End to end with a plain http server and `fetch` under the loader and under monkeyPatch(), then
 * piece by piece in this process.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { currentSignal, debug, getCurrent, GreenletExit, listen as greenListen, serve, sleep, spawn, Timeout, type GreenThread } from '../../lib/index.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { hub } from '../../lib/hub.js';
import { expectNothingLeftOpen, expectNothingUnhandled, PATCH_MODES, runFixture, type Ending } from '../fixture-runs.js';
import { listen, makeCredentials, portOf, waitFor, type Credentials } from '../support.js';

interface Report extends Ending {
  twoRequests: string[];
  namesDuringRequests: string[];
  kill: { hang: string; slow: string; caught: string; separateThreads: boolean; killedDead: boolean };
  killFromDebug: { hang: string; after: string; unhandled: number };
  stuckTimeout: {
    awaitingTimer: { outcome: string; closedWithinMs: boolean };
    slowUpload: { outcome: string; closedWithinMs: boolean };
    handlerCaught: Record<string, string>;
  };
  root: { rootPoint: string; nextRootPoint: string; mainSignalAborted: boolean };
  threadsLeft: string[];
}

for (const mode of PATCH_MODES) {
  describe(`connection threads: a plain http server with async handlers, fetch as the client (${mode.title})`, function () {
    let report: Report;
    before(async function () {
      ({ report } = await runFixture<Report>('connection-threads.mjs', mode));
    });

    it("gives /short its own Timeout and lets /long finish: ['done /long', 'timeout /short']", function () {
      expect(report.twoRequests).to.deep.equal(['done /long', 'timeout /short']);
    });

    it('lists one thread per connection, named after the peer, while the requests run', function () {
      expect(report.namesDuringRequests).to.have.length(2);
      for (const name of report.namesDuringRequests) expect(name).to.match(/^connection 127\.0\.0\.1:\d+$/);
      expect(new Set(report.namesDuringRequests).size).to.equal(2);
    });

    it('kills one connection thread: its request fails, its handler gets GreenletExit, the concurrent one answers', function () {
      expect(report.kill).to.deep.equal({ hang: 'rejected: TypeError', slow: 'done /slow', caught: 'GreenletExit', separateThreads: true, killedDead: true });
    });

    it('kills a connection thread found through debug.greenThreads(): the async handler rejecting with GreenletExit crashes nothing, the next connection answers', function () {
      expect(report.killFromDebug).to.deep.equal({ hang: 'rejected: TypeError', after: 'done /after', unhandled: 0 });
    });

    it('closes the connection of a handler awaiting what its Timeout cannot interrupt (a plain timer, a slow upload) instead of leaving the client waiting', function () {
      expect(report.stuckTimeout).to.deep.equal({
        awaitingTimer: { outcome: 'rejected: TypeError', closedWithinMs: true },
        slowUpload: { outcome: 'error: ECONNRESET', closedWithinMs: true },
        handlerCaught: { '/upload': 'the Timeout' },
      });
    });

    it('makes a root Timeout transient: it rejects the pending root point, the next one goes on, the main signal never aborts', function () {
      expect(report.root).to.deep.equal({ rootPoint: 'timeout', nextRootPoint: 'ok', mainSignalAborted: false });
    });

    it('ends every connection thread with its connection and leaves nothing open or unhandled', function () {
      expect(report.threadsLeft).to.deep.equal([]);
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}

/** GETs `path` on `port` over `agent`; resolves with the body. */
function get(port: number, path: string, agent: http.Agent | false = false): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** Closes `server` and the connections it still has. */
async function shut(server: net.Server): Promise<void> {
  (server as http.Server).closeAllConnections?.();
  server.close();
  if (server.listening) await once(server, 'close');
}

describe('connection threads (monkeyPatch() in this process)', function () {
  before(() => monkeyPatch({ net: true, tls: true, timers: true }));
  after(() => unpatch());

  it("runs a net server's 'connection' listener and the socket's data callbacks in the connection's thread", async function () {
    const seen: Array<GreenThread<unknown>> = [];
    const server = await listen(
      net.createServer((socket) => {
        seen.push(getCurrent());
        socket.on('data', (data) => {
          seen.push(getCurrent());
          socket.end(data);
        });
      }),
    );
    const client = net.connect(portOf(server), '127.0.0.1');
    client.end('ping');
    const [echo] = (await once(client, 'data')) as [Buffer];
    expect(String(echo)).to.equal('ping');
    expect(seen).to.have.length(2);
    expect(seen[0]).to.not.equal(getCurrent());
    expect(seen[1]).to.equal(seen[0]);
    expect(seen[0]!.name).to.equal(`connection 127.0.0.1:${client.localPort}`);
    await shut(server);
  });

  it("adds no listener to the accepted socket: its 'connection' listeners count Node's own only", async function () {
    const counts: Record<string, number> = {};
    let thread: GreenThread<unknown> | undefined;
    const server = await listen(
      net.createServer((socket) => {
        thread = getCurrent();
        for (const event of ['close', 'end', 'data', 'error']) counts[event] = socket.listenerCount(event);
        socket.end();
      }),
    );
    const client = net.connect(portOf(server), '127.0.0.1');
    client.resume();
    await once(client, 'close');
    expect(counts).to.deep.equal({ close: 0, end: 1, data: 0, error: 0 });
    await waitFor('the connection thread to end with its connection', () => thread?.dead === true);
    await shut(server);
  });

  it('lets a finished request be garbage collected while its keep-alive connection stays open', async function () {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let request: WeakRef<object> | undefined;
    const server = await listen(
      http.createServer((req, res) => {
        request = new WeakRef(req);
        req.resume();
        res.end('ok');
      }),
    );
    const agent = new http.Agent({ keepAlive: true });
    expect(await get(portOf(server), '/', agent)).to.equal('ok');
    for (let i = 0; i < 10 && request?.deref() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(request, 'the handler ran').to.not.equal(undefined);
    expect(request!.deref(), 'the finished request is collected').to.equal(undefined);
    agent.destroy();
    await shut(server);
  });

  it('ends the thread when the connection closes, tearing down nothing its handler handed on', async function () {
    let thread: GreenThread<unknown> | undefined;
    let ticks = 0;
    let interval: NodeJS.Timeout | undefined;
    const server = await listen(
      http.createServer((_req, res) => {
        thread = getCurrent();
        interval = setInterval(() => ticks++, 5);
        res.end('ok');
      }),
    );
    expect(await get(portOf(server), '/')).to.equal('ok');
    await waitFor('the connection thread to end', () => thread?.dead === true);
    const ticksAtEnd = ticks;
    await sleep(0.05);
    clearInterval(interval);
    expect(ticks, 'the interval the handler started runs on').to.be.greaterThan(ticksAtEnd);
    await shut(server);
  });

  it("leaves serve() its own handler threads: no connection thread besides them", async function () {
    const listener = await greenListen(['127.0.0.1', 0]);
    const names: Array<string | undefined> = [];
    const server = spawn(serve, listener, async (client) => {
      names.push(getCurrent().name);
      names.push(...debug.greenThreads().map((t) => t.name).filter((n) => n?.startsWith('connection')));
      await client.sendall(await client.recv(10));
    });
    const client = net.connect((listener.getsockname() as [string, number])[1], '127.0.0.1');
    client.write('hi');
    await once(client, 'data');
    client.destroy();
    expect(names).to.deep.equal([undefined]);
    await server.kill();
    listener.close();
  });

  it('gives the next request on a keep-alive connection a fresh signal after a Timeout fired in the thread', async function () {
    const seen: Array<{ thread: GreenThread<unknown>; aborted: boolean }> = [];
    const server = await listen(
      http.createServer(async (req, res) => {
        const signal = currentSignal();
        if (req.url === '/timeout') {
          const t = new Timeout(0.02);
          try {
            await sleep(1);
          } catch {
            // the Timeout
          } finally {
            t.cancel();
          }
        }
        seen.push({ thread: getCurrent(), aborted: signal.aborted });
        res.end('ok');
      }),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await get(portOf(server), '/timeout', agent);
    await get(portOf(server), '/next', agent);
    agent.destroy();
    expect(seen.map((s) => s.aborted)).to.deep.equal([true, false]);
    expect(seen[1]!.thread, 'one connection, one thread').to.equal(seen[0]!.thread);
    await shut(server);
  });

  it('kills the connection threads when the thread that listened is killed', async function () {
    let handlerThread: GreenThread<unknown> | undefined;
    const listening = new Promise<http.Server>((resolve) => {
      spawn(async () => {
        const server = http.createServer(async () => {
          handlerThread = getCurrent();
          await sleep(30);
        });
        server.listen(0, '127.0.0.1', () => resolve(server));
        await sleep(30);
      });
    });
    const server = await listening;
    const owner = debug.greenThreads().find((t) => t.name === undefined && t.state === 'parked')!.thread;
    const request = get(portOf(server), '/').catch((err: Error) => err);
    await waitFor('the request to reach its handler', () => handlerThread !== undefined);
    await owner.kill();
    expect(await request).to.be.an('error');
    await waitFor('the connection thread to end', () => handlerThread!.dead);
    expect(await handlerThread!.wait().catch((err: unknown) => err)).to.be.instanceOf(GreenletExit);
  });

  describe("a connection thread's own interruptions and its async handlers", function () {
    let unhandled: unknown[];
    let mochaListeners: NodeJS.UnhandledRejectionListener[];
    let reported: unknown[];
    let reporter: typeof hub.errorReporter;
    beforeEach(function () {
      unhandled = [];
      mochaListeners = process.listeners('unhandledRejection');
      process.removeAllListeners('unhandledRejection');
      process.on('unhandledRejection', (reason) => unhandled.push(reason));
      reported = [];
      reporter = hub.errorReporter;
      hub.errorReporter = (err) => reported.push(err);
    });
    afterEach(function () {
      process.removeAllListeners('unhandledRejection');
      for (const listener of mochaListeners) process.on('unhandledRejection', listener);
      hub.errorReporter = reporter;
    });

    /** A request to `server` whose outcome is its body, or the client's error code. */
    const outcome = (server: net.Server, path: string): Promise<string> => get(portOf(server), path).catch((err: NodeJS.ErrnoException) => `error: ${err.code}`);

    it('handles the GreenletExit an async request handler rejects with when its thread is killed; the server answers on', async function () {
      const server = await listen(
        http.createServer(async (req, res) => {
          if (req.url === '/hang') await sleep(5);
          res.end(`done ${req.url}`);
        }),
      );
      const hang = outcome(server, '/hang');
      const waiting = (): GreenThread<unknown> | undefined => debug.greenThreads().find((i) => i.name?.startsWith('connection') && i.waitingOn === 'sleep')?.thread;
      await waitFor('the handler to sleep', () => waiting() !== undefined);
      await waiting()!.kill();
      expect(await hang).to.equal('error: ECONNRESET');
      expect(await outcome(server, '/after')).to.equal('done /after');
      await sleep(0.01);
      expect(unhandled).to.deep.equal([]);
      expect(reported).to.deep.equal([]);
      await shut(server);
    });

    it("handles the kill exception an async 'data' callback of a net server's connection rejects with", async function () {
      let thread: GreenThread<unknown> | undefined;
      const server = await listen(
        net.createServer((socket) => {
          socket.on('data', async () => {
            thread = getCurrent();
            await sleep(5);
          });
        }),
      );
      const client = net.connect(portOf(server), '127.0.0.1').on('error', () => {});
      client.write('hi');
      const closed = once(client, 'close');
      await waitFor('the data callback to run', () => thread !== undefined);
      await thread!.kill();
      await closed;
      await sleep(0.01);
      expect(unhandled).to.deep.equal([]);
      await shut(server);
    });

    it('leaves any other rejection of an async request handler unhandled, as plain Node does', async function () {
      const bug = new Error('a bug in the handler');
      const server = await listen(
        http.createServer(async (_req, res) => {
          await sleep(0.01);
          res.end('answered first');
          throw bug;
        }),
      );
      expect(await outcome(server, '/')).to.equal('answered first');
      await waitFor('the rejection to be reported unhandled', () => unhandled.length > 0);
      expect(unhandled).to.deep.equal([bug]);
      await shut(server);
    });

    it('closes the connection when a Timeout of the thread escapes its handler, and reports it through the hub', async function () {
      let timeout: Timeout | undefined;
      const server = await listen(
        http.createServer(async (_req, res) => {
          timeout = new Timeout(0.02);
          await sleep(5);
          res.end('slept');
        }),
      );
      expect(await outcome(server, '/')).to.equal('error: ECONNRESET');
      await sleep(0.01);
      expect(unhandled).to.deep.equal([]);
      expect(reported).to.deep.equal([timeout]);
      await shut(server);
    });

    it('destroys the connection, with the Timeout, of a handler awaiting a timer its Timeout cleared', async function () {
      const server = await listen(
        http.createServer(async (_req, res) => {
          const t = new Timeout(0.1);
          try {
            await new Promise((resolve) => setTimeout(resolve, 500));
            res.end('slept');
          } catch {
            res.end('timeout');
          } finally {
            t.cancel();
          }
        }),
      );
      const started = performance.now();
      expect(await outcome(server, '/')).to.equal('error: ECONNRESET');
      expect(performance.now() - started, 'closed long before the plain timer would have ended').to.be.below(450);
      expect(unhandled).to.deep.equal([]);
      await shut(server);
    });

    it('rejects `for await (const chunk of req)` on a stalled upload with the Timeout and closes the connection', async function () {
      let caught: unknown;
      let timeout: Timeout | undefined;
      const server = await listen(
        http.createServer(async (req, res) => {
          timeout = new Timeout(0.1);
          try {
            for await (const chunk of req) void chunk;
            res.end('read');
          } catch (err) {
            caught = err;
            res.end('timeout');
          } finally {
            timeout.cancel();
          }
        }),
      );
      const started = performance.now();
      const reply = await new Promise<string>((resolve) => {
        const request = http.request({ host: '127.0.0.1', port: portOf(server), method: 'POST', path: '/upload', agent: false, headers: { 'content-length': 100 } });
        request.on('response', () => resolve('answered'));
        request.on('error', (err: NodeJS.ErrnoException) => resolve(`error: ${err.code}`));
        request.write('0123456789');
      });
      expect(reply).to.equal('error: ECONNRESET');
      expect(performance.now() - started).to.be.below(450);
      expect(caught).to.equal(timeout);
      expect(unhandled).to.deep.equal([]);
      await shut(server);
    });
  });

  describe('https (tls patched)', function () {
    let credentials: Credentials;
    before(() => (credentials = makeCredentials()));
    after(() => fs.rmSync(credentials.dir, { recursive: true, force: true }));

    it('runs each request handler in its connection thread', async function () {
      const names: Array<string | undefined> = [];
      const server = await listen(
        https.createServer({ key: credentials.key, cert: credentials.cert }, async (_req, res) => {
          await sleep(0.01);
          names.push(getCurrent().name);
          res.end('ok');
        }),
      );
      const fetchOne = (): Promise<void> =>
        new Promise((resolve, reject) => {
          https.get({ host: '127.0.0.1', port: portOf(server), ca: credentials.cert, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
        });
      await Promise.all([fetchOne(), fetchOne()]);
      expect(names).to.have.length(2);
      for (const name of names) expect(name).to.match(/^connection 127\.0\.0\.1:\d+$/);
      expect(names[0]).to.not.equal(names[1]);
      await shut(server);
    });

    it('keeps a keep-alive TLS connection open through a Timeout that fires in one of its requests', async function () {
      const server = await listen(
        https.createServer({ key: credentials.key, cert: credentials.cert }, async (req, res) => {
          res.write('start ');
          const t = new Timeout(req.url === '/timeout' ? 0.02 : 5);
          try {
            await sleep(0.2);
            res.end('done');
          } catch {
            res.end('timeout');
          } finally {
            t.cancel();
          }
        }),
      );
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: credentials.cert });
      const sockets = new Set<net.Socket>();
      const fetchOne = (path: string): Promise<string> =>
        new Promise((resolve, reject) => {
          https
            .get({ host: '127.0.0.1', port: portOf(server), path, agent }, (res) => {
              sockets.add(res.socket);
              let body = '';
              res.on('data', (chunk: Buffer) => (body += String(chunk)));
              res.on('end', () => resolve(body));
            })
            .on('error', reject);
        });
      expect(await fetchOne('/next')).to.equal('start done');
      expect(await fetchOne('/timeout')).to.equal('start timeout');
      expect(await fetchOne('/next')).to.equal('start done');
      expect(sockets.size, 'one connection for the three requests').to.equal(1);
      agent.destroy();
      await shut(server);
    });
  });
});

describe('connection threads: Node unchanged where net is not green', function () {
  it('runs the handlers of an unpatched server in the main thread, as before', async function () {
    const seen: Array<GreenThread<unknown>> = [];
    const server = await listen(
      http.createServer((_req, res) => {
        seen.push(getCurrent());
        res.end('ok');
      }),
    );
    await get(portOf(server), '/');
    expect(seen).to.deep.equal([getCurrent()]);
    expect(debug.greenThreads().filter((t) => t.name?.startsWith('connection'))).to.deep.equal([]);
    await shut(server);
  });
});
