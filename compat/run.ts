/**
 * `npm run compat -- <node-test-dir>`: runs Node's own `test/parallel` files for net, tls, dns, fs,
 * timers, http and https twice — plain, and under `node --import eventlet/loader` — with the node
 * on PATH, and prints the tests that pass plain and fail patched (the regressions).
 *
 * Get Node's tests for the node you run from the denoland/node_test repository at the matching
 * release tag (its `test/` folder holds `parallel/`, `common/` and `fixtures/`).
 *
 * Options (after `npm run compat --`):
 *   <dir>             Node's test/ directory or the folder holding it (or EVENTLET_COMPAT_TESTS)
 *   --jobs N          runs at once (default: available parallelism)
 *   --timeout S       seconds per run before it is killed and counted as failed (default 60)
 *   --filter REGEX    only tests whose file name matches
 *   --json FILE       also write every result to FILE
 *
 * A regression is confirmed by running the test again both ways; one that passes patched the
 * second time is listed as flaky, not as a regression. A confirmed one is run a third way, with
 * `--import` of a module that does nothing: one that fails that way too is caused by `--import`
 * itself, not by eventlet, and is listed apart. So is one in a test started with
 * `--expose-internals`: such a test replaces Node's private bindings (`internalBinding`) before
 * the module that captures them loads, or expects `getaddrinfo` to be called, and a preload that
 * has already loaded `tls` and `dns`, whose green look-ups never call `getaddrinfo`, cannot honour
 * that; Node's public API is what is compared. Exit code 1 when regressions remain.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listTests, testRoot, type NodeTest } from './node-tests.js';
import { runTest, type RunResult } from './test-process.js';

interface Options {
  dir: string;
  jobs: number;
  timeoutMs: number;
  filter: RegExp | null;
  json: string | null;
}

type Mode = 'plain' | 'patched' | 'empty';

interface TestResult {
  test: NodeTest;
  plain: RunResult;
  patched: RunResult;
  confirmed?: { plain: RunResult; patched: RunResult };
  /** The run with `--import` of a module that does nothing. */
  emptyImport?: RunResult;
}

const LOADER = pathToFileURL(fileURLToPath(new URL('../loader/index.js', import.meta.url))).href;
const EMPTY_PRELOAD = pathToFileURL(fileURLToPath(new URL('./empty-preload.js', import.meta.url))).href;

/** The options each mode puts before the test's own flags. */
const PRELOAD: Record<Mode, string[]> = { plain: [], patched: ['--import', LOADER], empty: ['--import', EMPTY_PRELOAD] };

function parseArgs(argv: string[]): Options {
  const options: Options = {
    dir: process.env.EVENTLET_COMPAT_TESTS ?? '',
    jobs: os.availableParallelism(),
    timeoutMs: 60_000,
    filter: null,
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`compat: ${arg} needs a value`);
      return v;
    };
    if (arg === '--jobs') options.jobs = Number(value());
    else if (arg === '--timeout') options.timeoutMs = Number(value()) * 1000;
    else if (arg === '--filter') options.filter = new RegExp(value());
    else if (arg === '--json') options.json = value();
    else if (arg.startsWith('--')) throw new Error(`compat: unknown option ${arg}`);
    else options.dir = arg;
  }
  if (!options.dir) throw new Error('compat: give the path of a copy of Node\'s test/ directory (argument or EVENTLET_COMPAT_TESTS)');
  if (!Number.isInteger(options.jobs) || options.jobs < 1) throw new Error('compat: --jobs must be a positive integer');
  if (!(options.timeoutMs > 0)) throw new Error('compat: --timeout must be > 0');
  return options;
}

/** Runs `tasks` with at most `jobs` at once; each gets a slot number unique among those running. */
async function pool<T>(tasks: Array<(slot: number) => Promise<T>>, jobs: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!(slot);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, (_, slot) => worker(slot)));
  return results;
}

function isPass(result: RunResult): boolean {
  return result.outcome === 'pass' || result.outcome === 'skip';
}

function isRegression(plain: RunResult, patched: RunResult): boolean {
  return isPass(plain) && !isPass(patched);
}

