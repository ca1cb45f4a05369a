/**
 * Scopes: the unit of ownership. Every green thread is one; `withTimeout` opens child scopes
 * inside it. A scope holds its pending cooperative points, its child scopes, what it owns, and an
 * interruption waiting to be thrown; `hub.interrupt()` and `Scope.abandon()` act on them.
 */
import { reporting } from './errors.js';
import type { AsyncResource } from 'node:async_hooks';
import { inspect } from 'node:util';
import type { AnyPoint, Point } from './point.js';

/**
 * Something a scope owns: a Timeout, a socket with a request in flight, a timer, a file handle.
 * `interrupted` releases it when the scope is killed or times out (destroy, close, clear, with
 * `reason` as the error); `scopeEnded` runs once when the scope ends.
 */
export interface Owned {
  /** The owning scope (or an enclosing one) was interrupted by `reason`. */
  interrupted?(reason: unknown): void;
  /** The owning scope ended; `interrupted` tells whether it was killed or abandoned. */
  scopeEnded?(interrupted: boolean, reason: unknown): void;
}

/** Marker for "no pending interruption". */
export const NONE: unique symbol = Symbol('none');

/**
 * Whether any scope has been abandoned yet (one stays poisoned for good), so that
 * `hub.inAbandonedScope()` is a field read until then.
 * @example if (abandonment.any) lookUpTheScopeChain();
 */
export const abandonment = { any: false };

/** How many owned items are being released right now (an item may re-adopt itself meanwhile). */
let releasing = 0;

/** Tells `item` its scope was interrupted by `reason`; what it throws goes to the reporter. */
function release(item: Owned, reason: unknown): void {
  releasing++;
  try {
    item.interrupted!(reason);
  } catch (err) {
    reporting.report(err, 'releasing a resource of an interrupted green thread');
  } finally {
    releasing--;
  }
}

/**
 * The state few scopes ever need — a second parked point, an interruption in waiting, a signal —
 * kept out of every scope's own fields and made on first use, so a parked green thread stays small
 * (see the memory row of `npm run bench`).
 */
class RareState {
  onAbandon: ((reason: unknown) => void) | undefined = undefined;
  morePoints: Set<AnyPoint> | null = null;
  pending: unknown = NONE;
  poison: unknown = NONE;
  parkListeners: Array<() => void> | null = null;
  controller: AbortController | null = null;
  abortReason: unknown = NONE;
  contextResource: AsyncResource | null = null;
}

/**
 * A unit of ownership: a green thread or a `withTimeout` scope inside one. Holds the cooperative
 * points parked in it, its child scopes, what it owns, and an interruption waiting to be thrown.
 */
export class Scope {
  /** The enclosing scope (`null` for green threads and the root). */
  readonly parent: Scope | null;
  /** Set once the scope has ended (returned, failed, or abandoned). */
  ended = false;
  private point: AnyPoint | null = null;
  private children: Set<Scope> | null = null;
  private owned: Set<Owned> | null = null;
  private rareState: RareState | null = null;

  /** The scope's rarely used state, made on first write. */
  private get rare(): RareState {
    return (this.rareState ??= new RareState());
  }

  /** @internal A resource made inside the scope, entered by `hub.reenter` (Node 24+). */
  get contextResource(): AsyncResource | null {
    return this.rareState === null ? null : this.rareState.contextResource;
  }
  set contextResource(resource: AsyncResource | null) {
    this.rare.contextResource = resource;
  }

  /** Called when the scope is abandoned; its owner stops waiting for the body. */
  get onAbandon(): ((reason: unknown) => void) | undefined {
    return this.rareState?.onAbandon;
  }
  set onAbandon(fn: ((reason: unknown) => void) | undefined) {
    this.rare.onAbandon = fn;
  }

  /** Resolvers waiting for this scope to park again (see `hub.afterParkOrEnd`). */
  get parkListeners(): Array<() => void> | null {
    return this.rareState === null ? null : this.rareState.parkListeners;
  }
  set parkListeners(listeners: Array<() => void> | null) {
    if (listeners !== null || this.rareState !== null) this.rare.parkListeners = listeners;
  }

