/**
 * ioredis (unmodified) against a real Redis started by the root hook (test/servers.ts), run by
 * fixtures/real-redis.mjs under `monkeyPatch()` and again under `node --import eventlet/loader`.
 * Skipped with a note where Redis is not installed (failed under CI).
 */
import { expect } from 'chai';
import { needServers } from './servers.js';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';

interface Interrupted {
  name: string;
  isTimeoutInstance: boolean;
  isTimeout: boolean;
  elapsedMs: number;
  pong: string;
  pingMs: number;
  status: string;
  listLength: number;
  blockedClients: number;
}

interface RedisReport extends Ending {
  mode: string;
  byTimeout: Interrupted;
  byKill: Interrupted;
  reconnects: number;
  clientErrors: string[];
  value: string;
}

for (const mode of PATCH_MODES) {
  describe(`ioredis + Redis (${mode.title})`, function () {
    this.timeout(60_000);
    let report: RedisReport;

    before(async function () {
      await needServers(this, 'redis');
      report = (await runFixture<RedisReport>('real-redis.mjs', mode)).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    it('rejects withTimeout(0.3, () => redis.blpop(key, 0)) with the Timeout itself within 100 ms of the deadline', () => {
      expect(report.byTimeout).to.include({ name: 'Timeout', isTimeoutInstance: true, isTimeout: true });
      expect(report.byTimeout.elapsedMs).to.be.within(295, 400);
    });

    it('ends a thread killed in blpop(key, 0) within 100 ms, wait() rejecting with GreenletExit', () => {
      expect(report.byKill).to.include({ name: 'GreenletExit', isTimeout: false });
      expect(report.byKill.elapsedMs).to.be.below(100);
    });

    it('closes the blocked connection: the server has no blocked client left', () => {
      expect(report.byTimeout.blockedClients).to.equal(0);
      expect(report.byKill.blockedClients).to.equal(0);
    });

    it('reconnects, and PING answers PONG within a second each time', () => {
      for (const run of [report.byTimeout, report.byKill]) {
        expect(run).to.include({ pong: 'PONG', status: 'ready' });
        expect(run.pingMs).to.be.below(1000);
      }
      expect(report.reconnects).to.equal(2);
      expect(report.clientErrors).to.deep.equal(['Timeout', 'GreenletExit']);
    });

    it('leaves no BLPOP behind to pop an item for nobody: an item pushed afterwards stays in the list', () => {
      expect(report.byTimeout.listLength).to.equal(1);
      expect(report.byKill.listLength).to.equal(1);
    });

    it('keeps working for round trips in green threads afterwards', () => {
      expect(report.value).to.equal('round trip');
    });

    it('leaves no handle or file descriptor open once the clients quit, and nothing went unhandled', () => {
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}
