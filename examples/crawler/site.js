// The local web site the crawler explores: `pages` linked HTML pages served by a plain Node HTTP
// server, each answering after its own random latency. A few pages are deliberately slow, slower
// than the crawler's per-page timeout, so the crawl shows timeouts. Everything random comes from
// `seed`, so the same seed gives the same site (links, latencies, slow pages) on every run.
//
// Nothing here knows about eventlet: the server is started outside green threads, so it is Node's
// own server even when the process runs under `node --import eventlet/loader`.
import http from 'node:http';
import { once } from 'node:events';

/** Roughly one page in 25 is slow (never the home page). */
const SLOW_SHARE = 0.04;
/** Latency of the other pages, in milliseconds. */
const MIN_MS = 5;
const MAX_MS = 60;
/** Random links per page, on top of the link to the next page. */
const RANDOM_LINKS = 3;

/**
 * A small seeded random generator (xorshift32): the same seed gives the same numbers in [0, 1).
 * @example const random = seededRandom(42); random(); // the same number on every run
 */
export function seededRandom(seed) {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/**
 * The path of page `i`: the home page is `/`.
 * @example pagePath(0); // '/'; pagePath(7) is '/page/7'
 */
export const pagePath = (i) => (i === 0 ? '/' : `/page/${i}`);

/**
 * The site's pages, `{ path, links, latencyMs, slow }` each, built from `seed`. Every page links
 * to the next one and, when that one is slow, on to the next page that is not, so every page can
 * be reached from `/` without going through a slow page; three more links go anywhere.
 * @example siteMap({ pages: 3, seed: 1 })[0]; // { path: '/', links: ['/page/1', …], latencyMs: …, slow: false }
 */
export function siteMap({ pages, seed }) {
  const random = seededRandom(seed);
  const slow = Array.from({ length: pages }, (_, i) => i > 0 && random() < SLOW_SHARE);
  return slow.map((isSlow, i) => {
    const links = new Set();
    for (let next = i + 1; next < pages; next++) {
      links.add(pagePath(next));
      if (!slow[next]) break;
    }
    for (let k = 0; k < RANDOM_LINKS; k++) links.add(pagePath(Math.floor(random() * pages)));
    const latencyMs = Math.round(MIN_MS + random() * (MAX_MS - MIN_MS));
    return { path: pagePath(i), links: [...links], latencyMs, slow: isSlow };
  });
}

function render(page, index) {
  const items = page.links.map((href) => `<li><a href="${href}">${href}</a></li>`).join('\n');
  return `<!doctype html>\n<title>Page ${index}</title>\n<h1>Page ${index}</h1>\n<ul>\n${items}\n</ul>\n`;
}

/**
 * Starts the site on an ephemeral port of 127.0.0.1; slow pages answer after `slowSeconds`, and a
 * reply still pending when its client hangs up is dropped.
 * @example
 * const site = await startSite({ pages: 300, seed: 1, slowSeconds: 5 });
 * await fetch(`${site.url}/`); // the home page
 * site.close();
 */
export async function startSite({ pages, seed, slowSeconds }) {
  const map = siteMap({ pages, seed });
  const byPath = new Map(map.map((page, i) => [page.path, { page, html: render(page, i) }]));
  const server = http.createServer((req, res) => {
    const found = byPath.get(req.url);
    if (!found) return void res.writeHead(404).end('not found\n');
    const delayMs = found.page.slow ? slowSeconds * 1000 : found.page.latencyMs;
    const reply = setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(found.html), delayMs);
    res.on('close', () => clearTimeout(reply)); // sent, or the client hung up first
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    map,
    /** Stops listening and closes idle keep-alive connections (busy ones close once answered). */
    close() {
      server.close(); // also closes idle keep-alive connections (Node >= 19)
    },
  };
}
