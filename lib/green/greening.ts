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
export const GREEN_MODULE_NAMES = ['net', 'tls', 'timers', 'dns', 'fs', 'child_process'] as const;

/** A green module name: `net`, `tls`, `timers`, `dns`, `fs` or `child_process`. */
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

/**
 * A stand-in for Node's class `Native` whose instances, also those of subclasses and those made by
 * calling it without `new`, are passed to `mark` when made. It is Node's class in every other way
 * (a proxy: same prototype, statics and `instanceof`), so only the green module's own users get
 * green instances.
 * @example export const Socket = greenConstructor(net.Socket, markSocket);
 */
export function greenConstructor<C extends abstract new (...args: never[]) => object>(Native: C, mark: (instance: InstanceType<C>) => unknown): C {
  return new Proxy(Native, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget) as InstanceType<C>;
      mark(instance);
      return instance;
    },
    apply(target, self, args) {
      const instance = Reflect.apply(target as unknown as (...a: unknown[]) => InstanceType<C>, self, args);
      mark(instance);
      return instance;
    },
  });
}

/**
 * A view of Node's module object `native` in which the keys of `overrides` read as the green
 * values: every other property reads and writes through to Node's module (live settings such as
 * `tls.DEFAULT_MIN_VERSION` stay shared), and the view lists the same keys as the module.
 * Assigning an overridden key changes only the view.
 * @example export default greenView(net, { connect, Socket });
 */
export function greenView<T extends object>(native: T, overrides: Record<string, unknown>): T {
  const green = new Map<PropertyKey, unknown>(Object.entries(overrides));
  return new Proxy(native, {
    get: (target, key) => (green.has(key) ? green.get(key) : Reflect.get(target, key)),
    set(target, key, value) {
      if (!green.has(key)) return Reflect.set(target, key, value);
      green.set(key, value);
      return true;
    },
    getOwnPropertyDescriptor(target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
      if (!descriptor || !green.has(key)) return descriptor;
      return { value: green.get(key), writable: true, enumerable: descriptor.enumerable ?? true, configurable: true };
    },
  });
}

/**
 * The builtin specifiers each green module stands for (without `node:`), which property of the
 * green module answers a subpath (`require('fs/promises')` is the green `fs`'s `promises`), and
 * the green file of a builtin that rides with another name (`worker_threads` is green wherever
 * `child_process` is).
 * @example GREEN_SPECIFIERS['dns/promises'] // { module: 'dns', property: 'promises' }
 */
export const GREEN_SPECIFIERS: Readonly<Record<string, { module: GreenModuleName; property?: 'promises'; file?: string }>> = {
  net: { module: 'net' },
  tls: { module: 'tls' },
  timers: { module: 'timers' },
  'timers/promises': { module: 'timers', property: 'promises' },
  dns: { module: 'dns' },
  'dns/promises': { module: 'dns', property: 'promises' },
  fs: { module: 'fs' },
  'fs/promises': { module: 'fs', property: 'promises' },
  child_process: { module: 'child_process' },
  worker_threads: { module: 'child_process', file: 'worker_threads' },
};
