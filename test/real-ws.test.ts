/**
 * ws (unmodified): green threads that wait for WebSocket messages, killed or timed out, run by
 * fixtures/real-ws.mjs under `monkeyPatch()` and again under `node --import eventlet/loader`.
 * The server is a `WebSocketServer` in the same program. An open WebSocket with nothing in flight
 * belongs to nobody (like an idle pooled connection), so the thread hands its `signal` to
 * `events.once`: the kill rejects that wait and the thread's `finally` closes the socket.
 */
import { expect } from 'chai';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';

interface WsReport extends Ending {
  mode: string;
  answered: string[];
  killed: { outcome: string; killMs: number; serverSawCloseMs: number | null; closeCode: number };
  timedOut: { outcome: string; elapsedMs: number; serverSawCloseMs: number | null };
  serverConnectionsLeft: number;
}

for (const mode of PATCH_MODES) {
  describe(`ws (${mode.title})`, function () {
    this.timeout(60_000);
    let report: WsReport;

    before(async () => {
      report = (await runFixture<WsReport>('real-ws.mjs', mode)).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    it('delivers the messages a thread waits for', () => {
      expect(report.answered).to.deep.equal(['hello', 'echo ping']);
    });

    it('ends a thread killed while it waits for a message: kill() settles within 100 ms and wait() rejects with GreenletExit', () => {
      expect(report.killed.outcome).to.equal('GreenletExit');
      expect(report.killed.killMs).to.be.below(100);
    });

    it('lets the server see the close within 100 ms of the kill', () => {
      expect(report.killed.serverSawCloseMs).to.be.a('number').and.below(100);
    });

    it("ends a thread whose own Timeout(0.2) fires while it waits with that Timeout, and the server sees the close within 100 ms of the deadline", () => {
      expect(report.timedOut.outcome).to.equal('Timeout');
      expect(report.timedOut.elapsedMs).to.be.within(195, 300);
      expect(report.timedOut.serverSawCloseMs).to.be.a('number').and.within(195, 300);
    });

    it('leaves no connection at the server, no handle or file descriptor open, and nothing unhandled', () => {
      expect(report.serverConnectionsLeft).to.equal(0);
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });
  });
}
