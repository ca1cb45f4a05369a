// The examples as a newcomer runs them. `npm run example` is `node --import eventlet/loader
// examples/crawler.js`, run here in a child process (stdout a pipe, not a terminal) with a smaller
// site; its summary is checked against the site map the same seed builds. Needs the build in dist/.
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

// this file runs as dist/test/examples.test.js; the repository root is two levels up
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Page { path: string; links: string[]; latencyMs: number; slow: boolean }
interface SiteModule { siteMap(options: { pages: number; seed: number }): Page[] }
interface Stream { isTTY?: boolean; write(text: string): unknown }
interface ProgressModule { makeProgress(options: { stream: Stream; every?: number }): { update(text: string): void; done(): void } }

/** Loads one of the examples' own modules (plain JavaScript, outside the TypeScript build). */
const loadExample = <T>(file: string): Promise<T> => import(pathToFileURL(`${root}examples/${file}`).href) as Promise<T>;

interface Run { code: number | null; stdout: string; stderr: string }

/**
 * Runs the crawler with `nodeArgs` before the script and `args` after it; with `stopAfter`, the
 * child is stopped as soon as its stdout matches (its leftovers would keep it alive for seconds).
 */
function runCrawler(nodeArgs: string[], args: string[], stopAfter?: RegExp): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.CRAWLER_SEED;
  const child = spawn(process.execPath, [...nodeArgs, 'examples/crawler.js', ...args], { cwd: root, env, timeout: 30_000 });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    run.stdout += chunk;
    if (stopAfter?.test(run.stdout)) child.kill();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...run, code })));
}

