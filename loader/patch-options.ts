/**
 * Parsing of the `EVENTLET_PATCH` environment variable read by the loader.
 */
import { GREEN_MODULE_NAMES, type GreenModuleName } from '../lib/green/greening.js';
import type { MonkeyPatchOptions } from '../lib/patcher.js';

/**
 * Turns an `EVENTLET_PATCH` value into `monkeyPatch` options; throws a `TypeError` naming a bad value.
 * @example patchOptions('net,dns') // { net: true, dns: true }
 */
export function patchOptions(value: string | undefined): MonkeyPatchOptions | null {
  const text = (value ?? 'all').trim();
  if (text === '' || text === 'all') return {};
  if (text === 'none') return null;
  const options: MonkeyPatchOptions = {};
  for (const item of text.split(',').map((part) => part.trim().replace(/^node:/, ''))) {
    if (!GREEN_MODULE_NAMES.includes(item as GreenModuleName)) {
      throw new TypeError(
        `EVENTLET_PATCH=${JSON.stringify(value)}: unknown module ${JSON.stringify(item)}; expected all, none, or a comma list of ${GREEN_MODULE_NAMES.join(', ')}`,
      );
    }
    options[item as GreenModuleName] = true;
  }
  return options;
}

