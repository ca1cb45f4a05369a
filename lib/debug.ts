/**
 * Diagnostics, eventlet's `eventlet.debug`: what every live green thread is doing and where it
 * waits, reports of event-loop blocking naming the green thread that blocked, and which thread
 * failures the hub reports. Exported as the `debug` namespace of the package.
 *
 * All of it costs nothing until switched on: the hub calls the diagnostics hooks only while
 * `captureStacks(true)` or `hubBlockingDetection(true)` is in effect.
 */
import { CLOCK_ORIGIN, getHub, Hub, type Point, type Tracer } from './hub.js';
import { liveThreads, type GreenThread } from './greenthread.js';
import { BlockingDetector } from './blocking-detector.js';
import { requireBoolean, requireSeconds } from './validate.js';

export { BlockingDetected } from './blocking-detector.js';

/** What {@link greenThreads} tells about one live green thread. */
export interface GreenThreadInfo {
  /** The thread itself. */
  readonly thread: GreenThread<unknown>;
  /** Its number, unique in the process and increasing with creation. */
  readonly id: number;
  /** Its name (`thread.name = 'worker-1'`), if it has one. */
  readonly name: string | undefined;
  /**
   * `scheduled` (not started yet), `running` (started and not parked: it is the code running
   * now, or it awaits something that is not a cooperative point), `parked` (waiting at a
   * cooperative point) or `dying` (killed, not finished yet).
   */
  readonly state: 'scheduled' | 'running' | 'parked' | 'dying';
  /** What it is parked on (`sleep`, `queue get`, `event wait`, `dns lookup`, `fs readFile` …), or `null`. */
  readonly waitingOn: string | null;
  /** When it parked there (a `Date.now()` timestamp, to within one hub turn), or `null`. */
  readonly since: number | null;
  /** How many seconds it has been parked there, or `null`. */
  readonly seconds: number | null;
  /** With `captureStacks(true)` when it parked: the stack where it parked, else `null`. */
  readonly stack: string | null;
}

/** Park stacks of the points parked while `captureStacks(true)`. */
const stacks = new WeakMap<Point, Error>();
let capturing = false;
let detector: BlockingDetector | null = null;

/** The hooks the hub calls while a diagnostic is on. */
const tracer: Tracer = {
  parked(point) {
    if (capturing) stacks.set(point, parkStack());
    detector?.switched(point.scope.root as GreenThread<unknown>);
  },
  resumed(point) {
    if (detector === null) return;
    const stack = stacks.get(point);
    detector.resumed(point.scope.root as GreenThread<unknown>, stack ? frames(stack) : null);
  },
  started(thread) {
    detector?.resumed(thread as GreenThread<unknown>, null);
  },
  ended(thread) {
    detector?.switched(thread as GreenThread<unknown>);
  },
};

/** The stack of the caller of `hub.park` (the frames of the hub itself left out). */
function parkStack(): Error {
  const holder = new Error('parked');
  Error.captureStackTrace(holder, Hub.prototype.park);
  return holder;
}

/** The frame lines of an error's stack (its first line, the message, left out). */
function frames(error: Error): string {
  const stack = error.stack ?? '';
  const newline = stack.indexOf('\n');
  return newline < 0 ? '' : stack.slice(newline + 1);
}

/** Installs the hooks while a diagnostic needs them, removes them when none does. */
function updateTracer(): void {
  getHub().tracer = capturing || detector !== null ? tracer : null;
}

/**
 * Records, from now on, the stack where each green thread parks, for {@link greenThreads} and
 * the blocking detector's reports. Costs a stack capture per cooperative point: for debugging.
 * @example
 * debug.captureStacks(true);
 * console.log(debug.formatGreenThreads()); // each parked thread with the stack where it waits
 */
export function captureStacks(on: boolean): void {
  capturing = requireBoolean('debug.captureStacks', 'on', on);
  updateTracer();
}