const describeRun = (run: Run) => `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

/** The numbers of the summary block: `pages: 114` → `{ pages: 114 }`, `open handles: 0 (…)` too. */
function summaryOf(run: Run): Record<string, number> {
  const block = run.stdout.slice(run.stdout.indexOf('\nsummary'));
  const summary: Record<string, number> = {};
  for (const [, name, value] of block.matchAll(/^ {2}([a-z/ ]+):\s+(\d+)/gm)) summary[name!] = Number(value);
  return summary;
}

/** What a crawl from `/` must find: pages fetched, and slow pages reached (whose links stay unread). */
function expectedCrawl(map: Page[]): { pages: number; timeouts: number; reachable: number } {
  const byPath = new Map(map.map((page) => [page.path, page]));
  const seen = new Set(['/']);
  const frontier = ['/'];
  let pages = 0;
  let timeouts = 0;
  for (let path = frontier.pop(); path !== undefined; path = frontier.pop()) {
    const page = byPath.get(path)!;
    if (page.slow) {
      timeouts++;
      continue;
    }
    pages++;
    for (const link of page.links.filter((l) => !seen.has(l))) seen.add(link), frontier.push(link);
  }
  return { pages, timeouts, reachable: seen.size };
}

// A generous per-page timeout: a normal page answers in 5-60 ms, so only the slow ones time out,
// even on a loaded machine.
const SITE = { pages: 120, seed: 7 };
const ARGS = ['--pages', String(SITE.pages), '--seed', String(SITE.seed), '--concurrency', '10', '--timeout', '1.5'];

describe('examples/crawler.js (npm run example)', function () {
  this.timeout(30_000);

  let site: SiteModule;
  let underLoader: Run;
  let withoutLoader: Run;

  before(async function () {
    site = await loadExample<SiteModule>('crawler/site.js');
    // both at once; the run without the loader is stopped once it has printed its open handles
    [underLoader, withoutLoader] = await Promise.all([
      runCrawler(['--import', 'eventlet/loader'], ARGS),
      runCrawler([], ARGS, /open handles: .*\n/),
    ]);
  });

  it('exits 0 with nothing on stderr', function () {
    expect(underLoader.code, describeRun(underLoader)).to.equal(0);
    expect(underLoader.stderr, describeRun(underLoader)).to.equal('');
  });

  it('fetches every page reachable from / and reports the slow ones as timeouts', function () {
    const expected = expectedCrawl(site.siteMap(SITE));
    expect(expected.timeouts, 'slow pages on the test site').to.be.greaterThan(0);
    expect(summaryOf(underLoader), describeRun(underLoader)).to.include({ pages: expected.pages, timeouts: expected.timeouts, errors: 0 });
  });

  it('ends with 0 open handles: the sockets of timed-out fetches were closed', function () {
    expect(summaryOf(underLoader)['open handles'], describeRun(underLoader)).to.equal(0);
  });

  it('reports a request rate of at least 20 requests/s', function () {
    expect(summaryOf(underLoader)['requests/s'], describeRun(underLoader)).to.be.at.least(20);
  });

  it('prints a plain progress line every 50 pages when stdout is not a terminal', function () {
    const { pages, timeouts } = summaryOf(underLoader);
    const lines = underLoader.stdout.split('\n').filter((line) => line.startsWith('crawled '));
    expect(lines).to.have.length(Math.floor((pages! + timeouts!) / 50));
    expect(underLoader.stdout).to.not.match(/[\r\x1b]/);
  });

  it('shows the sockets and timers that timed-out fetches leave open when run without the loader', function () {
    const summary = summaryOf(withoutLoader);
    expect(summary.timeouts, describeRun(withoutLoader)).to.equal(summaryOf(underLoader).timeouts);
    expect(summary['open handles'], describeRun(withoutLoader)).to.be.greaterThan(0);
    expect(withoutLoader.stdout).to.match(/open handles: \d+ \(.*TCPSocketWrap/);
  });

  it('stops with exit code 2 and a message naming --concurrency when it is 0', async function () {
    const run = await runCrawler(['--import', 'eventlet/loader'], ['--concurrency', '0']);
    expect(run.code, describeRun(run)).to.equal(2);
    expect(run.stdout).to.equal('');
    expect(run.stderr).to.contain('--concurrency must be an integer >= 1, got "0"');
  });
});

describe('examples/crawler/site.js (the local site)', function () {
  let site: SiteModule;
  before(async function () {
    site = await loadExample<SiteModule>('crawler/site.js');
  });

  it('builds the same site from the same seed and a different one from another seed', function () {
    expect(site.siteMap({ pages: 50, seed: 3 })).to.deep.equal(site.siteMap({ pages: 50, seed: 3 }));
    expect(site.siteMap({ pages: 50, seed: 3 })).to.not.deep.equal(site.siteMap({ pages: 50, seed: 4 }));
  });

  it('links every page from / without passing through a slow page', function () {
    for (const seed of [1, 2, 3, 7, 42]) {
      const map = site.siteMap({ pages: 300, seed });
      expect(expectedCrawl(map).reachable, `seed ${seed}`).to.equal(300);
      expect(map.filter((page) => page.slow).length, `slow pages, seed ${seed}`).to.be.within(1, 30);
    }
  });
});

describe('examples/crawler/progress.js (the progress display)', function () {
  let progress: ProgressModule;
  before(async function () {
    progress = await loadExample<ProgressModule>('crawler/progress.js');
  });

  const recorder = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (text: string) => written.push(text) } };
  };

  it('rewrites one line on a terminal (carriage return, clear line, text) and ends it on done()', function () {
    const { written, stream } = recorder(true);
    const shown = progress.makeProgress({ stream, every: 50 });
    shown.update('crawled 1 pages');
    shown.update('crawled 2 pages');
    shown.done();
    expect(written).to.deep.equal(['\r\x1b[2Kcrawled 1 pages', '\r\x1b[2Kcrawled 2 pages', '\n']);
  });

  it('writes a plain line every `every` updates elsewhere, and nothing on done()', function () {
    const { written, stream } = recorder(false);
    const shown = progress.makeProgress({ stream, every: 2 });
    for (let i = 1; i <= 5; i++) shown.update(`crawled ${i} pages`);
    shown.done();
    expect(written).to.deep.equal(['crawled 2 pages\n', 'crawled 4 pages\n']);
  });
});

/** A chat client over a plain Node socket: everything it receives, and a way to wait for text. */
class ChatClient {
  received = '';
  readonly socket: net.Socket;
  readonly closed: Promise<unknown>;

  constructor(port: number, name: string) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8').on('data', (text: string) => (this.received += text));
    this.closed = once(this.socket, 'close');
    this.socket.write(`${name}\n`);
  }

  /** Resolves once `text` has arrived; fails after two seconds, showing what did. */
  async sees(text: string): Promise<void> {
    const start = performance.now();
    while (!this.received.includes(text)) {
      if (performance.now() - start > 2000) throw new Error(`never saw ${JSON.stringify(text)}; got ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('examples/chat-server.js', function () {
  this.timeout(20_000);

  it('greets, broadcasts lines and departures to the others, and stops cleanly on SIGTERM', async function () {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const server = spawn(process.execPath, ['examples/chat-server.js', '0'], { cwd: root, env });
    const run: Run = { code: null, stdout: '', stderr: '' };
    server.stdout.setEncoding('utf8').on('data', (text: string) => (run.stdout += text));
    server.stderr.setEncoding('utf8').on('data', (text: string) => (run.stderr += text));
    const exited = once(server, 'exit');
    try {
      while (!/chat on 127\.0\.0\.1:\d+/.test(run.stdout)) await new Promise((resolve) => setTimeout(resolve, 10));
      const port = Number(/chat on 127\.0\.0\.1:(\d+)/.exec(run.stdout)![1]);
      const ann = new ChatClient(port, 'ann');
      await ann.sees('welcome, ann; 0 other(s) here');
      const bob = new ChatClient(port, 'bob');
      await bob.sees('welcome, bob; 1 other(s) here');
      await ann.sees('* bob joined\n');
      ann.socket.write('hello bob\n');
      await bob.sees('ann: hello bob\n');
      bob.socket.end();
      await ann.sees('* bob left\n');
      expect(ann.received).to.not.include('ann: hello bob'); // nobody hears their own lines
      server.kill('SIGTERM');
      const [code] = await exited;
      await ann.closed; // the server closed ann's connection on its way out
      expect(code, describeRun(run)).to.equal(0);
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.include('ann left (0 here)').and.include('chat server stopped');
    } finally {
      server.kill();
    }
  });
});

