/**
 * Raw file descriptors owned by green scopes: an fd opened inside a green thread (`fs.open`,
 * `fs.openSync`) is closed when the thread is interrupted and has ended, unless it was closed
 * first (`fs.close`, `fs.closeSync`) or handed to a stream. Two safety rules:
 *
 * - an fd with an operation in flight (a green `fs.read`, `fs.write`, …) is closed only once
 *   that operation has completed, so the operation can never land on a reused descriptor number;
 * - an fd is closed only if it still refers to the file that was opened (same device and inode),
 *   in case it was closed behind the green module's back and the number reused.
 */
import { type Scope } from '../../hub.js';
import { Claim } from '../claims.js';
import { ignore, nativeFs } from './natives.js';

/** A green scope's claim on an fd. */
class FdClaim {
  readonly claim: Claim;
  private busy = 0;
  private closeWhenIdle = false;

  constructor(
    scope: Scope,
    readonly fd: number,
    private readonly identity: string | null,
  ) {
    this.claim = new Claim(scope, 'ended', () => this.close(), () => this.forget());
  }

  /** An operation on the fd started; returns the function to call when it completed. */
  begin(): () => void {
    this.busy++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.busy === 0 && this.closeWhenIdle) this.close();
    };
  }

  private close(): void {
    if (this.busy > 0) {
      this.closeWhenIdle = true;
      return;
    }
    this.closeWhenIdle = false;
    if (this.identity !== null && identityOf(this.fd) === this.identity) nativeFs.close(this.fd, ignore);
  }

  private forget(): void {
    if (claims.get(this.fd) === this) claims.delete(this.fd);
  }
}

/** The live claims, by descriptor number. */
const claims = new Map<number, FdClaim>();

/** The file an fd refers to, as `device:inode`, or `null` when it is not open. */
function identityOf(fd: number): string | null {
  try {
    const stats = nativeFs.fstatSync(fd);
    return `${stats.dev}:${stats.ino}`;
  } catch {
    return null;
  }
}

/**
 * Makes `fd`, just opened, owned by `scope` (replacing a stale claim on the same number).
 * @example nativeFs.open(path, (err, fd) => { if (!err) ownFd(scope, fd); });
 */
export function ownFd(scope: Scope, fd: unknown): void {
  if (typeof fd !== 'number') return;
  claims.get(fd)?.claim.drop();
  claims.set(fd, new FdClaim(scope, fd, identityOf(fd)));
}

/**
 * Forgets the claim on `fd`: its owner is closing it, or handed it to something that will.
 * @example forgetFd(fd); nativeFs.close(fd, callback);
 */
export function forgetFd(fd: unknown): void {
  if (typeof fd === 'number') claims.get(fd)?.claim.drop();
}

/**
 * Closes an fd that arrived after its opener was interrupted (nobody will ever see it).
 * @example discard: ([err, fd]) => err || closeUnwantedFd(fd)
 */
export function closeUnwantedFd(fd: unknown): void {
  if (typeof fd !== 'number') return;
  forgetFd(fd);
  nativeFs.close(fd, ignore);
}

/**
 * Tells the claim on `fd` (if any) that an operation on it started; returns the function to
 * call when the operation completed.
 * @example const done = fdInUse(fd); nativeFs.read(fd, buffer, (...args) => { done(); callback(...args); });
 */
export function fdInUse(fd: unknown): () => void {
  const claim = typeof fd === 'number' ? claims.get(fd) : undefined;
  return claim ? claim.begin() : ignore;
}

/**
 * True when a green scope owns `fd`.
 * @example isOwnedFd(fd) // false once closed with fs.close
 */
export function isOwnedFd(fd: number): boolean {
  return claims.get(fd)?.claim.owned ?? false;
}
