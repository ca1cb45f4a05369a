/**
 * The worlds of `importPatched`: a *world* is one set of green module names, named by a tag
 * (`net.dns`), with the CommonJS instances loaded under it. Every `importPatched` call with the
 * same set shares the world's instances, as eventlet caches what `import_patched` returned.
 */
import type Module from 'node:module';
import { GREEN_MODULE_NAMES, type GreenModuleName } from '../green/greening.js';

/** One set of green modules and the CommonJS instances loaded under it. @example worldOf('net').cache.get(filename)?.exports */
export class PatchedWorld {
  /** The modules' instances, by file name. */
  readonly cache = new Map<string, Module>();
  /** Modules whose evaluation failed when an ES module imported them, by file name. */
  readonly failures = new Map<string, unknown>();

  constructor(
    /** The world's name: its module names in canonical order, or `none`. */
    readonly tag: string,
    readonly modules: ReadonlySet<GreenModuleName>,
  ) {}
}

const worlds = new Map<string, PatchedWorld>();

/**
 * The tag naming the world of `modules`: their names in canonical order joined by `.`, or `none`.
 * @example worldTag(['dns', 'net']) // 'net.dns'
 */
export function worldTag(modules: Iterable<GreenModuleName>): string {
  const set = new Set(modules);
  return GREEN_MODULE_NAMES.filter((name) => set.has(name)).join('.') || 'none';
}

/**
 * The world named `tag` (made on first use). Throws a `TypeError` for a tag that names no world.
 * @example worldOf('net.dns').modules.has('dns') // true
 */
export function worldOf(tag: string): PatchedWorld {
  let world = worlds.get(tag);
  if (world) return world;
  const names = tag === 'none' ? [] : tag.split('.');
  if (!names.every((name) => (GREEN_MODULE_NAMES as readonly string[]).includes(name))) throw new TypeError(`importPatched: bad world tag ${JSON.stringify(tag)}`);
  world = new PatchedWorld(tag, new Set(names as GreenModuleName[]));
  worlds.set(tag, world);
  return world;
}
