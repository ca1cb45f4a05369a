// A producer/consumer pipeline built from green threads.
//
//   producer ──put──▶ Queue(4) ──get──▶ dispatcher ──spawn──▶ GreenPool(3) of workers
//                                                              (each job under withTimeout)
//   then GreenPool.imap publishes the results, in job order.
//
// Along the way: the bounded queue and the full pool push back on the producer, two jobs run past
// their deadline and time out, an operator kills one job while it runs, and a monitor thread that
// loops forever is killed at the end (its `finally` runs). Times are in seconds, as in eventlet.
//
// Run it with `npm run example` (which builds first), or `npm run build && node examples/pipeline.js`.
import { spawn, spawnAfter, sleep, withTimeout, isTimeout, GreenletExit, Queue, GreenPool } from 'eventlet';

const JOB_TIMEOUT = 0.15; // seconds each job may take
const WORKERS = 3;

const JOBS = [
  { id: 1, name: 'resize a.png', cost: 0.03 },
  { id: 2, name: 'resize b.png', cost: 0.05 },
  { id: 3, name: 'transcode intro.mp4', cost: 1.0 }, // too slow: times out
  { id: 4, name: 'thumbnail c.jpg', cost: 0.02 },
  { id: 5, name: 'export archive', cost: 2.0, cancelAfter: 0.05 }, // killed by the operator
  { id: 6, name: 'resize d.png', cost: 0.04 },
  { id: 7, name: 'ocr scan.pdf', cost: 0.6 }, // too slow: times out
  { id: 8, name: 'thumbnail e.jpg', cost: 0.02 },
  { id: 9, name: 'resize f.png', cost: 0.06 },
  { id: 10, name: 'thumbnail g.jpg', cost: 0.01 },
];

const started = performance.now();
const log = (...parts) => console.log(`[${((performance.now() - started) / 1000).toFixed(2)}s]`, ...parts);

const results = []; // { job, status, output? }

// The work itself: two blocking steps. `sleep` stands in for I/O; every await on a green
// primitive is a point where a Timeout or kill() can interrupt the job.
async function runJob(job) {
  await sleep(job.cost / 2);
  await sleep(job.cost / 2);
  return `${job.name} -> done`;
}

// A worker handles one job under its own deadline and records what happened.
async function work(job) {
  log(`  start   #${job.id} ${job.name}`);
  try {
    const output = await withTimeout(JOB_TIMEOUT, runJob, job);
    results.push({ job, status: 'ok', output });
    log(`  ok      #${job.id}`);
  } catch (err) {
    if (isTimeout(err)) {
      results.push({ job, status: 'timed out' });
      log(`  TIMEOUT #${job.id} after ${JOB_TIMEOUT}s`);
    } else if (err instanceof GreenletExit) {
      results.push({ job, status: 'killed' });
      log(`  KILLED  #${job.id}`);
      throw err; // let the thread end as killed
    } else {
      throw err;
    }
  }
}

// Stage 1: a producer fills a bounded queue; a full queue makes it wait for the consumer.
const jobs = new Queue(4);
const producer = spawn(async () => {
  for (const job of JOBS) {
    await jobs.put(job);
    log(`queued #${job.id}`);
  }
  await jobs.put(null); // end of stream
});

// A monitor that would run forever; it is killed once the pipeline is done.
const monitor = spawn(async () => {
  try {
    for (;;) {
      await sleep(0.1);
      log(`monitor: ${results.length}/${JOBS.length} finished, ${pool.running()} running, ${jobs.qsize()} queued`);
    }
  } finally {
    log('monitor: stopped');
  }
});

// Stage 2: the dispatcher (here, the main flow) feeds a pool of workers. pool.spawn() waits for a
// free worker, so at most WORKERS jobs run at once and the queue backs up behind them.
const pool = new GreenPool(WORKERS);
const killers = [];
for (;;) {
  const job = await jobs.get();
  if (job === null) break;
  const thread = await pool.spawn(work, job);
  if (job.cancelAfter !== undefined) {
    // an operator cancels this job a little after it started
    killers.push(spawnAfter(job.cancelAfter, async () => {
      log(`operator: kill #${job.id}`);
      await thread.kill();
      const outcome = await thread.wait().then(() => 'finished', (e) => e.name);
      log(`operator: #${job.id} ended with ${outcome}`);
    }));
  }
}
await producer.wait();
await pool.waitall();
for (const killer of killers) await killer.wait();
await monitor.kill();

// Stage 3: publish the results, in job order, with the same pool (imap keeps input order).
async function publish(result) {
  await sleep(0.005 * (result.job.id % 3)); // finishing order differs from input order
  return `#${String(result.job.id).padStart(2)} ${result.job.name.padEnd(20)} ${result.status}`;
}
results.sort((a, b) => a.job.id - b.job.id);
console.log('\nresults:');
for await (const line of pool.imap(publish, results)) console.log(`  ${line}`);

const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  `\nsummary: ${JOBS.length} jobs, ${count('ok')} ok, ${count('timed out')} timed out, ` +
    `${count('killed')} killed, in ${((performance.now() - started) / 1000).toFixed(2)}s ` +
    `with ${WORKERS} workers (one after another, with no deadlines: ${JOBS.reduce((s, j) => s + j.cost, 0).toFixed(2)}s)`,
);
