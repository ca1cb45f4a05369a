// End-to-end checks of the package as users consume it: child processes that import or require
// 'eventlet' by name (self-reference through package.json "exports"), under the same Node that
// runs mocha. They need the build in dist/ (`npm test` builds first).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as eventlet from '../lib/index.js';

// this file runs as dist/test/package.test.js; the repository root is two levels up
const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runNode(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // a user's options (or a test runner's) must not add warnings here
  return new Promise((resolve) => {
    // cwd is elsewhere on purpose: 'eventlet' must resolve from the fixture's location, not the cwd
    execFile(process.execPath, args, { cwd: tmpdir(), env, timeout: 15_000 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

function parseLastLine(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

const describeRun = (run: Run) => `exit ${run.code} signal ${run.signal}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

// snake_case names of the seed and the camelCase names they alias (DESIGN.md §2)
const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['spawn_n', 'spawnN'],
  ['spawn_after', 'spawnAfter'],
  ['monkey_patch', 'monkeyPatch'],
  ['is_monkey_patched', 'isMonkeyPatched'],
  ['import_patched', 'importPatched'],
  ['wrap_ssl', 'wrapSsl'],
  ['getcurrent', 'getCurrent'],
  ['with_timeout', 'withTimeout'],
  ['is_timeout', 'isTimeout'],
];

describe('package (end to end)', function () {
  this.timeout(30_000);

  const api = eventlet as unknown as Record<string, unknown>;
  const apiNames = Object.keys(api).sort();

  before(function () {
    const entry = `${root}dist/lib/index.js`;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` (npm test does it)`);
  });

  describe('snake_case aliases', function () {
    for (const [snake, camel] of ALIASES) {
      it(`${snake} is the same function object as ${camel}`, function () {
        expect(api[camel], camel).to.be.a('function');
        expect(api[snake], snake).to.equal(api[camel]);
      });
    }
  });

  describe("ESM: import * as eventlet from 'eventlet'", function () {
    let run: Run;
    before(async function () {
      run = await runNode([fixture('esm-consumer.mjs')]);
    });

    it('exits 0 and prints nothing on stderr (no warnings)', function () {
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stderr, describeRun(run)).to.equal('');
    });

    it('sees the whole public API of lib/index.ts', function () {
      expect(parseLastLine(run).exports).to.deep.equal(apiNames);
    });

    it('spawns, waits, kills and times out', function () {
      const out = parseLastLine(run);
      expect(out.waited).to.equal(5);
      expect(out.killed).to.equal('GreenletExit');
      expect(out.timedOut).to.equal(true);
    });

    it("runs tpool.execute, and reaches the same tpool as 'eventlet/tpool', then exits by itself", function () {
      expect(parseLastLine(run).tpool).to.include({ sum: 5, subpath: true, set_num_threads: true });
    });

    it('loads piscina on the first tpool.execute, not on import', function () {
      expect(parseLastLine(run).tpool).to.include({ piscinaBeforeUse: false, piscinaAfterUse: true });
    });

    it('gets snake_case aliases that are the camelCase functions', function () {
      const aliases = parseLastLine(run).aliases as Record<string, boolean>;
      expect(aliases).to.include({ spawn_n: true, spawn_after: true });
      for (const [snake, ok] of Object.entries(aliases)) expect(ok, snake).to.equal(true);
    });

    it("gets the namespace itself from import eventlet from 'eventlet' (the default export)", function () {
      expect(parseLastLine(run).defaultIsNamespace).to.equal(true);
    });
  });

  describe("CommonJS: require('eventlet')", function () {
    let run: Run;
    before(async function () {
      run = await runNode([fixture('cjs-consumer.cjs')]);
    });

    it('exits 0 and prints nothing on stderr (no require(esm) warning)', function () {
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stderr, describeRun(run)).to.equal('');
    });

    it("gets the same API as ESM importers (plus Node's __esModule marker of a module with a default export)", function () {
      const exports = parseLastLine(run).exports as string[];
      expect(exports.filter((name) => name !== '__esModule')).to.deep.equal(apiNames);
    });

    it("gets the namespace as require('eventlet').default", function () {
      expect(parseLastLine(run).defaultIsNamespace).to.equal(true);
    });

    it('works: spawn/wait and withTimeout', function () {
      const out = parseLastLine(run);
      expect(out.waited).to.equal(5);
      expect(out.timedOut).to.equal(true);
    });

    it("runs tpool.execute, and requires the same tpool as 'eventlet/tpool', then exits by itself", function () {
      expect(parseLastLine(run).tpool).to.deep.equal({ sum: 5, subpath: true, set_num_threads: true });
    });

    it('shares one module instance with import() (no dual-package hazard)', function () {
      expect(parseLastLine(run).sameInstance).to.equal(true);
    });
  });

  describe("green modules: import 'eventlet/green/<name>'", function () {
    it('resolves each of net, tls, timers, dns, fs, child_process and worker_threads with every export of Node\'s module', async function () {
      const run = await runNode([fixture('green-modules.mjs')]);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stderr, describeRun(run)).to.equal('');
      const none = { missingNamed: [], missingDefault: [] };
      expect(parseLastLine(run)).to.deep.equal({ net: none, tls: none, timers: none, dns: none, fs: none, child_process: none, worker_threads: none });
    });
  });

  describe('examples/pipeline.js (npm run example)', function () {
    it('runs to the end: exit 0, no stderr, the expected outcomes', async function () {
      const run = await runNode([`${root}examples/pipeline.js`]);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(run.stderr, describeRun(run)).to.equal('');
      expect(run.stdout).to.match(/summary: 10 jobs, 7 ok, 2 timed out, 1 killed/);
      expect(run.stdout).to.include('monitor: stopped');
    });
  });
});
