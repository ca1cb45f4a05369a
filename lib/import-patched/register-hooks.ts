/**
 * Installs the `importPatched` module hooks (`hooks.ts`) once, on first use: with
 * `module.registerHooks` (in-thread, synchronous; Node ≥ 22.15 and 23.5) where it exists, with
 * `module.register` (the off-thread hooks of Node 20) only where it does not. Neither prints a
 * warning. On the hooks thread, loading a tagged CommonJS module is a request to this thread,
 * which evaluates it with the private loader and answers its export names.
 * @example
 * installPatchHooks();
 * await import(entrySpecifier({ specifier: 'pg', parentURL, tag: 'net' }));
 */
import module from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { preloadCommonJS } from './commonjs-loader.js';
import type { PreloadReply, PreloadRequest } from './async-hooks.js';
import { createHooks } from './hooks.js';

type RegisterHooks = (hooks: ReturnType<typeof createHooks>) => unknown;

let installed = false;

/**
 * Installs the hooks unless they are installed already.
 * @example installPatchHooks(); installPatchHooks(); // the second call does nothing
 */
export function installPatchHooks(): void {
  if (installed) return;
  installed = true;
  const registerHooks = (module as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof registerHooks === 'function') {
    registerHooks(createHooks(preloadCommonJS));
    return;
  }
  const { port1, port2 } = new MessageChannel();
  port1.on('message', ({ id, tag, filename }: PreloadRequest) => {
    port1.postMessage({ id, names: preloadCommonJS(tag, filename) } satisfies PreloadReply);
  });
  port1.unref();
  module.register(new URL('./async-hooks.js', import.meta.url), { data: { port: port2 }, transferList: [port2] });
}
