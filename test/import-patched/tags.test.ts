/**
 * How a module URL names its `importPatched` world (lib/import-patched/tags.ts): the
 * `eventlet-patched=<world>` tag and the `eventlet-patched:<json>` entry specifiers.
 */
import { expect } from 'chai';
import { ENTRY_SCHEME, entrySpecifier, TAG, tagOf } from '../../lib/import-patched/tags.js';

describe('import-patched tags', () => {
  it('reads the world from the query of a tagged URL', () => {
    expect(tagOf(`file:///app/lib.js?${TAG}=net.dns`)).to.equal('net.dns');
  });

  it('reads the world from the end of the path of an ES module that require() loaded', () => {
    expect(tagOf('file:///app/lib.js%3Feventlet-patched=net')).to.equal('net');
  });

  it('gives null for an untagged URL, a missing parent and a string that is not a URL', () => {
    expect(tagOf('file:///app/lib.js')).to.equal(null);
    expect(tagOf(undefined)).to.equal(null);
    expect(tagOf('eventlet-patched here, but no URL')).to.equal(null);
  });

  it('carries the specifier, the parent URL and the tag in an entry specifier, whatever characters they hold', () => {
    const request = { specifier: '@scope/lib?x=1#y', parentURL: 'file:///a b/', tag: 'net.tls' };
    const entry = entrySpecifier(request);
    expect(entry.startsWith(ENTRY_SCHEME)).to.equal(true);
    expect(entry.slice(ENTRY_SCHEME.length)).to.not.match(/[ ?#/]/);
    expect(JSON.parse(decodeURIComponent(entry.slice(ENTRY_SCHEME.length)))).to.deep.equal(request);
  });
});
