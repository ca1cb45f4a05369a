/**
 * The green `tls` module: Node's `tls`, with TLS sockets and servers owned by the green thread that
 * connects, writes or listens, exactly as the green `net` module does for plain sockets (a
 * `tls.TLSSocket` is a `net.Socket`, so the same prototype hooks serve both; each socket follows
 * whether its own module is patched).
 * @example
 * import { monkeyPatch, withTimeout } from 'eventlet';
 * monkeyPatch({ tls: true });
 * await withTimeout(1, () => fetch('https://localhost:8443/')); // the TLS socket is destroyed on timeout
 */
import tls from 'node:tls';
import { type Patch } from './greening.js';
import { socketHooks } from './net.js';

export * from 'node:tls';

/** The green module as one object (the default export): Node's `tls`; the green part is in hooks. */
export default tls;

/** In-place replacements applied by `monkeyPatch({ tls: true })`: the socket hooks shared with `net`. */
export const patches: Patch[] = socketHooks;