/** A GET with a connection of its own (so cluster or the kernel may hand it to any worker). */
function httpGet(port: number, path: string, abortAfterMs?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (text: string) => (body += text));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(new Error('client gave up')), abortAfterMs);
  });
}

interface WorkerStats { worker: number; pid: number; served: number; timedOut: number; killed: number }

describe('examples/http-cluster.js', function () {
  this.timeout(30_000);

  let server: ChildProcessWithoutNullStreams;
  const run: Run = { code: null, stdout: '', stderr: '' };
  let port = 0;

  /** Every worker's /stats, asking until each of the two has answered. */
  async function statsOfBoth(): Promise<WorkerStats[]> {
    const byPid = new Map<number, WorkerStats>();
    for (let i = 0; i < 60 && byPid.size < 2; i++) {
      const stats = JSON.parse((await httpGet(port, '/stats')).body) as WorkerStats;
      byPid.set(stats.pid, stats);
    }
    expect(byPid.size, 'both workers answered /stats').to.equal(2);
    return [...byPid.values()];
  }

  const total = (all: WorkerStats[], key: 'timedOut' | 'killed') => all.reduce((sum, stats) => sum + stats[key], 0);

  before(async function () {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    server = spawn(process.execPath, ['examples/http-cluster.js', '0', '2'], { cwd: root, env });
    server.stdout.setEncoding('utf8').on('data', (text: string) => (run.stdout += text));
    server.stderr.setEncoding('utf8').on('data', (text: string) => (run.stderr += text));
    const start = performance.now();
    while (!/2 workers on http:\/\/127\.0\.0\.1:\d+/.test(run.stdout)) {
      if (performance.now() - start > 15_000) throw new Error(`the cluster did not start\n${describeRun(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    port = Number(/127\.0\.0\.1:(\d+)/.exec(run.stdout)![1]);
  });

  after(function () {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('answers from both workers on one port', async function () {
    const answered = new Set<string>();
    for (let i = 0; i < 40 && answered.size < 2; i++) answered.add((await httpGet(port, '/')).body.split(' pid')[0]!);
    expect([...answered].sort()).to.deep.equal(['worker 1', 'worker 2']);
    expect(await httpGet(port, '/fib/20')).to.deep.equal({ status: 200, body: '6765\n' });
  });

  it("times out only the request whose deadline passed: a 504 for it, every other request served", async function () {
    const before = total(await statsOfBoth(), 'timedOut');
    const sleepers = Array.from({ length: 8 }, () => httpGet(port, '/sleep/0.8'));
    const start = performance.now();
    const timedOut = await httpGet(port, '/fib/60?timeout=0.3'); // fib(60) would take hours on the tpool
    expect(timedOut).to.deep.equal({ status: 504, body: 'timed out after 0.3 s\n' });
    expect(performance.now() - start, 'the 504 came before the sleepers were done').to.be.below(800);
    for (const answer of await Promise.all(sleepers)) expect(answer).to.deep.equal({ status: 200, body: 'slept 0.8 s\n' });
    expect(total(await statsOfBoth(), 'timedOut')).to.equal(before + 1);
  });

  it('kills only the request whose client went away, while the others are served', async function () {
    const before = total(await statsOfBoth(), 'killed');
    const sleepers = Array.from({ length: 6 }, () => httpGet(port, '/sleep/0.6'));
    const gaveUp = await httpGet(port, '/fib/60', 300).then(() => 'answered', (err: Error) => err.message);
    expect(gaveUp).to.equal('client gave up');
    for (const answer of await Promise.all(sleepers)) expect(answer).to.deep.equal({ status: 200, body: 'slept 0.6 s\n' });
    expect(total(await statsOfBoth(), 'killed')).to.equal(before + 1);
  });

  it('stops every worker, then itself, on SIGTERM: exit 0, nothing on stderr', async function () {
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    const [code] = await exited;
    expect(code, describeRun(run)).to.equal(0);
    expect(run.stderr).to.equal('');
    expect(run.stdout).to.include('http-cluster stopped');
  });
});
