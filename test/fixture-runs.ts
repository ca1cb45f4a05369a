/**
 * Running a fixture program the two ways a user patches: `monkeyPatch()` called by the program
 * itself, and `node --import eventlet/loader` before it. The program prints one JSON report as
 * its last stdout line; its stderr must stay empty. Not a test file itself.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How a fixture is patched: its title in the suite name, node arguments, and what it is told. */
export interface PatchMode {
  title: string;
  nodeArgs: string[];
  env: Record<string, string>;
}

/** The two ways: the program calls monkeyPatch() itself, or the loader patches before it runs. @example for (const mode of PATCH_MODES) describe(mode.title, ...); */
export const PATCH_MODES: PatchMode[] = [
  { title: 'monkeyPatch() in the program', nodeArgs: [], env: { EVENTLET_FIXTURE_PATCH: 'monkeyPatch' } },
  { title: 'node --import eventlet/loader', nodeArgs: ['--import', 'eventlet/loader'], env: { EVENTLET_FIXTURE_PATCH: 'loader' } },
];

/** What a fixture run printed. */
export interface FixtureRun<R> {
  report: R;
  stderr: string;
  ms: number;
}

/**
 * Runs `node [mode args] [extraArgs] fixtures/<name>` from the repository root with the test's
 * environment (the servers' URLs included) plus `env`; rejects with its output when it exits
 * non-zero, writes to stderr, or prints no JSON report.
 * @example const { report } = await runFixture<PgReport>('real-pg.mjs', PATCH_MODES[0]);
 */
export function runFixture<R>(name: string, mode: PatchMode, options: { env?: Record<string, string>; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<FixtureRun<R>> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...mode.env, ...options.env };
  delete env.NODE_OPTIONS;
  const args = [...mode.nodeArgs, ...(options.nodeArgs ?? []), `fixtures/${name}`];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const output = `stdout:\n${stdout}\nstderr:\n${stderr}`;
      if (err) return reject(new Error(`fixtures/${name} (${mode.title}) failed: ${err.message}\n${output}`));
      if (stderr !== '') return reject(new Error(`fixtures/${name} (${mode.title}) wrote to stderr\n${output}`));
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ report: JSON.parse(last) as R, stderr, ms: performance.now() - started });
      } catch {
        reject(new Error(`fixtures/${name} (${mode.title}) printed no JSON report\n${output}`));
      }
    });
  });
}

/** What every real-client fixture reports at its end: what it left open, and what went unhandled. */
export interface Ending {
  leftOver: { resources: string[]; fds: number };
  failures: { unhandledRejections: string[]; uncaughtExceptions: string[] };
}

/**
 * Asserts the fixture left no handle or file descriptor open.
 * @example expectNothingLeftOpen(report);
 */
export function expectNothingLeftOpen(report: Ending): void {
  expect(report.leftOver.resources).to.deep.equal([]);
  expect(report.leftOver.fds).to.be.at.most(0);
}

/**
 * Asserts no rejection went unhandled and no exception uncaught in the fixture.
 * @example expectNothingUnhandled(report);
 */
export function expectNothingUnhandled(report: Ending): void {
  expect(report.failures).to.deep.equal({ unhandledRejections: [], uncaughtExceptions: [] });
}
