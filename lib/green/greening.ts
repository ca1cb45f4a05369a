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

interface AppliedPatch {
  /** The target's own descriptor before patching (`undefined`: the value was inherited or absent). */
  readonly original: PropertyDescriptor | undefined;
  /** How many patch lists applied this replacement (net and tls share the socket hooks). */
  refs: number;
}

const appliedPatches = new Map<object, Map<PropertyKey, AppliedPatch>>();

/** The descriptor a replacement gets: the original's attributes, or a plain method's. */
function replacementDescriptor(target: object, key: PropertyKey, value: unknown): PropertyDescriptor {
  const own = Object.getOwnPropertyDescriptor(target, key);
  if (own && 'value' in own) return { ...own, value };
  return { value, writable: true, configurable: true, enumerable: own?.enumerable ?? false };
}

/**
 * Applies replacements in place, remembering each original once; applying the same replacement
 * again only counts a reference.
 * @example applyPatches(netPatches);
 */
export function applyPatches(patches: readonly Patch[]): void {
  for (const { target, key, value } of patches) {
    const onTarget = appliedPatches.get(target) ?? new Map<PropertyKey, AppliedPatch>();
    appliedPatches.set(target, onTarget);
    const applied = onTarget.get(key);
    if (applied) {
      applied.refs++;
      continue;
    }
    onTarget.set(key, { original: Object.getOwnPropertyDescriptor(target, key), refs: 1 });
    Object.defineProperty(target, key, replacementDescriptor(target, key, value));
  }
}

/**
 * Drops one reference to each replacement; the last one restores the original exactly (the same
 * descriptor, or no own property when the original was inherited).
 * @example revertPatches(netPatches);
 */
export function revertPatches(patches: readonly Patch[]): void {
  for (const { target, key } of patches) {
    const onTarget = appliedPatches.get(target);
    const applied = onTarget?.get(key);
    if (!onTarget || !applied || --applied.refs > 0) continue;
    onTarget.delete(key);
    if (applied.original) Object.defineProperty(target, key, applied.original);
    else delete (target as Record<PropertyKey, unknown>)[key];
  }
}

/**
 * The value `target[key]` had before it was patched (its current value when unpatched).
 * @example originalValue(require('node:fs'), 'readFile')
 */
export function originalValue(target: object, key: PropertyKey): unknown {
  const applied = appliedPatches.get(target)?.get(key);
  if (!applied) return (target as Record<PropertyKey, unknown>)[key];
  const descriptor = applied.original;
  if (!descriptor) return (Object.getPrototypeOf(target) as Record<PropertyKey, unknown> | null)?.[key];
  return descriptor.get ? descriptor.get.call(target) : descriptor.value;
}

/** Which green modules are patched in place, for hooks shared between modules (net and tls). */
export const patchedModules = new Set<GreenModuleName>();

/**
 * Records `value` as the original of a patched `target[key]`, for Node functions that Node itself
 * replaces while patched (dns `setServers` rebinds the query functions): `unpatch` then restores
 * the current one, not a stale one. Does nothing when `target[key]` is not patched.
 * @example updateOriginal(dns, 'resolve4', dns.resolve4);
 */
export function updateOriginal(target: object, key: PropertyKey, value: unknown): void {
  const onTarget = appliedPatches.get(target);
  const applied = onTarget?.get(key);
  if (!onTarget || !applied?.original || !('value' in applied.original)) return;
  onTarget.set(key, { ...applied, original: { ...applied.original, value } });
}
