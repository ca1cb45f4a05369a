/**
 * The diagnostics hooks debug.ts installs while one of its diagnostics is on; the hub's hot paths
 * pay one comparison with `null` otherwise.
 */
import type { AnyPoint } from './point.js';
import type { Scope } from './scope.js';

/**
 * Diagnostics hooks (see debug.ts): told when a cooperative point parks and settles and when a
 * green thread's body starts and ends. Unset (`null`) unless a diagnostic needs it, so the hub's
 * hot paths pay one comparison.
 */
export interface Tracer {
  /** `point` was just registered on its scope (its arm has run). */
  parked(point: AnyPoint): void;
  /** `point` was woken, failed or interrupted: its thread resumes from there. */
  resumed(point: AnyPoint): void;
  /** The body of green thread `thread` is about to start. */
  started(thread: Scope): void;
  /** Green thread `thread` ended (returned, failed, was killed or abandoned). */
  ended(thread: Scope): void;
}
