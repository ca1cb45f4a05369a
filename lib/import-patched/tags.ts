/**
 * How a module URL says which `importPatched` world it belongs to: the `eventlet-patched=<world>`
 * tag (in the query, or at the end of the path for an ES module that `require()` loaded), and the
 * `eventlet-patched:<json>` entry specifiers that `importPatched` imports.
 */

/** The query parameter that tags a module of a patched graph with its world. @example new URL(url).searchParams.get(TAG) */
export const TAG = 'eventlet-patched';
/** The scheme of the entry specifiers `importPatched` imports. @example specifier.startsWith(ENTRY_SCHEME) */
export const ENTRY_SCHEME = 'eventlet-patched:';
/** The tag in the path of an ES module loaded by `require()` (see {@link tagOf}). */
const PATH_TAG = new RegExp(`%3F${TAG}=([^/?#]*)$`);

/** What `importPatched` asks for, carried in an entry specifier. */
export interface EntryRequest {
  specifier: string;
  parentURL: string;
  tag: string;
}

/**
 * The entry specifier for `request`.
 * @example await import(entrySpecifier({ specifier: 'pg', parentURL, tag: 'net' }))
 */
export function entrySpecifier(request: EntryRequest): string {
  return ENTRY_SCHEME + encodeURIComponent(JSON.stringify(request));
}

/**
 * The world a module URL is tagged with (in its query, or at the end of its path for an ES module
 * loaded by `require()`), or `null`.
 * @example
 * tagOf('file:///app/lib.js?eventlet-patched=net') // 'net'
 * tagOf('file:///app/lib.js%3Feventlet-patched=net') // 'net'
 */
export function tagOf(url: string | undefined): string | null {
  if (!url || !url.includes(TAG)) return null;
  try {
    const parsed = new URL(url);
    return parsed.searchParams.get(TAG) ?? PATH_TAG.exec(parsed.pathname)?.[1] ?? null;
  } catch {
    return null;
  }
}
