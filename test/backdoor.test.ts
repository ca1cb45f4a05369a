/**
 * backdoor (lib/backdoor.ts): a Node REPL per connection on a loopback port or a Unix socket, with
 * `eventlet` and the caller's locals in scope, that leaves nothing open once closed.
 */
import { expect } from 'chai';
import { spawn as spawnProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backdoor, debug, listen as greenListen, sleep, spawn, type Backdoor } from '../lib/index.js';
import { activeResources, bad, errorFrom, listen, pause, waitFor } from './support.js';

const PROMPT = 'eventlet> ';

/** A console client: `ask(line)` sends a line and resolves with what the REPL printed before the next prompt. */
class Client {
  readonly socket: net.Socket;
  private output = '';
  private waiting: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.output += chunk;
      this.waiting?.();
    });
  }

  /** Connects to the backdoor and reads its banner and first prompt. */
  static async connect(door: Pick<Backdoor, 'address'>): Promise<{ client: Client; banner: string }> {
    const address = door.address;
    const socket = typeof address === 'string' ? net.connect(address) : net.connect(address.port, address.address);
    await once(socket, 'connect');
    const client = new Client(socket);
    return { client, banner: await client.untilPrompt() };
  }

  /** Sends `line` and resolves with the answer (the text up to the next prompt). */
  ask(line: string): Promise<string> {
    this.socket.write(`${line}\n`);
    return this.untilPrompt();
  }

  private async untilPrompt(): Promise<string> {
    while (!this.output.endsWith(PROMPT)) {
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
    const answer = this.output.slice(0, -PROMPT.length);
    this.output = '';
    return answer.trimEnd();
  }
}

