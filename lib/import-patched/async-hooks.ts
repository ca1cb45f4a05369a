/**
 * The `importPatched` hooks as `module.register` loads them on Node's hooks thread (Node 20, where
 * `module.registerHooks` does not exist): `hooks.ts`, with tagged CommonJS modules loaded by
 * the main thread (see `register-hooks.ts`), where the application's modules live.
 * @example module.register(new URL('./async-hooks.js', import.meta.url), { data: { port }, transferList: [port] });
 */
import type { MessagePort } from 'node:worker_threads';
import { createHooks } from './hooks.js';

/** A tagged CommonJS module this thread asks the main thread to load. */
export interface PreloadRequest {
  id: number;
  tag: string;
  filename: string;
}

/** The main thread's answer: the module's export names. */
export interface PreloadReply {
  id: number;
  names: string[];
}

let port: MessagePort | null = null;
let nextId = 0;
const waiting = new Map<number, (names: string[]) => void>();

/**
 * Asks the main thread to load `filename` in the world `tag`; resolves with its export names.
 * The port keeps this thread alive only while an answer is awaited.
 */
function preloadOnMainThread(tag: string, filename: string): Promise<string[]> {
  return new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    port!.ref();
    port!.postMessage({ id, tag, filename } satisfies PreloadRequest);
  });
}

/**
 * Receives the port to the main thread.
 * @example // called by Node with the `data` given to module.register
 */
export function initialize(data: { port: MessagePort }): void {
  port = data.port;
  port.on('message', ({ id, names }: PreloadReply) => {
    waiting.get(id)?.(names);
    waiting.delete(id);
    if (waiting.size === 0) port!.unref();
  });
  port.unref();
}

const hooks = createHooks(preloadOnMainThread);

/** The resolve hook (see `hooks.ts`). @example // called by Node */
export const resolve = hooks.resolve;
/** The load hook (see `hooks.ts`). @example // called by Node */
export const load = hooks.load;
