/**
 * Event-loop blocking detection (`debug.hubBlockingDetection`). JavaScript cannot be interrupted
 * while it blocks the loop, so the detector notices afterwards: a repeating unref'd timer measures
 * how long passed between two of its ticks, and when that exceeds the resolution the loop was
 * blocked. Which green thread blocked it is known from the hub's diagnostics hooks: every time a
 * thread parks or ends, the stretch it ran since it was resumed (or since the last switch or tick,
 * whichever is later) is measured, and the longest stretch since the previous tick is the culprit.
 */
import { getHub } from './hub.js';
import type { GreenThread } from './greenthread.js';

/** Node's own interval functions, captured before anything can patch them. */
const { setInterval, clearInterval, performance } = globalThis;

/** The longest pause between two ticks of the detector's timer, in milliseconds. */
const MAX_TICK_MS = 100;

/**
 * What the blocking detector reports through the hub's error reporter: the event loop was blocked
 * for `seconds`, by `thread` when a green thread ran all that time without reaching a cooperative
 * point (`null` when the time went elsewhere). With `debug.captureStacks(true)`, `resumedAt` is
 * the stack of the cooperative point the thread last resumed from (where it started running).
 * @example
 * getHub().errorReporter = (err) => {
 *   if (err instanceof BlockingDetected) console.warn(err.thread?.name, err.seconds);
 * };
 */
export class BlockingDetected extends Error {
  /** How long the loop was blocked, in seconds. */
  readonly seconds: number;
  /** The green thread that ran all that time, if one did. */
  readonly thread: GreenThread<unknown> | null;
  /** The stack of the point the thread had last resumed from (captured stacks only). */
  readonly resumedAt: string | null;

  constructor(seconds: number, resolution: number, thread: GreenThread<unknown> | null, resumedAt: string | null) {
    const by = thread ? `by ${thread.toString()}` : 'outside green threads (or in a thread that has not reached a cooperative point since)';
    super(`the event loop was blocked for ${seconds.toFixed(3)} s (resolution ${resolution} s) ${by}${resumedAt ? ', which had last resumed at:' : ''}`);
    this.name = 'BlockingDetected';
    this.seconds = seconds;
    this.thread = thread;
    this.resumedAt = resumedAt;
    // The detector's own frames say nothing: show where the culprit had resumed, if known.
    this.stack = resumedAt ? `${this.name}: ${this.message}\n${resumedAt}` : `${this.name}: ${this.message}`;
  }
}

/** Where a thread was last resumed: when, and from which point's stack (if captured). */
interface Resumption {
  at: number;
  stack: string | null;
}

/** The longest stretch a thread ran since the last tick. */
interface Stretch {
  thread: GreenThread<unknown>;
  ms: number;
  stack: string | null;
}

/**
 * One armed detector (debug.ts keeps at most one): told by the diagnostics hooks when threads
 * resume and switch, it reports blocks at its next tick; `stop()` clears its timer.
 * @example
 * const detector = new BlockingDetector(0.1); // reports blocks longer than 0.1 s
 * detector.stop();
 */
export class BlockingDetector {
  /** The resolution in seconds: blocks longer than this are reported. */
  readonly resolution: number;
  private readonly resumptions = new WeakMap<GreenThread<unknown>, Resumption>();
  private readonly tickMs: number;
  private lastTick = performance.now();
  private lastSwitch = this.lastTick;
  private worst: Stretch | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(resolution: number) {
    this.resolution = resolution;
    this.tickMs = Math.max(1, Math.min(MAX_TICK_MS, (resolution * 1000) / 4));
    this.timer = getHub().runOutside(setInterval, () => this.tick(), this.tickMs);
    this.timer.unref();
  }

  /** Reports a block that ended since the last tick (its tick would have), then clears the timer. */
  stop(): void {
    clearInterval(this.timer);
    this.tick();
  }

  /** `thread` resumes now (woken at a point whose park stack is `stack`, or starting). */
  resumed(thread: GreenThread<unknown>, stack: string | null): void {
    this.resumptions.set(thread, { at: performance.now(), stack });
  }

  /** `thread` parks or ends now: it ran since it was resumed, or since the last switch. */
  switched(thread: GreenThread<unknown>): void {
    const now = performance.now();
    const resumption = this.resumptions.get(thread);
    const start = Math.max(resumption?.at ?? 0, this.lastSwitch);
    this.lastSwitch = now;
    const ms = now - start;
    if (this.worst === null || ms > this.worst.ms) this.worst = { thread, ms, stack: resumption?.stack ?? null };
  }

  private tick(): void {
    const now = performance.now();
    const elapsed = now - this.lastTick;
    const worst = this.worst;
    this.lastTick = now;
    this.lastSwitch = Math.max(this.lastSwitch, now);
    this.worst = null;
    const blockedMs = elapsed - this.tickMs;
    if (blockedMs <= this.resolution * 1000) return;
    const culprit = worst !== null && worst.ms > blockedMs / 2 ? worst : null;
    const seconds = (culprit ? culprit.ms : blockedMs) / 1000;
    getHub().reportError(new BlockingDetected(seconds, this.resolution, culprit?.thread ?? null, culprit?.stack ?? null), 'the blocking detector');
  }
}
