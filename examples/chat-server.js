// eventlet's classic chat server: every line a client sends goes to every other client.
//
//   node examples/chat-server.js [port]      (port 0 or none: any free port)
//
// `serve` runs one green thread per connection, reading lines in blocking style. Each client also
// has an outbox (a Queue) drained by a writer green thread of its own, so a slow reader never holds
// up the others: broadcasting only puts lines in queues. The first line a client sends is its name.
// Ctrl-C (SIGINT) or SIGTERM stops the server: the serving thread is killed with StopServe, then
// every connection's thread is killed (its `finally` runs) and serve closes its socket.
//
// Try it: `npm run build && node examples/chat-server.js 7001`, then `nc 127.0.0.1 7001` in two
// terminals.
import { listen, serve, spawn, getCurrent, Queue, StopServe } from 'eventlet';

const port = Number(process.argv[2] ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`usage: node examples/chat-server.js [port]   (got ${process.argv[2]})`);
  process.exit(2);
}

/** Everyone in the chat, each with a name and an outbox. */
const participants = new Set();
/** The green thread of every connection, named or not yet. */
const handlers = new Set();

function broadcast(from, text) {
  for (const other of participants) if (other !== from) other.outbox.putNowait(text);
}

/** Sends what lands in `outbox` to `client`, in order, until the thread is killed. */
async function writer(client, outbox) {
  for await (const text of outbox) await client.sendall(Buffer.from(text));
}

async function handle(client, addr) {
  handlers.add(getCurrent());
  try {
    await chat(client, addr);
  } finally {
    handlers.delete(getCurrent());
  }
}

async function chat(client, [host, peerPort]) {
  const file = client.makefile('rb');
  await client.sendall(Buffer.from('your name? '));
  const first = await file.readline();
  if (first.length === 0) return; // left before saying anything
  const me = { name: first.toString().trim() || `${host}:${peerPort}`, outbox: new Queue() };
  const sending = spawn(writer, client, me.outbox);
  participants.add(me);
  console.log(`${me.name} joined (${participants.size} here)`);
  broadcast(me, `* ${me.name} joined\n`);
  me.outbox.putNowait(`* welcome, ${me.name}; ${participants.size - 1} other(s) here\n`);
  try {
    for await (const line of file) broadcast(me, `${me.name}: ${line}`);
  } finally {
    participants.delete(me);
    await sending.kill();
    broadcast(me, `* ${me.name} left\n`);
    console.log(`${me.name} left (${participants.size} here)`);
  }
}

const listener = await listen(['127.0.0.1', port]);
const [host, boundPort] = listener.getsockname();
console.log(`chat on ${host}:${boundPort}`);

const serving = spawn(serve, listener, handle);
const stop = () => serving.kill(new StopServe());
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

await serving.wait(); // resolves once killed with StopServe
listener.close();
await Promise.all([...handlers].map((thread) => thread.kill())); // serve closes their sockets
console.log('chat server stopped');