/**
 * Every live green thread (spawned and not ended; the main thread is not listed), oldest first,
 * with its state, what it is parked on and since when, and with captured stacks where it parked.
 * @example
 * for (const t of debug.greenThreads()) console.log(t.id, t.name, t.state, t.waitingOn, t.seconds);
 */
export function greenThreads(): GreenThreadInfo[] {
  const now = Date.now();
  return liveThreads().map((thread) => describeThread(thread, now));
}

function describeThread(thread: GreenThread<unknown>, now: number): GreenThreadInfo {
  const point = thread.started ? thread.parkedAt : null;
  const stack = point ? stacks.get(point) : undefined;
  return {
    thread,
    id: thread.id,
    name: thread.name,
    state: thread.state as GreenThreadInfo['state'],
    waitingOn: point ? point.what : null,
    since: point ? CLOCK_ORIGIN + point.since : null,
    seconds: point ? Math.max(0, (now - CLOCK_ORIGIN - point.since) / 1000) : null,
    stack: stack ? frames(stack) : null,
  };
}

/**
 * {@link greenThreads} as a text table, one row per thread (with captured stacks, the stack
 * under its row); `(no live green threads)` when there are none.
 * @example console.log(debug.formatGreenThreads());
 * //  id  name      state    waiting on  for
 * //   2  producer  parked   queue put   1.204 s
 */
export function formatGreenThreads(): string {
  const infos = greenThreads();
  if (infos.length === 0) return '(no live green threads)';
  const rows = infos.map((t) => [String(t.id), t.name ?? '-', t.state, t.waitingOn ?? '-', t.seconds === null ? '-' : `${t.seconds.toFixed(3)} s`]);
  const header = ['id', 'name', 'state', 'waiting on', 'for'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header)];
  infos.forEach((info, i) => {
    out.push(line(rows[i]!));
    if (info.stack) out.push(info.stack.replace(/^\s*/gm, '      '));
  });
  return out.join('\n');
}

/**
 * Reports, through the hub's error reporter (`getHub().errorReporter`), each time the event loop
 * was blocked for longer than `resolution` seconds, as a {@link BlockingDetected} naming the green
 * thread that ran all that time without reaching a cooperative point (with `captureStacks(true)`,
 * also where it had last resumed). Noticed after the block ends, by an unref'd timer that never
 * keeps the process alive. `hubBlockingDetection(false)` stops it. Switched on again with the same
 * resolution, the running detector goes on; with another resolution, or switched off, a block
 * that ended since the detector's last tick is still reported before it stops. `resolution` is
 * a `RangeError` unless a finite number of seconds > 0.
 * @example
 * debug.hubBlockingDetection(true, 0.1);
 * spawn(() => { const end = Date.now() + 300; while (Date.now() < end); }); // reported
 */
export function hubBlockingDetection(on: boolean, resolution = 1): void {
  requireBoolean('debug.hubBlockingDetection', 'on', on);
  const seconds = requireSeconds('debug.hubBlockingDetection', 'resolution', resolution, { allowNegative: true })!;
  if (!(seconds > 0) || seconds === Infinity) {
    throw new RangeError(`debug.hubBlockingDetection: resolution must be a finite number of seconds > 0, got ${seconds}`);
  }
  if (on && detector?.resolution === seconds) return;
  detector?.stop();
  detector = on ? new BlockingDetector(seconds) : null;
  updateTracer();
}

/**
 * Chooses which failed green threads the hub reports. `true`: the exception of every thread that
 * fails (except `GreenletExit`) is reported, also when someone waits on the thread or is linked to
 * it, as eventlet's `hub_exceptions(True)` prints them all. `false` (the default here, see the
 * README): only failures nobody waits on, links to or collects are reported.
 * @example debug.hubExceptions(true); // see every crash while debugging
 */
export function hubExceptions(on: boolean): void {
  getHub().reportEveryFailure = requireBoolean('debug.hubExceptions', 'on', on);
}
