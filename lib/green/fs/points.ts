/**
 * What file operations need to become cooperative points (through `hub.guard` and
 * `hub.guardCallback`): Node's callback shapes, and the `signal` option added to a call so the
 * operation is aborted where Node takes a signal.
 */

/** The arguments Node passes to a callback: `(err, ...results)`, or `(exists)` for `fs.exists`. @example const [err, fd]: CallbackArgs = [null, 3]; */
export type CallbackArgs = unknown[];

/** A Node-style callback. @example const callback: Callback = (err, data) => console.log(err ?? data); */
export type Callback = (...args: CallbackArgs) => unknown;

/**
 * Copies `args` with `signal` added to the options argument at `index` (combined with the
 * caller's own signal). Options Node would reject are left alone so it reports them as usual.
 * @example nativePromises.readFile(...withSignal([path, 'utf8'], 1, signal));
 */
export function withSignal(args: readonly unknown[], index: number, signal: AbortSignal): unknown[] {
  const copy = [...args];
  if (copy.length >= index) copy[index] = optionsWithSignal(copy[index], signal);
  return copy;
}

function optionsWithSignal(options: unknown, signal: AbortSignal): unknown {
  if (options === undefined || options === null) return { signal };
  if (typeof options === 'string') return { encoding: options, signal };
  if (typeof options !== 'object' || Array.isArray(options)) return options;
  const own = (options as { signal?: unknown }).signal;
  if (own === undefined) return { ...options, signal };
  if (!(own instanceof AbortSignal)) return options;
  return { ...options, signal: AbortSignal.any([own, signal]) };
}
