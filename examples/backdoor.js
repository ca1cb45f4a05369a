// A running service you can open up and inspect: eventlet's backdoor.
//
// Three green threads keep working (a producer, two consumers sharing a queue, one of them slow)
// while `backdoor()` serves a Node REPL on 127.0.0.1. Connect to it from another terminal and
// look around; `eventlet` and the service's own objects (`stats`, `queue`, `stop`) are in scope,
// and top-level `await` works:
//
//   $ nc 127.0.0.1 3000                         (or: telnet 127.0.0.1 3000, socat - TCP:127.0.0.1:3000)
//   eventlet> console.log(eventlet.debug.formatGreenThreads())
//    id  name        state   waiting on  for
//     2  producer    parked  sleep       0.012 s
//     3  consumer-1  parked  queue get   0.031 s
//     4  consumer-2  parked  sleep       0.187 s
//   eventlet> stats
//   { produced: 412, consumed: 410 }
//   eventlet> await eventlet.sleep(1); stats.consumed
//   eventlet> stop()                             (ends the service: the process exits)
//
// Run it with `npm run example:backdoor` (which builds first), or `node examples/backdoor.js [port]`
// after `npm run build`. The port defaults to 3000; 0 picks a free one (printed on start).
import { backdoor, debug, spawn, sleep, LightQueue, GreenletExit } from 'eventlet';

const port = Number(process.argv[2] ?? 3000);

const stats = { produced: 0, consumed: 0 };
const queue = new LightQueue(100);

async function producer() {
  for (let n = 0; ; n++) {
    await queue.put(n);
    stats.produced++;
    await sleep(0.01);
  }
}

async function consumer(delay) {
  for (;;) {
    await queue.get();
    stats.consumed++;
    await sleep(delay);
  }
}

const threads = [spawn(producer), spawn(consumer, 0.005), spawn(consumer, 0.2)];
['producer', 'consumer-1', 'consumer-2'].forEach((name, i) => (threads[i].name = name));

debug.captureStacks(true); // formatGreenThreads() then shows where each thread waits

let door;
/** Stops the service: kills the workers and closes the backdoor (and every open session). */
async function stop() {
  await Promise.all(threads.map((t) => t.kill()));
  await door.close();
  console.log(`stopped: produced ${stats.produced}, consumed ${stats.consumed}`);
  return 'stopped';
}

door = await backdoor(['127.0.0.1', port], { stats, queue, threads, stop });
console.log(`backdoor listening on 127.0.0.1:${door.address.port}: connect with \`nc 127.0.0.1 ${door.address.port}\``);

// The workers run until stop() kills them; the process exits once nothing is left open.
await Promise.all(threads.map((t) => t.wait().catch((err) => (err instanceof GreenletExit ? null : Promise.reject(err)))));
