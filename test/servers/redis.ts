/**
 * A throwaway Redis server for the tests: `redis-server` on 127.0.0.1 and a free port, no
 * persistence, its working folder a temporary one. Not a test file itself.
 */
import net from 'node:net';
import path from 'node:path';
import { findExecutable, freePort, makeTempDir, removeDir, ServerProcess, stoppable } from './child.js';

/** A running throwaway Redis server. */
export interface Redis {
  /** Connection string: `redis://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
  /** From an exit handler: kills the server and removes its folder, synchronously. */
  killNow(): void;
}

/** Where `redis-server` is, or why it cannot be used. @example if ('missing' in findRedis()) skip(); */
export function findRedis(): { program: string } | { missing: string } {
  const program = findExecutable('redis-server', ['/usr/sbin', '/usr/local/sbin']);
  return program ? { program } : { missing: 'Redis is not installed (no redis-server on the PATH)' };
}

/** True once the server answers PING with PONG. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/**
 * Starts a Redis server in a new temporary folder; throws with the reason (and the server's log)
 * when Redis is missing or does not come up within `seconds`.
 * @example
 * const server = await startRedis();
 * const client = new Redis(server.url);
 * // ...
 * await server.stop();
 */
export async function startRedis(seconds = 20): Promise<Redis> {
  const found = findRedis();
  if ('missing' in found) throw new Error(found.missing);
  const dir = makeTempDir('eventlet-redis-', null);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
      const spec = { label: 'Redis', command: found.program, args, owner: null, logFile: path.join(dir, 'server.log'), stopSignal: 'SIGTERM' as const, killSignal: 'SIGKILL' as const };
      try {
        const server = await ServerProcess.start(spec, () => answers(port), seconds);
        return { url: `redis://127.0.0.1:${port}`, port, ...stoppable(server, dir) };
      } catch (err) {
        if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err;
      }
    }
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}
