/**
 * `node --import eventlet/loader app.js`: patches Node's modules before the application's first
 * line runs, for CommonJS and ESM entry points alike. `EVENTLET_PATCH` chooses what: `all`
 * (default), `none`, or a comma list such as `net,dns`. A bad value stops the process with an
 * error naming it before the application runs.
 *
 * Patching is done in place on Node's own module objects (see `monkeyPatch`), so every module
 * loaded later — by `require`, `import` or Node itself — gets the green versions without any
 * module hooks.
 *
 * Its first line holds the IPC messages a cluster worker receives while the preloads load (see
 * `holdStartupMessages`); the rest of the package is then required synchronously. On Node 20, whose
 * `--import` reads files asynchronously, `node --require eventlet/loader app.js` holds from the
 * very start (a message sent right after `fork()`).
 * @example
 * // EVENTLET_PATCH=net,dns node --import eventlet/loader server.js
 */
import { createRequire } from 'node:module';
import { holdStartupMessages } from '../lib/startup-messages.js';
import type { MonkeyPatchOptions } from '../lib/patcher.js';

holdStartupMessages();
// Loaded synchronously (require of an ES module, Node >= 20.19): no event-loop turn passes between
// the hold above and the patching below, and `--require eventlet/loader` works as well as `--import`.
const load = createRequire(import.meta.url);
const { monkeyPatch } = load('../lib/patcher.js') as typeof import('../lib/patcher.js');
const { patchOptions } = load('./patch-options.js') as typeof import('./patch-options.js');

function patchFromEnvironment(): void {
  let options: MonkeyPatchOptions | null;
  try {
    options = patchOptions(process.env.EVENTLET_PATCH);
  } catch (err) {
    process.stderr.write(`eventlet/loader: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (options) monkeyPatch(options);
}

patchFromEnvironment();
