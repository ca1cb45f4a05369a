/**
 * What a green thread owns beyond sockets and files, seen as a user would: fixtures run in a child
 * process under `monkeyPatch()` and under `node --import eventlet/loader`. A child process, a
 * Worker, and a socket waiting for a server that speaks first are released when the thread that
 * started them is interrupted; interrupted reads of a FIFO keep no thread-pool thread.
 */
import { expect } from 'chai';
import { PATCH_MODES, runFixture, expectNothingLeftOpen, expectNothingUnhandled, type Ending } from './fixture-runs.js';

interface OwnershipReport extends Ending {
  mode: string;
  spawnedChild: { pidGoneMs: number | null; signal: string | null; stdoutDestroyed: boolean };
  execFilePromise: { isTimeout: boolean; elapsedMs: number; pidGoneMs: number | null };
  worker: { exitSeen: boolean; exitCode: number | null; exitMs: number | null };
  greeting: { isTimeout: boolean; serverSawCloseMs: number | null };
}

interface FifoReport extends Ending {
  mode: string;
  interrupted: string[];
  packageJsonMs: number;
  packageName: string;
}

for (const mode of PATCH_MODES) {
  describe(`what a green thread owns: children, workers, greetings, FIFOs (${mode.title})`, function () {
    this.timeout(60_000);
    let report: OwnershipReport;

    before(async () => {
      report = (await runFixture<OwnershipReport>('ownership.mjs', mode)).report;
      expect(report.mode).to.equal(mode.env.EVENTLET_FIXTURE_PATCH);
    });

    it('sends SIGTERM to a child spawned by a killed thread: its pid is gone within 1 s and its stdout is closed', () => {
      expect(report.spawnedChild.pidGoneMs).to.be.a('number').and.below(1000);
      expect(report.spawnedChild).to.include({ signal: 'SIGTERM', stdoutDestroyed: true });
    });

    it('rejects withTimeout(0.2) around util.promisify(execFile) with the Timeout on time, and the child is gone within 1 s', () => {
      expect(report.execFilePromise.isTimeout).to.equal(true);
      expect(report.execFilePromise.elapsedMs).to.be.within(195, 350);
      expect(report.execFilePromise.pidGoneMs).to.be.a('number').and.below(1200);
    });

    it("terminates a Worker created by a killed thread: its 'exit' event is seen", () => {
      expect(report.worker.exitSeen, 'a worker that never ends by itself exited').to.equal(true);
      expect(report.worker.exitMs).to.be.below(1000);
    });

    it('destroys a socket waiting for a server that speaks first when its withTimeout fires: the server sees it close', () => {
      expect(report.greeting.isTimeout).to.equal(true);
      expect(report.greeting.serverSawCloseMs).to.be.a('number').and.within(195, 500);
    });

    it('leaves nothing open and nothing unhandled', () => {
      expectNothingLeftOpen(report);
      expectNothingUnhandled(report);
    });

    it('answers readFile(package.json) in under 500 ms after five interrupted FIFO reads, and the process exits by itself', async () => {
      const { report: fifo } = await runFixture<FifoReport>('fifo-reads.mjs', mode, { timeoutMs: 10_000 });
      expect(fifo.interrupted).to.deep.equal(['Timeout', 'GreenletExit', 'Timeout', 'GreenletExit', 'Timeout']);
      expect(fifo.packageName).to.equal('eventlet');
      expect(fifo.packageJsonMs).to.be.below(500);
      expectNothingLeftOpen(fifo);
      expectNothingUnhandled(fifo);
    });
  });
}
