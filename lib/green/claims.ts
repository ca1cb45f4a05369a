/**
 * A green scope's claim on a resource it owns: a socket (greenio), an fd, a FileHandle, a Dir, a
 * stream or a watcher (the green fs module).
 *
 * - When the scope is interrupted the resource is released: at once (`when: 'interrupted'`, for
 *   resources whose release is idempotent and waits for their pending I/O: sockets, FileHandles,
 *   streams, watchers), or once the interrupted scope has ended (`when: 'ended'`, for fds and Dirs,
 *   which the interrupted code may still close itself in a `finally` block; closing them under it
 *   could close a descriptor number that has been reused by someone else).
 * - When the owner releases the resource itself, the claim is dropped (`drop()`).
 * - When a `withTimeout` scope ends normally, its claims pass to the enclosing green thread; when a
 *   green thread ends normally, they are dropped: the resource lives on, as in plain JavaScript.
 */
import { hub, type Owned, type Scope } from '../hub.js';

/** When an interrupted scope's resource is released. @example const when: ReleaseTime = 'ended'; */
export type ReleaseTime = 'interrupted' | 'ended';

/**
 * Ownership of one resource by a green scope.
 * @example
 * const claim = new Claim(scope, 'interrupted', (reason) => stream.destroy(reason as Error));
 * stream.once('close', () => claim.drop());
 */
export class Claim implements Owned {
  private scope: Scope | null;
  private doomed = false;
  private reason: unknown = undefined;

  constructor(
    scope: Scope,
    private readonly when: ReleaseTime,
    private readonly release: (reason: unknown) => void,
    private readonly forget?: () => void,
  ) {
    this.scope = scope;
    scope.adopt(this);
  }

  /** True while a scope owns the resource. */
  get owned(): boolean {
    return this.scope !== null;
  }

  /** The owning scope was interrupted by `reason`. */
  interrupted(reason: unknown): void {
    if (!this.scope) return;
    if (this.when === 'interrupted') return this.end(true, reason);
    this.doomed = true;
    this.reason = reason;
    this.scope.adopt(this); // stay owned until the scope ends
  }

  /** The owning scope ended: release if it was interrupted, else pass to the enclosing thread. */
  scopeEnded(): void {
    const scope = this.scope;
    if (!scope) return;
    if (this.doomed) return this.end(true, this.reason);
    const parent = scope.parent;
    if (parent && parent !== hub.root && !parent.ended) {
      this.scope = parent;
      parent.adopt(this);
    } else {
      this.end(false, undefined);
    }
  }

  /** The owner released the resource itself (or handed it on): forget it. */
  drop(): void {
    if (!this.scope) return;
    this.scope.disown(this);
    this.end(false, undefined);
  }

  private end(release: boolean, reason: unknown): void {
    this.scope = null;
    this.forget?.();
    if (release) this.release(reason);
  }
}