/** Runs each test in each of `modes`, `options.jobs` at once; the results per test, by mode. */
async function runModes(tests: NodeTest[], modes: Mode[], options: Options, cwd: string, progress: (done: number) => void): Promise<Array<Partial<Record<Mode, RunResult>>>> {
  let done = 0;
  const run = (test: NodeTest, mode: Mode) => (slot: number) =>
    runTest(test, { node: 'node', preload: PRELOAD[mode], timeoutMs: options.timeoutMs, cwd, slot }).then((r) => {
      progress(++done);
      return r;
    });
  const results = await pool(tests.flatMap((test) => modes.map((mode) => run(test, mode))), options.jobs);
  return tests.map((_, i) => Object.fromEntries(modes.map((mode, m) => [mode, results[i * modes.length + m]!])));
}

function describe(result: RunResult): string {
  if (result.outcome === 'timeout') return `timed out after ${(result.ms / 1000).toFixed(0)} s`;
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
}

function tail(output: string, lines: number): string {
  return output.trimEnd().split('\n').slice(-lines).map((l) => `      ${l}`).join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const root = testRoot(options.dir);
  const tests = listTests(root, options.filter);
  const started = Date.now();
  const version = execFileSync('node', ['--version']).toString().trim();
  console.log(`eventlet compat — node ${version} on PATH, ${tests.length} tests from ${root}/parallel, ${options.jobs} jobs, ${options.timeoutMs / 1000} s limit`);
  const total = tests.length * 2;
  const runs = await runModes(tests, ['plain', 'patched'], options, dirname(root), (done) => {
    if (done % 50 === 0 || done === total) process.stderr.write(`  ${done}/${total} runs (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  });
  const results: TestResult[] = tests.map((test, i) => ({ test, plain: runs[i]!.plain!, patched: runs[i]!.patched! }));
  const candidates = results.filter((r) => isRegression(r.plain, r.patched));
  if (candidates.length > 0) {
    process.stderr.write(`  confirming ${candidates.length} regression(s)\n`);
    const again = await runModes(candidates.map((r) => r.test), ['plain', 'patched', 'empty'], options, dirname(root), () => {});
    candidates.forEach((r, i) => {
      r.confirmed = { plain: again[i]!.plain!, patched: again[i]!.patched! };
      r.emptyImport = again[i]!.empty!;
    });
  }
  const confirmed = candidates.filter((r) => r.confirmed && isRegression(r.confirmed.plain, r.confirmed.patched));
  const byImport = confirmed.filter((r) => !isPass(r.emptyImport!));
  const internals = confirmed.filter((r) => !byImport.includes(r) && r.test.flags.includes('--expose-internals'));
  const regressions = confirmed.filter((r) => !byImport.includes(r) && !internals.includes(r));
  const flaky = candidates.filter((r) => !confirmed.includes(r));
  for (const r of regressions) console.log(`\nREGRESSION ${r.test.name} (${r.test.flags.join(' ') || 'no flags'}): plain passes, patched ${describe(r.patched)}\n${tail(r.patched.output, 12)}`);
  if (byImport.length > 0) console.log(`\nfailing under any --import (also with an empty module, so not caused by eventlet): ${byImport.map((r) => r.test.name).join(', ')}`);
  if (internals.length > 0) console.log(`\ndiffering in tests of Node's internals (--expose-internals): ${internals.map((r) => r.test.name).join(', ')}`);
  if (flaky.length > 0) console.log(`\nflaky (failed patched once, then passed or failed plain): ${flaky.map((r) => r.test.name).join(', ')}`);
  const count = (mode: 'plain' | 'patched', pred: (r: RunResult) => boolean) => results.filter((r) => pred(r[mode])).length;
  console.log(
    `\nnode ${version}: ${tests.length} tests; plain ${count('plain', isPass)} pass (${count('plain', (r) => r.outcome === 'skip')} skipped themselves); ` +
      `patched ${count('patched', isPass)} pass; regressions ${regressions.length}; failing under any --import ${byImport.length}; internals tests differing ${internals.length}; flaky ${flaky.length}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (options.json) {
    const strip = (r: RunResult) => ({ outcome: r.outcome, code: r.code, signal: r.signal, ms: r.ms });
    writeFileSync(options.json, `${JSON.stringify({ node: version, results: results.map((r) => ({ name: r.test.name, plain: strip(r.plain), patched: strip(r.patched), regression: regressions.includes(r), failsUnderAnyImport: byImport.includes(r), internals: internals.includes(r) })) }, null, 2)}\n`);
  }
  if (regressions.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
