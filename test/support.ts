/**
 * Helpers shared by the test files: reading promises and errors, timing, counting what the process
 * holds open (timers, resources, file descriptors), capturing the hub's error reports, and the
 * local HTTP(S) server and certificate the net and tls tests talk to. Not a test file itself.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { getHub, sleep, spawn, spawnN } from '../lib/index.js';

// ---------------------------------------------------------------------------------------------
// Promises, errors and time

/** A promise that never settles: something that is not a cooperative point. */
export const never = (): Promise<never> => new Promise<never>(() => {});

/** Lets a deliberately wrong argument through the type checker. */
export const bad = (value: unknown): never => value as never;

/** Seconds since `start` (a `performance.now()` reading). */
export const since = (start: number): number => (performance.now() - start) / 1000;

/** Timers may fire a little before the wall clock says (libuv's cached loop time). */
export const EARLY_MS = 5;

/** Node's own `setTimeout`, taken before any test patches the timers. */
const nodeSetTimeout = globalThis.setTimeout;

/** Waits `ms` milliseconds on Node's own timer, whatever is patched (not a cooperative point). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => nodeSetTimeout(resolve, ms));

/** Resolves with the error `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`expected a rejection, got ${String(value)}`);
}

/** The error `fn()` throws or rejects with; fails the test if it does neither. */
export async function errorFrom(fn: () => unknown): Promise<unknown> {
  let value: unknown;
  try {
    value = await fn();
  } catch (err) {
    return err;
  }
  throw new Error(`expected an error, got ${String(value)}`);
}

/** Resolves with what `fn` returns (or throws) and how many milliseconds that took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/** Polls `condition` every 10 ms; fails naming `what` if it does not hold within `seconds`. */
export async function waitFor(what: string, condition: () => boolean, seconds = 2): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (since(start) > seconds) throw new Error(`gave up after ${seconds} s waiting for ${what}`);
    await sleep(0.01);
  }
}

// ---------------------------------------------------------------------------------------------
// Green threads and the hub

/** Runs `fn` in a green thread and resolves with what it returns (or rejects with what it throws). */
export function inThread<T>(fn: () => Promise<T>): Promise<T> {
  return spawn(fn).wait() as Promise<T>;
}

/**
 * What a library call that is not a cooperative point looks like to the hub: a bare promise whose
 * resource (a socket, a child process) the current green thread owns. Interrupted, the resource is
 * released and the call ends as `ends` says: `'error'` rejects with the library's own error
 * carrying the interruption as `cause` (fetch, pg); `'quietly'` resolves with `'exited'` (a child
 * killed by SIGTERM whose `'exit'` event is awaited, a socket's `'close'`).
 * @example await libraryCall('error').catch((e) => e.cause); // the Timeout, once it fired
 */
export function libraryCall(ends: 'error' | 'quietly'): Promise<string> {
  return new Promise((resolve, reject) => {
    getHub().own({
      interrupted: (reason) => (ends === 'error' ? reject(new Error('socket hang up', { cause: reason })) : resolve('exited')),
    });
  });
}

/** A green thread that records whether it has run; proves that a call did not yield. */
export function witness(): { ran: () => boolean } {
  let ran = false;
  spawnN(() => {
    ran = true;
  });
  return { ran: () => ran };
}

/** One failure the hub reported: the error and where it came from. */
export interface ErrorReport {
  err: unknown;
  source: string;
}

/**
 * Call inside a `describe`: around each of its tests the hub's error reporter records into the
 * array returned (emptied before each test) instead of printing, and is restored afterwards.
 */
export function captureErrorReports(): ErrorReport[] {
  const hub = getHub();
  const reports: ErrorReport[] = [];
  let savedReporter: typeof hub.errorReporter;

  beforeEach(() => {
    reports.length = 0;
    savedReporter = hub.errorReporter;
    hub.errorReporter = (err, source) => reports.push({ err, source });
  });

  afterEach(() => {
    hub.errorReporter = savedReporter;
  });

  return reports;
}

// ---------------------------------------------------------------------------------------------
// What the process holds open

/** Number of live Node timers (`setTimeout`) in the process. */
export function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

/** Live timers once mocha has armed its own timer for the running test (after the first yield). */
export async function timerBaseline(): Promise<number> {
  await sleep(0);
  return liveTimers();
}

/** What keeps the event loop alive, sorted so two readings compare (the terminal's handle left out). */
export const activeResources = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();

