/**
 * Soak: fixtures/real-soak.mjs runs 2,000 green threads, 50 at a time, each doing a pg query, a
 * Redis round trip and a fetch under a random 1–50 ms withTimeout, under `monkeyPatch()` and again
 * under `node --import eventlet/loader`, against the servers of the root hook (test/servers.ts).
 * Prints the counts and timings of each run.
 */
import { expect } from 'chai';
import { needServers } from './servers.js';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';

interface SoakReport extends Ending {
  mode: string;
  iterations: number;
  concurrency: number;
  ok: number;
  timedOut: number;
  other: string[];
  otherCount: number;
  elapsedMs: number;
  okMs: { p50: number | null; p99: number | null };
  timeoutLateMs: { p50: number | null; p99: number | null; max: number | null };
  pools: { pgTotal: number; pgIdle: number; pgWaiting: number; redisStatus: string; redisServerClients: number };
  poolSize: number;
  poolErrors: string[];
  redisReconnects: number;
  heapGrowthMb: number;
}

for (const mode of PATCH_MODES) {
  describe(`soak: 2,000 threads doing pg, Redis and fetch under a random 1–50 ms Timeout, 50 at a time (${mode.title})`, function () {
    this.timeout(120_000);
    let report: SoakReport;

    before(async function () {
      await needServers(this, 'postgres', 'redis');
      report = (await runFixture<SoakReport>('real-soak.mjs', mode, { nodeArgs: ['--expose-gc'], timeoutMs: 110_000 })).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
      const { ok, timedOut, elapsedMs, okMs, timeoutLateMs, redisReconnects, heapGrowthMb } = report;
      console.log(
        `      soak (${mode.title}): ${ok} ok, ${timedOut} timed out in ${elapsedMs} ms; ok p50 ${okMs.p50} ms, p99 ${okMs.p99} ms; ` +
          `Timeout reported late by p50 ${timeoutLateMs.p50} ms, p99 ${timeoutLateMs.p99} ms, max ${timeoutLateMs.max} ms; ` +
          `${redisReconnects} Redis reconnects; heap +${heapGrowthMb} MB`,
      );
    });

    it('ends every thread with its values right or with its Timeout, and nothing else', () => {
      expect(report.other).to.deep.equal([]);
      expect(report.otherCount).to.equal(0);
      expect(report.ok + report.timedOut).to.equal(2000);
    });

    it('lets no thread wait on a library past its deadline by more than a second, even with the loop this busy', () => {
      expect(report.timeoutLateMs.max ?? 0).to.be.below(1000);
    });

    it('has no unhandled rejection or uncaught exception, and no pool error', () => {
      expectNothingUnhandled(report);
      expect(report.poolErrors).to.deep.equal([]);
    });

    it('leaves the pools at their normal size: pg at most 10, all idle, none waiting; Redis ready on one connection', () => {
      expect(report.pools.pgTotal).to.be.within(1, report.poolSize);
      expect(report.pools.pgIdle).to.equal(report.pools.pgTotal);
      expect(report.pools.pgWaiting).to.equal(0);
      expect(report.pools.redisStatus).to.equal('ready');
      expect(report.pools.redisServerClients, 'the client and the checker').to.equal(2);
    });

    it('grows the heap by less than 20 MB', () => {
      expect(report.heapGrowthMb).to.be.below(20);
    });

    it('leaves no handle or file descriptor open once the pools, clients and server are closed', () => {
      expectNothingLeftOpen(report);
    });
  });
}
