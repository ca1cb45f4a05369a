/**
 * Running a throwaway server process for the tests and benchmarks: as another user when we are
 * root (PostgreSQL refuses to run as root), tied to our life on Linux (it gets a signal if this
 * process dies, even by SIGKILL), its output in a log file, waited for with a deadline, stopped
 * gracefully, or killed synchronously from an exit handler. Not a test file itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Node's own timers, taken before any test patches them (the servers live outside green threads). */
const { setTimeout: nodeSetTimeout, clearTimeout: nodeClearTimeout } = globalThis;

const pause = (ms: number): Promise<void> => new Promise((resolve) => nodeSetTimeout(resolve, ms));

/** A user to run a server as: its numeric ids and name. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The ids of `name` (from `id`), or null when there is no such user. @example userIds('postgres') // { name, uid: 101, gid: 104 } */
export function userIds(name: string): RunAs | null {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** True when this process runs as root. @example if (isRoot()) runAs = userIds('postgres'); */
export const isRoot = (): boolean => process.getuid?.() === 0;

/** The executable `name` in the PATH directories or in `extraDirs`, or null. @example findExecutable('redis-server', ['/usr/sbin']) */
export function findExecutable(name: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

const setpriv = process.platform === 'linux' ? findExecutable('setpriv') : null;

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). @example const port = await freePort(); */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A temporary directory, owned by `owner` when given (we are root and the server runs as it). @example makeTempDir('eventlet-pg-', owner) */
export function makeTempDir(prefix: string, owner: RunAs | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Runs `command` to completion (as `owner` when given); throws with its output when it fails. @example runToCompletion(initdb, ['-D', data], owner) */
export function runToCompletion(command: string, args: string[], owner: RunAs | null, timeoutMs = 60_000): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], ...ids(owner) });
  if (result.status !== 0) {
    const why = result.error?.message ?? (result.signal ? `signal ${result.signal}` : `exit status ${result.status}`);
    throw new Error(`${path.basename(command)} failed (${why}):\n${result.stdout}${result.stderr}`.trim());
  }
}

function ids(owner: RunAs | null): { uid?: number; gid?: number } {
  return owner ? { uid: owner.uid, gid: owner.gid } : {};
}

/** How to start a server process. */
export interface ServerCommand {
  /** What it is, for messages ("PostgreSQL"). */
  label: string;
  command: string;
  args: string[];
  /** Run as this user (when we are root). */
  owner: RunAs | null;
  /** Its stdout and stderr go to this file. */
  logFile: string;
  /** The signal that stops it quickly but cleanly (PostgreSQL: SIGINT, a "fast" shutdown). */
  stopSignal: NodeJS.Signals;
  /** The signal that stops it at once (PostgreSQL: SIGQUIT, which also ends its backends). */
  killSignal: NodeJS.Signals;
}

/** A running server process. @example const server = await ServerProcess.start(spec, () => answers(port)); await server.stop(); */
export class ServerProcess {
  private exited = false;
  private readonly child: ChildProcess;

  private constructor(readonly spec: ServerCommand) {
    const log = fs.openSync(spec.logFile, 'a');
    try {
      this.child = spawnTied(spec, log);
    } finally {
      fs.closeSync(log);
    }
    this.child.on('exit', () => (this.exited = true));
    this.child.on('error', () => (this.exited = true));
    // The servers must not keep mocha (or a benchmark) alive: they are stopped explicitly or at exit.
    this.child.unref();
  }

  /** Starts the process; `ready()` is polled until it resolves true, for at most `seconds`. */
  static async start(spec: ServerCommand, ready: () => Promise<boolean>, seconds = 30): Promise<ServerProcess> {
    const server = new ServerProcess(spec);
    const deadline = performance.now() + seconds * 1000;
    while (!(await ready().catch(() => false))) {
      if (server.exited) throw new Error(`${spec.label} exited during startup:\n${server.log()}`);
      if (performance.now() > deadline) {
        server.killNow();
        throw new Error(`${spec.label} was not ready after ${seconds} s:\n${server.log()}`);
      }
      await pause(50);
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** The end of its log file, for error messages. */
  log(): string {
    try {
      return fs.readFileSync(this.spec.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops it with its stop signal and waits for it to exit (SIGKILL after `seconds`). */
  async stop(seconds = 10): Promise<void> {
    if (this.exited) return;
    this.child.ref(); // an unref()'d child would let the process end before it is gone
    const exited = once(this.child, 'exit');
    this.child.kill(this.spec.stopSignal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = nodeSetTimeout(() => resolve('late'), seconds * 1000)));
    const outcome = await Promise.race([exited, late]);
    nodeClearTimeout(timer);
    if (outcome === 'late') {
      this.child.kill('SIGKILL');
      await exited;
    }
  }

  /**
   * From an exit handler: stops it with its kill signal and waits (synchronously, up to 3 s) until
   * it is gone, then SIGKILLs it if it is not.
   */
  killNow(): void {
    const pid = this.child.pid;
    if (this.exited || pid === undefined) return;
    this.exited = true;
    for (const signal of [this.spec.killSignal, 'SIGKILL'] as const) {
      try {
        process.kill(pid, signal);
      } catch {
        return;
      }
      if (waitGoneSync(pid, 3000)) return;
    }
  }
}

/**
 * Spawns the server in our process group (a Ctrl-C reaches it too) and, on Linux, through
 * `setpriv --pdeathsig` so it is signalled when we die, even by SIGKILL; `setpriv` also switches
 * to the owner, since the parent-death signal must be set after the switch to survive it.
 */
function spawnTied(spec: ServerCommand, log: number): ChildProcess {
  const stdio: ['ignore', number, number] = ['ignore', log, log];
  if (!setpriv) return spawn(spec.command, spec.args, { stdio, ...ids(spec.owner) });
  const user = spec.owner ? ['--reuid', String(spec.owner.uid), '--regid', String(spec.owner.gid), '--init-groups'] : [];
  return spawn(setpriv, ['--pdeathsig', spec.stopSignal.replace(/^SIG/, ''), ...user, '--', spec.command, ...spec.args], { stdio });
}

/** True while `pid` exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (process.platform === 'linux') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Waits (blocking) until `pid` is gone; false if it is still there after `ms`. */
function waitGoneSync(pid: number, ms: number): boolean {
  const until = Date.now() + ms;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (alive(pid)) {
    if (Date.now() > until) return false;
    Atomics.wait(cell, 0, 0, 20);
  }
  return true;
}

/** Removes a temporary directory, whatever is in it (a server's data). @example removeDir(dir) */
/** Stopping a started server: gracefully or at once, its folder removed either way. */
export interface Stoppable {
  stop(): Promise<void>;
  killNow(): void;
}

/**
 * The stop functions of `server`, each also removing `dir`, its temporary folder.
 * @example return { url, port, ...stoppable(server, dir) };
 */
export function stoppable(server: ServerProcess, dir: string): Stoppable {
  return {
    async stop() {
      await server.stop();
      removeDir(dir);
    },
    killNow() {
      server.killNow();
      removeDir(dir);
    },
  };
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
