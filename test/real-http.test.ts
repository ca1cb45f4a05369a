/**
 * fetch, http and https (Node's own clients, unmodified) against slow local servers, run by
 * fixtures/real-http.mjs under `monkeyPatch()` and again under `node --import eventlet/loader`:
 * a per-request withTimeout for each kind of client, and a GreenPool(50) of fetches of which
 * every fourth is slower than its deadline. The https server uses a self-signed certificate the
 * fixture process trusts through NODE_EXTRA_CA_CERTS.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';
import { type Credentials, makeCredentials } from './support.js';

interface PerRequest {
  name: string;
  isTimeoutInstance: boolean;
  elapsedMs: number;
  serverSawGoneMs: number | null;
  fastBody: string;
}

interface HttpReport extends Ending {
  mode: string;
  perRequest: Record<'fetch http' | 'fetch https' | 'http.get' | 'https.get', PerRequest>;
  pooled: {
    elapsedMs: number;
    total: number;
    ok: number;
    okAllFast: boolean;
    timedOut: number;
    timedOutAllSlow: boolean;
    other: unknown[];
    serverAnswered: number;
    serverSawGone: number;
  };
}

const KINDS = ['fetch http', 'fetch https', 'http.get', 'https.get'] as const;

for (const mode of PATCH_MODES) {
  describe(`fetch, http and https against slow local servers (${mode.title})`, function () {
    this.timeout(60_000);
    let credentials: Credentials;
    let report: HttpReport;

    before(async () => {
      credentials = makeCredentials();
      const env = { TLS_KEY: credentials.keyFile, TLS_CERT: credentials.certFile, NODE_EXTRA_CA_CERTS: credentials.certFile };
      report = (await runFixture<HttpReport>('real-http.mjs', mode, { env })).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    after(() => fs.rmSync(credentials.dir, { recursive: true, force: true }));

    for (const kind of KINDS) {
      it(`rejects withTimeout(0.2, ${kind} of a 5 s answer) with the Timeout within 100 ms of the deadline, and the server sees the client go by then`, () => {
        const run = report.perRequest[kind];
        expect(run).to.include({ name: 'Timeout', isTimeoutInstance: true });
        expect(run.elapsedMs).to.be.within(195, 300);
        expect(run.serverSawGoneMs).to.be.a('number').and.within(195, 300);
      });

      it(`answers a fast ${kind} correctly afterwards`, () => {
        expect(report.perRequest[kind].fastBody).to.equal(`fast ${kind}`);
      });
    }

    describe('a GreenPool(50) of 200 fetches, each under withTimeout(1), every fourth answered after 3 s', () => {
      it('gets every fast answer, each the right body', () => {
        expect(report.pooled.ok).to.equal(150);
        expect(report.pooled.okAllFast).to.equal(true);
        expect(report.pooled.serverAnswered).to.be.at.least(150);
      });

      it('gets the Timeout for every slow one, and nothing else fails', () => {
        expect(report.pooled.timedOut).to.equal(50);
        expect(report.pooled.timedOutAllSlow).to.equal(true);
        expect(report.pooled.other).to.deep.equal([]);
        expect(report.pooled.total).to.equal(200);
      });

      it('closes the connection of every timed-out fetch: the server saw each client go before its answer', () => {
        expect(report.pooled.serverSawGone).to.equal(50);
      });

      it('finishes within 8 s: no fetch waits past its own deadline', () => {
        expect(report.pooled.elapsedMs).to.be.below(8000);
      });
    });

    it('leaves no handle or file descriptor open once the servers close, and nothing unhandled', () => {
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}
