import { expect } from 'chai';
import { fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { HOLD_LIMIT_MS, MAX_HELD_MESSAGES } from '../lib/startup-messages.js';
import { PATCH_MODES, runFixture } from './fixture-runs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const env = { ...process.env, NODE_OPTIONS: '' };

interface Heard {
  heard: unknown[];
  emitIsNodes: boolean;
}

interface ClusterReport {
  codes: Record<string, number | null>;
  reports: { cjsNotListening: { emitIsNodes: boolean }; late: Heard; afterLimit: Heard };
}

describe('startup messages (a cluster worker\'s IPC messages sent while its preloads load, under the loader)', function () {
  this.timeout(30_000);
  let cluster: ClusterReport;
  before(async () => {
    cluster = (await runFixture<ClusterReport>('startup-messages/cluster.cjs', PATCH_MODES[1]!, { timeoutMs: 25_000 })).report;
  });

  it('lets a CommonJS worker hear the primary\'s message on process, and on cluster.worker', () => {
    expect(cluster.codes).to.include({ cjsOnProcess: 7, cjsOnWorker: 7 });
  });

  it('lets an ES module worker hear it on process, and on cluster.worker', () => {
    expect(cluster.codes).to.include({ esmOnProcess: 7, esmOnWorker: 7 });
  });

  it('drops what it held when the primary disconnects the worker meanwhile, instead of replaying it to a closed channel', () => {
    expect(cluster.codes).to.include({ disconnected: 0 });
  });

  it('gives process.emit back once a CommonJS main that never listens has run', () => {
    expect(cluster.reports.cjsNotListening).to.deep.equal({ emitIsNodes: true });
  });

  it(`gives a worker that listens late the newest ${MAX_HELD_MESSAGES} held messages in order, then the later ones`, () => {
    const newest = Array.from({ length: MAX_HELD_MESSAGES }, (_, i) => 1004 - MAX_HELD_MESSAGES + i);
    expect(cluster.reports.late).to.deep.equal({ heard: [...newest, 'after', 'last'], emitIsNodes: true });
  });

  it(`holds nothing longer than ${HOLD_LIMIT_MS} ms: a worker listening after that hears only what came later`, () => {
    expect(cluster.reports.afterLimit).to.deep.equal({ heard: ['after', 'last'], emitIsNodes: true });
  });

  for (const flag of ['--require', '--import']) {
    // Node 20 reads --import files asynchronously: the channel may be read before any preload runs
    const earlyMayBeLost = flag === '--import' && Number(process.versions.node.split('.')[0]) < 22;
    const title = earlyMayBeLost
      ? `holds, on Node 20 under ${flag}, what reaches a worker once the loader runs (sent at fork(), it may be lost as under any --import)`
      : `lets workers preloaded with ${flag} eventlet/loader hear what the primary sent right after fork(), on 'online' and later, in order`;
    it(title, async () => {
      const { report } = await runFixture<Record<string, string[]>>('startup-messages/at-fork.cjs', { title: flag, nodeArgs: [flag, 'eventlet/loader'], env: {} }, { timeoutMs: 25_000 });
      const allowed = earlyMayBeLost ? [['a', 'b', 'last'], ['b', 'last'], ['last']] : [['a', 'b', 'last']];
      for (const heard of [report.cjs, report.esm]) expect(allowed, `heard ${JSON.stringify(heard)}`).to.deep.include(heard);
    });
  }

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
