/**
 * The green `net` module, applied in place by `monkeyPatch({ net, tls, timers })`: sockets and
 * servers are owned by the green thread (or `withTimeout` scope) that connects, has a request in
 * flight, or listens, and are released when it is interrupted — and only then. Node's own
 * behaviour outside green threads is unchanged. See DESIGN.md §3 "Cooperative points and
 * interruption" and "Patching".
 */
import { expect } from 'chai';
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import greenNet, * as greenNetModule from '../../lib/green/net.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { activeResources, type Credentials, httpGet, listen, LocalWebServer, makeCredentials, never, openFds, portOf, rejectionOf, type Reply, SilentServer, since, waitFor } from '../support.js';
import fs from 'node:fs';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** A port on 127.0.0.1 where nothing listens (it did a moment ago). */
async function closedPort(): Promise<number> {
  const server = await listen(net.createServer());
  const port = portOf(server);
  server.close();
  await once(server, 'close');
  return port;
}

/** Replaces the port numbers of a run in `text`, so two runs compare. */
function withoutPorts(text: string, ports: number[]): string {
  return ports.reduce((t, port) => t.split(String(port)).join('PORT'), text);
}

/** The fields of an error that Node's users rely on. */
function errorFields(err: unknown, ports: number[]): Record<string, unknown> {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  return {
    class: e?.constructor?.name,
    name: e.name,
    message: withoutPorts(e.message, ports),
    code: e.code,
    errno: e.errno,
    syscall: e.syscall,
    address: e.address,
    port: e.port === undefined ? undefined : 'PORT',
  };
}

/**
 * What a user of `net` observes in one plain exchange and a few failures: the events of a server
 * and of a client in order, with their callbacks, return values and error fields.
 */
async function observeNet(api: typeof net = net): Promise<Record<string, unknown>> {
  const serverEvents: string[] = [];
  const acceptedEvents: string[] = [];
  const clientEvents: string[] = [];
  const server = api.createServer((socket) => {
    acceptedEvents.push(`connection instanceof net.Socket: ${socket instanceof net.Socket}`);
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      acceptedEvents.push(`data ${data}`);
      acceptedEvents.push(`end('pong') returns the socket: ${socket.end('pong') === socket}`);
    });
    socket.on('end', () => acceptedEvents.push('end'));
    socket.on('close', (hadError) => acceptedEvents.push(`close hadError=${hadError}`));
  });
  server.on('listening', () => serverEvents.push('listening'));
  server.on('close', () => serverEvents.push('close'));
  serverEvents.push(`listen returns the server: ${server.listen(0, '127.0.0.1') === server}`);
  await once(server, 'listening');
  const port = portOf(server);
  serverEvents.push(`address ${JSON.stringify({ ...(server.address() as net.AddressInfo), port: 'PORT' })}`);

  const client = api.connect(port, '127.0.0.1', () => clientEvents.push('connect callback'));
  clientEvents.push(`connecting=${client.connecting} pending=${client.pending} readyState=${client.readyState}`);
  client.setEncoding('utf8');
  client.on('connect', () => {
    clientEvents.push(`connect event, readyState=${client.readyState}`);
    clientEvents.push(`write returns ${client.write('ping')}`);
  });
  client.on('ready', () => clientEvents.push('ready'));
  client.on('data', (data: string) => clientEvents.push(`data ${data}`));
  client.on('end', () => clientEvents.push('end'));
  client.on('finish', () => clientEvents.push('finish'));
  client.on('close', (hadError) => clientEvents.push(`close hadError=${hadError} destroyed=${client.destroyed}`));
  await once(client, 'close');
  await waitFor('the accepted socket to close', () => acceptedEvents.some((e) => e.startsWith('close')));

  const closeCallback = new Promise<unknown>((resolve) => server.close((err) => resolve(err)));
  serverEvents.push(`close callback error: ${String(await closeCallback)}`);
  const notRunning = await new Promise<unknown>((resolve) => server.close((err) => resolve(err)));

  const refusedPort = await closedPort();
  const refusedSocket = api.connect(refusedPort, '127.0.0.1');
  const [refused] = (await once(refusedSocket, 'error')) as [Error];
  await once(refusedSocket, 'close');

  const holder = await listen(api.createServer());
  const heldPort = portOf(holder);
  const clash = api.createServer();
  clash.listen(heldPort, '127.0.0.1');
  const [inUse] = (await once(clash, 'error')) as [Error];
  holder.close();
  await once(holder, 'close');

  let badPort: unknown;
  try {
    api.connect({ port: -1 });
  } catch (err) {
    badPort = err;
  }

  return {
    serverEvents,
    acceptedEvents,
    clientEvents,
    notRunning: errorFields(notRunning, []),
    refused: errorFields(refused, [refusedPort]),
    inUse: errorFields(inUse, [heldPort]),
    badPort: errorFields(badPort, []),
  };
}

