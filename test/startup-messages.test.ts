import { expect } from 'chai';
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MAX_HELD_MESSAGES } from '../lib/startup-messages.js';
import { PATCH_MODES, runFixture } from './fixture-runs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const env = { ...process.env, NODE_OPTIONS: '' };

interface ClusterReport {
  codes: Record<string, number>;
  late: { count: number; first: number; lastButOne: number };
}

describe('startup messages (IPC messages sent while a forked program\'s preloads load, under the loader)', function () {
  this.timeout(30_000);
  let cluster: ClusterReport;
  before(async () => {
    cluster = (await runFixture<ClusterReport>('startup-messages/cluster.cjs', PATCH_MODES[1]!, { timeoutMs: 20_000 })).report;
  });

  it('lets a CommonJS cluster worker hear the primary\'s message on process, and on cluster.worker', () => {
    expect(cluster.codes).to.include({ cjsOnProcess: 7, cjsOnWorker: 7 });
  });

  it('lets an ES module cluster worker hear it on cluster.worker', () => {
    expect(cluster.codes).to.include({ esmOnWorker: 7 });
  });

  it(`keeps the newest ${MAX_HELD_MESSAGES} for a worker that listens late, in order, dropping older ones`, () => {
    const sent = 1004 + 1; // 0 to 1003, then 'last'
    expect(cluster.late).to.deep.equal({ count: MAX_HELD_MESSAGES, first: sent - MAX_HELD_MESSAGES, lastButOne: 1003 });
    expect(cluster.codes).to.include({ late: 7 });
  });

  it('leaves a plain forked child to Node\'s own queue: process.emit untouched, every message heard in order', async () => {
    const child = fork('fixtures/startup-messages/child.cjs', { cwd: root, env, execArgv: ['--import', 'eventlet/loader', '--import', './fixtures/startup-messages/announcing-preload.mjs'] });
    const [preloading] = (await once(child, 'message')) as [string];
    expect(preloading).to.equal('preloading');
    for (const message of ['first', 'second', 'last']) child.send(message);
    const [reply] = (await once(child, 'message')) as [{ got: string[]; emitIsNodes: boolean }];
    expect(reply).to.deep.equal({ got: ['first', 'second', 'last'], emitIsNodes: true });
    await once(child, 'exit');
  });

  it('leaves process.emit alone in a process without an IPC channel', () => {
    const code = 'process.stdout.write(String(process.emit === require("node:events").prototype.emit))';
    const result = spawnSync(process.execPath, ['--import', 'eventlet/loader', '-e', code], { cwd: root, encoding: 'utf8', env });
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.equal('true');
  });
});
