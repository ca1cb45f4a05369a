/**
 * The hub's coarse clock, that parked points are stamped with: milliseconds since
 * {@link CLOCK_ORIGIN} (`Date.now()`, the cheapest clock Node has), read at the start of every hub
 * turn and whenever a point is woken outside one (by a timer, I/O or a thread ending), so parking
 * costs no clock read of its own.
 */

/**
 * The hub clock's origin: `Date.now()` when the package loaded. The clock counts milliseconds
 * from here, a small integer that a point stores without allocating.
 * @example const parkedAt = new Date(CLOCK_ORIGIN + point.since);
 */
export const CLOCK_ORIGIN = Date.now();

/**
 * The clock's reading and whether a hub turn (the run queue's batch) is running now.
 * @example if (!hubClock.inTurn) hubClock.stamp(); // woken by a timer or I/O: a new moment
 */
export const hubClock = {
  /** Milliseconds since {@link CLOCK_ORIGIN} at the last reading. */
  now: 0,
  /** True while the run queue's batch runs. */
  inTurn: false,
  /** Reads the clock anew: something woke up outside a hub turn (a timer, I/O). */
  stamp(): void {
    this.now = Date.now() - CLOCK_ORIGIN;
  },
};
