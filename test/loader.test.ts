import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { patchOptions } from '../loader/patch-options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a fixture the way a user would: `node --import eventlet/loader fixtures/<name>` (or `--require`). */
function runUnderLoader(fixture: string, env: Record<string, string> = {}, flag: '--import' | '--require' = '--import'): { status: number | null; stdout: string; stderr: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  const result = spawnSync(process.execPath, [flag, 'eventlet/loader', `fixtures/${fixture}`], {
    cwd: root,
    env: childEnv,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function report(fixture: string, env: Record<string, string> = {}, flag: '--import' | '--require' = '--import'): Record<string, unknown> {
  const { status, stdout, stderr } = runUnderLoader(fixture, env, flag);
  expect(stderr, 'stderr').to.equal('');
  expect(status, 'exit status').to.equal(0);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('loader (node --import eventlet/loader)', () => {
  it('patches all six modules before the first line of an ESM entry, imports included', () => {
    expect(report('loader-report.mjs')).to.deep.equal({
      patched: ['net', 'tls', 'timers', 'dns', 'fs', 'child_process'],
      esmTimersIsGreen: true,
      globalTimersIsGreen: true,
      esmFsIsGreen: true,
      esmDefaultSame: true,
    });
  });

  it('patches all six modules before the first line of a CommonJS entry', () => {
    expect(report('loader-report.cjs')).to.deep.equal({
      patched: ['net', 'tls', 'timers', 'dns', 'fs', 'child_process'],
      requireTimersIsGreen: true,
      requireFsIsGreen: true,
    });
  });

  it('patches the same way when preloaded with --require (it loads synchronously), for ESM and CommonJS entries', () => {
    expect(report('loader-report.mjs', {}, '--require')).to.deep.equal(report('loader-report.mjs'));
    expect(report('loader-report.cjs', {}, '--require')).to.deep.equal(report('loader-report.cjs'));
    expect(report('loader-report.cjs', {}, '--require').patched).to.have.length(6);
  });

  it('patches only the modules listed in EVENTLET_PATCH', () => {
    const result = report('loader-report.cjs', { EVENTLET_PATCH: 'net, node:dns' });
    expect(result.patched).to.deep.equal(['net', 'dns']);
    expect(result.requireTimersIsGreen).to.equal(false);
  });

  it('patches nothing with EVENTLET_PATCH=none', () => {
    expect(report('loader-report.cjs', { EVENTLET_PATCH: 'none' }).patched).to.deep.equal([]);
  });

  it('stops before the application runs when EVENTLET_PATCH names an unknown module', () => {
    const { status, stdout, stderr } = runUnderLoader('loader-report.cjs', { EVENTLET_PATCH: 'net,bogus' });
    expect(status).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.contain('EVENTLET_PATCH').and.to.contain('"bogus"');
  });

  it('lets withTimeout stop an unmodified fetch within 100 ms of the deadline, leaving nothing open', () => {
    const result = report('loader-fetch-timeout.mjs');
    expect(result).to.include({ name: 'Timeout', isTimeout: true, serverSawClose: true });
    expect(result.elapsedMs).to.be.within(190, 300);
    expect(result.resources).to.deep.equal([]);
  });
});

describe('patchOptions (EVENTLET_PATCH parsing)', () => {
  it('reads a missing, empty or "all" value as every module', () => {
    expect(patchOptions(undefined)).to.deep.equal({});
    expect(patchOptions('')).to.deep.equal({});
    expect(patchOptions('all')).to.deep.equal({});
  });

  it('reads "none" as no patching and a comma list as those modules', () => {
    expect(patchOptions('none')).to.equal(null);
    expect(patchOptions('fs,timers')).to.deep.equal({ fs: true, timers: true });
    expect(patchOptions('node:child_process, net')).to.deep.equal({ child_process: true, net: true });
  });

  it('rejects an unknown name with a TypeError naming it', () => {
    expect(() => patchOptions('sockets')).to.throw(TypeError, /"sockets"/);
    expect(() => patchOptions('worker_threads')).to.throw(TypeError, /"worker_threads"; expected all, none, or a comma list of net, tls, timers, dns, fs, child_process/);
  });
});
