/**
 * The green `tls` module, applied in place by `monkeyPatch({ net, tls, timers })`: TLS sockets and
 * servers are owned by the green thread (or `withTimeout` scope) that connects, has a request in
 * flight, or listens, as plain sockets are; Node's own behaviour outside green threads is unchanged.
 * The tests make a self-signed certificate for localhost / 127.0.0.1 with `openssl`.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import greenTls, * as greenTlsModule from '../../lib/green/tls.js';
import { monkeyPatch, unpatch } from '../../lib/patcher.js';
import { type Credentials, httpsGet, listen, LocalWebServer, makeCredentials, never, portOf, rejectionOf, type Reply, since, waitFor } from '../support.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The fields of an error that Node's users rely on (port numbers replaced, so runs compare). */
function errorFields(err: unknown, ports: number[] = []): Record<string, unknown> {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; reason?: string; host?: string };
  const message = ports.reduce((text, port) => text.split(String(port)).join('PORT'), e.message);
  return { class: e?.constructor?.name, name: e.name, message, code: e.code, syscall: e.syscall, address: e.address, port: e.port === undefined ? undefined : 'PORT', reason: e.reason, host: e.host };
}

/** The error a TLS client connection fails with, once it has closed. */
async function tlsFailure(options: tls.ConnectionOptions): Promise<unknown> {
  const socket = tls.connect(options);
  const [err] = (await once(socket, 'error')) as [Error];
  if (!socket.closed) await once(socket, 'close');
  return err;
}

/**
 * What a user of `tls` observes in one exchange and a few failures: the events of a TLS server
 * and client in order, their callbacks and properties, and the errors' fields.
 */
async function observeTls(credentials: Credentials): Promise<Record<string, unknown>> {
  const serverEvents: string[] = [];
  const acceptedEvents: string[] = [];
  const clientEvents: string[] = [];
  const server = tls.createServer({ key: credentials.key, cert: credentials.cert }, (socket) => {
    acceptedEvents.push(`secureConnection: TLSSocket ${socket instanceof tls.TLSSocket}, net.Socket ${socket instanceof net.Socket}, encrypted ${socket.encrypted}`);
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      acceptedEvents.push(`data ${data}`);
      socket.end('pong');
    });
    socket.on('end', () => acceptedEvents.push('end'));
    socket.on('close', (hadError) => acceptedEvents.push(`close hadError=${hadError}`));
  });
  server.on('listening', () => serverEvents.push('listening'));
  server.on('close', () => serverEvents.push('close'));
  serverEvents.push(`listen returns the server: ${server.listen(0, '127.0.0.1') === server}`);
  await once(server, 'listening');
  const port = portOf(server);

  const client = tls.connect({ port, host: '127.0.0.1', ca: credentials.cert }, () => {
    clientEvents.push(`secureConnect callback: authorized ${client.authorized}, protocol ${client.getProtocol()}, encrypted ${client.encrypted}`);
    clientEvents.push(`write returns ${client.write('ping')}`);
  });
  clientEvents.push(`connecting=${client.connecting} TLSSocket ${client instanceof tls.TLSSocket} net.Socket ${client instanceof net.Socket}`);
  client.setEncoding('utf8');
  client.on('connect', () => clientEvents.push('connect'));
  client.on('secureConnect', () => clientEvents.push('secureConnect event'));
  client.on('data', (data: string) => clientEvents.push(`data ${data}`));
  client.on('end', () => clientEvents.push('end'));
  client.on('close', (hadError) => clientEvents.push(`close hadError=${hadError}`));
  await once(client, 'close');
  await waitFor('the accepted socket to close', () => acceptedEvents.some((e) => e.startsWith('close')));

  const selfSigned = await tlsFailure({ port, host: '127.0.0.1' });
  const wrongName = await tlsFailure({ port, host: '127.0.0.1', servername: 'example.com', ca: credentials.cert });
  const accepted = await tlsFailure({ port, host: '127.0.0.1', rejectUnauthorized: true, ca: credentials.cert, checkServerIdentity: () => new Error('refused by checkServerIdentity') });

  const closed = once(server, 'close');
  server.close();
  await closed;
  const refused = await tlsFailure({ port, host: '127.0.0.1', ca: credentials.cert });

  return {
    serverEvents,
    acceptedEvents,
    clientEvents,
    selfSigned: errorFields(selfSigned),
    wrongName: errorFields(wrongName),
    checkServerIdentity: errorFields(accepted),
    refused: errorFields(refused, [port]),
  };
}

