/**
 * `importPatched(specifier, { modules, parentURL })`: a separate instance of a library (CommonJS or
 * ES module, with the non-builtin modules it loads) in which the green modules stand for Node's,
 * while the rest of the process keeps Node's. See DESIGN.md §3 "Patching". The loading runs in
 * child processes (the module hooks it installs are process-wide), with NODE_OPTIONS unset so
 * that any warning would show on stderr.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { importPatched, import_patched } from '../lib/index.js';
import { bad, errorFrom } from './support.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
/** Node runs module hooks in-thread, for require() of ES modules too (Node >= 22.15 / 23.5). */
const inThreadHooks = typeof (module as unknown as { registerHooks?: unknown }).registerHooks === 'function';

/** Runs a fixture script under this Node; returns its JSON report and its stderr. */
function runFixture(script: string, ...args: string[]): { report: Record<string, any>; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawnSync(process.execPath, [script, ...args], { cwd: fixtures, env, encoding: 'utf8', timeout: 30000 });
  if (child.status !== 0) throw new Error(`${script} exited with ${child.status}: ${child.stderr}`);
  return { report: JSON.parse(child.stdout) as Record<string, any>, stderr: child.stderr };
}

describe('importPatched', () => {
  describe('which instance each copy gets', () => {
    let report: Record<string, any>;
    let stderr: string;
    before(function () {
      this.timeout(30000);
      ({ report, stderr } = runFixture('import-patched-report.mjs'));
    });

    it('prints nothing on stderr (no warning from the module hooks) on this Node version', () => {
      expect(stderr).to.equal('');
    });

    it('gives a CommonJS library and the helper file it requires the green net, fs and fs/promises, and Node’s own http', () => {
      expect(report.cjs).to.deep.include({ net: true, helperNet: true, fs: true, fsPromises: true, httpIsNodes: true });
    });

    it('resolves a CommonJS library to its namespace: default is module.exports, with its properties as named exports', () => {
      expect(report.cjs.keys).to.deep.equal(['default', 'fs', 'fsPromises', 'helper', 'http', 'net', 'request', 'sockets']);
      expect(report.cjs.defaultIsModuleExports).to.equal(true);
    });

    it("with modules: ['node:net'] makes only net green, in a separate instance of the library", () => {
      expect(report.netOnly).to.deep.equal({ net: true, fsIsNodes: true, helperShared: true });
    });

    it('gives an ES module library, its helper and the CommonJS file it imports by name the green modules, default and named imports alike', () => {
      expect(report.esm).to.deep.equal({
        url: './patched-esm-lib/index.js?eventlet-patched=net.tls.timers.dns.fs.child_process',
        net: true,
        connect: true,
        helperNet: true,
        readFile: true,
        dns: true,
        httpIsNodes: true,
        commonJSNamed: true,
        commonJSDefault: 'commonjs',
      });
    });

    it('returns the same instance for the same specifier and modules, and another one for other modules', () => {
      expect(report.sameCallSameInstance).to.equal(true);
      expect(report.otherModulesOtherInstance).to.equal(true);
    });

    it("leaves nothing in Node's require.cache, and later plain require and import get Node's modules in Node's own instances", () => {
      expect(report.sharedCacheAfterPatched).to.equal(0);
      expect(report.plain).to.deep.equal({ cjsNet: true, cjsIsSeparate: true, esmUrl: './patched-esm-lib/index.js', esmNet: true, esmDns: true, esmRequire: true, requireOfEsm: true });
    });

    it("rejects a module that cannot be found with Node's own not-found error, as import() from the parent URL would", () => {
      const { patched, plain } = report.notFound;
      expect(patched).to.deep.include({ class: plain.class, code: 'ERR_MODULE_NOT_FOUND' });
      expect(patched.message).to.equal(plain.message.replace(/ imported from .*/, ` imported from ${fixtures}`));
      expect(report.notFound.patchedPackage).to.equal('ERR_MODULE_NOT_FOUND');
    });

    it("gives an ES module that calls createRequire(import.meta.url), from module's named or default export, the green builtins and the graph's own instance of the CommonJS file it requires", () => {
      expect(report.esmRequire).to.deep.equal({ net: true, defaultNet: true, helperNet: true, helperTls: true, helperCreatedNet: true, helperPath: './patched-esm-require-lib/helper.cjs' });
    });

    (inThreadHooks ? it : it.skip)('require() of an ES module inside the graph (by its package type, or detected by its syntax) gives a separate instance of it, tagged with the world, that imports the green net and the graph’s CommonJS files (Node with module.registerHooks)', () => {
      expect(report.inThreadHooks).to.equal(true);
      expect(report.requireOfEsm).to.deep.equal({
        url: './patched-esm-require-lib/esm-helper.js%3Feventlet-patched=net.tls.timers.dns.fs.child_process',
        net: true,
        cjsHelperShared: true,
        sameInstanceAgain: true,
      });
      expect(report.cjsRequiringEsm).to.deep.equal({ net: true, notPlain: true, detectedNet: true, detectedUrl: './patched-cjs-lib/detected-esm.js%3Feventlet-patched=net.tls.timers.dns.fs.child_process' });
    });

    (inThreadHooks ? it.skip : it)('require() of an ES module inside the graph throws ERR_REQUIRE_ESM naming both files and module.registerHooks, rather than sharing Node’s instance (Node without module.registerHooks)', () => {
      expect(report.inThreadHooks).to.equal(false);
      for (const [error, parent, child] of [
        [report.requireOfEsm, 'patched-esm-require-lib/index.js', 'patched-esm-require-lib/esm-helper.js'],
        [report.cjsRequiringEsm, 'patched-cjs-lib/needs-esm.js', 'patched-esm-lib/helper.js'],
      ]) {
        expect(error.code).to.equal('ERR_REQUIRE_ESM');
        expect(error.message).to.contain(`ES module ${fixtures}${child} from ${fixtures}${parent}`).and.contain(`needs module.registerHooks (Node >= 22.15 or 23.5; this is Node ${process.version})`);
      }
    });

    it("gives a library the green child_process and worker_threads (they ride together), and Node's own when modules leaves child_process out", () => {
      const { report, stderr } = runFixture('import-patched-child-process.mjs');
      expect(stderr).to.equal('');
      const green = { greenExec: true, greenWorker: true, nodeExec: false, nodeWorker: false };
      const node = { greenExec: false, greenWorker: false, nodeExec: true, nodeWorker: true };
      expect(report).to.deep.equal({ commonJS: green, esm: green, netOnly: node, named: green });
    });

    it('is exported as import_patched too (the same function)', () => {
      expect(report.alias).to.equal(true);
      expect(import_patched).to.equal(importPatched);
    });
  });

  const libraries = { cjs: 'the CommonJS library', esm: 'the ES module library', 'required-esm': 'an ES module that a CommonJS file require()s (Node with module.registerHooks)' };
  for (const [kind, library] of Object.entries(libraries)) {
    (kind !== 'required-esm' || inThreadHooks ? describe : describe.skip)(`a killed thread and the socket of ${library}`, () => {
      let report: Record<string, any>;
      before(function () {
        this.timeout(30000);
        report = runFixture('import-patched-kill.mjs', kind).report;
      });

      it('the patched copy destroys a socket still connecting, and leaves no handle behind', () => {
        expect(report.patched.connecting).to.deep.equal({ stateAtKill: 'connecting', destroyed: true, threadDead: true, socketsLeft: 0 });
      });

      it('the patched copy destroys a socket with a request in flight, and leaves no handle behind', () => {
        expect(report.patched.inFlight).to.deep.equal({ stateAtKill: 'request in flight', destroyed: true, threadDead: true, socketsLeft: 0 });
      });

      it('the plain copy of the same library keeps its socket open (both ends) after the thread is killed', () => {
        expect(report.plain.connecting).to.deep.equal({ stateAtKill: 'connecting', destroyed: false, threadDead: true, socketsLeft: 2 });
        expect(report.plain.inFlight).to.deep.equal({ stateAtKill: 'request in flight', destroyed: false, threadDead: true, socketsLeft: 2 });
      });
    });
  }

  describe('bad arguments', () => {
    it('throws a TypeError naming the specifier when it is not a non-empty string', async () => {
      for (const specifier of [undefined, 42, '']) {
        const err = await errorFrom(() => importPatched(bad(specifier)));
        expect(err).to.be.instanceOf(TypeError).with.property('message').that.contains('importPatched: specifier must be a non-empty string');
      }
    });

    it('throws a TypeError naming the bad modules entry', async () => {
      const err = await errorFrom(() => importPatched('x', { modules: ['net', 'http'] }));
      expect(err).to.be.instanceOf(TypeError).with.property('message').that.matches(/^importPatched: modules\[1\] must be one of net, tls, timers, dns, fs, child_process, got string "http"$/);
      const notString = await errorFrom(() => importPatched('x', { modules: ['net', bad(7)] }));
      expect(notString).to.be.instanceOf(TypeError).with.property('message').that.contains('modules[1]');
    });

    it('throws a TypeError naming modules when it is not an array (unlike monkeyPatch, it takes a list of names)', async () => {
      const err = await errorFrom(() => importPatched('x', { modules: bad({ net: true }) }));
      expect(err).to.be.instanceOf(TypeError).with.property('message').that.contains('importPatched: modules must be an array');
    });

    it('throws a TypeError naming parentURL when it is not an absolute URL', async () => {
      for (const parentURL of ['./relative/', 42]) {
        const err = await errorFrom(() => importPatched('x', { parentURL: bad(parentURL) }));
        expect(err).to.be.instanceOf(TypeError).with.property('message').that.contains('importPatched: parentURL must be an absolute URL');
      }
    });

    it('throws a TypeError for options that are not an object, or have an unknown key', async () => {
      expect(await errorFrom(() => importPatched('x', bad('net')))).to.be.instanceOf(TypeError).with.property('message').that.contains('options must be an object');
      expect(await errorFrom(() => importPatched('x', bad({ module: ['net'] }))))
        .to.be.instanceOf(TypeError)
        .with.property('message')
        .that.contains("unknown option 'module'");
    });

    it('throws synchronously, before installing anything', () => {
      expect(() => importPatched('x', { modules: ['sockets'] })).to.throw(TypeError);
    });
  });
});
