/**
 * The green dns module (lib/green/dns.ts). The machine has no network, so a tiny authoritative DNS
 * server on 127.0.0.1 answers the queries; Node's own `dns` is the reference wherever both can
 * run without the network (IP addresses, the hosts file, argument errors, c-ares queries).
 */
import { expect } from 'chai';
import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { promisify } from 'node:util';
import * as greenNamespace from '../../lib/green/dns.js';
import green, { patches } from '../../lib/green/dns.js';
import { dnsFiles } from '../../lib/green/dns/files.js';
import { getHub, GreenletExit, spawn, Timeout, withTimeout } from '../../lib/index.js';
import { bad, pause, rejectionOf } from '../support.js';

// ---------------------------------------------------------------------------------------------
// A minimal authoritative DNS server (A, AAAA, PTR, TXT, MX; NXDOMAIN for unknown names)

interface Records {
  A?: string[];
  AAAA?: string[];
  PTR?: string[];
  TXT?: string[][];
  MX?: Array<{ priority: number; exchange: string }>;
}

type Mode = 'answer' | 'silent' | 'refuse';

const TYPES: Record<number, keyof Records> = { 1: 'A', 28: 'AAAA', 12: 'PTR', 16: 'TXT', 15: 'MX' };

function encodeName(name: string): Buffer {
  const labels = name.split('.').filter(Boolean).map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  return Buffer.concat([...labels, Buffer.from([0])]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2));
  return bytes;
}

function rdata(type: keyof Records, value: unknown): Buffer {
  switch (type) {
    case 'A':
      return Buffer.from((value as string).split('.').map(Number));
    case 'AAAA':
      return ipv6Bytes(value as string);
    case 'PTR':
      return encodeName(value as string);
    case 'TXT':
      return Buffer.concat((value as string[]).map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)])));
    case 'MX': {
      const { priority, exchange } = value as { priority: number; exchange: string };
      const pref = Buffer.alloc(2);
      pref.writeUInt16BE(priority);
      return Buffer.concat([pref, encodeName(exchange)]);
    }
  }
}

/** One answer record whose name points at the question's (offset 12), TTL 0 so nothing is cached. */
function answerRecord(typeCode: number, data: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0);
  fixed.writeUInt16BE(typeCode, 2);
  fixed.writeUInt16BE(1, 4);
  fixed.writeUInt32BE(0, 6);
  fixed.writeUInt16BE(data.length, 10);
  return Buffer.concat([fixed, data]);
}

function parseQuestion(message: Buffer): { name: string; typeCode: number; end: number } {
  let offset = 12;
  const labels: string[] = [];
  while (message[offset]! > 0) {
    labels.push(message.subarray(offset + 1, offset + 1 + message[offset]!).toString());
    offset += message[offset]! + 1;
  }
  return { name: labels.join('.').toLowerCase(), typeCode: message.readUInt16BE(offset + 1), end: offset + 5 };
}

/** A DNS server on 127.0.0.1 that answers from `zone`, or never answers, or refuses. */
class TestDnsServer {
  /** Every question received, as `name TYPE` (TYPE is the code for unknown types). */
  readonly asked: string[] = [];
  private readonly socket = dgram.createSocket('udp4');

  constructor(
    private readonly zone: Record<string, Records>,
    private readonly mode: Mode = 'answer',
  ) {
    this.socket.on('message', (message, peer) => this.answer(message, peer));
  }