describe('backdoor', () => {
  let door: Backdoor | null = null;
  let clients: Client[] = [];

  async function open(...args: Parameters<typeof backdoor>): Promise<Backdoor> {
    door = await backdoor(...args);
    return door;
  }

  async function connect(target: Backdoor): Promise<Client> {
    const { client } = await Client.connect(target);
    clients.push(client);
    return client;
  }

  afterEach(async () => {
    for (const client of clients) client.socket.destroy();
    clients = [];
    await door?.close();
    door = null;
  });

  it('answers 2 to 1+1 typed on a connection to its loopback port, after a banner', async () => {
    const target = await open(0);
    expect(target.address).to.include({ address: '127.0.0.1' });
    const { client, banner } = await Client.connect(target);
    clients.push(client);
    expect(banner).to.match(/^eventlet backdoor on Node v\d+\.\d+\.\d+: `eventlet` in scope; \.exit to leave$/);
    expect(await client.ask('1+1')).to.equal('2');
  });

  it('serves on the listening GreenSocket that listen() gives, which then accepts no more itself', async () => {
    const listener = await greenListen(['127.0.0.1', 0]);
    const target = await open(listener);
    expect(target.server).to.equal(listener.socket);
    const client = await connect(target);
    expect(await client.ask('6*7')).to.equal('42');
    expect(((await errorFrom(() => listener.accept())) as NodeJS.ErrnoException).code).to.equal('EBADF');
  });

  it("ports eventlet's idiom literally: spawn(backdoor.backdoor_server, listen(['127.0.0.1', 0]))", async () => {
    expect(backdoor.backdoor_server).to.equal(backdoor);
    door = await spawn(backdoor.backdoor_server, greenListen(['127.0.0.1', 0])).wait();
    const client = await connect(door);
    expect(await client.ask('1+2')).to.equal('3');
  });

  it('has eventlet in scope and supports top-level await: a green thread spawned from the console runs', async () => {
    const client = await connect(await open(0));
    expect(await client.ask('typeof eventlet.spawn')).to.equal("'function'");
    expect(await client.ask('await eventlet.spawn(async (a, b) => { await eventlet.sleep(0.01); return a * b; }, 6, 7).wait()')).to.equal('42');
  });

  it('has the entries of locals in scope, the very objects of the process', async () => {
    const cache = new Map([['hits', 3]]);
    const target = await open(0, { cache, release: '1.2.3' });
    const { client, banner } = await Client.connect(target);
    clients.push(client);
    expect(banner).to.include('`eventlet` and cache, release in scope');
    expect(await client.ask("cache.get('hits')")).to.equal('3');
    expect(await client.ask("cache.set('hits', 4); release")).to.equal("'1.2.3'");
    expect(cache.get('hits'), 'changed from the console').to.equal(4);
  });

  it('writes console.log output to the session, and shows the live green threads through eventlet.debug', async () => {
    const client = await connect(await open(0));
    await client.ask("globalThis.worker = eventlet.spawn(() => eventlet.sleep(10)); worker.name = 'sleepy'");
    await pause(20);
    const table = await client.ask('console.log(eventlet.debug.formatGreenThreads())');
    expect(table).to.match(/sleepy\s+parked\s+sleep/);
    const sleepy = debug.greenThreads().find((t) => t.name === 'sleepy')!;
    await sleepy.thread.kill();
  });

  it('gives each connection its own session', async () => {
    const target = await open(0);
    const first = await connect(target);
    const second = await connect(target);
    expect(target.sessions).to.equal(2);
    await first.ask('const mine = 1');
    expect(await second.ask('typeof mine')).to.equal("'undefined'");
    expect(await first.ask('mine')).to.equal('1');
  });

  it('ends a session on .exit, closing its connection', async () => {
    const target = await open(0);
    const client = await connect(target);
    client.socket.write('.exit\n');
    await once(client.socket, 'close');
    await waitFor('the session to end', () => target.sessions === 0);
  });

  it('serves on a Unix socket path, removed when it closes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlet-backdoor-'));
    try {
      const file = path.join(dir, 'door.sock');
      const target = await open(file);
      expect(target.address).to.equal(file);
      const client = await connect(target);
      expect(await client.ask('[1, 2].map((x) => x * 10)')).to.equal('[ 10, 20 ]');
      await door!.close();
      expect(fs.existsSync(file), 'the socket file is removed').to.equal(false);
    } finally {
      await door?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves on a net.Server that already listens, and closes it with the backdoor', async () => {
    const server = await listen(net.createServer());
    const target = await open(server);
    expect(target.server).to.equal(server);
    const client = await connect(target);
    expect(await client.ask('2 ** 10')).to.equal('1024');
    await target.close();
    expect(server.listening).to.equal(false);
  });

  it('leaves no socket, server or timer behind once closed with sessions open', async () => {
    await sleep(0); // mocha's timer for the test is armed
    const before = activeResources();
    const target = await open(['127.0.0.1', 0]);
    const first = await connect(target);
    await connect(target);
    await first.ask('await eventlet.sleep(0.01)');
    const closed = Promise.all(clients.map((c) => once(c.socket, 'close')));
    await target.close();
    await closed;
    door = null;
    clients = [];
    await pause(20);
    expect(activeResources()).to.deep.equal(before);
  });

  it('refuses a host that is not a loopback address unless allowRemote, opening nothing', async () => {
    await sleep(0);
    const before = activeResources();
    for (const host of ['0.0.0.0', '::', '192.0.2.7', 'example.com']) {
      const err = await errorFrom(() => backdoor([host, 0]));
      expect(err).to.be.instanceOf(RangeError);
      expect((err as Error).message).to.equal(
        `backdoor: host ${JSON.stringify(host)} is not a loopback address; the backdoor runs any code sent to it, pass { allowRemote: true } to listen there anyway`,
      );
    }
    expect(activeResources()).to.deep.equal(before);
  });

  it('accepts the loopback forms: localhost, 127.0.0.0/8 and ::1', async () => {
    for (const host of ['localhost', '127.0.0.2', '::1']) {
      const target = await backdoor([host, 0]);
      const client = await connect(target);
      expect(await client.ask('"ok"')).to.equal("'ok'");
      client.socket.destroy();
      await target.close();
    }
  });

  it('rejects with Node\'s error when the port is taken, leaving no server behind', async () => {
    const taken = await listen(net.createServer());
    const before = activeResources();
    const err = await errorFrom(() => backdoor(['127.0.0.1', (taken.address() as net.AddressInfo).port]));
    expect(err).to.have.property('code', 'EADDRINUSE');
    await pause(10);
    expect(activeResources()).to.deep.equal(before);
    taken.close();
  });

  it('throws a TypeError or RangeError naming a bad argument', async () => {
    expect(await errorFrom(() => backdoor(bad(null)))).to.be.instanceOf(TypeError).with.property('message').that.matches(/^backdoor: sock must be a port/);
    expect(await errorFrom(() => backdoor(70000))).to.be.instanceOf(RangeError).with.property('message', 'backdoor: port must be an integer from 0 to 65535, got number 70000');
    expect(await errorFrom(() => backdoor(bad([42, 0])))).to.be.instanceOf(TypeError).with.property('message', 'backdoor: host must be a string, got number 42');
    expect(await errorFrom(() => backdoor(net.createServer()))).to.be.instanceOf(TypeError).with.property('message').that.matches(/sock must be a listening net\.Server/);
    expect(await errorFrom(() => backdoor(0, bad('x')))).to.be.instanceOf(TypeError).with.property('message', 'backdoor: locals must be an object, got string "x"');
    expect(await errorFrom(() => backdoor(0, {}, { allowRemote: bad('yes') }))).to.be.instanceOf(TypeError).with.property('message', 'backdoor: options.allowRemote must be a boolean, got string "yes"');
  });

  describe('examples/backdoor.js (npm run example:backdoor)', function () {
    it('serves its console in a child process: the threads table, its stats, and stop() ends the process with exit code 0', async function () {
      const example = fileURLToPath(new URL('../../examples/backdoor.js', import.meta.url));
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const child = spawnProcess(process.execPath, [example, '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = once(child, 'exit');
      try {
        await waitFor('the example to listen', () => /listening on 127\.0\.0\.1:\d+/.test(stdout), 10);
        const port = Number(/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
        const { client, banner } = await Client.connect({ address: { address: '127.0.0.1', family: 'IPv4', port } });
        clients.push(client);
        expect(banner).to.include('`eventlet` and stats, queue, threads, stop in scope');
        const table = await client.ask('console.log(eventlet.debug.formatGreenThreads())');
        expect(table).to.match(/producer\s+parked\s+(sleep|queue put)/);
        expect(table).to.match(/consumer-1\s+parked/);
        expect(table, 'with stacks into the example').to.match(/at consumer \(.*examples\/backdoor\.js:\d+:\d+\)/);
        expect(await client.ask('stats.produced > 0 && stats.consumed > 0')).to.equal('true');
        client.socket.write('await stop()\n');
        const [code] = await exited;
        expect(code, stderr).to.equal(0);
        expect(stderr).to.equal('');
        expect(stdout).to.match(/stopped: produced \d+, consumed \d+/);
      } finally {
        if (child.exitCode === null) child.kill();
      }
    });
  });
});
