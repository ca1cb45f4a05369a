/**
 * The load client of bench/tcp-echo.ts, run as its own process so it does not share a CPU with
 * the server it measures: `node dist/bench/tcp-echo-client.js <port> <connections> <roundTrips>`.
 * Opens the connections, then on each one sends a 64-byte message, waits for all 64 bytes to come
 * back, and repeats, until `roundTrips` round trips are done in all. Prints one JSON line:
 * `{"roundTrips":n,"seconds":s}`, timed from the moment every connection is open.
 */
import net from 'node:net';

const MESSAGE = Buffer.alloc(64, 'x');

async function main(): Promise<void> {
  const [port, connections, total] = process.argv.slice(2).map(Number);
  if (!port || !connections || !total) throw new Error('usage: tcp-echo-client.js <port> <connections> <roundTrips>');
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(port)));
  let started = 0;
  let finished = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    for (const socket of sockets) {
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < MESSAGE.length) return;
        received -= MESSAGE.length;
        finished++;
        if (started < total) {
          started++;
          socket.write(MESSAGE);
        } else if (finished === total) {
          resolve();
        }
      });
      if (started < total) {
        started++;
        socket.write(MESSAGE);
      }
    }
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const socket of sockets) socket.destroy();
  process.stdout.write(`${JSON.stringify({ roundTrips: total, seconds })}\n`);
}

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(socket));
    socket.on('error', reject);
  });
}

await main();
