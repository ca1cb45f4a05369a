/**
 * GreenSocket: eventlet's blocking-style socket (`recv`, `recvInto`, `send`, `sendall`, `accept`,
 * `connect`, `settimeout`, `makefile`, `shutdown`, `close`), every wait a cooperative point, and
 * the socket owned by the green thread that made it. See DESIGN.md §3 "Network convenience" and
 * reference §9.
 */
import { expect } from 'chai';
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { BlockingIOError, connect, GreenletExit, GreenSocket, isTimeout, listen, sleep, spawn, SocketTimeout, withTimeout } from '../../lib/index.js';
import { SHUT_WR } from '../../lib/green/greenio.js';
import { activeResources, bad, inThread, liveTimers, openFds, rejectionOf, since, timerBaseline, waitFor } from '../support.js';

interface Pair {
  listener: GreenSocket<net.Server>;
  client: GreenSocket;
  server: GreenSocket;
  close(): void;
}

/** A listener on 127.0.0.1 and a connected client/server pair of GreenSockets. */
async function pair(): Promise<Pair> {
  const listener = await listen(['127.0.0.1', 0]);
  const [client, [server]] = await Promise.all([connect(listener.getsockname() as [string, number]), listener.accept()]);
  return {
    listener,
    client,
    server,
    close() {
      client.close();
      server.close();
      listener.close();
    },
  };
}

/** The socket handles (TCP, Unix, connecting) the process holds, sorted. */
const socketHandles = (): string => activeResources().filter((r) => /TCP|Pipe|Connect/.test(r)).join();

/** The socket handles once the previous test's closes have landed (two equal readings in a row). */
async function settledSocketHandles(): Promise<string> {
  for (let last = socketHandles(); ; ) {
    await sleep(0.02);
    const now = socketHandles();
    if (now === last) return now;
    last = now;
  }
}

/** Code of a Node error. */
const codeOf = (err: unknown): unknown => (err as NodeJS.ErrnoException).code;

/** Resolves once `socket` (the Node socket of a GreenSocket) has closed. */
async function closed(sock: GreenSocket<net.Socket | net.Server>): Promise<void> {
  const node = sock.socket as net.Socket;
  if (node instanceof net.Socket ? node.closed : !(node as net.Server).listening) return;
  await once(node, 'close');
}

/** A port whose listener (in a child process) never accepts, with its backlog full: connects hang. */
async function stalledPort(): Promise<{ port: number; child: ChildProcess; fillers: net.Socket[] }> {
  const code = `const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000),20)})`;
  const child = spawnChild(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(String(chunk).trim());
  await sleep(0.1);
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => {});
    fillers.push(filler);
    await once(filler, 'connect');
  }
  return { port, child, fillers };
}