  private get morePoints(): Set<AnyPoint> | null {
    return this.rareState === null ? null : this.rareState.morePoints;
  }

  /** The interruption waiting for the scope's next cooperative point, or NONE. */
  private get pending(): unknown {
    return this.rareState === null ? NONE : this.rareState.pending;
  }
  private set pending(err: unknown) {
    if (err !== NONE || this.rareState !== null) this.rare.pending = err;
  }

  /** What every cooperative point of an abandoned scope throws, or NONE. */
  private get poison(): unknown {
    return this.rareState === null ? NONE : this.rareState.poison;
  }

  /** True while the scope's thread is being killed; green threads override it. */
  get dying(): boolean {
    return false;
  }

  /**
   * The scope's `AbortSignal`: aborted, with the interruption as its reason, when this scope or
   * an enclosing one is killed or times out (see `currentSignal()`). Made on first use.
   */
  get signal(): AbortSignal {
    const rare = this.rare;
    if (rare.controller === null) {
      rare.controller = new AbortController();
      if (rare.abortReason !== NONE) rare.controller.abort(rare.abortReason);
    }
    return rare.controller.signal;
  }

  /**
   * @internal The scope (or an enclosing one) is interrupted by `reason`: its signal aborts for
   * good. The root and connection threads override it (their interruptions are transient).
   */
  abortSignal(reason: unknown): void {
    const rare = this.rare;
    if (rare.abortReason !== NONE) return;
    rare.abortReason = reason;
    if (rare.controller !== null) rare.controller.abort(reason);
  }

  /**
   * @internal Aborts the signal handed out so far with `reason` and forgets it, so that the next
   * `signal` is a fresh one: for scopes that go on serving after an interruption.
   */
  protected abortSignalOnce(reason: unknown): void {
    const rare = this.rareState;
    if (rare === null) return;
    const controller = rare.controller;
    rare.controller = null;
    controller?.abort(reason);
  }

  /**
   * True when an interruption that reaches no pending point waits for the scope's next one; the
   * root forgets it instead (a root interruption is transient).
   */
  get keepsInterruption(): boolean {
    return true;
  }

  constructor(parent: Scope | null) {
    this.parent = parent;
    if (parent) (parent.children ??= new Set()).add(this);
  }

  /** Inspects compactly: the scope's state, none of its points, children or owned items. */
  [inspect.custom](): string {
    return `Scope { ${this.ended ? 'ended' : this.parked ? 'parked' : 'running'} }`;
  }

  /** The outermost scope: the green thread this scope runs in. */
  get root(): Scope {
    let scope: Scope = this;
    while (scope.parent) scope = scope.parent;
    return scope;
  }

  /** True while at least one cooperative point of this scope or a child scope is pending. */
  get parked(): boolean {
    if (this.point || (this.morePoints && this.morePoints.size > 0)) return true;
    if (this.children) for (const child of this.children) if (child.parked) return true;
    return false;
  }

  /** The first pending point, for diagnostics. */
  get parkedAt(): Point | null {
    if (this.point) return this.point;
    if (this.morePoints) for (const p of this.morePoints) return p as Point;
    if (this.children) for (const child of this.children) if (child.parkedAt) return child.parkedAt;
    return null;
  }

  /** True once the scope was abandoned (and so poisoned). */
  get poisoned(): boolean {
    return this.poison !== NONE;
  }

  /**
   * Registers something released when the scope ends. A scope already interrupted, whose exception
   * has not been thrown yet (its thread was woken just before the kill) or that was abandoned,
   * releases the item at once, as the interruption would have: right after the current synchronous
   * step, so the caller finishes setting it up (a socket starts connecting) before it is destroyed.
   */
  adopt(item: Owned): void {
    (this.owned ??= new Set()).add(item);
    if (releasing > 0 || !item.interrupted) return; // an item re-adopting itself while it is released
    const reason = this.interruptionWaiting();
    if (reason !== NONE) queueMicrotask(() => this.releaseLate(item, reason));
  }

  /** The interruption this scope (or an enclosing one) has not thrown yet, or its poison. */
  private interruptionWaiting(): unknown {
    for (let scope: Scope | null = this; scope; scope = scope.parent) {
      if (scope.poison !== NONE) return scope.poison;
      if (scope.pending !== NONE) return scope.pending;
    }
    return NONE;
  }