/** How many file descriptors the process has open. */
export const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

// ---------------------------------------------------------------------------------------------
// Local servers for the net and tls tests

/** The port `server` listens on. */
export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Starts `server` listening on an ephemeral port of 127.0.0.1. */
export async function listen<S extends net.Server>(server: S): Promise<S> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl in a temporary directory. */
export interface Credentials {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
  dir: string;
}

/** Makes a new self-signed certificate (see {@link Credentials}); the caller removes `dir`. */
export function makeCredentials(): Credentials {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventlet-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), keyFile, certFile, dir };
}

/**
 * A local HTTP server (HTTPS when started with credentials) that counts its connections: `/slow`
 * never answers, `/delay?ms=N` answers after N ms, anything else at once; every answer is the
 * client's port, on a keep-alive connection.
 */
export class LocalWebServer {
  readonly server: http.Server;
  /** Every connection accepted, in order. */
  readonly accepted: net.Socket[] = [];
  /** When each accepted connection closed (`performance.now()`). */
  readonly closedAt: number[] = [];
  /** Every request path received, in order. */
  readonly requests: string[] = [];
  private readonly replies = new Set<NodeJS.Timeout>();

  private constructor(credentials?: Credentials) {
    const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = credentials ? https.createServer({ key: credentials.key, cert: credentials.cert }, handle) : http.createServer(handle);
    this.server.on(credentials ? 'secureConnection' : 'connection', (socket: net.Socket | tls.TLSSocket) => {
      this.accepted.push(socket);
      socket.on('close', () => this.closedAt.push(performance.now()));
    });
  }

  /** Starts a plain HTTP server, or an HTTPS one serving `credentials`. */
  static async start(credentials?: Credentials): Promise<LocalWebServer> {
    const local = new LocalWebServer(credentials);
    await listen(local.server);
    return local;
  }

  get port(): number {
    return portOf(this.server);
  }

  get origin(): string {
    return `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Connections accepted and not yet closed. */
  get open(): number {
    return this.accepted.length - this.closedAt.length;
  }

  async stop(): Promise<void> {
    for (const timer of this.replies) clearTimeout(timer);
    this.server.closeAllConnections();
    for (const socket of this.accepted) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(req.url!);
    if (req.url === '/slow') return;
    const ms = Number(new URL(req.url!, this.origin).searchParams.get('ms') ?? 0);
    const reply = setTimeout(() => {
      this.replies.delete(reply);
      res.end(String(req.socket.remotePort));
    }, ms);
    this.replies.add(reply);
  }
}

/** What a GET got: the body and the client socket it came on. */
export interface Reply {
  body: string;
  localPort: number;
  socket: net.Socket;
}

type Get = (url: string, options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) => http.ClientRequest;

function getWith(get: Get, url: string, options: http.RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = get(url, options, (res) => {
      const socket = req.socket!;
      const localPort = socket.localPort!;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ body, localPort, socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** `http.get` as a promise: the body and the client socket it came on. */
export function httpGet(url: string, options: http.RequestOptions = {}): Promise<Reply> {
  return getWith(http.get, url, options);
}

/** `https.get` as a promise: the body and the client socket it came on. */
export function httpsGet(url: string, options: https.RequestOptions): Promise<Reply> {
  return getWith(https.get, url, options);
}

/**
 * A local TCP server (TLS when started with credentials) for clients that wait for the server to
 * speak first: it sends `greeting` (by default nothing, ever) and counts its connections.
 */
export class SilentServer {
  /** Connections accepted (after the TLS handshake for a TLS server). */
  accepted = 0;
  /** Accepted connections that have closed. */
  closed = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly server: net.Server,
    private readonly greeting: string | undefined,
  ) {
    server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', (socket: net.Socket) => this.accept(socket));
  }

  /** Starts the server on an ephemeral port of 127.0.0.1. */
  static async start(credentials?: Credentials, greeting?: string): Promise<SilentServer> {
    const server = credentials ? tls.createServer({ key: credentials.key, cert: credentials.cert }) : net.createServer();
    const silent = new SilentServer(server, greeting);
    await listen(server);
    return silent;
  }

  get port(): number {
    return portOf(this.server);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.accepted++;
    this.sockets.add(socket);
    socket.on('error', () => {}).resume();
    socket.on('close', () => {
      this.closed++;
      this.sockets.delete(socket);
    });
    if (this.greeting !== undefined) socket.write(this.greeting);
  }
}
