/**
 * eventlet's network convenience functions: `connect`, `listen`, `wrapSsl` (alias `wrap_ssl`),
 * `serve` and `StopServe`, and the runnable examples/echo-server.js. See DESIGN.md §3 "Network
 * convenience" and reference §7.
 */
import { expect } from 'chai';
import { spawn as spawnChild } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as eventlet from '../lib/index.js';
import { connect, Event, GreenletExit, GreenSocket, listen, serve, sleep, spawn, StopServe, withTimeout, wrap_ssl, wrapSsl } from '../lib/index.js';
import { reusePortSupported } from '../lib/convenience.js';
import { activeResources, bad, makeCredentials, openFds, rejectionOf, since, waitFor, type Credentials } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const codeOf = (err: unknown): unknown => (err as NodeJS.ErrnoException).code;
const portOf = (sock: GreenSocket<net.Server>): number => (sock.getsockname() as [string, number])[1];
/** Waits until the listener's server has taken `n` connections from the kernel (queued or accepted). */
async function connectionsTaken(sock: GreenSocket<net.Server>, n: number): Promise<void> {
  const count = (): Promise<number> => new Promise((resolve, reject) => sock.socket.getConnections((err, c) => (err ? reject(err) : resolve(c))));
  for (let tries = 0; (await count()) < n; tries++) {
    if (tries > 200) throw new Error(`gave up waiting for ${n} connections`);
    await sleep(0.01);
  }
}
const socketHandles = (): string => activeResources().filter((r) => /TCP|Pipe|Connect|TLS/.test(r)).join();