describe('green tls (monkeyPatch({ net, tls, timers }))', () => {
  let credentials: Credentials;
  let nodeObservation: Record<string, unknown>;
  let local: LocalWebServer;
  let agent: https.Agent;

  before(async () => {
    credentials = makeCredentials();
    nodeObservation = await observeTls(credentials);
    monkeyPatch({ net: true, tls: true, timers: true });
  });

  after(() => {
    unpatch();
    fs.rmSync(credentials.dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    local = await LocalWebServer.start(credentials);
    agent = new https.Agent({ keepAlive: true, ca: credentials.cert });
  });

  afterEach(async () => {
    agent.destroy();
    await local.stop();
  });

  describe('interruption releases what the interrupted scope holds', () => {
    it('withTimeout(0.2, https.get) of a slow local https server rejects with its Timeout within 100 ms of the deadline, and the server sees the connection close', async () => {
      const start = performance.now();
      const err = await rejectionOf(withTimeout(0.2, () => httpsGet(`${local.origin}/slow`, { agent })));
      const elapsed = since(start);
      expect(err).to.be.instanceOf(Timeout);
      expect(elapsed).to.be.within(0.19, 0.3);
      expect(local.requests).to.deep.equal(['/slow']);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
      expect((local.closedAt[0]! - start) / 1000).to.be.below(0.35);
    });

    it('withTimeout(0.2, fetch) over https does the same, in a process that trusts the certificate', function () {
      this.timeout(20_000);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        EVENTLET_PATCH: 'net,tls,timers',
        NODE_EXTRA_CA_CERTS: credentials.certFile,
        TLS_KEY: credentials.keyFile,
        TLS_CERT: credentials.certFile,
      };
      delete env.NODE_OPTIONS;
      const child = spawnSync(process.execPath, ['--import', 'eventlet/loader', 'fixtures/tls-fetch-timeout.mjs'], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
      expect(child.stderr, 'stderr').to.equal('');
      expect(child.status, 'exit status').to.equal(0);
      const result = JSON.parse(child.stdout) as Record<string, number | string | boolean | null>;
      expect(result).to.include({ trusted: 'ok', name: 'Timeout', isTimeout: true });
      expect(result.elapsedMs).to.be.within(190, 300);
      expect(result.serverSawCloseWithinMs).to.be.within(190, 350);
    });

    it('kill() of a thread waiting on https.get settles promptly, wait() rejects with GreenletExit, and the server sees the connection close', async () => {
      const thread = spawn(() => httpsGet(`${local.origin}/slow`, { agent }));
      await waitFor('the request to reach the server', () => local.requests.length === 1);
      const start = performance.now();
      await thread.kill();
      expect(since(start)).to.be.below(0.1);
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
    });

    it('tls.connect in a thread killed during the TCP connect destroys the socket', async () => {
      let socket: tls.TLSSocket | undefined;
      const errors: unknown[] = [];
      const thread = spawn(() => {
        socket = tls.connect({ host: 'never-answers.test', port: local.port, ca: credentials.cert, lookup: () => {} });
        socket.on('error', (err) => errors.push(err));
        return never();
      });
      await sleep(0.05);
      expect(socket!.connecting).to.equal(true);
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
      await sleep(0.02);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(GreenletExit);
    });

    it('tls.connect in a thread killed during the TLS handshake destroys the socket, and the server sees it close', async () => {
      // A TCP server that accepts and never answers the ClientHello: the handshake never ends.
      const held: net.Socket[] = [];
      const closed: net.Socket[] = [];
      const silent = await listen(net.createServer((socket) => {
        held.push(socket);
        socket.resume(); // reads the ClientHello, and the end of the connection
        socket.on('close', () => closed.push(socket));
      }));
      try {
        let socket: tls.TLSSocket | undefined;
        let secured = false;
        const errors: unknown[] = [];
        const thread = spawn(() => {
          socket = tls.connect({ port: portOf(silent), host: '127.0.0.1', ca: credentials.cert }, () => (secured = true));
          socket.on('error', (err) => errors.push(err));
          return never();
        });
        await waitFor('the TCP connection to be accepted', () => held.length === 1);
        await sleep(0.05);
        expect(socket!.connecting, 'TCP connected').to.equal(false);
        expect(secured, 'handshake done').to.equal(false);
        await thread.kill();
        expect(socket!.destroyed).to.equal(true);
        await waitFor('the server to see the connection close', () => closed.length === 1);
        expect(errors).to.have.length(1);
        expect(errors[0]).to.be.instanceOf(GreenletExit);
      } finally {
        for (const socket of held) socket.destroy();
        silent.close();
      }
    });

    it('tls.connect in a thread killed with a request in flight after the handshake destroys the socket', async () => {
      let socket: tls.TLSSocket | undefined;
      const thread = spawn(async () => {
        socket = tls.connect({ port: local.port, host: '127.0.0.1', ca: credentials.cert });
        socket.on('error', () => {});
        await once(socket, 'secureConnect');
        socket.write('GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        await never();
      });
      await waitFor('the request to reach the server', () => local.requests.length === 1);
      await thread.kill();
      expect(socket!.destroyed).to.equal(true);
      await waitFor('the server to see the connection close', () => local.closedAt.length === 1);
    });

    it('a TLS server listened in a killed thread is closed, and the connections it accepted are destroyed', async () => {
      let server: tls.Server | undefined;
      const accepted: tls.TLSSocket[] = [];
      const thread = spawn(async () => {
        server = tls.createServer({ key: credentials.key, cert: credentials.cert }, (socket) => accepted.push(socket));
        await listen(server);
        await never();
      });
      await waitFor('the thread to listen', () => server?.listening === true);
      const client = tls.connect({ port: portOf(server!), host: '127.0.0.1', ca: credentials.cert });
      client.on('error', () => {});
      client.resume();
      await waitFor('the connection to be accepted', () => accepted.length === 1);
      const serverClosed = once(server!, 'close');
      await thread.kill();
      await serverClosed;
      expect(accepted[0]!.destroyed).to.equal(true);
      await waitFor('the client to see the connection close', () => client.destroyed);
    });
  });

  describe('interruption hurts no one else', () => {
    it('a TLS keep-alive connection left idle by a thread survives that thread being killed later, and another thread reuses it', async () => {
      let first: Reply | undefined;
      const opener = spawn(async () => {
        first = await httpsGet(`${local.origin}/`, { agent });
        await sleep(60);
      });
      await waitFor('the first reply', () => first !== undefined);
      await opener.kill();
      expect(first!.socket.destroyed).to.equal(false);
      const second = await spawn(() => httpsGet(`${local.origin}/`, { agent })).wait();
      expect(second.localPort).to.equal(first!.localPort);
      expect(local.accepted).to.have.length(1);
      expect(local.closedAt).to.have.length(0);
    });

    it('leaves TLS sockets outside green threads alone while a thread next to them is killed', async () => {
      const outside = httpsGet(`${local.origin}/delay?ms=300`, { agent });
      const victim = spawn(() => httpsGet(`${local.origin}/slow`, { agent }));
      await waitFor('both requests to reach the server', () => local.requests.length === 2);
      await victim.kill();
      const reply = await outside;
      expect(reply.body).to.equal(String(reply.localPort));
    });

    it('with only net patched, TLS sockets are left to Node: a thread killed during the handshake leaves its socket', async () => {
      const held: net.Socket[] = [];
      const silent = await listen(net.createServer((socket) => held.push(socket)));
      let socket: tls.TLSSocket | undefined;
      unpatch('tls');
      try {
        const thread = spawn(() => {
          socket = tls.connect({ port: portOf(silent), host: '127.0.0.1', ca: credentials.cert });
          socket.on('error', () => {});
          return never();
        });
        await waitFor('the TCP connection to be accepted', () => held.length === 1);
        await thread.kill();
        await sleep(0.02);
        expect(socket!.destroyed).to.equal(false);
      } finally {
        monkeyPatch({ tls: true });
        socket?.destroy();
        for (const s of held) s.destroy();
        silent.close();
      }
    });
  });

  describe('sockets stay what Node made them', () => {
    it('TLS client and accepted sockets are tls.TLSSocket and net.Socket, inside and outside green threads', async () => {
      const outside = (await httpsGet(`${local.origin}/`, { agent })).socket;
      const inside = await spawn(async () => {
        const socket = tls.connect({ port: local.port, host: '127.0.0.1', ca: credentials.cert });
        await once(socket, 'secureConnect');
        return socket;
      }).wait();
      try {
        await waitFor('both connections to be accepted', () => local.accepted.length === 2);
        for (const socket of [outside, inside, ...local.accepted]) {
          expect(socket).to.be.instanceOf(tls.TLSSocket);
          expect(socket).to.be.instanceOf(net.Socket);
        }
      } finally {
        inside.destroy();
      }
    });
  });

  describe("Node's tls behaviour outside green threads", () => {
    it('is the same with the patch applied as without it: events, properties and errors', async () => {
      expect(await observeTls(credentials)).to.deep.equal(nodeObservation);
    });

    it('is the same inside a green thread that is never interrupted', async () => {
      expect(await spawn(observeTls, credentials).wait()).to.deep.equal(nodeObservation);
    });

    it('observes something: the exchange and the failures were all seen', () => {
      expect(nodeObservation.clientEvents).to.include('data pong');
      expect(nodeObservation.selfSigned).to.include({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(nodeObservation.wrongName).to.include({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', host: 'example.com' });
      expect(nodeObservation.checkServerIdentity).to.include({ message: 'refused by checkServerIdentity' });
      expect(nodeObservation.refused).to.include({ code: 'ECONNREFUSED', syscall: 'connect', port: 'PORT' });
    });
  });
});

describe('green tls used on its own (eventlet/green/tls, nothing patched)', () => {
  it("destroys a TLS socket made by its connect() that a killed thread is handshaking, while Node's tls.connect socket in the same place stays open", async () => {
    const accepted: net.Socket[] = [];
    const server = await listen(net.createServer((socket) => accepted.push(socket))); // never answers the handshake
    const made: tls.TLSSocket[] = [];
    const handshake = (api: typeof tls) =>
      spawn(async () => {
        const socket = api.connect({ port: portOf(server), host: '127.0.0.1', rejectUnauthorized: false });
        socket.on('error', () => {});
        made.push(socket);
        await never();
      });
    const threads = [handshake(greenTls), handshake(tls)];
    try {
      await waitFor('both connections to be accepted', () => accepted.length === 2);
      await Promise.all(threads.map((thread) => thread.kill()));
      await sleep(0.02);
      expect(made.map((socket) => socket.destroyed)).to.deep.equal([true, false]);
      expect(made[0]).to.be.instanceOf(tls.TLSSocket).and.instanceOf(greenTlsModule.TLSSocket);
    } finally {
      for (const socket of [...made, ...accepted]) socket.destroy();
      server.close();
    }
  });

  it("has Node's keys on its default export; settings read and write Node's own", () => {
    expect(Object.keys(greenTls)).to.deep.equal(Object.keys(tls));
    expect(greenTls.connect).to.equal(greenTlsModule.connect).and.not.equal(tls.connect);
    expect(greenTls.DEFAULT_MIN_VERSION).to.equal(tls.DEFAULT_MIN_VERSION);
    expect(greenTls.rootCertificates).to.equal(tls.rootCertificates);
  });
});
