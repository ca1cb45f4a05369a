/**
 * Whether a `PerformanceObserver` watches `dns` entries. Node records a `dns` performance entry
 * for each of its own `lookup` and `lookupService` calls while one does; green look-ups cannot
 * make such entries (Node keeps their constructor to itself), so while an observer watches, they
 * are handed to Node's own functions and the entries are Node's.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { greenFunction, type Patch } from '../greening.js';

type ObserveOptions = { entryTypes?: unknown; type?: unknown };

const prototype = PerformanceObserver.prototype;
const native = { observe: prototype.observe, disconnect: prototype.disconnect };

/** The observers now watching `dns` entries. */
const watching = new Set<PerformanceObserver>();

/** Whether `options` (already accepted by Node) leave `observer` watching `dns` entries. */
function watchesDns(observer: PerformanceObserver, options: ObserveOptions | undefined): boolean {
  if (Array.isArray(options?.entryTypes)) return options.entryTypes.includes('dns');
  return watching.has(observer) || options?.type === 'dns';
}

const observe = greenFunction(native.observe, function observe(this: PerformanceObserver, options?: ObserveOptions) {
  const result = native.observe.call(this, options as never);
  if (watchesDns(this, options)) watching.add(this);
  else watching.delete(this);
  return result;
} as typeof native.observe);

const disconnect = greenFunction(native.disconnect, function disconnect(this: PerformanceObserver) {
  watching.delete(this);
  return native.disconnect.call(this);
} as typeof native.disconnect);

/**
 * True while some `PerformanceObserver` watches `dns` entries (known once `dns` is patched).
 * @example if (dnsObserved()) return nativeLookup(hostname, options, callback);
 */
export function dnsObserved(): boolean {
  return watching.size > 0;
}

/** The hooks on `PerformanceObserver.prototype` that `monkeyPatch({ dns: true })` applies. */
export const observerPatches: Patch[] = [
  { target: prototype, key: 'observe', value: observe },
  { target: prototype, key: 'disconnect', value: disconnect },
];
