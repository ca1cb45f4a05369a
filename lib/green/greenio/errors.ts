/**
 * The errors a `GreenSocket` raises besides Node's own (`ECONNREFUSED`, `ECONNRESET`, ...):
 * Python's `socket.timeout`, `BlockingIOError` and the "socket is closed" and "second simultaneous
 * reader" failures.
 */

/**
 * A socket wait that outlasted the socket's `settimeout()`: Python's `socket.timeout('timed out')`.
 * `isTimeout(err)` is true for it (`isTimeout` property, `name` `'TimeoutError'`), `code` is `'ETIMEDOUT'`.
 * Not a `Timeout`: it interrupts only the one socket operation, not the green thread.
 * @example
 * sock.settimeout(0.5);
 * try { await sock.recv(1024); } catch (e) { if (e instanceof SocketTimeout) console.log('idle'); }
 */
export class SocketTimeout extends Error {
  /** Always true: `isTimeout()` looks for it. */
  readonly isTimeout = true;
  /** `'ETIMEDOUT'`. */
  readonly code = 'ETIMEDOUT';

  constructor(operation: string) {
    super(`${operation}: timed out`);
    this.name = 'TimeoutError';
  }
}

/**
 * A non-blocking socket (`settimeout(0)`) asked to wait: Python's `BlockingIOError`. `code` is
 * `'EAGAIN'` (`'EINPROGRESS'` for a `connect` that goes on in the background).
 * @example
 * sock.settimeout(0);
 * try { await sock.recv(1024); } catch (e) { if ((e as BlockingIOError).code === 'EAGAIN') pollLater(); }
 */
export class BlockingIOError extends Error {
  readonly code: 'EAGAIN' | 'EINPROGRESS';

  constructor(operation: string, code: 'EAGAIN' | 'EINPROGRESS' = 'EAGAIN') {
    super(`${operation}: the socket is non-blocking (settimeout(0)) and the operation would block (${code})`);
    this.name = 'BlockingIOError';
    this.code = code;
  }
}

/**
 * An operation on a socket that was closed (or handed to `wrapSsl`), also delivered to operations
 * that were waiting when it was closed. `code` is `'EBADF'`.
 * @example await sock.recv(10).catch((e) => e.code); // 'EBADF' after sock.close()
 */
export function closedError(operation: string, why = 'the socket is closed'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${operation}: ${why}`);
  err.code = 'EBADF';
  return err;
}

/**
 * A second green thread reading (or writing) a socket another is already waiting on, Python's
 * `RuntimeError('Second simultaneous read on fileno ...')`. `code` is `'EBUSY'`.
 * @example await Promise.all([sock.recv(1), sock.recv(1)]); // the second rejects with it
 */
export function concurrentError(operation: string, role: 'read' | 'write' | 'accept'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${operation}: second simultaneous ${role} on this socket (another caller is already waiting to ${role}); use one ${role}er per socket`);
  err.code = 'EBUSY';
  return err;
}

/**
 * An operation that needs the other kind of socket (`recv` on a listener, `accept` on a
 * connection) or a connected one. `code` is `'ENOTCONN'` or `'EINVAL'`.
 * @example await listener.recv(1).catch((e) => e.code); // 'ENOTCONN'
 */
export function kindError(operation: string, why: string, code: 'ENOTCONN' | 'EINVAL' | 'EISCONN'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${operation}: ${why}`);
  err.code = code;
  return err;
}

/**
 * Errors after which Python's recv returns b'' (the peer is gone).
 * @example isReset(Object.assign(new Error('x'), { code: 'ECONNRESET' })); // true
 */
export function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ESHUTDOWN' || code === 'ECONNABORTED';
}

/**
 * An `EPIPE` error: the socket cannot be written any more.
 * @example throw pipeError('GreenSocket.sendall', 'the connection was closed');
 */
export function pipeError(operation: string, why: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${operation}: ${why}`);
  err.code = 'EPIPE';
  return err;
}
