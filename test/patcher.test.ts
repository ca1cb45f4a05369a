import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setTimeout as esmSetTimeout } from 'node:timers';
import { readFile as esmReadFile } from 'node:fs';
import { isMonkeyPatched, monkeyPatch, monkey_patch, original, unpatch } from '../lib/index.js';

const require = createRequire(import.meta.url);
const NAMES = ['net', 'tls', 'timers', 'dns', 'fs', 'child_process'] as const;

/** Every own property of Node's six modules (and `worker_threads`), their `promises`, the timer globals and the socket and child prototypes. */
function snapshot(): Map<string, PropertyDescriptor | undefined> {
  const targets: Record<string, object> = {
    net: require('node:net'),
    tls: require('node:tls'),
    timers: require('node:timers'),
    'timers/promises': require('node:timers/promises'),
    dns: require('node:dns'),
    'dns/promises': require('node:dns/promises'),
    fs: require('node:fs'),
    'fs/promises': require('node:fs/promises'),
    globalThis,
    'net.Socket.prototype': require('node:net').Socket.prototype,
    'net.Server.prototype': require('node:net').Server.prototype,
    child_process: require('node:child_process'),
    'ChildProcess.prototype': require('node:child_process').ChildProcess.prototype,
    worker_threads: require('node:worker_threads'),
  };
  const seen = new Map<string, PropertyDescriptor | undefined>();
  for (const [name, target] of Object.entries(targets)) {
    for (const key of Reflect.ownKeys(target)) seen.set(`${name}.${String(key)}`, Object.getOwnPropertyDescriptor(target, key));
    for (const key of ['push', 'write', 'end', 'connect', 'listen', 'spawn', 'unref']) seen.set(`${name}.${key}?own`, Object.getOwnPropertyDescriptor(target, key));
  }
  return seen;
}

function patchedNames(): string[] {
  return NAMES.filter((name) => isMonkeyPatched(name));
}