/** A temporary directory for Unix socket paths, removed after the suite. */
function tempDir(): () => string {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlet-io-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** Reads from `sock` until end of stream. */
async function readAll(sock: GreenSocket): Promise<string> {
  let text = '';
  for (let chunk; (chunk = await sock.recv(4096)).length > 0; ) text += String(chunk);
  return text;
}

describe('network convenience', function () {
  const dir = tempDir();

  describe('connect and listen', function () {
    it('take [host, port] and { host, port }; getsockname/getpeername return [host, port]', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const [host, port] = listener.getsockname() as [string, number];
      expect(host).to.equal('127.0.0.1');
      expect(port).to.be.within(1, 65535);
      const client = await connect({ host: '127.0.0.1', port });
      const [server, addr] = await listener.accept();
      expect(client.getpeername()).to.deep.equal(['127.0.0.1', port]);
      expect(addr).to.deep.equal(client.getsockname());
      expect(server.getsockname()).to.deep.equal(['127.0.0.1', port]);
      client.close();
      server.close();
      listener.close();
    });

    it('take a Unix socket path: names are the path, and the path is removed on close', async function () {
      const file = path.join(dir(), 'echo.sock');
      const listener = await listen(file);
      expect(listener.getsockname()).to.equal(file);
      const client = await connect(file);
      const [server, addr] = await listener.accept();
      expect(addr).to.equal('');
      expect(client.getpeername()).to.equal(file);
      expect(client.getsockname()).to.equal('');
      expect(server.getsockname()).to.equal(file);
      expect(server.getpeername()).to.equal('');
      await client.sendall('over unix');
      expect(String(await server.recv(100))).to.equal('over unix');
      client.close();
      expect(() => client.getpeername()).to.throw(Error, /GreenSocket.getpeername: the socket is not connected/);
      server.close();
      listener.close();
      await once(listener.socket, 'close');
      expect(fs.existsSync(file)).to.equal(false);
    });

    it('connect rejects with ECONNREFUSED on a closed port and ENOENT on a missing Unix path', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const port = portOf(listener);
      listener.close();
      await once(listener.socket, 'close');
      expect(codeOf(await rejectionOf(connect(['127.0.0.1', port])))).to.equal('ECONNREFUSED');
      expect(codeOf(await rejectionOf(connect(path.join(dir(), 'missing.sock'))))).to.equal('ENOENT');
    });

    it('connect binds the local end to bind, and honours family', async function () {
      const listener = await listen(['127.0.0.1', 0], 4);
      const client = await connect(['localhost', portOf(listener)], 4, ['127.0.0.1', 0]);
      expect((client.getsockname() as [string, number])[0]).to.equal('127.0.0.1');
      client.close();
      listener.close();
    });

    it('listen on an address in use rejects with EADDRINUSE', async function () {
      const first = await listen(['127.0.0.1', 0]);
      expect(codeOf(await rejectionOf(listen(['127.0.0.1', portOf(first)])))).to.equal('EADDRINUSE');
      first.close();
    });

    it('listen with reusePort: two listeners share a port where Node supports it, a clear Error elsewhere', async function () {
      const first = await listen(['127.0.0.1', 0]);
      const port = portOf(first);
      first.close();
      await once(first.socket, 'close');
      if (reusePortSupported()) {
        const a = await listen(['127.0.0.1', port], undefined, 50, true, true);
        const b = await listen(['127.0.0.1', port], undefined, 50, true, true);
        expect(portOf(b)).to.equal(portOf(a));
        a.close();
        b.close();
      } else {
        expect(() => listen(['127.0.0.1', port], undefined, 50, true, true)).to.throw(Error, new RegExp(`listen: reusePort needs Node 22.12\\+ .*this is Node ${process.versions.node.replace(/\./g, '\\.')}`));
      }
      expect(reusePortSupported('20.19.0')).to.equal(false);
      expect(reusePortSupported('22.12.0')).to.equal(true);
      expect(reusePortSupported('23.0.0')).to.equal(false);
      expect(reusePortSupported('24.0.0')).to.equal(true);
    });

    it('throw TypeError or RangeError naming the argument, and refuse reuseAddr false for TCP', function () {
      expect(() => connect(bad(42))).to.throw(TypeError, /connect: addr must be \[host, port\], \{ host, port \} or a Unix socket path, got number 42/);
      expect(() => connect(['127.0.0.1', 70000])).to.throw(RangeError, /connect: addr port must be 0..65535, got 70000/);
      expect(() => connect(['::1', 80], 4)).to.throw(RangeError, /connect: host ::1 is not an IPv4 address/);
      expect(() => listen(['127.0.0.1', 0], bad(5))).to.throw(RangeError, /listen: family must be 4, 6 or undefined, got number 5/);
      expect(() => listen(['127.0.0.1', 0], undefined, -1)).to.throw(RangeError, /listen: backlog must be >= 0, got -1/);
      expect(() => listen(['127.0.0.1', 0], undefined, 50, bad('yes'))).to.throw(TypeError, /listen: reuseAddr must be a boolean/);
      expect(() => listen(['127.0.0.1', 0], undefined, 50, false)).to.throw(Error, /listen: reuseAddr false is not supported: Node \(libuv\) always sets SO_REUSEADDR/);
      expect(() => listen(bad([1, 2, 3]))).to.throw(TypeError, /listen: addr must be \[host, port\], got an array of 3/);
    });
  });

  describe('serve', function () {
    it('runs the handler per connection and closes the client when it returns', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const server = spawn(serve, listener, () => {});
      const client = await connect(['127.0.0.1', portOf(listener)]);
      expect((await client.recv(10)).length).to.equal(0);
      client.close();
      await server.kill();
      listener.close();
    });

    it('rejects with the exception a handler throws, stops accepting, and the client sees end of stream', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const failure = new RangeError('handler broke');
      const server = spawn(serve, listener, async (client) => {
        await client.recv(10);
        throw failure;
      });
      const client = await connect(['127.0.0.1', portOf(listener)]);
      await client.sendall('go');
      expect(await rejectionOf(server.wait())).to.equal(failure);
      expect((await client.recv(10)).length).to.equal(0);
      expect(listener.socket.listening).to.equal(true); // eventlet leaves the listener open
      client.close();
      listener.close();
    });

    it('resolves when a handler throws StopServe, and ignores GreenletExit', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      let calls = 0;
      const server = spawn(serve, listener, () => {
        calls++;
        throw calls === 1 ? new GreenletExit() : new StopServe();
      });
      for (let i = 0; i < 2; i++) {
        const client = await connect(['127.0.0.1', portOf(listener)]);
        await client.recv(1);
        client.close();
      }
      expect(await server.wait()).to.equal(undefined);
      expect(calls).to.equal(2);
      listener.close();
    });

    it('calls the handler exactly once for each of 100 sequential clients', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      let calls = 0;
      const server = spawn(serve, listener, async (client) => {
        calls++;
        await client.sendall(await client.recv(10));
      });
      for (let i = 0; i < 100; i++) {
        const client = await connect(['127.0.0.1', portOf(listener)]);
        await client.sendall(String(i));
        expect(String(await client.recv(10))).to.equal(String(i));
        client.close();
      }
      expect(calls).to.equal(100);
      await server.kill();
      listener.close();
    });

    it('serves at most concurrency clients at once: with 5 handlers parked a 6th gets nothing until one ends', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const release = new Event();
      const server = spawn(serve, listener, async (client) => {
        await client.sendall('hi');
        await release.wait();
      }, 5);
      const clients = await Promise.all(Array.from({ length: 6 }, () => connect(['127.0.0.1', portOf(listener)])));
      for (const client of clients.slice(0, 5)) expect(String(await client.recv(10))).to.equal('hi');
      clients[5]!.settimeout(0.2);
      expect(await rejectionOf(clients[5]!.recv(10))).to.have.property('code', 'ETIMEDOUT');
      release.send();
      clients[5]!.settimeout(2);
      expect(String(await clients[5]!.recv(10))).to.equal('hi');
      for (const client of clients) client.close();
      await server.kill();
      listener.close();
    });

    it('stops accepting when the serving thread is killed; handlers already running go on', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const server = spawn(serve, listener, async (client) => {
        await client.sendall(await client.recv(10));
      });
      const running = await connect(['127.0.0.1', portOf(listener)]);
      await waitFor('the handler to start', () => server.state === 'parked');
      await sleep(0.02);
      await server.kill();
      expect(await rejectionOf(server.wait())).to.be.instanceOf(GreenletExit);
      await running.sendall('still');
      expect(String(await running.recv(10))).to.equal('still');
      const late = await connect(['127.0.0.1', portOf(listener)]); // the kernel queues it; nobody accepts
      late.settimeout(0.1);
      expect(await rejectionOf(late.recv(10))).to.have.property('code', 'ETIMEDOUT');
      const [accepted] = await listener.accept(); // the listener itself is still usable
      expect(accepted.getpeername()).to.deep.equal(late.getsockname());
      for (const sock of [running, late, accepted, listener]) sock.close();
    });

    it('hands each connection to its handler at spawn: killing the serving thread before a handler starts leaves its client open', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const clients = [await connect(['127.0.0.1', portOf(listener)]), await connect(['127.0.0.1', portOf(listener)])];
      await connectionsTaken(listener, 2);
      const outcomes: unknown[] = [];
      let first = true;
      // Both connections are accepted in one step, so both handlers are spawned before either starts.
      const server = spawn(serve, listener, async (client) => {
        if (first) {
          first = false;
          void server.kill();
          return;
        }
        outcomes.push(await client.sendall('served').then(() => 'sent', codeOf));
      });
      expect(await rejectionOf(server.wait())).to.be.instanceOf(GreenletExit);
      await waitFor('the second handler', () => outcomes.length === 1);
      expect(outcomes).to.deep.equal(['sent']);
      const replies = await Promise.all(clients.map(readAll));
      expect(replies.sort()).to.deep.equal(['', 'served']);
      for (const sock of [...clients, listener]) sock.close();
    });

    it('blocks the caller: withTimeout(0.05, serve, ...) gives the timeout value', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const start = performance.now();
      expect(await withTimeout({ seconds: 0.05, timeoutValue: 'timeout' }, serve, listener, () => {})).to.equal('timeout');
      expect(since(start)).to.be.within(0.04, 1);
      listener.close();
    });

    it('throws TypeError or RangeError naming the argument', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const client = await connect(['127.0.0.1', portOf(listener)]);
      expect(() => serve(bad(client), () => {})).to.throw(TypeError, /serve: sock must be a listening GreenSocket/);
      expect(() => serve(listener, bad(null))).to.throw(TypeError, /serve: handle must be a function, got null/);
      expect(() => serve(listener, () => {}, 0)).to.throw(RangeError, /serve: concurrency must be >= 1, got 0/);
      client.close();
      listener.close();
    });
  });

  describe('wrapSsl', function () {
    let credentials: Credentials;
    before(() => {
      credentials = makeCredentials();
    });
    after(() => fs.rmSync(credentials.dir, { recursive: true, force: true }));

    /** A TLS echo server from wrapSsl(listen(...)), serving one connection. */
    async function tlsEcho(): Promise<{ listener: GreenSocket<net.Server>; done: Promise<unknown> }> {
      const listener = await wrapSsl(await listen(['127.0.0.1', 0]), { certfile: credentials.certFile, keyfile: credentials.keyFile });
      const done = spawn(async () => {
        const [client] = await listener.accept();
        try {
          await client.sendall(await client.recv(100));
        } finally {
          client.close();
        }
      }).wait();
      return { listener, done };
    }

    it('echoes over TLS between a wrapped listener and a wrapped client that verifies the certificate', async function () {
      const { listener, done } = await tlsEcho();
      const client = await wrap_ssl(await connect(['127.0.0.1', portOf(listener)]), { ca: credentials.cert });
      expect((client.socket as import('node:tls').TLSSocket).authorized).to.equal(true);
      await client.sendall('echo');
      expect(String(await client.recv(100))).to.equal('echo');
      await done;
      expect((await client.recv(100)).length).to.equal(0);
      client.close();
      listener.close();
    });

    it('verifies by default: a self-signed server is refused unless rejectUnauthorized is false', async function () {
      const first = await tlsEcho();
      const err = await rejectionOf(wrapSsl(await connect(['127.0.0.1', portOf(first.listener)])));
      expect(codeOf(err)).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
      await first.done.catch(() => {});
      first.listener.close();

      const second = await tlsEcho();
      const client = await wrapSsl(await connect(['127.0.0.1', portOf(second.listener)]), { rejectUnauthorized: false });
      await client.sendall('unverified');
      expect(String(await client.recv(100))).to.equal('unverified');
      client.close();
      await second.done;
      second.listener.close();
    });

    it('wraps an accepted plain socket on the server side; the socket handed over rejects with EBADF', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const server = spawn(async () => {
        const [plain] = await listener.accept();
        const secure = await wrapSsl(plain, { serverSide: true, key: credentials.key, cert: credentials.cert });
        const handedOver = await rejectionOf(plain.recv(1));
        await secure.sendall(await secure.recv(100));
        secure.close();
        return handedOver;
      });
      const client = await wrapSsl(await connect(['localhost', portOf(listener)]), { ca: credentials.cert });
      await client.sendall('upgraded');
      expect(String(await client.recv(100))).to.equal('upgraded');
      const handedOver = await server.wait();
      expect(codeOf(handedOver)).to.equal('EBADF');
      expect((handedOver as Error).message).to.match(/handed to wrapSsl/);
      client.close();
      listener.close();
    });

    it('a plain-text client of a TLS listener makes the server-side recv reject with the TLS error', async function () {
      const listener = await wrapSsl(await listen(['127.0.0.1', 0]), { key: credentials.key, cert: credentials.cert });
      const plain = await connect(['127.0.0.1', portOf(listener)]);
      await plain.sendall('GET / HTTP/1.0\r\n\r\n');
      const [server] = await listener.accept();
      const err = await rejectionOf(server.recv(100));
      expect(codeOf(err)).to.match(/^ERR_SSL_/);
      server.close();
      plain.close();
      listener.close();
    });

    it('a Timeout during the handshake rejects with it and leaves no socket or fd behind', async function () {
      const silent = await listen(['127.0.0.1', 0]); // accepts, never answers the ClientHello
      await sleep(0.02);
      const handles = socketHandles();
      const fds = openFds();
      const err = await rejectionOf(withTimeout(0.1, async () => wrapSsl(await connect(['127.0.0.1', portOf(silent)]), { ca: credentials.cert })));
      expect(err).to.have.property('name', 'Timeout');
      const [peer] = await silent.accept();
      expect((await peer.recv(4096)).length).to.be.above(0); // the ClientHello
      expect(await readAll(peer).catch(() => '')).to.equal(''); // then the close
      peer.close();
      await waitFor('socket handles back', () => socketHandles() === handles);
      await waitFor('fds back', () => openFds() === fds);
      silent.close();
    });

    it('throws TypeError or RangeError naming the argument', async function () {
      expect(() => wrapSsl(bad({}))).to.throw(TypeError, /wrapSsl: sock must be a GreenSocket, got Object/);
      const listener = await listen(['127.0.0.1', 0]);
      expect(() => wrapSsl(listener, { serverSide: false })).to.throw(RangeError, /serverSide must not be false/);
      expect(() => wrapSsl(listener, { certfile: bad(1) })).to.throw(TypeError, /wrapSsl: opts.certfile must be a file path string/);
      listener.close();
    });
  });

  describe('the public surface', function () {
    it('exports connect, listen, wrapSsl, serve, StopServe and GreenSocket, with wrap_ssl the same function as wrapSsl', function () {
      for (const name of ['connect', 'listen', 'wrapSsl', 'serve', 'StopServe', 'GreenSocket']) expect(eventlet).to.have.property(name).that.is.a('function');
      expect(eventlet.wrap_ssl).to.equal(eventlet.wrapSsl);
      expect(new StopServe()).to.be.instanceOf(Error).with.property('name', 'StopServe');
    });

    it("resolves 'eventlet/green/greenio' to the module exporting GreenSocket", async function () {
      const greenio = (await import('eventlet/green/greenio' as string)) as typeof import('../lib/green/greenio.js');
      expect(greenio.GreenSocket).to.be.a('function');
      expect(greenio.SHUT_WR).to.equal(1);
    });
  });

  describe('examples/echo-server.js', function () {
    this.timeout(30_000);

    it('echoes lines, closes on quit, and exits cleanly on shutdown', async function () {
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const child = spawnChild(process.execPath, [path.join(root, 'examples/echo-server.js'), '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      const exited = once(child, 'exit');
      try {
        await waitFor('the listening line', () => /listening on /.test(stdout), 10);
        const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
        const first = await connect(['127.0.0.1', port]);
        const lines = first.makefile('rwb');
        await lines.write('hello\n');
        expect(String(await lines.readline())).to.equal('hello\n');
        await lines.write('quit\n');
        expect((await first.recv(10)).length).to.equal(0);
        first.close();
        const second = await connect(['127.0.0.1', port]);
        await second.sendall('shutdown\n');
        expect(await readAll(second)).to.equal('bye\n');
        second.close();
        const [code] = (await exited) as [number | null];
        expect({ code, stderr }).to.deep.equal({ code: 0, stderr: '' });
        expect(stdout).to.match(/stopped after serving 2 connection\(s\)/);
      } finally {
        child.kill();
      }
    });
  });
});
