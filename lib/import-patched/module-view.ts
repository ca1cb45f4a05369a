/**
 * The `module` builtin as the modules of an `importPatched` world see it (for `require('module')`
 * and `import … from 'node:module'` alike): Node's, except that `createRequire` gives a `require`
 * that loads in the world — its own instances of files, the world's green modules — so that an ES
 * module of the graph that does `createRequire(import.meta.url)` stays in the graph. The world's
 * `createRequire` is the CommonJS loader's (`createRequireIn` in `commonjs-loader.ts`).
 */
import Module from 'node:module';

/**
 * A view of Node's `Module` (the `module` builtin): a proxy whose `createRequire` (and
 * `Module.createRequire`) is `createRequire`, and whose `Module` is the view itself; everything
 * else, `new`, `instanceof` and property writes go to Node's `Module`.
 * @example moduleWith(createRequireIn('net.tls')).createRequire(import.meta.url)('net') // the green net
 */
export function moduleWith(createRequire: (from: string | URL) => NodeJS.Require): typeof Module {
  const view: typeof Module = new Proxy(Module, {
    get(target, key, receiver) {
      if (key === 'createRequire') return createRequire;
      if (key === 'Module') return view;
      return Reflect.get(target, key, receiver === view ? target : receiver);
    },
  });
  return view;
}