/** Runs `fixtures/<name>` with plain node (no --import), as a user's program; its exit and output. */
function runFixture(name: string): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const result = spawnSync(process.execPath, [`fixtures/${name}`], { cwd, env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('patcher', () => {
  afterEach(() => unpatch());

  describe('monkeyPatch', () => {
    it('patches all six modules when called without options', () => {
      monkeyPatch();
      expect(patchedNames()).to.deep.equal([...NAMES]);
    });

    it("keeps the event loop of a program that uses no green thread alive no longer than Node does: an unref()'d immediate never runs", () => {
      const { status, stdout, stderr } = runFixture('unref-immediate.cjs');
      expect(stderr, 'stderr').to.equal('');
      expect(stdout, 'stdout').to.equal('');
      expect(status, 'exit status').to.equal(0);
    });

    const matrix: Array<[string, Record<string, boolean>, string[]]> = [
      ['{ all: true }', { all: true }, [...NAMES]],
      ['{ net: true }', { net: true }, ['net']],
      ['{ net: true, dns: true }', { net: true, dns: true }, ['net', 'dns']],
      ['{ net: false }', { net: false }, ['tls', 'timers', 'dns', 'fs', 'child_process']],
      ['{ net: false, fs: false }', { net: false, fs: false }, ['tls', 'timers', 'dns', 'child_process']],
      ['{ all: true, net: false }', { all: true, net: false }, ['tls', 'timers', 'dns', 'fs', 'child_process']],
      ['{ all: false, net: false, dns: true }', { all: false, net: false, dns: true }, ['dns']],
      ['{ net: false, dns: true }', { net: false, dns: true }, ['dns']],
      ['{ all: false }', { all: false }, []],
    ];
    for (const [label, options, expected] of matrix) {
      it(`follows eventlet's keyword rules: ${label} patches [${expected.join(', ')}] (#103)`, () => {
        monkeyPatch(options);
        expect(patchedNames()).to.deep.equal(expected);
      });
    }

    it('rejects an unknown option with a TypeError naming it and applies nothing (#102)', () => {
      expect(() => monkeyPatch({ sockets: true } as never)).to.throw(TypeError, /'sockets'/);
      expect(() => monkeyPatch({ net: true, finagle: true } as never)).to.throw(TypeError, /'finagle'/);
      expect(patchedNames()).to.deep.equal([]);
    });

    it('rejects non-boolean option values and non-object options with a TypeError', () => {
      expect(() => monkeyPatch({ net: 'yes' } as never)).to.throw(TypeError, /'net' must be a boolean/);
      expect(() => monkeyPatch({ child_process: 1 } as never)).to.throw(TypeError, /'child_process' must be a boolean, got number 1/);
      expect(() => monkeyPatch({ worker_threads: true } as never)).to.throw(TypeError, /unknown option 'worker_threads'; expected all, net, tls, timers, dns, fs, child_process/);
      expect(() => monkeyPatch('all' as never)).to.throw(TypeError, /options must be an object/);
      expect(patchedNames()).to.deep.equal([]);
    });

    it('is safe to call twice, and a later call adds modules without undoing earlier ones', () => {
      monkeyPatch({ net: true });
      const patchedWrite = require('node:net').Socket.prototype.write;
      monkeyPatch({ net: true });
      monkeyPatch({ dns: true });
      expect(patchedNames()).to.deep.equal(['net', 'dns']);
      expect(require('node:net').Socket.prototype.write).to.equal(patchedWrite);
    });

    it('reaches CommonJS requires, ESM named imports bound earlier, and the globals', () => {
      const nativeSetTimeout = require('node:timers').setTimeout;
      const nativeReadFile = require('node:fs').readFile;
      monkeyPatch();
      expect(require('node:timers').setTimeout).not.to.equal(nativeSetTimeout);
      expect(globalThis.setTimeout).to.equal(require('node:timers').setTimeout);
      expect(esmSetTimeout).to.equal(require('node:timers').setTimeout);
      expect(esmReadFile).to.equal(require('node:fs').readFile);
      expect(esmReadFile).not.to.equal(nativeReadFile);
    });

    it('exports eventlet\'s monkey_patch as the same function', () => {
      expect(monkey_patch).to.equal(monkeyPatch);
    });
  });

  describe('unpatch', () => {
    it('restores every original export, global and prototype method exactly', () => {
      const before = snapshot();
      monkeyPatch();
      expect(snapshot()).not.to.deep.equal(before);
      unpatch();
      expect(snapshot()).to.deep.equal(before);
      expect(esmSetTimeout).to.equal(before.get('timers.setTimeout')!.value);
    });

    it('restores the dns query functions Node rebound while patched, not stale ones', async () => {
      const dns = require('node:dns');
      const servers = dns.getServers();
      try {
        monkeyPatch({ dns: true });
        dns.setServers(['127.0.0.1:9']); // nothing listens on the discard port: refused at once
        unpatch();
        const code = await new Promise((resolve) => dns.resolve4('example.invalid', (err: NodeJS.ErrnoException) => resolve(err?.code)));
        expect(code).to.equal('ECONNREFUSED');
      } finally {
        dns.setServers(servers);
      }
    });

    it('restores only the modules named, with or without the node: prefix', () => {
      monkeyPatch();
      unpatch(['fs', 'node:dns']);
      expect(patchedNames()).to.deep.equal(['net', 'tls', 'timers', 'child_process']);
      unpatch(['timers', 'node:child_process']);
      expect(patchedNames()).to.deep.equal(['net', 'tls']);
    });

    it('keeps the socket hooks while either net or tls is still patched', () => {
      const nativeWrite = require('node:net').Socket.prototype.write;
      monkeyPatch({ net: true, tls: true });
      unpatch('net');
      expect(require('node:net').Socket.prototype.write).not.to.equal(nativeWrite);
      unpatch('tls');
      expect(require('node:net').Socket.prototype.write).to.equal(nativeWrite);
    });

    it('rejects unknown names with a TypeError naming them and changes nothing', () => {
      monkeyPatch({ net: true });
      expect(() => unpatch(['net', 'sockets'])).to.throw(TypeError, /"sockets"/);
      expect(patchedNames()).to.deep.equal(['net']);
    });
  });

  describe('isMonkeyPatched and original', () => {
    it('tells per module name whether it is patched', () => {
      monkeyPatch({ timers: true });
      expect(isMonkeyPatched('timers')).to.equal(true);
      expect(isMonkeyPatched('node:timers')).to.equal(true);
      expect(isMonkeyPatched('fs')).to.equal(false);
    });

    it('rejects names that are not green modules with a TypeError', () => {
      expect(() => isMonkeyPatched('threading')).to.throw(TypeError, /"threading"/);
      expect(() => original('http')).to.throw(TypeError, /"http"/);
    });

    it("gives Node's own exports while patched, including promises", () => {
      const nativeReadFile = require('node:fs').readFile;
      const nativePromisesReadFile = require('node:fs/promises').readFile;
      const nativeSetTimeout = require('node:timers').setTimeout;
      monkeyPatch();
      expect(original('fs').readFile).to.equal(nativeReadFile);
      expect((original('fs').promises as Record<string, unknown>).readFile).to.equal(nativePromisesReadFile);
      expect(original('timers').setTimeout).to.equal(nativeSetTimeout);
      expect(Object.isFrozen(original('fs'))).to.equal(true);
    });

    it("patches worker_threads' Worker with child_process, and original('child_process') gives Node's exec", () => {
      const nativeExec = require('node:child_process').exec;
      const NativeWorker = require('node:worker_threads').Worker;
      monkeyPatch({ child_process: true });
      expect(patchedNames()).to.deep.equal(['child_process']);
      expect(require('node:child_process').exec).not.to.equal(nativeExec);
      expect(require('node:worker_threads').Worker).not.to.equal(NativeWorker);
      expect(original('child_process').exec).to.equal(nativeExec);
      unpatch('child_process');
      expect(require('node:worker_threads').Worker).to.equal(NativeWorker);
    });
  });
});
