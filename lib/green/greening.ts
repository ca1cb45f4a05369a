/**
 * The shared shape of the green modules: a list of in-place replacements on Node's own objects
 * (module exports, prototypes, globals) that `monkeyPatch` applies and `unpatch` undoes, and
 * `greenFunction`, which makes a replacement look like the function it replaces.
 */

/** One replacement: `target[key] = value` (the original is kept by the patcher). */
export interface Patch {
  /** A Node module object, a prototype or `globalThis`. */
  readonly target: object;
  /** The property replaced. */
  readonly key: PropertyKey;
  /** The green value. */
  readonly value: unknown;
}

/** The names `monkeyPatch` accepts, one per green module. */
export const GREEN_MODULE_NAMES = ['net', 'tls', 'timers', 'dns', 'fs'] as const;

/** A green module name: `net`, `tls`, `timers`, `dns` or `fs`. */
export type GreenModuleName = (typeof GREEN_MODULE_NAMES)[number];

/**
 * Lists the replacements of every property of `green` that differs from the same property of
 * `native` (so unchanged exports are never touched).
 * @example patchesFor(require('node:fs'), greenFs)
 */
export function patchesFor(native: object, green: object): Patch[] {
  const patches: Patch[] = [];
  for (const key of Reflect.ownKeys(green)) {
    const value = (green as Record<PropertyKey, unknown>)[key];
    if (value !== (native as Record<PropertyKey, unknown>)[key]) patches.push({ target: native, key, value });
  }
  return patches;
}

/**
 * Gives `green` the name, length and own properties of `native` (such as
 * `util.promisify.custom` or `__promisify__`), unless `green` defines them itself, so that a
 * replacement is indistinguishable from the function it replaces.
 * @example export const readFile = greenFunction(fs.readFile, function readFile(...args) { ... });
 */
export function greenFunction<F extends (...args: never[]) => unknown>(native: F, green: F): F {
  for (const key of Reflect.ownKeys(native)) {
    if (key === 'prototype' || key === 'caller' || key === 'arguments') continue;
    if (Object.prototype.hasOwnProperty.call(green, key) && key !== 'name' && key !== 'length') continue;
    const descriptor = Object.getOwnPropertyDescriptor(native, key)!;
    Object.defineProperty(green, key, descriptor);
  }
  return green;
}
