/**
 * The green `tls` module: Node's `tls`, with TLS sockets and servers owned by the green thread that
 * connects, writes or listens, exactly as the green `net` module does for plain sockets (a
 * `tls.TLSSocket` is a `net.Socket`, so the same hooks serve both). `monkeyPatch({ tls: true })`
 * puts them on Node's prototypes; used on its own (or inside `importPatched`) the module's
 * `connect`, `TLSSocket`, `Server` and `createServer` make what they create green.
 * @example
 * import { monkeyPatch, withTimeout } from 'eventlet';
 * monkeyPatch({ tls: true });
 * await withTimeout(1, () => fetch('https://localhost:8443/')); // the TLS socket is destroyed on timeout
 */
import tls from 'node:tls';
import { greenConstructor, greenFunction, greenView, type Patch } from './greening.js';
import { connectedBy, markServer, markSocket, socketHooks } from './net.js';

export * from 'node:tls';

/** In-place replacements applied by `monkeyPatch({ tls: true })`: the socket hooks shared with `net`. */
export const patches: Patch[] = socketHooks;

/**
 * `tls.connect`, with the TLS socket it returns green (owned while connecting and handshaking).
 * @example await withTimeout(2, () => once(tls.connect(443, 'example.com'), 'secureConnect'));
 */
export const connect = connectedBy(tls.connect);
/**
 * `tls.TLSSocket`, whose instances (also of subclasses) are green; `instanceof` is Node's.
 * @example const secure = new tls.TLSSocket(socket, { isServer: false });
 */
export const TLSSocket = greenConstructor(tls.TLSSocket, markSocket);
/**
 * `tls.Server`, whose instances are green.
 * @example new tls.Server({ key, cert }, onSecureConnection).listen(8443);
 */
export const Server = greenConstructor(tls.Server, markServer);
/**
 * `tls.createServer`, with the server it returns green.
 * @example tls.createServer({ key, cert }, (socket) => socket.end('hi')).listen(8443);
 */
export const createServer = greenFunction(tls.createServer, function (this: unknown, ...args: Parameters<typeof tls.createServer>) {
  return markServer(tls.createServer.apply(this, args));
} as typeof tls.createServer);

/**
 * The green module as one object (the default export): a view of Node's `tls` (settings such as
 * `DEFAULT_MIN_VERSION` read and write Node's) in which the functions and classes above are green.
 */
export default greenView(tls, { connect, TLSSocket, Server, createServer });