describe('green net (monkeyPatch({ net, tls, timers }))', () => {
  const socketPrototype = net.Socket.prototype as unknown as Record<string, unknown>;
  const serverPrototype = net.Server.prototype as unknown as Record<string, unknown>;
  const nodeSocketMethods = { connect: socketPrototype.connect, write: socketPrototype.write, end: socketPrototype.end, push: socketPrototype.push };
  const nodeListen = serverPrototype.listen;
  let nodeObservation: Record<string, unknown>;
  let local: LocalWebServer;

  let credentials: Credentials;

  before(async () => {
    nodeObservation = await observeNet();
    credentials = makeCredentials();
    monkeyPatch({ net: true, tls: true, timers: true });
  });

  after(() => {
    unpatch();
    fs.rmSync(credentials.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    local = await LocalWebServer.start();
  });

  afterEach(async () => {
    await local.stop();
  });

  describe('interruption releases what the interrupted scope holds', () => {
    it('withTimeout(0.2, fetch) of a slow local server rejects with its Timeout within 100 ms of the deadline, and the server sees the connection close', async () => {
      const start = performance.now();
      const err = await rejectionOf(withTimeout(0.2, () => fetch(`${local.origin}/slow`)));
      const elapsed = since(start);
      expect(err).to.be.instanceOf(Timeout);
      expect(elapsed).to.be.within(0.19, 0.3);
      expect(local.requests).to.deep.equal(['/slow']);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
      expect((local.closedAt[0]! - start) / 1000).to.be.below(0.35);
    });

    it('kill() of a thread waiting on http.get settles promptly, wait() rejects with GreenletExit, and the server sees the connection close', async () => {
      const seenInThread: unknown[] = [];
      const thread = spawn(() => httpGet(`${local.origin}/slow`).catch((err: unknown) => {
        seenInThread.push(err);
        throw err;
      }));
      await waitFor('the request to reach the server', () => local.requests.length === 1);
      const start = performance.now();
      await thread.kill();
      expect(since(start)).to.be.below(0.1);
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
      expect(seenInThread).to.have.length(1);
      expect(seenInThread[0], 'the request failed inside the thread with the kill exception').to.be.instanceOf(GreenletExit);
    });

    it('a thread killed while net.connect is still looking up the host destroys the socket, and the server never sees it', async () => {
      let socket: net.Socket | undefined;
      const errors: unknown[] = [];
      const thread = spawn(() => {
        socket = net.connect({ host: 'never-answers.test', port: portOf(local.server), lookup: () => {} });
        socket.on('error', (err) => errors.push(err));
        return never();
      });
      await sleep(0.05);
      expect(socket!.connecting).to.equal(true);
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(GreenletExit);
      await sleep(0.05);
      expect(local.accepted).to.have.length(0);
    });

    it("a thread killed after net.connect started but before 'connect' fired destroys the socket, and it never connects", async () => {
      let socket: net.Socket | undefined;
      let connected = false;
      const errors: unknown[] = [];
      const thread = spawn(async () => {
        socket = net.connect(portOf(local.server), '127.0.0.1', () => (connected = true));
        socket.on('error', (err) => errors.push(err));
        await sleep(10);
      });
      await sleep(0); // the thread has started connecting; 'connect' comes in a later I/O phase
      expect(socket!.connecting).to.equal(true);
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
      await sleep(0.05);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(GreenletExit);
      expect(connected).to.equal(false);
      await waitFor('every connection the server may have accepted to close', () => local.open === 0);
    });

    it('a withTimeout scope that times out while net.connect is looking up the host destroys the socket', async () => {
      let socket: net.Socket | undefined;
      const err = await rejectionOf(withTimeout(0.05, () => new Promise((resolve, reject) => {
        socket = net.connect({ host: 'never-answers.test', port: portOf(local.server), lookup: () => {} }, () => resolve(socket));
        socket.on('error', reject);
      })));
      expect(err).to.be.instanceOf(Timeout);
      expect(socket!.destroyed).to.equal(true);
    });


    it('a server listened in a killed thread is closed, and the connections it accepted are destroyed (quietly where nobody listens for errors)', async () => {
      let server: net.Server | undefined;
      const accepted: net.Socket[] = [];
      const errors: unknown[] = [];
      const thread = spawn(async () => {
        server = net.createServer((socket) => {
          // The first connection's handler listens for errors; the second's does not.
          if (accepted.push(socket) === 1) socket.on('error', (err) => errors.push(err));
        });
        await listen(server);
        await never();
      });
      await waitFor('the thread to listen', () => server?.listening === true);
      const port = portOf(server!);
      const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
      for (const client of clients) client.on('error', () => {}).resume();
      await waitFor('both connections to be accepted', () => accepted.length === 2);
      const serverClosed = once(server!, 'close');
      await thread.kill();
      await serverClosed;
      expect(server!.listening).to.equal(false);
      expect(accepted.map((socket) => socket.destroyed)).to.deep.equal([true, true]);
      await waitFor('the clients to see their connections close', () => clients.every((client) => client.destroyed));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(GreenletExit);
      const refused = net.connect(port, '127.0.0.1');
      const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).to.equal('ECONNREFUSED');
    });

    it('a socket a thread connected that is waiting for the server to speak first is destroyed when the thread is killed: the server sees it close', async () => {
      const greeter = await SilentServer.start();
      try {
        const errors: unknown[] = [];
        const thread = spawn(async () => {
          const socket = net.connect(greeter.port, '127.0.0.1');
          socket.on('error', (err) => errors.push(err));
          await once(socket, 'data'); // the greeting that never comes
        });
        await waitFor('the server to accept', () => greeter.accepted === 1);
        await sleep(0.05);
        await thread.kill();
        await waitFor('the server to see the connection close', () => greeter.closed === 1, 1);
        expect(errors).to.have.length(1);
        expect(errors[0]).to.be.instanceOf(GreenletExit);
      } finally {
        await greeter.stop();
      }
    });

    it('a withTimeout scope that times out waiting for a TLS server to speak first destroys its socket: the server sees it close', async () => {
      const greeter = await SilentServer.start(credentials);
      try {
        const err = await rejectionOf(
          withTimeout(0.3, async () => {
            const socket = tls.connect({ port: greeter.port, host: '127.0.0.1', ca: credentials.cert });
            await once(socket, 'secureConnect');
            await once(socket, 'data');
          }),
        );
        expect(err).to.be.instanceOf(Timeout);
        await waitFor('the server to see the connection close', () => greeter.closed === 1, 1);
      } finally {
        await greeter.stop();
      }
    });

    it('a thread killed with a request in flight on a raw socket nobody listens on for errors closes it without crashing the process', async () => {
      let socket: net.Socket | undefined;
      const thread = spawn(async () => {
        socket = net.connect(portOf(local.server), '127.0.0.1');
        await once(socket, 'connect');
        socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
        await never();
      });
      await waitFor('the request to reach the server', () => local.requests.length === 1);
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
      expect(socket!.listenerCount('error')).to.equal(0);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
    });

    it('an http server listened inside a withTimeout scope that times out is closed, and the request it held fails', async () => {
      let server: http.Server | undefined;
      const scope = rejectionOf(withTimeout(0.2, async () => {
        server = http.createServer(() => {}); // never answers
        await listen(server);
        await never();
      }));
      await waitFor('the scope to listen', () => server?.listening === true);
      const request = rejectionOf(httpGet(`http://127.0.0.1:${portOf(server!)}/`, { agent: false }));
      expect(await scope).to.be.instanceOf(Timeout);
      expect(((await request) as NodeJS.ErrnoException).code).to.equal('ECONNRESET');
      expect(server!.listening).to.equal(false);
    });

    it('300 threads, each with a long setTimeout armed and a fetch in flight, killed together, leave open fds and active resources where they were', async function () {
      this.timeout(30_000);
      await sleep(0.05);
      const fdsBefore = openFds();
      const resourcesBefore = activeResources();
      let fired = 0;
      const threads = Array.from({ length: 300 }, () =>
        spawn(async () => {
          setTimeout(() => fired++, 60_000);
          await fetch(`${local.origin}/slow`);
        }),
      );
      await waitFor('all 300 requests to reach the server', () => local.requests.length === 300, 15);
      expect(openFds()).to.be.above(fdsBefore + 300);
      const start = performance.now();
      await Promise.all(threads.map((thread) => thread.kill()));
      expect(since(start)).to.be.below(1);
      for (const thread of threads) expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      const settle = performance.now();
      while ((openFds() !== fdsBefore || activeResources().join() !== resourcesBefore.join()) && since(settle) < 3) await sleep(0.02);
      expect(openFds(), 'open fds').to.equal(fdsBefore);
      expect(activeResources(), 'active resources').to.deep.equal(resourcesBefore);
      expect(local.open, 'connections the server still has open').to.equal(0);
      expect(fired).to.equal(0);
    });
  });

  describe('interruption hurts no one else', () => {
    it('a keep-alive connection left idle by a thread survives that thread being killed later, and another thread reuses it (http.Agent)', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        let first: Reply | undefined;
        const opener = spawn(async () => {
          first = await httpGet(`${local.origin}/`, { agent });
          await sleep(60);
        });
        await waitFor('the first reply', () => first !== undefined);
        await opener.kill();
        expect(first!.socket.destroyed).to.equal(false);
        const second = await spawn(() => httpGet(`${local.origin}/`, { agent })).wait();
        expect(second.socket).to.equal(first!.socket);
        expect(second.localPort).to.equal(first!.localPort);
        expect(local.accepted).to.have.length(1);
        expect(local.closedAt).to.have.length(0);
      } finally {
        agent.destroy();
      }
    });

    it("a keep-alive connection left idle in fetch's pool by a killed thread is reused by the next thread's fetch", async () => {
      let firstPort: string | undefined;
      const opener = spawn(async () => {
        firstPort = await (await fetch(`${local.origin}/`)).text();
        await sleep(60);
      });
      await waitFor('the first reply', () => firstPort !== undefined);
      await opener.kill();
      await sleep(0.05);
      expect(local.closedAt).to.have.length(0);
      const secondPort = await spawn(async () => (await fetch(`${local.origin}/`)).text()).wait();
      expect(secondPort).to.equal(firstPort);
      expect(local.accepted).to.have.length(1);
    });

    it("two threads share an agent: killing one while it is idle leaves the other's request on the same connection to succeed", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        let first: Reply | undefined;
        const idle = spawn(async () => {
          first = await httpGet(`${local.origin}/`, { agent });
          await sleep(60);
        });
        await waitFor('the first reply', () => first !== undefined);
        const busy = spawn(() => httpGet(`${local.origin}/delay?ms=300`, { agent }));
        await waitFor('the second request to reach the server', () => local.requests.length === 2);
        await idle.kill();
        const second = await busy.wait();
        expect(second.localPort).to.equal(first!.localPort);
        expect(second.body).to.equal(String(first!.localPort));
        expect(local.accepted).to.have.length(1);
      } finally {
        agent.destroy();
      }
    });

    it("a request queued behind another thread's on a one-connection agent is not lost when that thread is killed once its reply came", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        let first: Reply | undefined;
        const ahead = spawn(async () => {
          first = await httpGet(`${local.origin}/delay?ms=100`, { agent });
          await sleep(60);
        });
        const queued = spawn(() => httpGet(`${local.origin}/delay?ms=400`, { agent }));
        await waitFor('the queued request to reach the server', () => local.requests.length === 2);
        await ahead.kill();
        const second = await queued.wait();
        expect(second.localPort).to.equal(first!.localPort);
        expect(local.accepted).to.have.length(1);
      } finally {
        agent.destroy();
      }
    });

    it("two threads share fetch's pool: killing one while it is idle leaves the other's fetch on the same connection to succeed", async () => {
      let firstPort: string | undefined;
      const idle = spawn(async () => {
        firstPort = await (await fetch(`${local.origin}/`)).text();
        await sleep(60);
      });
      await waitFor('the first reply', () => firstPort !== undefined);
      const busy = spawn(async () => (await fetch(`${local.origin}/delay?ms=300`)).text());
      await waitFor('the second request to reach the server', () => local.requests.length === 2);
      await idle.kill();
      expect(await busy.wait()).to.equal(firstPort);
      expect(local.accepted).to.have.length(1);
    });

    it("a request a connection's data callback sends for someone else (as pg-pool does) is not its opener's: killing the opener leaves it to finish", async () => {
      const server = await listen(
        net.createServer((s) => {
          s.setEncoding('utf8');
          s.on('data', (data: string) => {
            for (const line of data.split('\n').filter(Boolean)) setTimeout(() => s.write(`re ${line}\n`), 50);
          });
        }),
      );
      const replies: string[] = [];
      const queued = ['b', 'c'];
      let socket: net.Socket | undefined;
      const opener = spawn(async () => {
        socket = net.connect(portOf(server), '127.0.0.1');
        socket.setEncoding('utf8');
        socket.on('data', (data: string) => {
          replies.push(data.trim());
          const next = queued.shift();
          if (next) socket!.write(`${next}\n`);
        });
        socket.write('a\n');
        await sleep(60);
      });
      try {
        await waitFor('the reply to b, and c sent', () => replies.length === 2);
        await opener.kill();
        await waitFor('the reply to c', () => replies.length === 3);
        expect(replies).to.deep.equal(['re a', 're b', 're c']);
        expect(socket!.destroyed).to.equal(false);
      } finally {
        socket?.destroy();
        server.close();
      }
    });

    it('a connection that has received its greeting is no longer its opener\'s: killing the opener later leaves it open', async () => {
      const greeter = await SilentServer.start(undefined, 'hello\n');
      try {
        let socket: net.Socket | undefined;
        const thread = spawn(async () => {
          socket = net.connect(greeter.port, '127.0.0.1');
          await once(socket, 'data');
          await never(); // doing something else, the connection idle
        });
        await waitFor('the greeting', () => socket?.bytesRead === 6);
        await thread.kill();
        await sleep(0.05);
        expect(socket!.destroyed).to.equal(false);
        expect(greeter.closed).to.equal(0);
        socket!.destroy();
      } finally {
        await greeter.stop();
      }
    });

    it('leaves sockets outside green threads alone while threads and scopes around them are interrupted', async () => {
      const outside = httpGet(`${local.origin}/delay?ms=300`, { agent: false });
      const victim = spawn(() => fetch(`${local.origin}/slow`));
      const timedOut = rejectionOf(withTimeout(0.1, () => httpGet(`${local.origin}/slow`, { agent: false })));
      await waitFor('the three requests to reach the server', () => local.requests.length === 3);
      await victim.kill();
      expect(await timedOut).to.be.instanceOf(Timeout);
      const reply = await outside;
      expect(reply.body).to.equal(String(reply.localPort));
    });

    it("a write-only pipe shared by everyone (a child process's stdin) that a thread wrote to survives that thread being killed later", async () => {
      const child = spawnChild(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = once(child, 'exit');
      const writer = spawn(async () => {
        child.stdin!.write('from the thread\n');
        await never();
      });
      await waitFor('the child to echo the thread\'s line', () => output === 'from the thread\n');
      await writer.kill();
      expect(child.stdin!.destroyed).to.equal(false);
      child.stdin!.end('from the main program\n');
      await exited;
      expect(output).to.equal('from the thread\nfrom the main program\n');
    });

    it("fetch's housekeeping timers outlive the scope and thread that happened to create them: an idle keep-alive connection is still closed on time", function () {
      this.timeout(20_000);
      const result = runFixture('net-undici-timer.mjs');
      expect(result).to.include({ name: 'Timeout', waited: 'GreenletExit' });
      expect(result.idleClosedByClientMs, 'ms from the reply until fetch closed the idle connection').to.be.within(1500, 2900);
    });

    it('a thread and a scope that printed to a piped stdout and are then interrupted leave process.stdout alive', function () {
      this.timeout(20_000);
      const child = spawnFixture('net-stdout-kill.mjs');
      expect(child.stderr).to.equal('');
      expect(child.status).to.equal(0);
      expect(child.stdout.split('\n')).to.deep.equal([
        'printed by a green thread',
        'printed in a withTimeout scope',
        JSON.stringify({ timedOut: 'Timeout', stdoutDestroyed: false, stderrDestroyed: false }),
        '',
      ]);
    });
  });

  describe('a thread that ends on its own tears nothing down', () => {
    it('its server keeps accepting, and its socket with a request in flight gets the reply', async () => {
      const replies: string[] = [];
      const thread = spawn(async () => {
        const server = net.createServer((socket) => {
          socket.setEncoding('utf8');
          socket.on('data', (data: string) => setTimeout(() => socket.write(`echo ${data}`), 100));
        });
        await listen(server);
        const client = net.connect(portOf(server), '127.0.0.1');
        client.setEncoding('utf8');
        client.on('data', (data: string) => replies.push(data));
        await once(client, 'connect');
        client.write('ping');
        return { server, client };
      });
      const { server, client } = await thread.wait();
      try {
        await thread.kill(); // killing a dead thread does nothing
        await waitFor('the reply to the request in flight', () => replies.length === 1);
        expect(replies).to.deep.equal(['echo ping']);
        expect(client.destroyed).to.equal(false);
        expect(server.listening).to.equal(true);
        const another = net.connect(portOf(server), '127.0.0.1');
        another.setEncoding('utf8');
        await once(another, 'connect');
        another.write('pong');
        const [echo] = (await once(another, 'data')) as [string];
        expect(echo).to.equal('echo pong');
        another.destroy();
      } finally {
        client.destroy();
        server.close();
      }
    });

    it('a withTimeout scope that finishes in time leaves the keep-alive connection it opened usable', async () => {
      const first = await withTimeout(1, () => fetch(`${local.origin}/`).then((r) => r.text()));
      await sleep(0.05);
      const second = await fetch(`${local.origin}/`).then((r) => r.text());
      expect(second).to.equal(first);
      expect(local.closedAt).to.have.length(0);
    });
  });

  describe('sockets stay what Node made them', () => {
    it('socket instanceof net.Socket holds for client and accepted sockets, inside and outside green threads', async () => {
      const accepted: net.Socket[] = [];
      const server = await listen(net.createServer((socket) => accepted.push(socket)));
      const port = portOf(server);
      const outside = net.connect(port, '127.0.0.1');
      const inside = await spawn(async () => {
        const socket = net.connect(port, '127.0.0.1');
        await once(socket, 'connect');
        return socket;
      }).wait();
      try {
        await waitFor('both connections to be accepted', () => accepted.length === 2);
        for (const socket of [outside, inside, ...accepted]) expect(socket).to.be.instanceOf(net.Socket);
        expect(server).to.be.instanceOf(net.Server);
      } finally {
        for (const socket of [outside, inside, ...accepted]) socket.destroy();
        server.close();
      }
    });

    it("unpatch() puts Node's own socket and server methods back (the same functions), and monkeyPatch() hooks them again", () => {
      expect(socketPrototype.write).not.to.equal(nodeSocketMethods.write);
      unpatch();
      try {
        for (const [name, method] of Object.entries(nodeSocketMethods)) expect(socketPrototype[name], `net.Socket.prototype.${name}`).to.equal(method);
        expect(serverPrototype.listen).to.equal(nodeListen);
        expect(socketPrototype.push).to.equal(Readable.prototype.push);
        expect(Object.prototype.hasOwnProperty.call(net.Socket.prototype, 'push')).to.equal(false);
      } finally {
        monkeyPatch({ net: true, tls: true, timers: true });
      }
      expect(socketPrototype.write).not.to.equal(nodeSocketMethods.write);
    });
  });

  describe("Node's net behaviour outside green threads", () => {
    it('is the same with the patch applied as without it: events, callbacks, return values and errors', async () => {
      expect(await observeNet()).to.deep.equal(nodeObservation);
    });

    it('is the same inside a green thread that is never interrupted', async () => {
      expect(await spawn(observeNet).wait()).to.deep.equal(nodeObservation);
    });

    it('observes something: the exchange and the failures were all seen', () => {
      expect(nodeObservation.clientEvents).to.include('data pong');
      expect(nodeObservation.refused).to.include({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 'PORT' });
      expect(nodeObservation.inUse).to.include({ code: 'EADDRINUSE', syscall: 'listen' });
      expect(nodeObservation.notRunning).to.include({ code: 'ERR_SERVER_NOT_RUNNING' });
      expect(nodeObservation.badPort).to.include({ code: 'ERR_SOCKET_BAD_PORT' });
    });
  });
});

