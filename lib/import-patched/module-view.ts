/**
 * The `module` builtin as the modules of an `importPatched` world see it (for `require('module')`
 * and `import … from 'node:module'` alike): Node's, except that `createRequire` gives a `require`
 * that loads in the world — its own instances of files, the world's green modules — so that an ES
 * module of the graph that does `createRequire(import.meta.url)` stays in the graph.
 */
import Module, { createRequire as nodeCreateRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TAG, tagOf } from './hooks.js';
import { requireFor, worldOf } from './commonjs-loader.js';

/** The tag an ES module loaded by `require()` carries at the end of its file name. */
const PATH_TAG = new RegExp(`\\?${TAG}=[^/?#]*$`);

const views = new Map<string, typeof Module>();

/** The file a `createRequire` argument names, as Node reads it, without a world's tag. */
function requireFilename(from: string | URL): string {
  let filename: string;
  if (from instanceof URL || (typeof from === 'string' && !path.isAbsolute(from))) {
    try {
      filename = fileURLToPath(from);
    } catch {
      nodeCreateRequire(from); // throws Node's own ERR_INVALID_ARG_VALUE
      throw new TypeError(`createRequire: ${String(from)} is not a file URL or an absolute path`);
    }
  } else if (typeof from === 'string') {
    filename = from;
  } else {
    nodeCreateRequire(from); // throws Node's own ERR_INVALID_ARG_VALUE
    throw new TypeError('createRequire: filename must be a file URL or an absolute path');
  }
  filename = filename.replace(PATH_TAG, '');
  return filename.endsWith(path.sep) ? path.join(filename, 'noop.js') : filename;
}

/**
 * `createRequire` for the world `tag`: the `require` of the file `from` (a file URL, maybe tagged
 * with another world, which then wins, or an absolute path) in the world.
 * @example createRequireIn('net')(import.meta.url)('./helper.cjs')
 */
export function createRequireIn(tag: string): (from: string | URL) => NodeJS.Require {
  return function createRequire(from: string | URL): NodeJS.Require {
    const filename = requireFilename(from);
    const urlTag = typeof from === 'string' || from instanceof URL ? tagOf(String(from)) : null;
    return requireFor(worldOf(urlTag ?? tag), filename);
  };
}

/**
 * The world `tag`'s view of Node's `Module` (the `module` builtin): a proxy whose `createRequire`
 * (and `Module.createRequire`) loads in the world; everything else, `new`, `instanceof` and
 * property writes go to Node's `Module`. One view per world.
 * @example moduleView('net.tls').createRequire(import.meta.url)('net') // the green net
 */
export function moduleView(tag: string): typeof Module {
  let view = views.get(tag);
  if (view) return view;
  const createRequire = createRequireIn(tag);
  view = new Proxy(Module, {
    get(target, key, receiver) {
      if (key === 'createRequire') return createRequire;
      if (key === 'Module') return view;
      return Reflect.get(target, key, receiver === view ? target : receiver);
    },
  });
  views.set(tag, view);
  return view;
}
