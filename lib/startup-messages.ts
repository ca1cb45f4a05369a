/**
 * IPC messages that reach a forked process before its program can listen.
 *
 * Node queues the `'message'` events of a forked child until it has a `'message'` listener. A
 * cluster worker has one from its first turn — the one that forwards to `cluster.worker` — so what
 * reaches it before its program listens is emitted to nobody and lost. Without `--import`, a
 * CommonJS worker's first line runs in the turn Node sets up the channel, so nothing is lost; under
 * `--import`, the preloads load first, over many event-loop turns (the loader's own modules take
 * ~50 ms), and a primary's message to a worker that is still loading vanishes. The loader therefore
 * holds the `'message'` events of such a process from its first line until the program can hear
 * them: the first synchronous run of a CommonJS main module ends, or — for an ES module main, whose
 * own loading spans turns even without `--import`, or code run by `-e` — a `'message'` listener is
 * added to `process` or to `cluster.worker`. They are then emitted in the order they came, before
 * any later one. At most {@link MAX_HELD_MESSAGES} are held; older ones beyond that are dropped, as
 * Node would have dropped them all. What arrives before the loader's first line (while Node reads
 * it) is out of its reach, as with any `--import`.
 *
 * Only `'message'` events are held; internal messages (cluster's own) pass as usual.
 */
import Module from 'node:module';
import type { EventEmitter } from 'node:events';

/** How many early messages are kept for a program that does not listen yet. */
export const MAX_HELD_MESSAGES = 1000;

type Emit = (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) => boolean;
type Load = (this: unknown, request: string, parent: unknown, isMain?: boolean) => unknown;

const moduleLoader = Module as unknown as { _load: Load };
let started = false;

/**
 * Holds the `'message'` events a forked process receives before its program can listen, and
 * emits them once it can (see the file's comment). Does nothing in a process without an IPC
 * channel or without a `'message'` listener yet (Node queues their messages itself), or when
 * called again.
 * @example
 * // the loader's first line, before its other modules load:
 * holdStartupMessages();
 */
export function holdStartupMessages(): void {
  if (process.channel === undefined || process.listenerCount('message') === 0 || started) return;
  started = true;
  let holding = true;
  const held: unknown[][] = [];
  const emit = process.emit as Emit;
  const load = moduleLoader._load;
  const clusterWorker = process.getBuiltinModule('node:cluster').worker as EventEmitter | undefined;

  const holdingEmit: Emit = function (this: NodeJS.Process, event, ...args) {
    if (holding && event === 'message') {
      if (held.push(args) > MAX_HELD_MESSAGES) held.shift();
      return this.listenerCount('message') > 0;
    }
    return emit.call(this, event, ...args);
  };

  const loadingMain: Load = function (this: unknown, request, parent, isMain) {
    if (!isMain || !holding) return load.call(this, request, parent, isMain);
    try {
      return load.call(this, request, parent, isMain);
    } finally {
      release();
    }
  };

  function releaseOnMessageListener(event: string | symbol): void {
    if (event === 'message') process.nextTick(release);
  }

  function release(): void {
    if (!holding) return;
    holding = false;
    if (process.emit === holdingEmit) process.emit = emit as typeof process.emit;
    if (moduleLoader._load === loadingMain) moduleLoader._load = load;
    process.off('newListener', releaseOnMessageListener);
    clusterWorker?.off('newListener', releaseOnMessageListener);
    for (const args of held.splice(0)) process.nextTick(() => process.emit('message', ...(args as [unknown, unknown])));
  }

  process.emit = holdingEmit as typeof process.emit;
  moduleLoader._load = loadingMain;
  process.on('newListener', releaseOnMessageListener);
  clusterWorker?.on('newListener', releaseOnMessageListener);
}