  /** The server's address as `setServers` takes it. */
  address = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${this.socket.address().port}`;
    return this;
  }

  close(): void {
    this.socket.close();
  }

  /** How many times `name` (any type, or `type`) was asked. */
  count(name: string, type?: keyof Records): number {
    return this.asked.filter((q) => q === `${name} ${type}` || (type === undefined && q.startsWith(`${name} `))).length;
  }

  private answer(message: Buffer, peer: dgram.RemoteInfo): void {
    const { name, typeCode, end } = parseQuestion(message);
    const type = TYPES[typeCode];
    this.asked.push(`${name} ${type ?? typeCode}`);
    if (this.mode === 'silent') return;
    const records = this.zone[name];
    const values = (type && records?.[type]) ?? [];
    const rcode = this.mode === 'refuse' ? 5 : records ? 0 : 3;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(message.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8000 | (message.readUInt16BE(2) & 0x7900) | 0x0400 | 0x0080 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(rcode === 0 ? values.length : 0, 6);
    const answers = rcode === 0 ? values.map((value) => answerRecord(typeCode, rdata(type!, value))) : [];
    this.socket.send(Buffer.concat([header, message.subarray(12, end), ...answers]), peer.port, peer.address);
  }
}

const ZONE: Record<string, Records> = {
  'dual.test': { A: ['192.0.2.10', '192.0.2.11'], AAAA: ['2001:db8::10'] },
  'v4only.test': { A: ['192.0.2.20'] },
  'v6only.test': { AAAA: ['2001:db8::30'] },
  'mail.test': { MX: [{ priority: 10, exchange: 'mx1.mail.test' }], TXT: [['v=spf1', ' -all']] },
  'db.corp.test': { A: ['192.0.2.40'] },
  'db.other': { A: ['192.0.2.41'] },
  '50.2.0.192.in-addr.arpa': { PTR: ['named.test'] },
};

// ---------------------------------------------------------------------------------------------
// Helpers

const callback = (): void => {};

/** What a test compares of an error: its class, code, message and DNS fields, in key order. */
function shape(err: unknown): Record<string, unknown> {
  const e = err as Error & Record<string, unknown>;
  return {
    constructor: e.constructor?.name,
    instanceOfError: e instanceof Error,
    code: e.code,
    message: e.message,
    errno: e.errno,
    syscall: e.syscall,
    hostname: e.hostname,
    keys: Object.keys(e),
  };
}

/** The error `fn()` throws synchronously, as a shape; fails the test if it does not throw. */
function thrownBy(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    return shape(err);
  }
  throw new Error('expected a synchronous throw');
}

/**
 * Calls a Node-style function and resolves with what its callback got (the error's shape or the
 * results), or with the shape of what it threw synchronously.
 */
function outcomeOf(fn: (...args: never[]) => unknown, ...args: unknown[]): Promise<{ error?: Record<string, unknown>; results?: unknown[]; thrown?: Record<string, unknown> }> {
  return new Promise((resolve) => {
    try {
      (fn as (...a: unknown[]) => unknown)(...args, (err: unknown, ...results: unknown[]) => resolve(err ? { error: shape(err) } : { results }));
    } catch (err) {
      resolve({ thrown: shape(err) });
    }
  });
}

/** The settled outcome of a promise, for comparisons: the error's shape or the value. */
async function settled(promise: Promise<unknown>): Promise<{ error?: Record<string, unknown>; value?: unknown }> {
  try {
    return { value: await promise };
  } catch (err) {
    return { error: shape(err) };
  }
}

const ms = (start: number): number => performance.now() - start;
const resources = (): string[] => [...process.getActiveResourcesInfo()].sort();
/** The active resources once the test is under way (mocha arms its own timer after the test starts). */
const resourcesNow = async (): Promise<string[]> => {
  await pause(1);
  return resources();
};

/** The names and families the machine's own /etc/hosts gives (Node's lookup reads it too). */
function systemHostsNames(): Map<string, Set<number>> {
  const names = new Map<string, Set<number>>();
  for (const line of readFileSync('/etc/hosts', 'latin1').split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = isIP(address ?? '');
    if (!family || address!.includes('%')) continue;
    for (const name of aliases) names.set(name, (names.get(name) ?? new Set()).add(family));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------

describe('green dns', function () {
  this.timeout(15_000);
  const hub = getHub();
  let server: TestDnsServer;
  let silent: TestDnsServer;
  let refusing: TestDnsServer;
  let dir: string;
  let savedFiles: typeof dnsFiles;
  let savedServers: string[];
  let reports: unknown[];
  let savedReporter: typeof hub.errorReporter;
  let files = 0;

  /** Makes `text` the resolver configuration, in a new file (so the cache reads it at once). */
  const useResolvConf = (text: string): void => {
    dnsFiles.resolvConf = join(dir, `resolv-${++files}.conf`);
    writeFileSync(dnsFiles.resolvConf, text);
  };

  /** Makes `text` the hosts file, in a new file. */
  const useHosts = (text: string): void => {
    dnsFiles.hosts = join(dir, `hosts-${++files}`);
    writeFileSync(dnsFiles.hosts, text);
  };

  before(async () => {
    server = await new TestDnsServer(ZONE).start();
    silent = await new TestDnsServer(ZONE, 'silent').start();
    refusing = await new TestDnsServer(ZONE, 'refuse').start();
    dir = mkdtempSync(join(tmpdir(), 'green-dns-'));
    savedFiles = { ...dnsFiles };
    savedServers = dns.getServers();
  });

  after(() => {
    server.close();
    silent.close();
    refusing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    useResolvConf('options timeout:1 attempts:2\n'); // short time-outs and no search domains
    reports = [];
    savedReporter = hub.errorReporter;
    hub.errorReporter = (err) => reports.push(err);
  });

  afterEach(() => {
    hub.errorReporter = savedReporter;
    Object.assign(dnsFiles, savedFiles);
    dns.setServers(savedServers);
    expect(reports, 'errors reported through the hub').to.deep.equal([]);
  });

  describe('as a module', () => {
    it('exports every name node:dns exports, and its default export has every property of node:dns', () => {
      for (const name of Object.keys(dns)) {
        expect(greenNamespace, name).to.have.property(name);
        expect(green, name).to.have.property(name);
        expect(typeof (green as unknown as Record<string, unknown>)[name], name).to.equal(typeof (dns as unknown as Record<string, unknown>)[name]);
      }
      for (const name of Object.keys(dns.promises)) expect(green.promises, `promises.${name}`).to.have.property(name);
      expect(greenNamespace.promises).to.equal(green.promises);
      expect(greenNamespace.lookup).to.equal(green.lookup);
    });

    it('keeps the names, lengths and promisify hints of the functions it replaces', () => {
      for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolveTxt', 'reverse'] as const) {
        expect(green[name].name, name).to.equal(dns[name].name);
        expect(green[name].length, name).to.equal(dns[name].length);
        expect(Object.getOwnPropertySymbols(green[name]), name).to.deep.equal(Object.getOwnPropertySymbols(dns[name]));
      }
      expect(green.promises.lookup.name).to.equal(dns.promises.lookup.name);
      expect(green.Resolver.prototype.resolve4.name).to.equal(dns.Resolver.prototype.resolve4.name);
    });

    it('lists patches only onto dns, dns/promises, the two Resolver prototypes and PerformanceObserver\'s, for green values only', async () => {
      const dnsPromises = await import('node:dns/promises');
      const targets = new Set(patches.map((p) => p.target));
      expect([...targets]).to.have.members([dns, dnsPromises.default, dns.Resolver.prototype, dns.promises.Resolver.prototype, PerformanceObserver.prototype]);
      expect(patches.filter((p) => p.target === PerformanceObserver.prototype).map((p) => p.key)).to.deep.equal(['observe', 'disconnect']);
      const onDns = patches.filter((p) => p.target === dns).map((p) => p.key);
      expect(onDns).to.include.members(['lookup', 'lookupService', 'resolve4', 'reverse', 'setServers']);
      for (const unchanged of ['Resolver', 'promises', 'getServers', 'getDefaultResultOrder', 'NOTFOUND']) expect(onDns).to.not.include(unchanged);
      for (const patch of patches) expect(patch.value, String(patch.key)).to.not.equal((patch.target as Record<PropertyKey, unknown>)[patch.key]);
    });

    /** Applies the patches in place for the duration of `fn`, then restores every original. */
    async function withPatches(fn: () => Promise<void>): Promise<void> {
      const saved = patches.map((p) => Object.getOwnPropertyDescriptor(p.target, p.key));
      for (const p of patches) (p.target as Record<PropertyKey, unknown>)[p.key] = p.value;
      try {
        await fn();
      } finally {
        patches.forEach((p, i) => Object.defineProperty(p.target, p.key, saved[i]!));
      }
    }

    it('applied in place, makes Node\'s own dns, dns/promises and resolvers answer the green way', async () => {
      await withPatches(async () => {
        expect(dns.lookup).to.equal(green.lookup);
        expect(dns.promises.lookup).to.equal(green.promises.lookup);
        expect((await import('node:dns/promises')).default.lookup).to.equal(green.promises.lookup);
        const resolver = new dns.Resolver();
        resolver.setServers([silent.address]);
        const exit = new GreenletExit();
        let seen: unknown;
        const thread = spawn(() => promisify(resolver.resolve4.bind(resolver))('dual.test').catch((err: unknown) => (seen = err)));
        await pause(20);
        await thread.kill(exit);
        expect(seen).to.equal(exit);
      });
      expect(dns.lookup).to.not.equal(green.lookup);
    });

    it('applied in place, lets a PerformanceObserver watching dns see one entry per lookup and lookupService, as Node records them', async () => {
      await withPatches(async () => {
        const entries: PerformanceEntry[] = [];
        const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
        observer.observe({ type: 'dns' });
        try {
          await promisify(dns.lookup)('localhost');
          await dns.promises.lookup('localhost');
          await promisify(dns.lookupService)('127.0.0.1', 22);
          await spawn(() => dns.promises.lookupService('127.0.0.1', 22)).wait();
          await pause(20);
        } finally {
          observer.disconnect();
        }
        expect(entries.map((e) => [e.entryType, e.name])).to.deep.equal([
          ['dns', 'lookup'],
          ['dns', 'lookup'],
          ['dns', 'lookupService'],
          ['dns', 'lookupService'],
        ]);
      });
    });

    it('applied in place, stays in place across setServers, and its queries ask the new servers', async () => {
      await withPatches(async () => {
        dns.setServers([server.address]);
        expect(dns.resolve4).to.equal(green.resolve4);
        dns.promises.setServers([server.address]);
        expect(dns.promises.resolve4).to.equal(green.promises.resolve4);
        expect(green.getServers()).to.deep.equal([server.address]);
        expect(green.promises.getServers()).to.deep.equal([server.address]);
        expect(await promisify(dns.resolve4)('v4only.test')).to.deep.equal(['192.0.2.20']);
        expect(await spawn(() => dns.promises.resolve4('v4only.test')).wait()).to.deep.equal(['192.0.2.20']);
        expect(await spawn(() => promisify(dns.resolve4)('v4only.test')).wait()).to.deep.equal(['192.0.2.20']);
      });
    });
  });

  describe('lookup, compared with Node\'s own', () => {
    it('calls back after the process.nextTick callbacks its caller queued, as Node\'s lookup does (a socket destroyed on a tick never connects)', async () => {
      const order = (start: (callback: () => void) => void): Promise<string[]> =>
        new Promise((resolve) => {
          const seen: string[] = [];
          queueMicrotask(() => {
            // inside a microtask, as the continuation of an async function is
            start(() => {
              seen.push('callback');
              resolve(seen);
            });
            process.nextTick(() => seen.push('nextTick'));
          });
        });
      expect(await order((done) => dns.lookup('localhost', done))).to.deep.equal(['nextTick', 'callback']);
      expect(await order((done) => green.lookup('localhost', done))).to.deep.equal(['nextTick', 'callback']);
      expect(await order((done) => green.lookupService('127.0.0.1', 22, done))).to.deep.equal(['nextTick', 'callback']);
    });

    const literals = ['127.0.0.1', '192.0.2.5', '::1', '2001:db8::1', 'fe80::1'];
    const optionSets: unknown[] = [undefined, 4, 6, { all: true }, { family: 6, all: true }, { family: 'IPv4' }, { all: false, order: 'ipv6first' }];

    it('gives the same answers for IP addresses, in callback, promise and promisified forms', async () => {
      for (const address of literals) {
        for (const options of optionSets) {
          const args = options === undefined ? [address] : [address, options];
          expect(await outcomeOf(green.lookup, ...args), `${address} ${JSON.stringify(options)}`).to.deep.equal(await outcomeOf(dns.lookup, ...args));
          if (typeof options === 'object' && (options as { family?: unknown }).family === 'IPv4') continue; // rejected by both
          expect(await settled((green.promises.lookup as (...a: unknown[]) => Promise<unknown>)(...args))).to.deep.equal(
            await settled((dns.promises.lookup as (...a: unknown[]) => Promise<unknown>)(...args)),
          );
          expect(await settled((promisify(green.lookup) as (...a: unknown[]) => Promise<unknown>)(...args))).to.deep.equal(
            await settled((promisify(dns.lookup) as (...a: unknown[]) => Promise<unknown>)(...args)),
          );
        }
      }
    });

    it('gives the same answers for every name of the hosts file, in each family it lists', async () => {
      const names = systemHostsNames();
      expect(names.size, 'names in /etc/hosts').to.be.greaterThan(0);
      for (const [name, families] of names) {
        const optionList: unknown[] = [{ all: true }, {}, { all: true, order: 'ipv4first' }, { all: true, order: 'ipv6first' }, { all: true, verbatim: true }];
        for (const family of families) optionList.push({ family, all: true }, family);
        for (const options of optionList) {
          const label = `${name} ${JSON.stringify(options)}`;
          expect(await outcomeOf(green.lookup, name, options), label).to.deep.equal(await outcomeOf(dns.lookup, name, options));
          expect(await settled(green.promises.lookup(name, options as dns.LookupOptions)), label).to.deep.equal(await settled(dns.promises.lookup(name, options as dns.LookupOptions)));
        }
        expect(await outcomeOf(green.lookup, name.toUpperCase(), { all: true }), `${name} in capitals`).to.deep.equal(await outcomeOf(dns.lookup, name.toUpperCase(), { all: true }));
      }
    });

    it('answers the C library\'s numeric shorthands (127.1, 0x7f.1, 2130706433) as Node does', async () => {
      for (const name of ['127.1', '0x7f.1', '2130706433', '0177.0.0.1', '1.2.3']) {
        for (const options of [{}, { family: 4 }, { family: 6 }, { all: true }]) {
          const label = `${name} ${JSON.stringify(options)}`;
          expect(await outcomeOf(green.lookup, name, options), label).to.deep.equal(await outcomeOf(dns.lookup, name, options));
        }
      }
    });

    it('finds no IPv6 localhost when the hosts file lists only an IPv4 one, as the C library does', async () => {
      useHosts('127.0.0.1 localhost\n');
      expect(await outcomeOf(green.lookup, 'localhost', { family: 6 })).to.have.nested.property('error.code', 'ENOTFOUND');
      expect(await green.promises.lookup('localhost', { family: 4 })).to.deep.equal({ address: '127.0.0.1', family: 4 });
    });

    it('gives the same answers for localhost with the ADDRCONFIG hint', async () => {
      for (const options of [{ family: 4, hints: dns.ADDRCONFIG }, { hints: dns.ADDRCONFIG, all: true }]) {
        expect(await outcomeOf(green.lookup, 'localhost', options), JSON.stringify(options)).to.deep.equal(await outcomeOf(dns.lookup, 'localhost', options));
      }
    });

    it('maps the hosts file\'s IPv4 localhost into IPv6 with V4MAPPED when it lists no IPv6 one, as the C library does', async () => {
      // not compared with Node's own: with no IPv6 entry the C library would also ask the system's DNS
      useHosts('127.0.0.1 localhost\n');
      expect(await green.promises.lookup('localhost', { family: 6, hints: dns.V4MAPPED, all: true })).to.deep.equal([{ address: '::ffff:127.0.0.1', family: 6 }]);
      expect(await green.promises.lookup('localhost', { family: 6, hints: dns.V4MAPPED | dns.ALL })).to.deep.equal({ address: '::ffff:127.0.0.1', family: 6 });
      useHosts('127.0.0.1 localhost\n::1 localhost\n');
      expect(await green.promises.lookup('localhost', { family: 6, hints: dns.V4MAPPED, all: true })).to.deep.equal([{ address: '::1', family: 6 }]);
      const both = await green.promises.lookup('localhost', { family: 6, hints: dns.V4MAPPED | dns.ALL, all: true });
      expect(both.map((a) => a.address)).to.have.members(['::1', '::ffff:127.0.0.1']);
    });

    it('gives the same answer (or error) for an empty host name', async () => {
      const noDeprecation = process.noDeprecation;
      process.noDeprecation = true; // Node warns once that an empty name is deprecated
      try {
        for (const options of [undefined, { all: true }, 6]) {
          const args = options === undefined ? [''] : ['', options];
          expect(await outcomeOf(green.lookup, ...args)).to.deep.equal(await outcomeOf(dns.lookup, ...args));
        }
      } finally {
        process.noDeprecation = noDeprecation;
      }
    });

    it('throws the same errors for bad arguments, in both forms', () => {
      const cases: unknown[][] = [
        [123, callback],
        ['example.test'],
        ['example.test', 'not a callback'],
        ['example.test', {}, 'not a callback'],
        ['example.test', 5, callback],
        ['example.test', { family: 5 }, callback],
        ['example.test', { family: 'IPv5' }, callback],
        ['example.test', { hints: 12345 }, callback],
        ['example.test', { hints: 'x' }, callback],
        ['example.test', { all: 'yes' }, callback],
        ['example.test', { verbatim: 1 }, callback],
        ['example.test', { order: 'random' }, callback],
        ['example.test', true, callback],
      ];
      for (const args of cases) {
        const label = JSON.stringify(args);
        expect(thrownBy(() => (green.lookup as (...a: unknown[]) => unknown)(...args)), label).to.deep.equal(thrownBy(() => (dns.lookup as (...a: unknown[]) => unknown)(...args)));
      }
      const promiseCases: unknown[][] = [[123], ['example.test', 'x'], ['example.test', { family: 'IPv4' }], ['example.test', { hints: -1 }], ['example.test', 7]];
      for (const args of promiseCases) {
        const label = `promises ${JSON.stringify(args)}`;
        expect(thrownBy(() => (green.promises.lookup as (...a: unknown[]) => unknown)(...args)), label).to.deep.equal(thrownBy(() => (dns.promises.lookup as (...a: unknown[]) => unknown)(...args)));
      }
    });

    it('looks up services the same way for addresses the hosts file names', async () => {
      for (const port of [22, 80, 1, 54321, '443']) {
        expect(await outcomeOf(green.lookupService, '127.0.0.1', port), String(port)).to.deep.equal(await outcomeOf(dns.lookupService, '127.0.0.1', port));
        expect(await settled(green.promises.lookupService('127.0.0.1', port as number))).to.deep.equal(await settled(dns.promises.lookupService('127.0.0.1', port as number)));
      }
    });

    it('throws the same errors as lookupService for bad arguments, in both forms', () => {
      const cases: unknown[][] = [[], ['127.0.0.1', 22], ['example.test', 22, callback], [1234, 22, callback], ['127.0.0.1', 70000, callback], ['127.0.0.1', ' ', callback], ['127.0.0.1', 1.5, callback], ['127.0.0.1', 22, 'x']];
      for (const args of cases) {
        expect(thrownBy(() => (green.lookupService as (...a: unknown[]) => unknown)(...args)), JSON.stringify(args)).to.deep.equal(thrownBy(() => (dns.lookupService as (...a: unknown[]) => unknown)(...args)));
      }
      for (const args of [['127.0.0.1'], ['nope', 1], ['127.0.0.1', -1], [null, 1]]) {
        expect(thrownBy(() => (green.promises.lookupService as (...a: unknown[]) => unknown)(...args)), JSON.stringify(args)).to.deep.equal(thrownBy(() => (dns.promises.lookupService as (...a: unknown[]) => unknown)(...args)));
      }
    });
  });

  describe('queries, compared with Node\'s own', () => {
    const queries: Array<[string, unknown[]]> = [
      ['resolve4', ['dual.test']],
      ['resolve4', ['dual.test', { ttl: true }]],
      ['resolve6', ['dual.test']],
      ['resolve', ['mail.test', 'MX']],
      ['resolve', ['v4only.test']],
      ['resolveMx', ['mail.test']],
      ['resolveTxt', ['mail.test']],
      ['reverse', ['192.0.2.50']],
      ['resolve4', ['nowhere.test']],
      ['resolve6', ['v4only.test']],
    ];

    it('answers the module functions the same, in callback and promise forms, in and outside green threads', async () => {
      dns.setServers([server.address]);
      for (const [name, args] of queries) {
        const label = `${name} ${JSON.stringify(args)}`;
        const expected = await outcomeOf((dns as unknown as Record<string, () => void>)[name]!, ...args);
        const expectedPromise = await settled((dns.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args));
        expect(await outcomeOf((green as unknown as Record<string, () => void>)[name]!, ...args), label).to.deep.equal(expected);
        const inThread = await spawn(() => outcomeOf((green as unknown as Record<string, () => void>)[name]!, ...args)).wait();
        expect(inThread, `${label} in a green thread`).to.deep.equal(expected);
        const promiseInThread = await spawn(() => settled((green.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args))).wait();
        expect(promiseInThread, `promises ${label} in a green thread`).to.deep.equal(expectedPromise);
      }
    });

    it('answers Resolver methods the same, in callback and promise forms, in and outside green threads', async () => {
      const nodeResolver = new dns.Resolver();
      const greenResolver = new green.Resolver();
      const nodePromisesResolver = new dns.promises.Resolver();
      const greenPromisesResolver = new green.promises.Resolver();
      for (const r of [nodeResolver, greenResolver, nodePromisesResolver, greenPromisesResolver]) r.setServers([server.address]);
      expect(greenResolver).to.be.instanceOf(dns.Resolver);
      for (const [name, args] of queries) {
        const label = `${name} ${JSON.stringify(args)}`;
        const call = (r: object) => outcomeOf(((r as Record<string, () => void>)[name] as () => void).bind(r), ...args);
        const callPromise = (r: object) => settled(((r as Record<string, (...a: unknown[]) => Promise<unknown>>)[name] as (...a: unknown[]) => Promise<unknown>).apply(r, args));
        const expected = await call(nodeResolver);
        expect(await call(greenResolver), label).to.deep.equal(expected);
        expect(await spawn(() => call(greenResolver)).wait(), `${label} in a green thread`).to.deep.equal(expected);
        const expectedPromise = await callPromise(nodePromisesResolver);
        expect(await callPromise(greenPromisesResolver), `promises ${label}`).to.deep.equal(expectedPromise);
        expect(await spawn(() => callPromise(greenPromisesResolver)).wait(), `promises ${label} in a green thread`).to.deep.equal(expectedPromise);
      }
    });

    it('throws the same errors for bad query arguments, in and outside green threads', async () => {
      const cases: Array<[string, unknown[]]> = [
        ['resolve4', [123, callback]],
        ['resolve4', ['dual.test']],
        ['resolve4', ['dual.test', {}, 'x']],
        ['resolve', ['dual.test', 'BOGUS', callback]],
        ['resolve', ['dual.test', 42, callback]],
        ['reverse', ['not an address', callback]],
      ];
      for (const [name, args] of cases) {
        const label = `${name} ${JSON.stringify(args)}`;
        const expected = thrownBy(() => (dns as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args));
        expect(thrownBy(() => (green as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args)), label).to.deep.equal(expected);
        const inThread = await spawn(() => thrownBy(() => (green as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args))).wait();
        expect(inThread, `${label} in a green thread`).to.deep.equal(expected);
      }
      const promiseExpected = thrownBy(() => dns.promises.resolve4(bad(123)));
      expect(await spawn(() => thrownBy(() => green.promises.resolve4(bad(123)))).wait()).to.deep.equal(promiseExpected);
      expect(await spawn(() => thrownBy(() => green.promises.resolve('x', 'BOGUS' as 'A'))).wait()).to.deep.equal(thrownBy(() => dns.promises.resolve('x', 'BOGUS' as 'A')));
    });
  });

  describe('lookup through the configured servers', () => {
    beforeEach(() => {
      dns.setServers([server.address]);
      server.asked.length = 0;
    });

    it('answers a name only the DNS server knows, in callback, promise and promisified forms', async () => {
      expect(await outcomeOf(green.lookup, 'v4only.test')).to.deep.equal({ results: ['192.0.2.20', 4] });
      expect(await green.promises.lookup('v6only.test')).to.deep.equal({ address: '2001:db8::30', family: 6 });
      expect(await promisify(green.lookup)('v4only.test')).to.deep.equal({ address: '192.0.2.20', family: 4 });
      expect(await promisify(green.lookup)('dual.test', { all: true, order: 'ipv4first' })).to.deep.equal([
        { address: '192.0.2.10', family: 4 },
        { address: '192.0.2.11', family: 4 },
        { address: '2001:db8::10', family: 6 },
      ]);
    });

    it('asks only for the family wanted, and reports the family asked for', async () => {
      expect(await green.promises.lookup('dual.test', { family: 6, all: true })).to.deep.equal([{ address: '2001:db8::10', family: 6 }]);
      expect(await green.promises.lookup('dual.test', { family: 4, all: true })).to.deep.equal([
        { address: '192.0.2.10', family: 4 },
        { address: '192.0.2.11', family: 4 },
      ]);
      expect(server.count('dual.test', 'AAAA')).to.equal(1);
      expect(server.count('dual.test', 'A')).to.equal(1);
    });

    it('puts the results in the order asked for, Node\'s default order when none is', async () => {
      const all = (options: dns.LookupAllOptions) => green.promises.lookup('dual.test', options).then((list) => list.map((a) => a.address));
      expect(await all({ all: true, order: 'ipv4first' })).to.deep.equal(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
      expect(await all({ all: true, order: 'ipv6first' })).to.deep.equal(['2001:db8::10', '192.0.2.10', '192.0.2.11']);
      expect(await all({ all: true, verbatim: false })).to.deep.equal(['192.0.2.10', '192.0.2.11', '2001:db8::10']);
      expect(await all({ all: true, verbatim: true })).to.deep.equal(await all({ all: true, order: 'verbatim' }));
      expect(await all({ all: true })).to.deep.equal(await all({ all: true, order: dns.getDefaultResultOrder() }));
    });

    it('maps IPv4 answers into IPv6 with V4MAPPED, alongside IPv6 ones only with ALL', async () => {
      expect(await green.promises.lookup('v4only.test', { family: 6, hints: dns.V4MAPPED })).to.deep.equal({ address: '::ffff:192.0.2.20', family: 6 });
      expect(await green.promises.lookup('dual.test', { family: 6, hints: dns.V4MAPPED, all: true })).to.deep.equal([{ address: '2001:db8::10', family: 6 }]);
      const withAll = await green.promises.lookup('dual.test', { family: 6, hints: dns.V4MAPPED | dns.ALL, all: true });
      expect(withAll.map((a) => a.address)).to.have.members(['2001:db8::10', '::ffff:192.0.2.10', '::ffff:192.0.2.11']);
    });

    it('fails an unknown name with Node\'s getaddrinfo ENOTFOUND error, in both forms', async () => {
      const expected = {
        constructor: 'Error',
        instanceOfError: true,
        code: 'ENOTFOUND',
        message: 'getaddrinfo ENOTFOUND nowhere.test',
        errno: -3008,
        syscall: 'getaddrinfo',
        hostname: 'nowhere.test',
        keys: ['errno', 'code', 'syscall', 'hostname'],
      };
      expect(await outcomeOf(green.lookup, 'nowhere.test')).to.deep.equal({ error: expected });
      expect(await settled(green.promises.lookup('nowhere.test', { all: true }))).to.deep.equal({ error: expected });
      expect((await rejectionOf(green.promises.lookup('nowhere.test'))) as Error).to.have.property('stack').that.matches(/^Error: getaddrinfo ENOTFOUND nowhere.test\n/);
    });

    it('fails a name without records of the family asked for with ENOTFOUND (EAI_NODATA)', async () => {
      const err = shape(await rejectionOf(green.promises.lookup('v6only.test', 4)));
      expect(err).to.include({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND v6only.test', errno: -3007, syscall: 'getaddrinfo', hostname: 'v6only.test' });
    });

    it('fails with EAI_AGAIN when the servers refuse to answer', async () => {
      dns.setServers([refusing.address]);
      const err = shape(await rejectionOf(green.promises.lookup('dual.test')));
      expect(err).to.include({ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN dual.test', errno: -3001, syscall: 'getaddrinfo', hostname: 'dual.test' });
    });

    it('tries the search domains first for a name with fewer dots than ndots, last otherwise', async () => {
      useResolvConf('search corp.test\noptions ndots:1 timeout:1 attempts:2\n');
      server.asked.length = 0;
      expect(await green.promises.lookup('db', 4)).to.deep.equal({ address: '192.0.2.40', family: 4 });
      expect(server.asked).to.deep.equal(['db.corp.test A']);
      server.asked.length = 0;
      expect(await green.promises.lookup('db.other', 4)).to.deep.equal({ address: '192.0.2.41', family: 4 });
      expect(server.asked).to.deep.equal(['db.other A']);
      server.asked.length = 0;
      await rejectionOf(green.promises.lookup('missing.name', 4));
      expect(server.asked).to.deep.equal(['missing.name A', 'missing.name.corp.test A']);
      server.asked.length = 0;
      await rejectionOf(green.promises.lookup('missing.', 4));
      expect(server.asked).to.deep.equal(['missing A']);
    });

    it('honours a larger ndots and the LOCALDOMAIN environment variable', async () => {
      const saved = process.env.LOCALDOMAIN;
      process.env.LOCALDOMAIN = 'corp.test';
      try {
        useResolvConf('domain ignored.test\noptions ndots:2\n');
        server.asked.length = 0;
        await rejectionOf(green.promises.lookup('x.y', 4));
        expect(server.asked).to.deep.equal(['x.y.corp.test A', 'x.y A']);
      } finally {
        if (saved === undefined) delete process.env.LOCALDOMAIN;
        else process.env.LOCALDOMAIN = saved;
      }
    });

    it('answers localhost itself when the hosts file does not list it, even when the servers are silent', async () => {
      useHosts('10.9.8.1 other.test\n');
      dns.setServers([silent.address]);
      silent.asked.length = 0;
      const start = performance.now();
      expect(await green.promises.lookup('localhost', 4)).to.deep.equal({ address: '127.0.0.1', family: 4 });
      expect(await green.promises.lookup('localhost', 6)).to.deep.equal({ address: '::1', family: 6 });
      expect(await green.promises.lookup('LOCALHOST.', { family: 4, all: true })).to.deep.equal([{ address: '127.0.0.1', family: 4 }]);
      expect(ms(start)).to.be.below(50);
      expect(silent.asked).to.deep.equal([]);
    });

    it('reverse-resolves an address through the server, with the service name from the services database', async () => {
      expect(await outcomeOf(green.lookupService, '192.0.2.50', 80)).to.deep.equal({ results: ['named.test', 'http'] });
      expect(await green.promises.lookupService('192.0.2.50', 54321)).to.deep.equal({ hostname: 'named.test', service: '54321' });
    });

    it('fails an address nobody names with Node\'s getnameinfo ENOTFOUND error', async () => {
      expect(await outcomeOf(green.lookupService, '192.0.2.99', 22)).to.deep.equal({
        error: {
          constructor: 'Error',
          instanceOfError: true,
          code: 'ENOTFOUND',
          message: 'getnameinfo ENOTFOUND 192.0.2.99',
          errno: -3008,
          syscall: 'getnameinfo',
          hostname: '192.0.2.99',
          keys: ['errno', 'code', 'syscall', 'hostname'],
        },
      });
    });

    it('never uses getaddrinfo: no GetAddrInfoReqWrap is pending while a look-up waits, unlike Node\'s own', async () => {
      const greenLookup = green.promises.lookup('dual.test');
      expect(process.getActiveResourcesInfo()).to.not.include('GetAddrInfoReqWrap');
      await greenLookup;
      const nodeLookup = dns.promises.lookup('localhost');
      expect(process.getActiveResourcesInfo()).to.include('GetAddrInfoReqWrap');
      await nodeLookup;
    });
  });

  describe('the hosts file', () => {
    beforeEach(() => {
      dns.setServers([silent.address]);
      useHosts('# test hosts\n10.9.8.7 files.test alias.test  # comment\nfd00::7 files.test\n10.9.8.8 other.test\n');
      silent.asked.length = 0;
    });

    it('answers its names, any case, in every family, without asking a server', async () => {
      expect(await green.promises.lookup('files.test', { all: true, order: 'ipv4first' })).to.deep.equal([
        { address: '10.9.8.7', family: 4 },
        { address: 'fd00::7', family: 6 },
      ]);
      expect(await green.promises.lookup('ALIAS.test', 4)).to.deep.equal({ address: '10.9.8.7', family: 4 });
      expect(await green.promises.lookup('files.test', 6)).to.deep.equal({ address: 'fd00::7', family: 6 });
      expect(await green.promises.lookupService('10.9.8.8', 22)).to.deep.equal({ hostname: 'other.test', service: 'ssh' });
      expect(silent.asked).to.deep.equal([]);
    });

    it('asks the servers for a family the hosts file does not list for a name', async () => {
      dns.setServers([server.address]);
      server.asked.length = 0;
      await rejectionOf(green.promises.lookup('other.test', 6));
      expect(server.asked).to.deep.equal(['other.test AAAA']);
    });

    it('reads the file again once it changes, but looks at it at most once per recheck interval', async () => {
      dnsFiles.recheckSeconds = 60;
      expect(await green.promises.lookup('other.test')).to.deep.equal({ address: '10.9.8.8', family: 4 });
      writeFileSync(dnsFiles.hosts, '10.9.8.9 other.test\n');
      utimesSync(dnsFiles.hosts, new Date(), new Date(Date.now() + 5000));
      expect(await green.promises.lookup('other.test')).to.deep.equal({ address: '10.9.8.8', family: 4 });
      dnsFiles.recheckSeconds = 0;
      expect(await green.promises.lookup('other.test')).to.deep.equal({ address: '10.9.8.9', family: 4 });
    });
  });

  describe('inside green threads', () => {
    beforeEach(() => dns.setServers([silent.address]));

    it('rejects a look-up at once with GreenletExit when its thread is killed, leaving no resource behind', async () => {
      const before = await resourcesNow();
      const exit = new GreenletExit();
      let seen: unknown;
      const thread = spawn(() => green.promises.lookup('dual.test').catch((err: unknown) => (seen = err)));
      await pause(20);
      const start = performance.now();
      await thread.kill(exit);
      const elapsed = ms(start);
      expect(seen, 'what the look-up rejected with').to.equal(exit);
      expect(elapsed).to.be.below(100);
      await pause(5);
      expect(resources()).to.deep.equal(before);
    });

    it('rejects a look-up with the Timeout when withTimeout fires, within 100 ms of the deadline', async () => {
      const before = await resourcesNow();
      let seen: unknown;
      const start = performance.now();
      const err = await rejectionOf(
        withTimeout(0.1, () =>
          green.promises.lookup('dual.test').catch((e: unknown) => {
            seen = e;
            throw e;
          }),
        ),
      );
      const elapsed = ms(start);
      expect(err).to.be.instanceOf(Timeout);
      expect(seen, 'what the look-up rejected with').to.equal(err);
      expect(elapsed).to.be.within(90, 200);
      await pause(5);
      expect(resources()).to.deep.equal(before);
    });

    it('gives the interruption to the callbacks of callback-form lookup and lookupService', async () => {
      const exit = new GreenletExit('stop looking');
      const errors: unknown[] = [];
      const thread = spawn(
        () =>
          new Promise<void>((resolve) => {
            const collect = (err: unknown): void => void (errors.push(err) === 2 && resolve());
            green.lookup('dual.test', collect);
            green.lookupService('192.0.2.99', 80, collect);
          }),
      );
      await pause(20);
      await thread.kill(exit);
      expect(errors).to.deep.equal([exit, exit]);
    });

    it('cancels the c-ares queries of a killed look-up: the server hears no retry, unlike an uninterrupted one', async () => {
      silent.asked.length = 0;
      const uninterrupted = settled(green.promises.lookup('retried.test', 4));
      const thread = spawn(() => green.promises.lookup('cancelled.test', 4));
      await pause(50);
      await thread.kill();
      const outcome = await uninterrupted; // resolv.conf here: timeout:1 attempts:2
      expect(outcome.error).to.include({ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN retried.test' });
      expect(silent.count('retried.test', 'A')).to.be.at.least(2);
      expect(silent.count('cancelled.test', 'A')).to.equal(1);
    });

    it('rejects module-level queries of a killed thread at once, in callback and promise forms', async () => {
      const exit = new GreenletExit();
      const outcomes: unknown[] = [];
      const thread = spawn(async () => {
        const settledQueries = await Promise.allSettled([green.promises.resolve4('dual.test'), promisify(green.resolveTxt)('mail.test'), green.promises.reverse('192.0.2.50')]);
        outcomes.push(...settledQueries.map((r) => (r.status === 'rejected' ? r.reason : r.value)));
      });
      await pause(20);
      const start = performance.now();
      await thread.kill(exit);
      expect(ms(start)).to.be.below(100);
      expect(outcomes).to.deep.equal([exit, exit, exit]);
    });

    it('cancels a killed thread\'s query on its own Resolver: the server hears no retry', async () => {
      const resolver = new green.promises.Resolver({ timeout: 200, tries: 3 });
      resolver.setServers([silent.address]);
      silent.asked.length = 0;
      const thread = spawn(() => resolver.resolve4('alone.test'));
      await pause(20);
      await thread.kill();
      await pause(800);
      expect(silent.count('alone.test')).to.equal(1);
    });

    it('does not cancel the other queries on a Resolver shared with a killed thread', async () => {
      const resolver = new green.Resolver({ timeout: 100, tries: 1 });
      resolver.setServers([silent.address]);
      const other = spawn(() => outcomeOf(resolver.resolve4.bind(resolver), 'other.test'));
      const victim = spawn(() => promisify(resolver.resolve4.bind(resolver))('victim.test'));
      await pause(20);
      await victim.kill();
      expect(await rejectionOf(victim.wait())).to.be.instanceOf(GreenletExit);
      expect((await other.wait()).error).to.include({ code: 'ETIMEOUT', message: 'queryA ETIMEOUT other.test' });
    });

    it('answers as outside when nothing interrupts it', async () => {
      dns.setServers([server.address]);
      const inThread = await spawn(() => Promise.all([green.promises.lookup('dual.test', { all: true }), outcomeOf(green.lookup, 'v4only.test'), green.promises.lookupService('192.0.2.50', 22)])).wait();
      expect(inThread).to.deep.equal([await green.promises.lookup('dual.test', { all: true }), { results: ['192.0.2.20', 4] }, { hostname: 'named.test', service: 'ssh' }]);
    });
  });

  describe('with the libuv thread pool busy', () => {
    /** The median and the largest of five timings of `run`, in milliseconds. */
    async function timings(run: () => Promise<unknown>): Promise<{ median: number; max: number }> {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await run();
        samples.push(Math.round(ms(start) * 100) / 100);
      }
      samples.sort((a, b) => a - b);
      return { median: samples[2]!, max: samples[4]! };
    }

    it('answers a served name and localhost in a few milliseconds while four pbkdf2 jobs hold the pool', async () => {
      dns.setServers([server.address]);
      await green.promises.lookup('dual.test'); // warm the resolver pool
      const sample = performance.now();
      pbkdf2Sync('secret', 'salt', 20_000, 64, 'sha512');
      const iterations = Math.round((20_000 * 1000) / Math.max(1, ms(sample)));
      const jobs = Array.from({ length: 4 }, () => promisify(pbkdf2)('secret', 'salt', iterations, 64, 'sha512'));
      const results: Record<string, { median: number; max: number }> = {
        'served name': await timings(() => green.promises.lookup('dual.test')),
        localhost: await timings(() => green.promises.lookup('localhost')),
        'served name in a green thread': await timings(() => spawn(() => green.promises.lookup('v4only.test')).wait()),
        'localhost, callback form': await timings(() => promisify(green.lookup)('localhost')),
      };
      const nodeStart = performance.now();
      const nodeLookup = dns.promises.lookup('localhost').then(() => ms(nodeStart));
      await Promise.all(jobs);
      console.log(`      green lookups with the pool busy, ms: ${JSON.stringify(results)}; Node's own lookup('localhost'): ${Math.round(await nodeLookup)} ms`);
      for (const [label, { median }] of Object.entries(results)) expect(median, label).to.be.below(50);
    });
  });
});
