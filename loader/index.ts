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
 * Its first line holds the IPC messages a forked process receives while the preloads load (see
 * `holdStartupMessages`); the rest of the package loads after it, by a dynamic import.
 * @example
 * // EVENTLET_PATCH=net,dns node --import eventlet/loader server.js
 */
import { holdStartupMessages } from '../lib/startup-messages.js';
import type { MonkeyPatchOptions } from '../lib/patcher.js';

holdStartupMessages();
const [{ monkeyPatch }, { patchOptions }] = await Promise.all([import('../lib/patcher.js'), import('./patch-options.js')]);

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