  /** Releases `item`, adopted after the interruption `reason`, if it is still owned. */
  private releaseLate(item: Owned, reason: unknown): void {
    if (!this.owned?.delete(item)) return;
    release(item, reason);
  }

  /** Forgets an owned item (it was released by other means). */
  disown(item: Owned): void {
    this.owned?.delete(item);
  }

  /** @internal */
  addPoint(point: AnyPoint): void {
    if (this.point === null) this.point = point;
    else (this.rare.morePoints ??= new Set()).add(point);
  }

  /** @internal */
  removePoint(point: AnyPoint): void {
    if (this.point === point) this.point = null;
    else this.morePoints?.delete(point);
  }

  /**
   * Ends the scope: detaches it from its parent and tells what it owns. Idempotent.
   * `interrupted` is true when the scope was killed, timed out without handling, or abandoned.
   */
  end(interrupted: boolean, reason?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.parent?.children?.delete(this);
    if (this.rareState !== null) this.rareState.pending = NONE;
    const owned = this.owned;
    this.owned = null;
    if (owned) for (const item of owned) item.scopeEnded?.(interrupted, reason);
    this.flushParkListeners();
  }

  /**
   * Gives up on the scope's body: poisons it (every later cooperative point in it rejects with
   * `reason`), ends it as interrupted and tells its owner. Does nothing to an ended scope.
   */
  abandon(reason: unknown): void {
    if (this.ended) return;
    this.rare.poison = reason;
    abandonment.any = true;
    this.interruptOwned(reason);
    const onAbandon = this.onAbandon;
    this.end(true, reason);
    if (onAbandon) onAbandon(reason);
  }

  /** @internal Takes the interruption waiting for the next point, looking at enclosing scopes too. */
  takeInterruption(): unknown {
    for (let scope: Scope | null = this; scope; scope = scope.parent) {
      if (scope.poison !== NONE) return scope.poison;
      const err = scope.pending;
      if (err !== NONE) {
        scope.pending = NONE;
        return err;
      }
    }
    return NONE;
  }

  /** @internal Leaves `err` to be thrown at the scope's next cooperative point. */
  setPending(err: unknown): void {
    this.pending = err;
  }

  /**
   * @internal Forgets `err` if it still waits for the scope's next cooperative point: whoever
   * raised it (a cancelled `Timeout`) has acknowledged it, or it was dealt with otherwise (a
   * connection thread destroying its request). Another interruption stays. True if it was taken.
   */
  withdrawPending(err: unknown): boolean {
    if (this.pending !== err) return false;
    this.pending = NONE;
    return true;
  }

  /**
   * @internal The interruption of this very scope that no cooperative point has thrown yet (its
   * body was away from points when it came and has not reached one since), or `null`.
   */
  undeliveredInterruption(): { reason: unknown } | null {
    return this.pending === NONE ? null : { reason: this.pending };
  }

  /** @internal Tells what this scope and its children own that they were interrupted. */
  interruptOwned(reason: unknown): void {
    if (this.owned) {
      for (const item of [...this.owned]) {
        if (!item.interrupted) continue;
        this.owned.delete(item);
        release(item, reason);
      }
    }
    if (this.children) for (const child of this.children) child.interruptOwned(reason);
  }

  /** @internal Aborts the signals of this scope and of its children with `reason`. */
  abortSignals(reason: unknown): void {
    this.abortSignal(reason);
    if (this.children) for (const child of this.children) child.abortSignals(reason);
  }

  /** @internal Resolves those waiting for the scope to park again (see `hub.afterParkOrEnd`). */
  flushParkListeners(): void {
    const listeners = this.parkListeners;
    if (!listeners) return;
    this.parkListeners = null;
    for (const resolve of listeners) resolve();
  }

  /** @internal Collects the pending points of this scope and its children. */
  collectPoints(into: AnyPoint[]): void {
    if (this.point) into.push(this.point);
    if (this.morePoints) for (const p of this.morePoints) into.push(p);
    if (this.children) for (const child of this.children) child.collectPoints(into);
  }
}
