// A line echo server in blocking style: eventlet's `serve` runs one green thread per connection,
// and each handler reads lines from a GreenSocket as if reads blocked.
//
//   node examples/echo-server.js [port]      (port 0 or none: any free port)
//
// Each line a client sends comes back; `quit` closes that connection; `shutdown` stops the whole
// server (the handler throws StopServe). A client idle for IDLE_SECONDS is dropped: the socket's
// timeout makes the read fail with a socket timeout. At most CONCURRENCY clients are served at
// once; the next ones wait, connected, until a handler finishes.
//
// Try it: `npm run build && node examples/echo-server.js 7000`, then `nc 127.0.0.1 7000`.
import { listen, serve, StopServe, isTimeout } from 'eventlet';

const IDLE_SECONDS = 30;
const CONCURRENCY = 100;

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node examples/echo-server.js [port]   (got ${process.argv[2]})`);
  process.exit(2);
}

const server = await listen(['127.0.0.1', port]);
const [host, boundPort] = server.getsockname();
console.log(`listening on ${host}:${boundPort}`);

let served = 0;

async function handle(client, [peerHost, peerPort]) {
  served++;
  client.settimeout(IDLE_SECONDS);
  const file = client.makefile('rwb');
  try {
    for await (const line of file) {
      const text = line.toString('utf8').trim();
      if (text === 'quit') return; // serve closes the socket when the handler returns
      if (text === 'shutdown') {
        await file.write('bye\n');
        throw new StopServe();
      }
      await file.write(line);
    }
  } catch (err) {
    if (!isTimeout(err)) throw err;
    console.log(`${peerHost}:${peerPort} idle for ${IDLE_SECONDS} s, dropped`);
  }
}

await serve(server, handle, CONCURRENCY);
server.close();
console.log(`stopped after serving ${served} connection(s)`);