describe('green net used on its own (eventlet/green/net, nothing patched)', () => {
  const socketPrototype = net.Socket.prototype as unknown as Record<string, unknown>;
  const nodeMethods = { connect: socketPrototype.connect, write: socketPrototype.write, end: socketPrototype.end, listen: net.Server.prototype.listen };

  /** A server that accepts and reads but never answers; counts what it received. */
  async function silentServer(): Promise<{ server: net.Server; received: string[]; accepted: net.Socket[] }> {
    const received: string[] = [];
    const accepted: net.Socket[] = [];
    const server = await listen(
      net.createServer((socket) => {
        accepted.push(socket);
        socket.on('data', (data) => received.push(String(data)));
      }),
    );
    return { server, received, accepted };
  }

  it("destroys a socket made by its connect() that a killed thread has a request in flight on, while Node's net.connect socket in the same place stays open", async () => {
    const { server, received, accepted } = await silentServer();
    const port = portOf(server);
    const made: net.Socket[] = [];
    const ask = (api: typeof net, payload: string) =>
      spawn(async () => {
        const socket = api.connect(port, '127.0.0.1');
        made.push(socket);
        socket.write(payload);
        await never();
      });
    const green = ask(greenNet, 'green');
    const plain = ask(net, 'plain');
    try {
      await waitFor('both requests to arrive', () => received.includes('green') && received.includes('plain'));
      await Promise.all([green.kill(), plain.kill()]);
      await sleep(0.02);
      expect(made.map((socket) => socket.destroyed)).to.deep.equal([true, false]);
      expect(nodeMethods.connect).to.equal(socketPrototype.connect);
    } finally {
      for (const socket of [...made, ...accepted]) socket.destroy();
      server.close();
    }
  });

  it('destroys a socket made by new Socket() (or a subclass) that a killed thread is connecting, and instanceof stays Node’s', async () => {
    const { server, accepted } = await silentServer();
    class Tagged extends greenNetModule.Socket {}
    const sockets: net.Socket[] = [];
    const thread = spawn(async () => {
      for (const socket of [new greenNetModule.Socket(), new Tagged()]) {
        sockets.push(socket);
        socket.on('error', () => {});
        socket.connect(portOf(server), '127.0.0.1');
      }
      await never();
    });
    try {
      await sleep(0); // the thread has started; loopback connects complete on a later I/O turn
      expect(sockets.map((socket) => socket.connecting)).to.deep.equal([true, true]);
      await thread.kill();
      expect(sockets.map((socket) => socket.destroyed)).to.deep.equal([true, true]);
      expect(sockets[1]).to.be.instanceOf(Tagged).and.instanceOf(net.Socket).and.instanceOf(greenNetModule.Socket);
      expect(new net.Socket()).to.be.instanceOf(greenNetModule.Socket).and.not.instanceOf(Tagged);
      expect(greenNetModule.Socket.prototype).to.equal(net.Socket.prototype);
      expect(greenNetModule.Stream).to.equal(greenNetModule.Socket);
    } finally {
      for (const socket of [...sockets, ...accepted]) socket.destroy();
      server.close();
    }
  });

  it("destroys a new Socket() whose request was written from its 'connect' callback (Node resets the instance's write on connect), when its thread is killed", async () => {
    const { server, received, accepted } = await silentServer();
    let socket: net.Socket | undefined;
    const thread = spawn(async () => {
      socket = new greenNetModule.Socket();
      socket.on('error', () => {});
      socket.connect(portOf(server), '127.0.0.1');
      socket.once('connect', () => socket!.write('startup'));
      await never();
    });
    try {
      await waitFor('the request to arrive', () => received.includes('startup'));
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
    } finally {
      for (const s of [socket, ...accepted]) s?.destroy();
      server.close();
    }
  });

  it('closes a server made by its createServer() that a killed thread listened on, with the connections it accepted', async () => {
    const accepted: net.Socket[] = [];
    let server: net.Server | undefined;
    const thread = spawn(async () => {
      server = greenNet.createServer((socket) => accepted.push(socket));
      server.listen(0, '127.0.0.1');
      await never();
    });
    await waitFor('the server to listen', () => server?.listening === true);
    const client = net.connect(portOf(server!), '127.0.0.1');
    client.on('error', () => {});
    try {
      await waitFor('the connection to be accepted', () => accepted.length === 1);
      await thread.kill();
      await waitFor('the client to see the close', () => client.destroyed || client.readableEnded, 1);
      expect(server!.listening).to.equal(false);
      expect(accepted[0]!.destroyed).to.equal(true);
    } finally {
      client.destroy();
      server!.close();
    }
  });

  it("has Node's keys on its default export, with the green functions and Node's settings and helpers", () => {
    expect(Object.keys(greenNet)).to.deep.equal(Object.keys(net));
    expect(greenNet.connect).to.equal(greenNetModule.connect).and.not.equal(net.connect);
    expect(greenNet.isIP).to.equal(net.isIP);
    expect(greenNet.connect.name).to.equal(net.connect.name);
    expect(greenNet.connect.length).to.equal(net.connect.length);
  });

  it("behaves as Node's net outside green threads: events, callbacks, return values and errors", async () => {
    const nodeObservation = await observeNet(net);
    expect(await observeNet(greenNet)).to.deep.equal(nodeObservation);
    expect(await spawn(() => observeNet(greenNet)).wait()).to.deep.equal(nodeObservation);
  });

  it("leaves Node's prototypes untouched", () => {
    expect({ connect: socketPrototype.connect, write: socketPrototype.write, end: socketPrototype.end, listen: net.Server.prototype.listen }).to.deep.equal(nodeMethods);
    expect(Object.prototype.hasOwnProperty.call(net.Socket.prototype, 'push')).to.equal(false);
  });
});

/** Runs `fixtures/<name>` under `node --import eventlet/loader` with net, tls and timers patched. */
function spawnFixture(name: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, EVENTLET_PATCH: 'net,tls,timers' };
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, ['--import', 'eventlet/loader', `fixtures/${name}`], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** The JSON report a fixture prints; fails on a non-zero exit or anything on stderr. */
function runFixture(name: string): Record<string, unknown> {
  const { status, stdout, stderr } = spawnFixture(name);
  expect(stderr, 'stderr').to.equal('');
  expect(status, 'exit status').to.equal(0);
  return JSON.parse(stdout) as Record<string, unknown>;
}
