/**
 * pg (node-postgres, unmodified) against a real PostgreSQL started by the root hook
 * (test/servers.ts), run by fixtures/real-pg.mjs under `monkeyPatch()` and again under
 * `node --import eventlet/loader`. Skipped with a note where PostgreSQL is not installed (failed
 * under CI).
 */
import { expect } from 'chai';
import { needServers } from './servers.js';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';

interface TimedOut {
  name: string;
  isTimeoutInstance: boolean;
  isTimeout: boolean;
  elapsedMs: number;
  nextAnswer: number;
}

interface PoolSize {
  total: number;
  idle: number;
  waiting: number;
}

interface PgReport extends Ending {
  mode: string;
  queryTimeout: { cold: TimedOut; warm: TimedOut & { serverStoppedQuery: boolean }; poolAfter: PoolSize; poolErrors: string[] };
  killedTransaction: {
    killMs: number;
    victimOutcome: string;
    victimOwnErrors: string[];
    otherQueriesAfterKill: number;
    otherErrors: string[];
    poolErrors: string[];
    brokenBackendGone: boolean;
    distinctConnectionsAfter: number;
    brokenBackendReused: boolean;
    committedRows: number;
    poolAfter: PoolSize;
  };
  idleSurvivesOpener: {
    openerOutcome: string;
    queuedResults: Array<{ pid?: number; i?: number; error?: string }>;
    openedPid: number;
    samePidAfterKill: boolean;
    poolErrors: string[];
    poolAfter: PoolSize;
  };
}

for (const mode of PATCH_MODES) {
  describe(`pg + PostgreSQL (${mode.title})`, function () {
    this.timeout(60_000);
    let report: PgReport;

    before(async function () {
      await needServers(this, 'postgres');
      report = (await runFixture<PgReport>('real-pg.mjs', mode)).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    describe('withTimeout(0.3, () => pool.query("SELECT pg_sleep(5)"))', () => {
      it('rejects with the Timeout itself within 100 ms of the deadline, on a cold pool and on a warm one', () => {
        for (const run of [report.queryTimeout.cold, report.queryTimeout.warm]) {
          expect(run).to.include({ name: 'Timeout', isTimeoutInstance: true, isTimeout: true });
          expect(run.elapsedMs).to.be.within(295, 400);
        }
      });

      it('leaves the pool answering the next query, with no pool error', () => {
        expect(report.queryTimeout.cold.nextAnswer).to.equal(42);
        expect(report.queryTimeout.warm.nextAnswer).to.equal(42);
        expect(report.queryTimeout.poolErrors).to.deep.equal([]);
        expect(report.queryTimeout.poolAfter.waiting).to.equal(0);
        expect(report.queryTimeout.poolAfter.idle).to.equal(report.queryTimeout.poolAfter.total);
      });

      it('on a warm pool destroys the connection, so the server stops the query within a second', () => {
        expect(report.queryTimeout.warm.serverStoppedQuery).to.equal(true);
      });
    });

    describe('a thread killed in the middle of a transaction on a checked-out client', () => {
      it('is killed promptly: kill() settles within 100 ms and wait() rejects with GreenletExit', () => {
        expect(report.killedTransaction.killMs).to.be.below(100);
        expect(report.killedTransaction.victimOutcome).to.equal('GreenletExit');
        expect(report.killedTransaction.victimOwnErrors).to.deep.equal(['GreenletExit']);
      });

      it('commits nothing: the server rolled the transaction back', () => {
        expect(report.killedTransaction.committedRows).to.equal(0);
      });

      it('no other thread using the pool meanwhile sees an error, and they keep getting answers', () => {
        expect(report.killedTransaction.otherErrors).to.deep.equal([]);
        expect(report.killedTransaction.poolErrors).to.deep.equal([]);
        expect(report.killedTransaction.otherQueriesAfterKill).to.be.above(10);
      });

      it('drops the broken connection and replaces it: the pool is whole again with fresh connections', () => {
        expect(report.killedTransaction.brokenBackendGone).to.equal(true);
        expect(report.killedTransaction.brokenBackendReused).to.equal(false);
        expect(report.killedTransaction.distinctConnectionsAfter).to.equal(4);
        expect(report.killedTransaction.poolAfter).to.deep.equal({ total: 4, idle: 4, waiting: 0 });
      });
    });

    describe('a pooled connection whose opener is killed later', () => {
      it('serves the requests queued on it meanwhile, none failing', () => {
        const { queuedResults, openedPid } = report.idleSurvivesOpener;
        expect(queuedResults).to.deep.equal([0, 1, 2, 3, 4].map((i) => ({ pid: openedPid, i })));
      });

      it('stays in the pool idle and is reused by the next thread, with no pool error', () => {
        expect(report.idleSurvivesOpener.openerOutcome).to.equal('GreenletExit');
        expect(report.idleSurvivesOpener.samePidAfterKill).to.equal(true);
        expect(report.idleSurvivesOpener.poolErrors).to.deep.equal([]);
        expect(report.idleSurvivesOpener.poolAfter).to.deep.equal({ total: 1, idle: 1, waiting: 0 });
      });
    });

    it('leaves no handle or file descriptor open once the pools are ended, and nothing went unhandled', () => {
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}
