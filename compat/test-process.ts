/**
 * Running one of Node's test files in a child process with a time limit: the whole process group
 * is killed on timeout and after the test exits, so no test leaves a child of its own behind.
 */
import { spawn } from 'node:child_process';
import type { NodeTest } from './node-tests.js';

/** How a run ended: `skip` is an exit 0 whose output says the test skipped itself. */
export type Outcome = 'pass' | 'skip' | 'fail' | 'timeout';

/** The outcome of one run and the tail of its output. */
export interface RunResult {
  outcome: Outcome;
  code: number | null;
  signal: string | null;
  ms: number;
  output: string;
}

/** Where and how to run: the node binary, extra options before the test's flags, the limit. */
export interface RunOptions {
  node: string;
  preload: string[];
  timeoutMs: number;
  cwd: string;
  /** distinct per concurrent run: Node's `common/tmpdir` derives its folder (`test/.tmp.<slot>`) from it */
  slot: number;
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Runs `test` as `node <preload> <flags> <file>` and reports how it ended.
 * @example await runTest(test, { node: process.execPath, preload: [], timeoutMs: 60_000, cwd, slot: 0 })
 */
export function runTest(test: NodeTest, options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_THREAD_ID: String(options.slot) };
  delete env.NODE_OPTIONS;
  const child = spawn(options.node, [...options.preload, ...test.flags, test.file], {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, options.timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid);
      const outcome: Outcome = timedOut ? 'timeout' : code !== 0 || signal ? 'fail' : /^1\.\.0 # Skipped/m.test(output) ? 'skip' : 'pass';
      resolve({ outcome, code, signal, ms: Date.now() - started, output });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ outcome: 'fail', code: null, signal: null, ms: Date.now() - started, output: String(err) });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}
