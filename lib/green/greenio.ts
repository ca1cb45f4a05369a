/**
 * `GreenSocket`: eventlet's blocking-style socket over a Node `net.Socket` (or `tls.TLSSocket`) or,
 * for a listening socket, a `net.Server`. Every wait — `recv`, `recvInto`, `send`/`sendall` when
 * the peer reads slowly, `accept`, `connect`, a TLS handshake — is a cooperative point: `kill()` or
 * a `Timeout` rejects it at once and removes what it set up.
 *
 * Semantics (eventlet's, with the choices Node forces spelled out):
 * - `recv(n)` resolves with a Buffer of at most `n` bytes, as soon as any data is there; an empty
 *   Buffer means end of stream. A peer that resets the connection (`ECONNRESET`, `EPIPE`) also reads
 *   as end of stream. Only one reader at a time: a second concurrent `recv` rejects (`EBUSY`).
 * - `settimeout(null)` (the default) waits forever; `settimeout(t > 0)` bounds *each wait* by `t`
 *   seconds (a `connect` or handshake by one deadline) and rejects it with a {@link SocketTimeout}
 *   (`isTimeout(err)` is true); `settimeout(0)` makes the socket non-blocking: an operation that
 *   would wait rejects with a {@link BlockingIOError} (`EAGAIN`) instead.
 * - `sendall(data)` hands all of `data` to the socket and waits (backpressure) while the socket's
 *   write buffer is above its high-water mark, until the peer has taken enough. `send` waits first
 *   if the buffer is full, then takes all of `data` and resolves with its length (Node never
 *   writes partially).
 * - `close()` rejects the operations still waiting on the socket (`EBADF`), lets data already
 *   written drain, and closes. It does not wait (neither does `shutdown`).
 * - Ownership: a GreenSocket made inside a green thread (by `connect`, `listen`, `accept`,
 *   `wrapSsl` or `new GreenSocket()`) belongs to that thread. When the thread is killed or its
 *   Timeout fires, the socket is destroyed, so nothing stays open. When the thread ends on its own,
 *   the socket lives on (it may have been handed to another thread). A socket made inside a
 *   `withTimeout` scope passes to the enclosing thread when the scope ends normally.
 * @example
 * import { GreenSocket } from 'eventlet/green/greenio';
 * const sock = new GreenSocket();
 * await sock.connect(['127.0.0.1', 8080]);
 * await sock.sendall('ping\n');
 * console.log(String(await sock.recv(1024)));
 * sock.close();
 */
export { type PointSlot } from './greenio/accept-queue.js';
export { type Address, type Family, type SocketAddress } from './greenio/address.js';
export { checkConnect, type ConnectOptions } from './greenio/arguments.js';
export { SocketTimeout, BlockingIOError } from './greenio/errors.js';
export { GreenSocketFile, type FileMode } from './greenio/file.js';
export { GreenSocket, SHUT_RD, SHUT_RDWR, SHUT_WR } from './greenio/socket.js';
