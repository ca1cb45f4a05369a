/**
 * IPC messages that reach a cluster worker before its program can listen.
 *
 * Node queues the `'message'` events of a forked child until it has a `'message'` listener. A
 * cluster worker has one from its first turn — the one Node adds to forward to
 * `cluster.worker` — so what reaches it before its program listens is emitted to nobody and lost.
 * Without preloads, a CommonJS worker's first line runs in the turn Node sets up the channel, so
 * nothing is lost; with them, the program starts only once they have loaded (~50 ms for the
 * loader, and `--import` modules may take event-loop turns), and a primary's message to a worker
 * still loading vanishes. The loader therefore holds a cluster worker's `'message'` events from
 * its first line until the program can hear them, then emits them in the order they came, before
 * any later one:
 *
 * - when the first synchronous run of a CommonJS main module ends (what Node does without
 *   `--import`);
 * - when a `'message'` listener is added to `process` or `cluster.worker` (an ES module main, whose
 *   own loading spans turns even without `--import`, or a preload that awaits a message);
 * - at the latest {@link HOLD_LIMIT_MS} after the hold began (an ES module worker that never
 *   listens: what it was sent is dropped then, as Node would have dropped it).
 *
 * At most {@link MAX_HELD_MESSAGES} are held (the newest); messages held when the channel closes
 * are dropped, as Node drops what arrives after it. What arrives before the loader's first line
 * runs is out of its reach: nothing from Node 22 on, whose `--import` reads its files without
 * turning the event loop; on Node 20, a message sent right after `fork()` — there, preload with
 * `--require eventlet/loader`, which runs before the channel is first read.
 */
import Module from 'node:module';
import type { EventEmitter } from 'node:events';

/**
 * How many early messages are kept, the newest, for a worker that does not listen yet.
 * @example if (held.length > MAX_HELD_MESSAGES) held.shift();
 */
export const MAX_HELD_MESSAGES = 1000;

/**
 * How long, at most, messages are held for a worker that has not listened (ms).
 * @example setTimeout(release, HOLD_LIMIT_MS).unref();
 */
export const HOLD_LIMIT_MS = 2000;

type Emit = (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean;
type Load = (this: unknown, request: string, parent: unknown, isMain?: boolean) => unknown;

/** Where CommonJS modules are loaded: `Module._load(request, parent, isMain)`. */
const cjsModule = Module as unknown as { _load: Load };

/** `process.emit` and `Module._load` as they were (Node's own, or other libraries' wrappers). */
let previous: { emit: Emit; load: Load } | null = null;

/** The hold in force; null before it and once it is released. */
let hold: Hold | null = null;

interface Hold {
  clusterWorker: EventEmitter;
  /** The arguments of each held `'message'` event: the message and its handle. */
  held: unknown[][];
  limit: NodeJS.Timeout;
}

/**
 * Holds a cluster worker's `'message'` events while its preloads load, and emits them once its
 * program can listen (see the file's comment). Does nothing outside a cluster worker — a plain
 * forked child has no listener yet and Node queues its messages itself — or when called again.
 * @example
 * // the loader's first line, before its other modules load:
 * holdStartupMessages();
 */
export function holdStartupMessages(): void {
  if (previous !== null || process.channel === undefined || process.listenerCount('message') === 0) return;
  // Loaded by Node already in a cluster worker; only looked at once a listener says it may be one.
  const clusterWorker = process.getBuiltinModule('node:cluster').worker as EventEmitter | undefined;
  if (clusterWorker === undefined) return;
  previous = { emit: process.emit as Emit, load: cjsModule._load };
  hold = { clusterWorker, held: [], limit: setTimeout(release, HOLD_LIMIT_MS).unref() };
  process.emit = holdingEmit as typeof process.emit;
  cjsModule._load = releasingAfterMain;
  process.on('newListener', releaseOnMessageListener);
  clusterWorker.on('newListener', releaseOnMessageListener);
}

/** `process.emit` while holding: a `'message'` is kept (its listeners hear it on release). */
function holdingEmit(this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
  if (hold === null || event !== 'message') return previous!.emit.call(this, event, ...args);
  if (hold.held.push(args) > MAX_HELD_MESSAGES) hold.held.shift();
  return true; // there are listeners (Node's forwarder to cluster.worker): they will hear it
}

/** `Module._load` while holding: the main module's first synchronous run ends the hold. */
function releasingAfterMain(this: unknown, request: string, parent: unknown, isMain?: boolean): unknown {
  const load = previous!.load;
  if (!isMain || hold === null) return load.call(this, request, parent, isMain);
  try {
    return load.call(this, request, parent, isMain);
  } finally {
    release();
  }
}

/** A `'newListener'` listener: once the program listens for messages, the hold ends (a tick later, the listener added). */
function releaseOnMessageListener(event: string | symbol): void {
  if (event === 'message') process.nextTick(release);
}

/** Ends the hold: puts back what it replaced, then emits the held messages in one tick, in order. */
function release(): void {
  const ended = hold;
  if (ended === null) return;
  hold = null;
  clearTimeout(ended.limit);
  if (process.emit === (holdingEmit as typeof process.emit)) process.emit = previous!.emit as typeof process.emit;
  if (cjsModule._load === releasingAfterMain) cjsModule._load = previous!.load;
  process.off('newListener', releaseOnMessageListener);
  ended.clusterWorker.off('newListener', releaseOnMessageListener);
  if (ended.held.length > 0) process.nextTick(replay, ended.held);
}

/**
 * Emits the held messages through what `process.emit` was (a wrapper added over the hold has seen
 * them already), unless the channel has been disconnected since.
 */
function replay(held: unknown[][]): void {
  for (const args of held) {
    if (!process.connected) return;
    previous!.emit.call(process, 'message', ...args);
  }
}
