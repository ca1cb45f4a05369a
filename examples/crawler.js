// A web crawler built from green threads: the main example (`npm run example`).
//
// It starts a local site of a few hundred linked pages (examples/crawler/site.js), then crawls it
// from `/` with a GreenPool of green threads, each page fetched under its own withTimeout. Some
// pages are slower than the timeout: those fetches are stopped, and — because the process runs
// under `node --import eventlet/loader` — eventlet closes their sockets too, so the crawl ends with
// nothing left open. Plain `fetch` is used as is: the loader patched Node's `net`, `dns`, timers…
// before this file ran, so every socket `fetch` opens inside a green thread belongs to that thread.
//
//   node --import eventlet/loader examples/crawler.js [--pages 300] [--concurrency 20]
//        [--timeout 0.5] [--seed 1]         (CRAWLER_SEED=… also sets the seed; times in seconds)
//
// Run it without the loader (`node examples/crawler.js`) to see what the timed-out fetches leave
// open otherwise: withTimeout still returns on time, but their sockets and the site's pending
// replies stay, and the process lingers until those slow pages are answered.
import { parseArgs } from 'node:util';
import { GreenPool, Queue, sleep, withTimeout, isTimeout } from 'eventlet';
import { startSite } from './crawler/site.js';
import { makeProgress } from './crawler/progress.js';

const options = readOptions(process.argv.slice(2));
// Outside green threads the patched modules are Node's own: this is an ordinary HTTP server. Its
// slow pages take seconds longer than the timeout, so a socket that a stopped fetch left behind
// would still be open at the end.
const site = await startSite({ pages: options.pages, seed: options.seed, slowSeconds: options.timeout + 3 });
const slowPages = site.map.filter((page) => page.slow).length;
console.log(`site: ${options.pages} pages at ${site.url} (seed ${options.seed}; ${slowPages} slow pages take ${options.timeout + 3} s)`);
console.log(`crawling with ${options.concurrency} green threads, ${options.timeout} s per page`);

const LINK = /href="([^"]+)"/g;
const stats = { pages: 0, timeouts: 0, errors: 0 };
const seen = new Set(); // every URL ever scheduled, so each page is fetched once
const finished = new Queue(); // the links of each page once its green thread is done with it
const pool = new GreenPool(options.concurrency);
const progress = makeProgress({ every: 50 });
const started = performance.now();

// Fetches a page and returns the site's URLs it links to: plain fetch, unaware of eventlet. When
// the Timeout below fires, eventlet destroys the socket this green thread is waiting on, so fetch
// rejects at once and nothing stays open.
async function fetchLinks(url) {
  const res = await fetch(url);
  const html = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const links = [...html.matchAll(LINK)].map((match) => new URL(match[1], url).href);
  return links.filter((link) => link.startsWith(`${site.url}/`));
}

// One green thread per page: fetch it under a deadline, then hand its links to the main loop.
async function visit(url) {
  let links = [];
  try {
    links = await withTimeout(options.timeout, fetchLinks, url);
    stats.pages++;
  } catch (err) {
    if (isTimeout(err)) {
      stats.timeouts++; // the fetch was stopped, and eventlet closed its socket
    } else {
      stats.errors++;
      console.error(`error: ${url}: ${err.message}`);
    }
  }
  await finished.put(links);
}

// The main loop: schedule every link not seen yet. pool.spawn() waits while `concurrency` pages
// are in flight. The frontier is empty when no page is in flight and no links wait in `finished`.
let inFlight = 0;
async function schedule(url) {
  seen.add(url);
  inFlight++;
  await pool.spawn(visit, url);
}

await schedule(`${site.url}/`);
while (inFlight > 0) {
  const links = await finished.get();
  inFlight--;
  progress.update(`crawled ${stats.pages} pages, ${stats.timeouts} timed out, ${pool.running()} in flight, ${seen.size} found`);
  for (const link of links) if (!seen.has(link)) await schedule(link);
}
const seconds = (performance.now() - started) / 1000;
progress.done();

// Close the site: it stops listening and hangs up its idle keep-alive connections, so fetch's
// sockets close too. A socket left behind by a stopped fetch would still be waiting for its slow
// page (and the site's reply timer with it), and would show up here as open handles.
site.close();
const openHandles = await handlesLeftAfter(1);
const requests = stats.pages + stats.timeouts + stats.errors;
console.log(`\nsummary (${seconds.toFixed(2)} s):`);
console.log(`  pages:        ${stats.pages}`);
console.log(`  timeouts:     ${stats.timeouts}`);
console.log(`  errors:       ${stats.errors}`);
console.log(`  requests/s:   ${Math.round(requests / seconds)}`);
console.log(`  open handles: ${openHandles.length}${openHandles.length ? ` (${tally(openHandles)})` : ''}`);
if (openHandles.length > 0 || stats.errors > 0) process.exitCode = 1;

/**
 * What still keeps the process alive once closing sockets have had up to `seconds` to finish
 * closing: handles and timers, leaving out stdout's own terminal or pipe.
 */
async function handlesLeftAfter(seconds) {
  const open = () => process.getActiveResourcesInfo().filter((name) => name !== 'TTYWrap' && name !== 'PipeWrap');
  for (const deadline = performance.now() + seconds * 1000; open().length > 0 && performance.now() < deadline; ) {
    await sleep(0.01);
  }
  return open();
}

/** `['Timeout', 'TCPSocketWrap', 'Timeout']` → `'2 Timeout, 1 TCPSocketWrap'`. */
function tally(names) {
  const counts = new Map();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${count} ${name}`).join(', ');
}

/** Reads --pages, --concurrency, --timeout and --seed (default: CRAWLER_SEED, else 1); exits 2 on bad ones. */
function readOptions(args) {
  try {
    const { values } = parseArgs({
      args,
      options: {
        pages: { type: 'string', default: '300' },
        concurrency: { type: 'string', default: '20' },
        timeout: { type: 'string', default: '0.5' },
        seed: { type: 'string' },
      },
    });
    return {
      pages: number('--pages', values.pages, { integer: true, min: 1 }),
      concurrency: number('--concurrency', values.concurrency, { integer: true, min: 1 }),
      timeout: number('--timeout', values.timeout, { min: 0.001 }),
      seed: values.seed !== undefined
        ? number('--seed', values.seed, { integer: true, min: 0 })
        : number('CRAWLER_SEED', process.env.CRAWLER_SEED ?? '1', { integer: true, min: 0 }),
    };
  } catch (err) {
    console.error(`crawler: ${err.message}`);
    console.error('usage: node --import eventlet/loader examples/crawler.js [--pages 300] [--concurrency 20] [--timeout 0.5] [--seed 1]');
    process.exit(2);
  }
}

function number(name, text, { integer = false, min }) {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min) {
    throw new RangeError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${text}"`);
  }
  return value;
}
