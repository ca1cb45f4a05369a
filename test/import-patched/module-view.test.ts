/**
 * A world's view of the `module` builtin (lib/import-patched/module-view.ts, made per world by
 * `moduleView` in lib/import-patched/commonjs-loader.ts): what `require('module')` and
 * `import 'node:module'` give inside an `importPatched` graph.
 */
import { expect } from 'chai';
import module, { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import greenNet from '../../lib/green/net.js';
import { moduleView } from '../../lib/import-patched/commonjs-loader.js';
import { bad } from '../support.js';

const fixtures = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

describe("a world's view of the module builtin (what require('module') and import 'node:module' give inside the graph)", () => {
  const libFile = `${fixtures}patched-cjs-lib/index.js`;

  it("createRequire(file URL or path) loads in the world: the green net, the world's own instances, nothing in Node's require.cache", () => {
    const helper = moduleView('net').createRequire(pathToFileURL(libFile))('./helper') as { net: unknown };
    expect(helper.net).to.equal(greenNet);
    expect(moduleView('net').createRequire(libFile)('./helper.js')).to.equal(helper);
    const plainWorld = moduleView('none').createRequire(libFile)('./helper') as { net: unknown };
    expect(plainWorld.net).to.equal(net);
    expect(plainWorld).to.not.equal(helper);
    expect(Object.keys(createRequire(import.meta.url).cache).filter((key) => key.includes('patched-cjs-lib'))).to.deep.equal([]);
  });

  it("gives require.resolve as Node's, and takes a directory with a trailing slash as Node's createRequire does", () => {
    const require = moduleView('net').createRequire(libFile);
    expect(require.resolve('./helper')).to.equal(`${fixtures}patched-cjs-lib/helper.js`);
    expect((moduleView('net').createRequire(`${fixtures}patched-cjs-lib/`)('./helper') as { net: unknown }).net).to.equal(greenNet);
  });

  it("rejects what Node's createRequire rejects, with Node's error", () => {
    for (const from of ['relative/file.js', 42]) {
      expect(() => moduleView('net').createRequire(bad(from))).to.throw(TypeError).with.property('code', 'ERR_INVALID_ARG_VALUE');
    }
  });

  it("is Node's Module for everything else: statics, new, instanceof; one view per world", () => {
    const view = moduleView('net');
    expect(view.builtinModules).to.equal(module.builtinModules);
    expect(view.isBuiltin).to.equal(module.isBuiltin);
    expect(new view('x')).to.be.instanceOf(module);
    expect(new module('x')).to.be.instanceOf(view);
    expect(view.Module).to.equal(view);
    expect(view.createRequire).to.not.equal(module.createRequire);
    expect(moduleView('net')).to.equal(view);
    expect(moduleView('net.dns')).to.not.equal(view);
  });
});