describe('GreenSocket', function () {
  describe('recv', function () {
    it('resolves with at most bufsize bytes, then the rest, as soon as data is there', async function () {
      const p = await pair();
      try {
        await p.client.sendall('hello world');
        expect(String(await p.server.recv(5))).to.equal('hello');
        expect(String(await p.server.recv(100))).to.equal(' world');
      } finally {
        p.close();
      }
    });

    it('waits for data that arrives later, parked while other green threads run', async function () {
      const p = await pair();
      try {
        const reader = spawn(() => p.server.recv(100));
        await sleep(0.05);
        expect(reader.dead).to.equal(false);
        await p.client.sendall('late');
        expect(String(await reader.wait())).to.equal('late');
      } finally {
        p.close();
      }
    });

    it('resolves with an empty Buffer at end of stream, and again on every later call', async function () {
      const p = await pair();
      try {
        await p.client.sendall('last');
        p.client.close();
        expect(String(await p.server.recv(100))).to.equal('last');
        expect((await p.server.recv(100)).length).to.equal(0);
        expect((await p.server.recv(100)).length).to.equal(0);
      } finally {
        p.close();
      }
    });

    it('reads a peer that reset the connection as end of stream', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const peer = net.connect((listener.getsockname() as [string, number])[1], '127.0.0.1');
      const [server] = await listener.accept();
      await once(peer, 'connect');
      const reading = server.recv(100);
      await sleep(0.02);
      peer.resetAndDestroy();
      expect((await reading).length).to.equal(0);
      server.close();
      listener.close();
    });

    it('recv(0) waits until data is there, then resolves empty without consuming it', async function () {
      const p = await pair();
      try {
        const zero = spawn(() => p.server.recv(0));
        await sleep(0.03);
        expect(zero.dead).to.equal(false);
        await p.client.sendall('x');
        expect((await zero.wait()).length).to.equal(0);
        expect(String(await p.server.recv(1))).to.equal('x');
      } finally {
        p.close();
      }
    });

    it('rejects a second simultaneous recv with EBUSY, leaving the first one waiting', async function () {
      const p = await pair();
      try {
        const first = p.server.recv(10);
        const second = await rejectionOf(p.server.recv(10));
        expect(codeOf(second)).to.equal('EBUSY');
        expect((second as Error).message).to.match(/second simultaneous read/);
        await p.client.sendall('one');
        expect(String(await first)).to.equal('one');
      } finally {
        p.close();
      }
    });

    it('recvInto fills the buffer and resolves with the count, 0 at end of stream', async function () {
      const p = await pair();
      try {
        await p.client.sendall('abcdef');
        const buf = Buffer.alloc(4);
        expect(await p.server.recvInto(buf)).to.equal(4);
        expect(String(buf)).to.equal('abcd');
        expect(await p.server.recvInto(buf, 1)).to.equal(1);
        expect(String(buf.subarray(0, 1))).to.equal('e');
        p.client.close();
        expect(await p.server.recvInto(buf)).to.equal(1);
        expect(await p.server.recvInto(buf)).to.equal(0);
      } finally {
        p.close();
      }
    });

    it('throws TypeError or RangeError naming the argument for bad sizes and buffers', async function () {
      const p = await pair();
      try {
        expect(() => p.server.recv(-1)).to.throw(RangeError, /GreenSocket.recv: bufsize must be >= 0/);
        expect(() => p.server.recv(bad('10'))).to.throw(TypeError, /GreenSocket.recv: bufsize must be an integer/);
        const file = p.server.makefile('rb');
        expect(() => file.readline(bad('1'))).to.throw(TypeError, /GreenSocketFile\.readline: limit must be an integer, got string "1"/);
        expect(() => file.read(1.5)).to.throw(TypeError, /GreenSocketFile\.read: n must be an integer, got number 1\.5/);
        expect(() => p.server.connect(bad(42))).to.throw(TypeError, /GreenSocket\.connect: address must be/);
        expect(() => p.server.recvInto(bad([1, 2]))).to.throw(TypeError, /GreenSocket.recvInto: buffer must be a Buffer or Uint8Array, got Array/);
        expect(() => p.server.recvInto(Buffer.alloc(2), 3)).to.throw(RangeError, /GreenSocket.recvInto: nbytes \(3\) is larger than the buffer \(2\)/);
      } finally {
        p.close();
      }
    });
  });

  describe('send and sendall', function () {
    it('sendall delivers 8 MiB to a slow reader, waiting while the write buffer is full', async function () {
      const p = await pair();
      try {
        const big = Buffer.alloc(8 * 1024 * 1024, 7);
        const writer = spawn(() => p.client.sendall(big));
        await sleep(0.1);
        expect(writer.state).to.equal('parked'); // backpressure: the peer has not read yet
        let total = 0;
        while (total < big.length) total += (await p.server.recv(1 << 20)).length;
        await writer.wait();
        expect(total).to.equal(big.length);
      } finally {
        p.close();
      }
    });

    it('send resolves with the number of bytes taken (all of them)', async function () {
      const p = await pair();
      try {
        expect(await p.client.send('héllo')).to.equal(6);
        expect(String(await p.server.recv(10))).to.equal('héllo');
      } finally {
        p.close();
      }
    });

    it('rejects sendall after shutdown(SHUT_WR) with EPIPE, and bad data with a TypeError', async function () {
      const p = await pair();
      try {
        p.client.shutdown(SHUT_WR);
        expect(codeOf(await rejectionOf(p.client.sendall('x')))).to.equal('EPIPE');
        expect(() => p.client.sendall(bad(42))).to.throw(TypeError, /GreenSocket.sendall: data must be a Buffer, Uint8Array or string, got number 42/);
      } finally {
        p.close();
      }
    });
  });

  describe('settimeout', function () {
    it('rejects a recv that waits longer than the timeout with a SocketTimeout, and clears its timer', async function () {
      const p = await pair();
      try {
        const timers = await timerBaseline();
        p.server.settimeout(0.1);
        expect(p.server.gettimeout()).to.equal(0.1);
        const start = performance.now();
        const err = await rejectionOf(p.server.recv(10));
        expect(since(start)).to.be.within(0.09, 1);
        expect(err).to.be.instanceOf(SocketTimeout);
        expect(isTimeout(err)).to.equal(true);
        expect(err).to.include({ code: 'ETIMEDOUT', name: 'TimeoutError', message: 'GreenSocket.recv: timed out' });
        expect(liveTimers()).to.equal(timers);
        await p.client.sendall('still usable');
        expect(String(await p.server.recv(100))).to.equal('still usable');
        expect(liveTimers()).to.equal(timers);
      } finally {
        p.close();
      }
    });

    it('rejects with a SocketTimeout, then EAGAIN at once under settimeout(0), then a SocketTimeout again', async function () {
      const p = await pair();
      try {
        p.server.settimeout(0.05);
        expect(await rejectionOf(p.server.recv(1))).to.be.instanceOf(SocketTimeout);
        p.server.settimeout(0);
        const start = performance.now();
        const err = await rejectionOf(p.server.recv(1));
        expect(since(start)).to.be.below(0.05);
        expect(err).to.be.instanceOf(BlockingIOError).with.property('code', 'EAGAIN');
        p.server.settimeout(0.05);
        expect(await rejectionOf(p.server.recv(1))).to.be.instanceOf(SocketTimeout);
      } finally {
        p.close();
      }
    });

    it('bounds accept and sendall waits too', async function () {
      const p = await pair();
      try {
        p.listener.settimeout(0.05);
        expect(await rejectionOf(p.listener.accept())).to.be.instanceOf(SocketTimeout).with.property('message', 'GreenSocket.accept: timed out');
        p.client.settimeout(0.1);
        const err = await rejectionOf(p.client.sendall(Buffer.alloc(16 * 1024 * 1024)));
        expect(err).to.be.instanceOf(SocketTimeout).with.property('message', 'GreenSocket.sendall: timed out');
      } finally {
        p.close();
      }
    });

    it('rejects a connect that cannot complete within the timeout, destroying the socket', async function () {
      const stalled = await stalledPort();
      try {
        const sock = new GreenSocket();
        sock.settimeout(0.1);
        const start = performance.now();
        const err = await rejectionOf(sock.connect(['127.0.0.1', stalled.port]));
        expect(since(start)).to.be.within(0.09, 1);
        expect(err).to.be.instanceOf(SocketTimeout).with.property('message', 'GreenSocket.connect: timed out');
        expect(sock.socket.destroyed).to.equal(true);
      } finally {
        stalled.child.kill();
        for (const filler of stalled.fillers) filler.destroy();
      }
    });

    it('null blocks forever; negative and non-numbers are a RangeError and a TypeError', function () {
      const sock = new GreenSocket();
      expect(sock.gettimeout()).to.equal(null);
      sock.settimeout(2);
      sock.settimeout(null);
      expect(sock.gettimeout()).to.equal(null);
      expect(() => sock.settimeout(-1)).to.throw(RangeError, /settimeout: seconds must be >= 0 or null, got -1/);
      expect(() => sock.settimeout(bad('1'))).to.throw(TypeError, /settimeout: seconds must be a number or null/);
      sock.setblocking(false);
      expect(sock.gettimeout()).to.equal(0);
      sock.close();
    });
  });

  describe('connect and accept', function () {
    it('connect to a closed port rejects with ECONNREFUSED', async function () {
      const probe = net.createServer().listen(0, '127.0.0.1');
      await once(probe, 'listening');
      const port = (probe.address() as net.AddressInfo).port;
      probe.close();
      await once(probe, 'close');
      const sock = new GreenSocket();
      expect(codeOf(await rejectionOf(sock.connect(['127.0.0.1', port])))).to.equal('ECONNREFUSED');
      sock.close();
    });

    it('accept resolves with the connection and the peer [host, port]', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const client = await connect(listener.getsockname() as [string, number]);
      const [server, addr] = await listener.accept();
      expect(addr).to.deep.equal(client.getsockname());
      expect(server.getpeername()).to.deep.equal(client.getsockname());
      expect(client.getpeername()).to.deep.equal(listener.getsockname());
      client.close();
      server.close();
      listener.close();
    });

    it('rejects recv, send and sendall on a socket that was never connected with ENOTCONN', async function () {
      const sock = new GreenSocket();
      try {
        sock.settimeout(0.2); // a recv that waited instead would end with a SocketTimeout
        for (const attempt of [() => sock.recv(10), () => sock.send('lost'), () => sock.sendall('lost')]) {
          const err = await rejectionOf(attempt());
          expect(err).to.be.instanceOf(Error).with.property('code', 'ENOTCONN');
          expect((err as Error).message).to.match(/^GreenSocket\.(recv|send|sendall): the socket is not connected/);
        }
      } finally {
        sock.close();
      }
    });

    it('recv on a listener and accept on a connection fail clearly', async function () {
      const p = await pair();
      try {
        expect(codeOf(await rejectionOf(p.listener.recv(1)))).to.equal('ENOTCONN');
        expect((await rejectionOf(p.client.accept()) as Error).message).to.match(/only a listening socket accepts/);
        expect(codeOf(await rejectionOf(p.client.connect(['127.0.0.1', 1])))).to.equal('EISCONN');
      } finally {
        p.close();
      }
    });
  });

  describe('close and shutdown', function () {
    it('close() rejects a recv waiting in another green thread with EBADF, and later calls too', async function () {
      const p = await pair();
      try {
        const reader = spawn(() => p.server.recv(10));
        await sleep(0.02);
        p.server.close();
        expect(codeOf(await rejectionOf(reader.wait()))).to.equal('EBADF');
        expect(codeOf(await rejectionOf(p.server.recv(1)))).to.equal('EBADF');
        expect((await p.client.recv(10)).length).to.equal(0);
      } finally {
        p.close();
      }
    });

    it('recv after close() rejects with EBADF even when data had arrived', async function () {
      const p = await pair();
      try {
        await p.client.sendall('unread');
        expect(String(await p.server.recv(2))).to.equal('un');
        p.server.close();
        expect(codeOf(await rejectionOf(p.server.recv(10)))).to.equal('EBADF');
      } finally {
        p.close();
      }
    });

    it('close() still delivers what sendall had buffered', async function () {
      const p = await pair();
      try {
        const big = Buffer.alloc(4 * 1024 * 1024, 1);
        p.client.settimeout(0);
        await p.client.sendall(big); // non-blocking: buffered, not waited for
        p.client.close();
        let total = 0;
        for (let chunk; (chunk = await p.server.recv(1 << 20)).length > 0; ) total += chunk.length;
        expect(total).to.equal(big.length);
      } finally {
        p.close();
      }
    });

    it('close() destroys a socket whose peer reads nothing after closeLingerSeconds', async function () {
      const p = await pair();
      const saved = GreenSocket.closeLingerSeconds;
      GreenSocket.closeLingerSeconds = 0.2;
      try {
        p.client.settimeout(0);
        await p.client.sendall(Buffer.alloc(16 * 1024 * 1024)); // more than the kernel buffers take
        const start = performance.now();
        p.client.close();
        expect(p.client.socket.destroyed).to.equal(false);
        await once(p.client.socket, 'close');
        expect(since(start)).to.be.within(0.15, 2);
      } finally {
        GreenSocket.closeLingerSeconds = saved;
        p.close();
      }
    });

    it('shutdown(SHUT_WR) ends the stream for the peer, which can still reply (half-open)', async function () {
      const p = await pair();
      try {
        await p.client.sendall('request');
        p.client.shutdown(SHUT_WR);
        expect(String(await p.server.recv(100))).to.equal('request');
        expect((await p.server.recv(100)).length).to.equal(0);
        await p.server.sendall('reply');
        expect(String(await p.client.recv(100))).to.equal('reply');
        expect(() => p.client.shutdown(bad(7))).to.throw(RangeError, /how must be SHUT_RD \(0\), SHUT_WR \(1\) or SHUT_RDWR \(2\)/);
      } finally {
        p.close();
      }
    });
  });

  describe('makefile', function () {
    it('reads lines, exact byte counts and the rest, mixed with recv', async function () {
      const p = await pair();
      try {
        const file = p.server.makefile('rb');
        await p.client.sendall('first line\nsecond');
        await p.client.sendall(' line\n0123456789tail');
        expect(String(await file.readline())).to.equal('first line\n');
        expect(String(await file.readline())).to.equal('second line\n');
        expect(String(await file.read(4))).to.equal('0123');
        expect(String(await p.server.recv(6))).to.equal('456789');
        p.client.close();
        expect(String(await file.read())).to.equal('tail');
        expect((await file.readline()).length).to.equal(0);
      } finally {
        p.close();
      }
    });

    it('iterates over lines with for await until end of stream; writes go through sendall', async function () {
      const p = await pair();
      try {
        const out = p.client.makefile('wb');
        expect(await out.write('a\nbb\n')).to.equal(5);
        await out.write('ccc');
        p.client.shutdown(SHUT_WR);
        const lines: string[] = [];
        for await (const line of p.server.makefile('rb')) lines.push(String(line));
        expect(lines).to.deep.equal(['a\n', 'bb\n', 'ccc']);
        expect(() => out.readline()).to.throw(Error, /not opened for reading/);
        expect(() => p.client.makefile(bad('r'))).to.throw(RangeError, /mode must be one of rb, br, wb, bw, rwb, r\+b, w\+b \(the file is binary\)/);
      } finally {
        p.close();
      }
    });

    it('readline(limit) stops after limit bytes', async function () {
      const p = await pair();
      try {
        await p.client.sendall('abcdefgh\n');
        const file = p.server.makefile('rb');
        expect(String(await file.readline(3))).to.equal('abc');
        expect(String(await file.readline())).to.equal('defgh\n');
      } finally {
        p.close();
      }
    });

    it('keeps the bytes a timed-out readline or read had collected: the next read returns them', async function () {
      const p = await pair();
      try {
        const file = p.server.makefile('rb');
        p.server.settimeout(0.05);
        await p.client.sendall('half a ');
        expect(await rejectionOf(file.readline())).to.be.instanceOf(SocketTimeout);
        await p.client.sendall('line\n0123');
        expect(String(await file.readline())).to.equal('half a line\n');
        expect(await rejectionOf(file.read(8))).to.be.instanceOf(SocketTimeout);
        await p.client.sendall('4567');
        expect(String(await file.read(8))).to.equal('01234567');
      } finally {
        p.close();
      }
    });
  });

  describe('interruption and ownership', function () {
    it('rejects recv of buffered data and sendall with room with the kill exception in an abandoned thread', async function () {
      const { client, server, close } = await pair(); // made outside the thread: killing it does not close them
      try {
        const err = new Error('killed');
        const outcomes: string[] = [];
        let release!: () => void;
        const thread = spawn(async () => {
          await new Promise<void>((resolve) => (release = resolve)); // not a cooperative point: the kill abandons the thread
          for (const [label, operation] of [['recv', () => server.recv(10)], ['sendall', () => server.sendall('x')]] as const) {
            const failure = await rejectionOf(operation());
            outcomes.push(`${label} ${failure === err ? 'threw the kill exception' : `threw ${String(failure)}`}`);
          }
        });
        await client.sendall('ab');
        expect(String(await server.recv(1))).to.equal('a'); // 'b' stays in the socket's read buffer
        await thread.kill(err);
        release();
        await waitFor('both operations settled', () => outcomes.length === 2);
        expect(outcomes).to.deep.equal(['recv threw the kill exception', 'sendall threw the kill exception']);
        expect(String(await server.recv(10))).to.equal('b'); // the buffered byte is still there for a live thread
      } finally {
        close();
      }
    });

    it('kill during recv rejects it with GreenletExit and closes the socket the thread made', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      const before = await settledSocketHandles();
      const fds = openFds();
      const thread = spawn(async () => {
        const sock = await connect(listener.getsockname() as [string, number]);
        return sock.recv(10);
      });
      const [server] = await listener.accept();
      await sleep(0.02);
      expect(thread.state).to.equal('parked');
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect((await server.recv(10)).length).to.equal(0); // the peer sees the close
      server.close();
      await closed(server);
      await waitFor('fds back', () => openFds() === fds);
      await waitFor('socket handles back', () => socketHandles() === before);
      listener.close();
    });

    it('kill during accept rejects it and closes the listener the thread made', async function () {
      const before = await settledSocketHandles();
      let listener: GreenSocket<net.Server> | undefined;
      const thread = spawn(async () => {
        listener = await listen(['127.0.0.1', 0]);
        return listener.accept();
      });
      await waitFor('listening', () => listener !== undefined);
      await sleep(0.02);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(listener!.socket.listening).to.equal(false);
      await waitFor('socket handles back', () => socketHandles() === before);
    });

    it('a Timeout around recv on a socket made elsewhere rejects with the Timeout and leaves the socket usable', async function () {
      const p = await pair();
      try {
        const timers = await timerBaseline();
        const err = await rejectionOf(withTimeout(0.05, () => p.server.recv(10)));
        expect(err).to.have.property('name', 'Timeout');
        expect(p.server.socket.listenerCount('data')).to.equal(1);
        expect(liveTimers()).to.equal(timers);
        await p.client.sendall('after');
        expect(String(await p.server.recv(10))).to.equal('after');
      } finally {
        p.close();
      }
    });

    it('a thread that ends on its own leaves its socket open; a withTimeout scope hands its socket to the thread', async function () {
      const p = await pair();
      try {
        const made = await inThread(() => connect(p.listener.getsockname() as [string, number]));
        const [peer] = await p.listener.accept();
        await made.sendall('alive');
        expect(String(await peer.recv(10))).to.equal('alive');
        made.close();
        peer.close();

        let fromScope: GreenSocket | undefined;
        const thread = spawn(async () => {
          fromScope = await withTimeout(1, () => connect(p.listener.getsockname() as [string, number]));
          await sleep(10);
        });
        const [scopePeer] = await p.listener.accept();
        await waitFor('connected', () => fromScope !== undefined);
        await thread.kill();
        expect((await scopePeer.recv(10)).length).to.equal(0);
        expect(fromScope!.socket.destroyed).to.equal(true);
        scopePeer.close();
      } finally {
        p.close();
      }
    });

    it('a Timeout during a sendall wait rejects with it and frees the writer for the next sendall', async function () {
      const p = await pair();
      try {
        const big = Buffer.alloc(16 * 1024 * 1024, 3);
        const err = await rejectionOf(withTimeout(0.1, () => p.client.sendall(big)));
        expect(err).to.have.property('name', 'Timeout');
        const next = p.client.sendall('tail'); // accepted: no writer is left waiting
        let total = 0;
        while (total < big.length + 4) total += (await p.server.recv(1 << 20)).length;
        await next;
        expect(total).to.equal(big.length + 4);
      } finally {
        p.close();
      }
    });

    it('kill during a sendall wait rejects it and destroys the socket the thread made', async function () {
      const listener = await listen(['127.0.0.1', 0]);
      let sock: GreenSocket | undefined;
      const thread = spawn(async () => {
        sock = await connect(listener.getsockname() as [string, number]);
        await sock.sendall(Buffer.alloc(16 * 1024 * 1024));
      });
      const [server] = await listener.accept();
      await waitFor('the writer to park', () => thread.state === 'parked' && sock !== undefined);
      await sleep(0.05);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(sock!.socket.destroyed).to.equal(true);
      server.close();
      listener.close();
    });

    it('a Timeout during connect destroys the connecting socket and leaves no handle behind', async function () {
      const stalled = await stalledPort();
      try {
        const before = await settledSocketHandles();
        const fds = openFds();
        const err = await rejectionOf(withTimeout(0.1, () => connect(['127.0.0.1', stalled.port])));
        expect(err).to.have.property('name', 'Timeout');
        await waitFor('socket handles back', () => socketHandles() === before);
        await waitFor('fds back', () => openFds() === fds);
      } finally {
        stalled.child.kill();
        for (const filler of stalled.fillers) filler.destroy();
      }
    });
  });
});
