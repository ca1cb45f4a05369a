/**
 * The worlds of `importPatched` (lib/import-patched/worlds.ts): one per set of green modules,
 * named by a tag in canonical order.
 */
import { expect } from 'chai';
import { worldOf, worldTag } from '../../lib/import-patched/worlds.js';

describe('import-patched worlds', () => {
  it('names a set of modules by their names in canonical order, whatever order they are given in', () => {
    expect(worldTag(['dns', 'net'])).to.equal('net.dns');
    expect(worldTag(['child_process', 'fs', 'dns', 'timers', 'tls', 'net'])).to.equal('net.tls.timers.dns.fs.child_process');
  });

  it('names the empty set none', () => {
    expect(worldTag([])).to.equal('none');
  });

  it('gives one world per tag, with the modules the tag names', () => {
    const world = worldOf('net.dns');
    expect(worldOf('net.dns')).to.equal(world);
    expect([...world.modules]).to.deep.equal(['net', 'dns']);
    expect(worldOf('none').modules.size).to.equal(0);
    expect(worldOf('net')).to.not.equal(world);
  });

  it('rejects a tag naming something that is not a green module with a TypeError quoting it', () => {
    expect(() => worldOf('net.sockets')).to.throw(TypeError, 'importPatched: bad world tag "net.sockets"');
  });
});
