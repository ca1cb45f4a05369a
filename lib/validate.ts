/**
 * Argument checks shared by the public API. Every check throws a `TypeError` or `RangeError`
 * whose message names the function, the argument and what was expected, before anything is
 * changed, so a rejected call leaves no trace.
 */

/**
 * True for a thenable (an object or function with a `then` method), as promises treat it.
 * @example if (isThenable(result)) await result;
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** Describes a value for an error message: `number 42`, `string "x"`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `${value.constructor?.name ?? 'object'}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Throws a `TypeError` unless `value` is a function.
 * @example requireFunction('spawn', 'fn', fn)
 */
export function requireFunction(where: string, name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new TypeError(`${where}: ${name} must be a function, got ${describe(value)}`);
  }
}

/**
 * Checks a duration in seconds. `null`/`undefined` are allowed when `optional`; negative values
 * are a `RangeError` unless `allowNegative` (eventlet's `sleep(-1)` acts like `sleep(0)`).
 * @example requireSeconds('sleep', 'seconds', 0.5)
 */
export function requireSeconds(
  where: string,
  name: string,
  value: unknown,
  options: { optional?: boolean; allowNegative?: boolean } = {},
): number | null {
  if (value === null || value === undefined) {
    if (options.optional) return null;
    throw new TypeError(`${where}: ${name} must be a number of seconds, got ${describe(value)}`);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${where}: ${name} must be a number of seconds, got ${describe(value)}`);
  }
  if (value < 0 && !options.allowNegative) {
    throw new RangeError(`${where}: ${name} must be >= 0 seconds, got ${value}`);
  }
  return value;
}

/**
 * Checks a count such as a pool size: a number that is finite (or `Infinity` when allowed) and >= 0.
 * Fractions are truncated, as eventlet's `int()` does, unless `integer` makes them a `RangeError`
 * (where eventlet itself refuses a float).
 * @example requireCount('GreenPool', 'size', 1000)
 */
export function requireCount(where: string, name: string, value: unknown, options: { allowInfinity?: boolean; integer?: boolean } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${where}: ${name} must be a number, got ${describe(value)}`);
  }
  if (value < 0) throw new RangeError(`${where}: ${name} must be >= 0, got ${value}`);
  if (value === Infinity) {
    if (options.allowInfinity) return value;
    throw new RangeError(`${where}: ${name} must be finite, got Infinity`);
  }
  if (options.integer && !Number.isInteger(value)) throw new RangeError(`${where}: ${name} must be an integer, got ${value}`);
  return Math.trunc(value);
}

/**
 * Checks an optional boolean flag such as `block` or `blocking`.
 * @example requireBoolean('Queue.get', 'block', true)
 */
export function requireBoolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}
