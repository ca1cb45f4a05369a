/**
 * `node --import eventlet/loader app.js`: patches Node's modules before the application's first
 * line runs, for CommonJS and ESM entry points alike. `EVENTLET_PATCH` chooses what: `all`
 * (default), `none`, or a comma list such as `net,dns`. A bad value stops the process with an
 * error naming it before the application runs.
 *
 * Patching is done in place on Node's own module objects (see `monkeyPatch`), so every module
 * loaded later — by `require`, `import` or Node itself — gets the green versions without any
 * module hooks.
 * @example
 * // EVENTLET_PATCH=net,dns node --import eventlet/loader server.js
 */
import { monkeyPatch, type MonkeyPatchOptions } from '../lib/patcher.js';
import { patchOptions } from './patch-options.js';

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
