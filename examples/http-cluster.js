// Serving on every core: Node's `cluster` starts one process per core, each running a green HTTP
// server on the same port, and CPU-heavy requests go to the tpool so no event loop stalls.
//
//   node examples/http-cluster.js [port] [workers]     (port 0 or none: a free port; workers:
//                                                        one per core)
//
// Where Node has `reusePort` (22.12+, 23.1+, 24+) every worker binds the port itself and the kernel
// spreads the connections; elsewhere the primary accepts them and hands them round robin (cluster's
// default). In a worker every request is served in a green thread of its own under a deadline
// (`withTimeout`), so a Timeout or a kill interrupts that request and nothing else:
//
//   GET /             which worker answered
//   GET /fib/N        the N-th Fibonacci number, computed on the worker's tpool (CPU-bound)
//   GET /sleep/S      answers after S seconds (a green sleep)
//   GET /stats        this worker's counts: served, timedOut, killed
//
// `?timeout=S` sets the request's deadline (default REQUEST_SECONDS): past it the request gets a
// 504, and the tpool worker computing it is terminated. A client that disconnects first has its
// request's thread killed. Ctrl-C (SIGINT) or SIGTERM stops every worker, then the primary.
//
// Try it: `npm run build && node examples/http-cluster.js 8000`, then
// `curl 127.0.0.1:8000/fib/30` and `curl '127.0.0.1:8000/fib/50?timeout=0.5'`.
import cluster from 'node:cluster';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { GreenletExit, isTimeout, monkeyPatch, sleep, spawn, tpool, withTimeout } from 'eventlet';

const REQUEST_SECONDS = 10;
const HOST = '127.0.0.1';

/** `server.listen({ reusePort })` exists on Node 22.12+, 23.1+ and 24+. */
function hasReusePort() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

if (cluster.isPrimary) await primary();
else await worker();

// ---------------------------------------------------------------------------------------------
// The primary: picks the port, starts the workers, replaces one that dies, stops them all on a signal.

async function primary() {
  const [port, count] = await parseArguments();
  const sharing = hasReusePort() ? 'reusePort: the kernel spreads connections' : "cluster's round robin";
  let up = 0;
  let stopping = false;
  const start = () => cluster.fork({ HTTP_CLUSTER_PORT: String(port) }).on('message', (message) => {
    if (message === 'listening' && ++up === count) console.log(`${count} workers on http://${HOST}:${port} (${sharing})`);
  });
  cluster.on('exit', (dead, code, signal) => {
    if (stopping) return;
    console.error(`worker ${dead.process.pid} died (${signal ?? `exit code ${code}`}); starting another`);
    start();
  });
  for (let i = 0; i < count; i++) start();
  const stop = async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve).kill())));
    console.log('http-cluster stopped');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** `[port, workers]` from the command line; port 0 becomes a free port, for every worker alike. */
async function parseArguments() {
  const port = Number(process.argv[2] ?? 0);
  const count = Number(process.argv[3] ?? os.availableParallelism());
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(count) || count < 1) {
    console.error(`usage: node examples/http-cluster.js [port] [workers]   (got ${process.argv.slice(2).join(' ')})`);
    process.exit(2);
  }
  return [port === 0 ? await freePort() : port, count];
}

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().on('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// A worker: a green HTTP server, one green thread per request.

async function worker() {
  monkeyPatch(); // green net, dns, timers, fs: what a request's thread opens is its own
  const stats = { worker: cluster.worker.id, pid: process.pid, served: 0, timedOut: 0, killed: 0 };
  const server = http.createServer((req, res) => {
    const thread = spawn(respond, req, res, stats);
    res.on('close', () => {
      if (!res.writableFinished) thread.kill(); // the client went away: stop its work
    });
  });
  const port = Number(process.env.HTTP_CLUSTER_PORT);
  const options = hasReusePort() ? { port, host: HOST, reusePort: true } : { port, host: HOST };
  server.listen(options, () => process.send('listening'));
  process.once('SIGTERM', async () => {
    server.close(); // cluster's disconnect would not close a server bound with reusePort
    server.closeAllConnections();
    await tpool.killall();
    cluster.worker.disconnect(); // the channel to the primary goes too: the process ends
  });
}

/** Serves one request in its own green thread, within its deadline. */
async function respond(req, res, stats) {
  const url = new URL(req.url, `http://${HOST}`);
  const seconds = Number(url.searchParams.get('timeout') ?? REQUEST_SECONDS);
  try {
    const body = await withTimeout(seconds, route, url.pathname, stats);
    stats.served++;
    res.setHeader('content-type', typeof body === 'string' ? 'text/plain' : 'application/json');
    res.end(typeof body === 'string' ? `${body}\n` : JSON.stringify(body));
  } catch (err) {
    if (err instanceof GreenletExit) {
      stats.killed++; // res is already closed: nobody to answer
    } else if (isTimeout(err)) {
      stats.timedOut++;
      reply(res, 504, `timed out after ${seconds} s`);
    } else {
      reply(res, err.status ?? 500, String(err.message));
    }
  }
}

function reply(res, status, text) {
  res.statusCode = status;
  res.end(`${text}\n`);
}

/** What each path answers. */
async function route(path, stats) {
  const [, action, arg] = path.split('/');
  if (action === '') return `worker ${stats.worker} pid ${stats.pid}`;
  if (action === 'fib') return String(await tpool.execute(fib, Number(arg)));
  if (action === 'sleep') {
    await sleep(Number(arg));
    return `slept ${arg} s`;
  }
  if (action === 'stats') return stats;
  throw Object.assign(new Error(`no route for ${path}`), { status: 404 });
}

/** The n-th Fibonacci number, the slow way: sent to a tpool worker as source, so self-contained. */
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
