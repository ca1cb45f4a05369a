/**
 * The green `fs` module: the same behaviour as Node's `fs` outside and inside green threads, and
 * inside them cooperative points that an interruption cuts short without leaking a descriptor.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import nodeFs from 'node:fs';
import * as nodeFsExports from 'node:fs';
import * as nodePromisesExports from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import greenFs, * as green from '../../lib/green/fs.js';
import * as greenPromisesModule from '../../lib/green/fs/promises.js';
import { isOwnedFd } from '../../lib/green/fs/fds.js';
import { applyPatches, revertPatches } from '../../lib/green/greening.js';
import { GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../lib/index.js';
import { activeResources, bad, inThread, never, openFds, pause, rejectionOf } from '../support.js';

const require = createRequire(import.meta.url);
type Fs = typeof nodeFs;
type Check = (fs: Fs, dir: string) => Promise<unknown>;
type AnyCallback = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

const { O_WRONLY, O_NONBLOCK } = nodeFs.constants;

/** The open fd count once it has stopped changing (closes from earlier tests may still be landing). */
async function steadyFds(): Promise<number> {
  let last = openFds();
  for (let same = 0; same < 3; ) {
    await pause(10);
    const now = openFds();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}
/** How many of the process's fds refer to `file`. */
function fdsOn(file: string): number {
  const links = nodeFs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return nodeFs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return null; // closed meanwhile
    }
  });
  return links.filter((link) => link === file).length;
}
/** Milliseconds since `start` (a `performance.now()` reading). */
const msSince = (start: number): number => performance.now() - start;

/** Retries `assertion` every 10 ms until it passes or `ms` have passed (then it throws). */
async function eventually(assertion: () => void, ms = 3000): Promise<void> {
  const start = performance.now();
  for (;;) {
    try {
      return assertion();
    } catch (err) {
      if (msSince(start) > ms) throw err;
      await pause(10);
    }
  }
}

/** A comparable picture of what an fs call produced (errors, buffers, stats, entries). */
function summarize(value: unknown): unknown {
  if (value instanceof Error) {
    const { code, syscall, path: where, errno } = value as NodeJS.ErrnoException;
    return { error: { type: value.constructor.name, name: value.name, code, message: value.message, syscall, path: where, errno } };
  }
  if (Buffer.isBuffer(value)) return { buffer: value.toString() };
  if (value instanceof nodeFs.Stats) return { stats: { file: value.isFile(), directory: value.isDirectory(), size: value.size } };
  if (value instanceof nodeFs.Dirent) return { dirent: value.name, file: value.isFile() };
  if (Array.isArray(value)) return value.map(summarize);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, summarize(v)]));
  return value;
}

/** `value` with every occurrence of `text` in its strings replaced by `by`. */
function replaced(value: unknown, text: string, by: string): unknown {
  if (typeof value === 'string') return value.split(text).join(by);
  if (Array.isArray(value)) return value.map((v) => replaced(v, text, by));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaced(v, text, by)]));
  return value;
}

/** What a callback-style call did: threw synchronously, or called back with which arguments. */
function callbackOf(call: (callback: AnyCallback) => unknown): Promise<unknown> {
  return new Promise((resolve) => {
    try {
      call((...args: unknown[]) => resolve({ calledBack: summarize(args) }));
    } catch (err) {
      resolve({ threw: summarize(err) });
    }
  });
}

/** What a promise-style call did: threw synchronously, resolved or rejected. */
function outcomeOf(call: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    return Promise.resolve({ threw: summarize(err) });
  }
  return Promise.resolve(result).then(
    (value) => ({ resolved: summarize(value) }),
    (err: unknown) => ({ rejected: summarize(err) }),
  );
}

/** The events a stream emits until it closes, in order, with the data and errors. */
function eventsOf(stream: NodeJS.EventEmitter, names: string[]): Promise<unknown[]> {
  const seen: unknown[] = [];
  return new Promise((resolve) => {
    for (const name of names) {
      stream.on(name, (arg: unknown) => {
        seen.push(name === 'data' || name === 'error' ? [name, summarize(arg)] : name);
        if (name === 'close') resolve(seen);
      });
    }
  });
}

/** Writes `content` to `dir/name` (with Node's own sync function) and returns the path. */
function fileIn(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  nodeFs.writeFileSync(file, content);
  return file;
}

/** Runs `check` in a fresh directory; the directory's path reads `<dir>` in the result. */
async function run(check: Check, fs: Fs, root: string): Promise<unknown> {
  const dir = nodeFs.mkdtempSync(path.join(root, 'run-'));
  return replaced(await check(fs, dir), dir, '<dir>');
}

/** Makes a FIFO and returns its path. */
function fifoIn(dir: string, name: string): string {
  const fifo = path.join(dir, name);
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

/** Lets whoever waits on `fifo` (to open or read it) go on: opens it for writing and writes a byte. */
function feed(fifo: string): void {
  let fd: number;
  try {
    fd = nodeFs.openSync(fifo, O_WRONLY | O_NONBLOCK);
  } catch {
    return; // no reader: nothing to release
  }
  nodeFs.writeSync(fd, 'x');
  nodeFs.closeSync(fd);
}

/** The same operations, run against Node's `fs` and the green one. */
const checks: Record<string, Check> = {
  'readFile with a callback gives text, bytes, and ENOENT for a missing file': async (fs, dir) => {
    const file = fileIn(dir, 'a.txt', 'hello');
    return [
      await callbackOf((cb) => fs.readFile(file, 'utf8', cb)),
      await callbackOf((cb) => fs.readFile(file, cb)),
      await callbackOf((cb) => fs.readFile(path.join(dir, 'missing.txt'), cb)),
    ];
  },
  'writeFile, appendFile, stat and lstat with callbacks give the same results and errors': async (fs, dir) => {
    const file = path.join(dir, 'w.txt');
    return [
      await callbackOf((cb) => fs.writeFile(file, 'one', cb)),
      await callbackOf((cb) => fs.appendFile(file, '+two', 'utf8', cb)),
      await callbackOf((cb) => fs.readFile(file, { encoding: 'utf8' }, cb)),
      await callbackOf((cb) => fs.stat(file, cb)),
      await callbackOf((cb) => fs.lstat(path.join(dir, 'missing'), cb)),
      await callbackOf((cb) => fs.writeFile(path.join(dir, 'no', 'such', 'dir'), 'x', cb)),
    ];
  },
  'fs.promises readFile, writeFile, appendFile and stat resolve and reject alike': async (fs, dir) => {
    const file = path.join(dir, 'p.txt');
    return [
      await outcomeOf(() => fs.promises.writeFile(file, 'one')),
      await outcomeOf(() => fs.promises.appendFile(file, '+two')),
      await outcomeOf(() => fs.promises.readFile(file, 'utf8')),
      await outcomeOf(() => fs.promises.stat(file)),
      await outcomeOf(() => fs.promises.readFile(path.join(dir, 'missing.txt'))),
      await outcomeOf(() => fs.promises.unlink(path.join(dir, 'missing.txt'))),
    ];
  },
  'open, write, read, fstat and close on a raw fd, and EBADF after close': async (fs, dir) => {
    const file = path.join(dir, 'raw.txt');
    const fd = await promisify(fs.open)(file, 'w+');
    return [
      await callbackOf((cb) => fs.write(fd, 'abcdef', 0, 'utf8', cb)),
      await callbackOf((cb) => fs.read(fd, Buffer.alloc(4), 0, 4, 1, cb)),
      await callbackOf((cb) => fs.read(fd, cb)),
      await callbackOf((cb) => fs.fstat(fd, cb)),
      await callbackOf((cb) => fs.close(fd, cb)),
      await callbackOf((cb) => fs.fstat(fd, cb)),
    ];
  },
  'util.promisify of read, write and exists keeps their custom results': async (fs, dir) => {
    const file = fileIn(dir, 'r.txt', 'abcdef');
    const fd = fs.openSync(file, 'r+');
    try {
      return [
        await outcomeOf(() => promisify(fs.write)(fd, Buffer.from('XY'), 0, 2, 0)),
        await outcomeOf(() => promisify(fs.read)(fd, Buffer.alloc(3), 0, 3, 0)),
        await outcomeOf(() => promisify(fs.exists)(file)),
        await outcomeOf(() => promisify(fs.exists)(path.join(dir, 'missing'))),
      ];
    } finally {
      fs.closeSync(fd);
    }
  },
  'mkdir, readdir with file types, rename, rm and mkdtemp': async (fs, dir) => {
    const nested = path.join(dir, 'a', 'b');
    const made = await callbackOf((cb) => fs.mkdir(nested, { recursive: true }, cb));
    fileIn(nested, 'f.txt', 'x');
    const temp = await promisify(fs.mkdtemp)(path.join(dir, 'tmp-'));
    return [
      made,
      await callbackOf((cb) => fs.mkdir(nested, cb)),
      await callbackOf((cb) => fs.readdir(nested, { withFileTypes: true }, cb)),
      await callbackOf((cb) => fs.rename(path.join(nested, 'f.txt'), path.join(nested, 'g.txt'), cb)),
      await callbackOf((cb) => fs.readdir(nested, cb)),
      await callbackOf((cb) => fs.rm(path.join(dir, 'a'), { recursive: true }, cb)),
      await callbackOf((cb) => fs.rmdir(path.join(dir, 'a'), cb)),
      path.basename(temp).startsWith('tmp-'),
    ];
  },
  'argument errors are thrown or rejected exactly as Node does': async (fs, dir) => {
    const file = fileIn(dir, 'v.txt', 'v');
    return [
      await callbackOf((cb) => fs.readFile(bad(123n), cb)),
      await outcomeOf(() => (fs.readFile as AnyCallback)(file)),
      await outcomeOf(() => (fs.stat as AnyCallback)()),
      await callbackOf((cb) => fs.open(file, bad('bogus'), cb)),
      await callbackOf((cb) => fs.read(bad('not an fd'), cb)),
      await callbackOf((cb) => fs.writeFile(file, bad(42), cb)),
      await callbackOf((cb) => fs.readFile(file, bad({ signal: 'not a signal' }), cb)),
      await outcomeOf(() => fs.promises.readFile(bad(123n))),
      await outcomeOf(() => fs.promises.readFile(file, bad({ encoding: 'bogus' }))),
      await outcomeOf(() => fs.createReadStream(file, { start: 5, end: 1 })),
      await outcomeOf(() => fs.watch(path.join(dir, 'missing'))),
    ];
  },
  'createReadStream emits open, ready, data, end and close in order': async (fs, dir) => {
    const file = fileIn(dir, 's.txt', 'x'.repeat(40));
    const stream = fs.createReadStream(file, { highWaterMark: 16, encoding: 'utf8' });
    return eventsOf(stream, ['open', 'ready', 'data', 'end', 'close', 'error']);
  },
  'createReadStream of a missing file emits error then close': async (fs, dir) => {
    const stream = fs.createReadStream(path.join(dir, 'missing.txt'));
    return eventsOf(stream, ['open', 'ready', 'data', 'end', 'close', 'error']);
  },
  'createWriteStream emits open, ready, finish and close in order and writes everything': async (fs, dir) => {
    const file = path.join(dir, 'out.txt');
    const stream = fs.createWriteStream(file);
    const events = eventsOf(stream, ['open', 'ready', 'finish', 'close', 'error']);
    stream.write('one,');
    stream.end('two');
    return [await events, nodeFs.readFileSync(file, 'utf8')];
  },
  'FileHandle write, read, stat, readFile and close': async (fs, dir) => {
    const handle = await fs.promises.open(path.join(dir, 'h.txt'), 'w+');
    return [
      await outcomeOf(() => handle.write('hello world', 0)),
      await outcomeOf(() => handle.read(Buffer.alloc(5), 0, 5, 6)),
      await outcomeOf(() => handle.stat()),
      await outcomeOf(() => handle.readFile({ encoding: 'utf8' })),
      await outcomeOf(() => handle.close()),
      await outcomeOf(() => handle.stat()),
    ];
  },
  'opendir and Dir read with a callback and a promise, then close': async (fs, dir) => {
    fileIn(dir, 'only.txt', '');
    const opened = await promisify(fs.opendir)(dir);
    return [
      await callbackOf((cb) => opened.read(cb)),
      await outcomeOf(() => opened.read()),
      await outcomeOf(() => opened.close()),
      await outcomeOf(() => opened.close()),
    ];
  },
  'exists and realpath.native call back alike': async (fs, dir) => {
    const file = fileIn(dir, 'e.txt', '');
    return [
      await callbackOf((cb) => fs.exists(file, cb)),
      await callbackOf((cb) => fs.exists(path.join(dir, 'missing'), cb)),
      await callbackOf((cb) => fs.realpath.native(file, cb)),
      await callbackOf((cb) => fs.realpath(path.join(dir, 'missing'), cb)),
    ];
  },
  'watch reports a new file, then closes': async (fs, dir) => {
    const watcher = fs.watch(dir);
    const change = once(watcher, 'change');
    fileIn(dir, 'new.txt', 'x');
    const [eventType, filename] = (await change) as [string, string];
    const closed = once(watcher, 'close');
    watcher.close();
    await closed;
    return [eventType, filename];
  },
};

describe('green fs', () => {
  let root: string;
  let dir: string;

  before(() => {
    root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'eventlet-green-fs-'));
  });

  after(() => {
    nodeFs.rmSync(root, { recursive: true, force: true });
  });

  beforeEach(() => {
    dir = nodeFs.mkdtempSync(path.join(root, 'test-'));
  });

  describe('as a module', () => {
    it('exports every export of node:fs', () => {
      const missing = Object.keys(nodeFsExports).filter((name) => !(name in green));
      expect(missing).to.deep.equal([]);
    });

    it('has in promises, and in the fs-promises module, every export of node:fs/promises', () => {
      for (const name of Object.keys(nodePromisesExports).filter((n) => n !== 'default')) {
        expect(green.promises, name).to.have.property(name);
        expect(greenPromisesModule, name).to.have.property(name);
      }
      expect(greenPromisesModule.default).to.equal(green.promises);
    });

    it('has a default export with every property of fs, the green functions in place', () => {
      for (const name of Object.getOwnPropertyNames(nodeFs)) expect(Object.getOwnPropertyNames(greenFs), name).to.include(name);
      expect(greenFs.readFile).to.equal(green.readFile).and.not.equal(nodeFs.readFile);
      expect(greenFs.promises).to.equal(green.promises);
      expect(greenFs.readFileSync).to.equal(nodeFs.readFileSync);
      expect(greenFs.constants).to.equal(nodeFs.constants);
    });

    it('gives the green functions the names, lengths and own properties of Node\'s', () => {
      for (const name of ['readFile', 'read', 'write', 'exists', 'open', 'realpath', 'createReadStream'] as const) {
        expect(green[name].name, name).to.equal(nodeFs[name].name);
        expect(green[name].length, name).to.equal(nodeFs[name].length);
        expect(Reflect.ownKeys(green[name]).map(String).sort(), name).to.deep.equal(Reflect.ownKeys(nodeFs[name]).map(String).sort());
      }
      expect(green.realpath.native).to.be.a('function').and.not.equal(nodeFs.realpath.native);
      expect((green.exists as unknown as Record<symbol, unknown>)[promisify.custom]).to.be.a('function');
    });

    it('leaves synchronous functions and constants as Node\'s own', () => {
      expect(green.readFileSync).to.equal(nodeFs.readFileSync);
      expect(green.statSync).to.equal(nodeFs.statSync);
      expect(green.constants).to.equal(nodeFs.constants);
      expect(green.promises.constants).to.equal(nodeFs.promises.constants);
    });
  });

  describe('behaves like node:fs', () => {
    for (const [name, check] of Object.entries(checks)) {
      it(`${name}, outside and inside a green thread`, async () => {
        const expected = await run(check, nodeFs, dir);
        expect(await run(check, greenFs, dir), 'outside green threads').to.deep.equal(expected);
        expect(await inThread(() => run(check, greenFs, dir)), 'inside a green thread').to.deep.equal(expected);
      });
    }

    it('passes the caller\'s own callback to Node outside green threads (Node calls it, with its own this)', async () => {
      const thisOf = (fs: Fs): Promise<string> =>
        new Promise((resolve) =>
          fs.readFile(path.join(dir, 'missing.txt'), function (this: unknown) {
            resolve(String((this as object | undefined)?.constructor?.name));
          }),
        );
      const nodeThis = await thisOf(nodeFs);
      expect(nodeThis).not.to.equal('undefined');
      expect(await thisOf(greenFs)).to.equal(nodeThis);
    });
  });

  describe('with fs patched in place', () => {
    beforeEach(async () => {
      await eventually(() => expect(green.patches.some((p) => p.key === 'readv' && p.target !== nodeFs)).to.equal(true));
      applyPatches(green.patches);
    });

    afterEach(() => revertPatches(green.patches));

    it('puts the green functions on Node\'s fs, fs.promises, Dir and FileHandle prototypes, and restores the originals exactly', async () => {
      const handle = await nodeFs.promises.open(fileIn(dir, 'p.txt', 'p'));
      await handle.close();
      const fileHandlePrototype = Object.getPrototypeOf(handle) as Record<string, unknown>;
      const places: Array<[object, string]> = [
        [nodeFs, 'readFile'],
        [require('node:fs/promises') as object, 'readFile'],
        [nodeFs.Dir.prototype, 'read'],
        [fileHandlePrototype, 'read'],
      ];
      const valueAt = ([target, key]: [object, string]): unknown => (target as Record<string, unknown>)[key];
      const greenAt = ([target, key]: [object, string]): unknown => green.patches.find((p) => p.target === target && p.key === key)?.value;
      for (const place of places) expect(valueAt(place), place[1]).to.be.a('function').and.equal(greenAt(place));
      revertPatches(green.patches);
      const originals = places.map(valueAt);
      for (const [i, place] of places.entries()) expect(originals[i], place[1]).to.be.a('function').and.not.equal(greenAt(place));
      applyPatches(green.patches);
      revertPatches(green.patches);
      expect(places.map(valueAt)).to.deep.equal(originals);
      expect(require('node:fs').readFile).to.equal(nodeFs.readFile);
      applyPatches(green.patches);
    });

    it('lists no synchronous function but openSync, closeSync and opendirSync, and no constant', () => {
      const onFs = green.patches.filter((p) => p.target === nodeFs).map((p) => String(p.key));
      expect(onFs.filter((key) => key.endsWith('Sync')).sort()).to.deep.equal(['closeSync', 'openSync', 'opendirSync']);
      expect(onFs).not.to.include('constants');
      expect(onFs).not.to.include('promises');
    });

    for (const [name, check] of Object.entries(checks)) {
      it(`${name}, through Node's own fs inside a green thread`, async () => {
        revertPatches(green.patches);
        const expected = await run(check, nodeFs, dir);
        applyPatches(green.patches);
        expect(await inThread(() => run(check, nodeFs, dir))).to.deep.equal(expected);
      });
    }
  });

  describe('interruption', () => {
    const fifos: string[] = [];

    /** A FIFO that is fed after the test, so that no pool thread stays blocked on it. */
    function fifo(): string {
      const made = fifoIn(dir, `fifo-${fifos.length}`);
      fifos.push(made);
      return made;
    }

    afterEach(() => {
      for (const made of fifos.splice(0)) feed(made);
    });

    it('rejects a killed thread\'s promises.readFile of a FIFO nobody writes to with GreenletExit within 100 ms', async () => {
      const thread = spawn(() => green.promises.readFile(fifo()));
      await sleep(0.05);
      const start = performance.now();
      void thread.kill();
      const err = await rejectionOf(thread.wait());
      expect(err).to.be.instanceOf(GreenletExit);
      expect(msSince(start)).to.be.below(100);
    });

    it('calls a killed thread\'s readFile callback with GreenletExit within 100 ms', async () => {
      let received: unknown = 'not called';
      let calledAt = 0;
      const thread = spawn(
        () =>
          new Promise<void>((resolve) =>
            green.readFile(fifo(), (err) => {
              received = err;
              calledAt = performance.now();
              resolve();
            }),
          ),
      );
      await sleep(0.05);
      const start = performance.now();
      await thread.kill();
      await thread.wait().catch(() => {}); // however the killed thread ends
      expect(received).to.be.instanceOf(GreenletExit);
      expect(calledAt - start).to.be.below(100);
    });

    it('rejects withTimeout(0.1) around a readFile of a FIFO with the Timeout, soon after 0.1 s', async () => {
      const path = fifo();
      const start = performance.now();
      const err = await rejectionOf(inThread(() => withTimeout(0.1, () => green.promises.readFile(path))));
      expect(err).to.be.instanceOf(Timeout);
      expect(msSince(start)).to.be.within(95, 300);
    });

    it('reads a FIFO a writer feeds, inside a green thread, with the callback and promise forms (through a pipe handle, not the pool)', async () => {
      const path = fifo();
      const writeLater = (text: string): void => {
        setTimeout(() => {
          const fd = nodeFs.openSync(path, O_WRONLY);
          nodeFs.writeSync(fd, text);
          nodeFs.closeSync(fd);
        }, 30);
      };
      writeLater('first');
      const viaCallback = await inThread(() => new Promise((resolve, reject) => green.readFile(path, 'utf8', (err, text) => (err ? reject(err) : resolve(text)))));
      writeLater('second');
      const viaPromise = await inThread(() => green.promises.readFile(path));
      expect([viaCallback, viaPromise]).to.deep.equal(['first', Buffer.from('second')]);
    });

    it('streams a FIFO a writer feeds through createReadStream inside a green thread, each write as it comes', async () => {
      const path = fifo();
      const thread = spawn(async () => {
        const chunks: string[] = [];
        for await (const chunk of green.createReadStream(path, 'utf8')) chunks.push(chunk as string);
        return chunks;
      });
      await sleep(0.05);
      const fd = nodeFs.openSync(path, O_WRONLY);
      nodeFs.writeSync(fd, 'hello');
      await sleep(0.05);
      nodeFs.writeSync(fd, 'world');
      nodeFs.closeSync(fd);
      expect(await thread.wait()).to.deep.equal(['hello', 'world']);
    });

    it('closes the FIFO of a createReadStream nobody writes to at once when its thread is killed', async () => {
      const path = fifo();
      const thread = spawn(async () => {
        for await (const chunk of green.createReadStream(path)) void chunk;
      });
      await sleep(0.05);
      expect(fdsOn(path)).to.equal(1);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      await eventually(() => expect(fdsOn(path)).to.equal(0), 500);
    });

    it("rejects a FIFO read aborted by the caller's own signal with an AbortError, as Node does", async () => {
      const path = fifo();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      const err = await rejectionOf(inThread(() => green.promises.readFile(path, { signal: controller.signal })));
      expect(err).to.be.instanceOf(Error).with.property('name', 'AbortError');
      expect(err).to.have.property('code', 'ABORT_ERR');
    });

    it('keeps no thread-pool thread for five interrupted FIFO reads: a readFile afterwards answers at once', async () => {
      for (let i = 0; i < 5; i++) {
        const path = fifo();
        expect(await rejectionOf(inThread(() => withTimeout(0.02, () => green.promises.readFile(path))))).to.be.instanceOf(Timeout);
      }
      const start = performance.now();
      await inThread(() => green.promises.readFile(fileIn(dir, 'after-fifos.txt', 'x')));
      expect(msSince(start)).to.be.below(500);
    });

    it('reads a character device that never waits (/dev/null) with Node\'s own readFile inside a green thread', async () => {
      expect(await inThread(() => green.promises.readFile('/dev/null', 'utf8'))).to.equal('');
    });

    it('closes an fd that arrives after its opener was killed', async () => {
      const path = fifo();
      let received: unknown = 'not called';
      const thread = spawn(() => new Promise<void>((resolve) => green.open(path, 'r', (err) => ((received = err), resolve()))));
      await sleep(0.05);
      await thread.kill();
      expect(received).to.be.instanceOf(GreenletExit);
      feed(path); // the open completes now, for nobody
      await pause(50);
      expect(fdsOn(path)).to.equal(0);
    });

    it('closes a FileHandle that arrives after its opener was killed', async () => {
      const path = fifo();
      const thread = spawn(() => green.promises.open(path, 'r'));
      await sleep(0.05);
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      feed(path);
      await pause(50);
      expect(fdsOn(path)).to.equal(0);
    });

    it('closes an fd with a read in flight only once the read has completed', async () => {
      const path = fifo();
      let fd = -1;
      const thread = spawn(async () => {
        fd = await promisify(green.open)(path, nodeFs.constants.O_RDWR);
        await promisify(green.read)(fd, Buffer.alloc(1), 0, 1, null);
      });
      await eventually(() => expect(fd).to.be.above(-1));
      await sleep(0.05);
      const start = performance.now();
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(msSince(start)).to.be.below(100);
      await pause(50);
      expect(fdsOn(path), 'still open while the read is in flight').to.equal(1);
      feed(path);
      await eventually(() => expect(fdsOn(path)).to.equal(0));
    });

    it('makes FileHandle methods cooperative points once fs is patched in place', async () => {
      await eventually(() => expect(green.patches.some((p) => p.key === 'readv' && p.target !== nodeFs)).to.equal(true));
      applyPatches(green.patches);
      try {
        const path = fifo();
        const thread = spawn(async () => {
          const handle = await nodeFs.promises.open(path, 'r+');
          await handle.read(Buffer.alloc(1), 0, 1, null);
        });
        await sleep(0.05);
        const start = performance.now();
        void thread.kill();
        expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
        expect(msSince(start)).to.be.below(100);
      } finally {
        revertPatches(green.patches);
      }
    });

    it('destroys a stream a killed thread iterates with for await, with GreenletExit as its error', async () => {
      const big = path.join(dir, 'big.bin');
      nodeFs.writeFileSync(big, Buffer.alloc(4 * 1024 * 1024));
      let stream: nodeFs.ReadStream | undefined;
      const thread = spawn(async () => {
        stream = green.createReadStream(big, { highWaterMark: 1024 });
        for await (const chunk of stream) await pause((chunk as Buffer).length > 0 ? 5 : 0);
      });
      await eventually(() => expect(stream?.bytesRead).to.be.above(0));
      const start = performance.now();
      await thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(msSince(start)).to.be.below(100);
      expect(stream!.destroyed).to.equal(true);
      expect(stream!.errored).to.be.instanceOf(GreenletExit);
    });

    it('destroys a killed thread\'s stream that nobody listens to for errors without an error event', async () => {
      let stream: nodeFs.ReadStream | undefined;
      const thread = spawn(async () => {
        stream = green.createReadStream(fileIn(dir, 'quiet.txt', 'quiet'));
        await sleep(10);
      });
      await eventually(() => expect((stream as unknown as { fd: unknown } | undefined)?.fd).to.be.a('number'));
      await thread.kill();
      await eventually(() => expect(stream!.closed).to.equal(true));
      expect(stream!.errored).to.equal(null);
    });
  });

  describe('interrupting a read of a big file', () => {
    let big: string;
    let fullRead: number;

    before(async () => {
      big = path.join(root, 'big.bin');
      nodeFs.writeFileSync(big, '');
      nodeFs.truncateSync(big, 512 * 1024 * 1024);
      fullRead = Infinity;
      for (const read of [() => nodeFs.promises.readFile(big), () => promisify(nodeFs.readFile)(big)]) {
        for (let i = 0; i < 2; i++) {
          const start = performance.now();
          await read();
          fullRead = Math.min(fullRead, msSince(start));
        }
      }
    });

    it('takes long enough to read in full for the tests below to tell an aborted read from a finished one', () => {
      expect(fullRead).to.be.above(100);
    });

    it('aborts a killed thread\'s promises.readFile: it rejects within 100 ms and Node closes the file long before a full read would end', async () => {
      const fds = await steadyFds();
      const start = performance.now();
      const thread = spawn(() => green.promises.readFile(big));
      await sleep(0.02);
      const killedAt = performance.now();
      void thread.kill();
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(GreenletExit);
      expect(msSince(killedAt)).to.be.below(100);
      await eventually(() => expect(openFds()).to.equal(fds));
      expect(msSince(start)).to.be.below(fullRead / 2);
    });

    it('aborts a callback readFile when its withTimeout expires: it rejects with the Timeout and Node closes the file long before a full read would end', async () => {
      const fds = await steadyFds();
      const start = performance.now();
      const outcome = inThread(() => withTimeout(0.02, () => promisify(green.readFile)(big)));
      expect(await rejectionOf(outcome)).to.be.instanceOf(Timeout);
      await eventually(() => expect(openFds()).to.equal(fds));
      expect(msSince(start)).to.be.below(fullRead / 2);
    });
  });

  describe('ownership', () => {
    it('releases the FileHandles, fds and read streams of 300 killed threads: open fds and active resources are back where they were', async () => {
      const file = fileIn(dir, 'shared.txt', 'x'.repeat(1024));
      const fds = await steadyFds(); // and mocha has armed its timeout timer, which the test returned a promise for
      const resources = activeResources();
      const threads = Array.from({ length: 300 }, (_, i) =>
        spawn(async () => {
          await green.promises.open(file);
          if (i % 2) await promisify(green.open)(file, 'r');
          else green.openSync(file, 'r');
          green.createReadStream(file);
          await (i % 3 ? sleep(10) : never());
        }),
      );
      await eventually(() => expect(openFds()).to.equal(fds + 900));
      await Promise.all(threads.map((thread) => thread.kill()));
      await eventually(() => {
        expect(openFds()).to.equal(fds);
        expect(activeResources()).to.deep.equal(resources);
      });
    });

    it('tears nothing down when a thread ends on its own: its FileHandle, fd, stream, Dir and watcher stay open', async () => {
      const file = fileIn(dir, 'kept.txt', 'kept');
      const fds = await steadyFds();
      const kept = await inThread(async () => ({
        handle: await green.promises.open(file),
        fd: await promisify(green.open)(file, 'r'),
        stream: green.createReadStream(file),
        dir: await green.promises.opendir(dir),
        watcher: green.watch(dir),
      }));
      await pause(50);
      try {
        expect((await kept.handle.stat()).size).to.equal(4);
        expect(nodeFs.fstatSync(kept.fd).size).to.equal(4);
        expect(kept.stream.destroyed).to.equal(false);
        expect(await kept.dir.read()).not.to.equal(null);
        expect(isOwnedFd(kept.fd)).to.equal(false);
        expect(openFds()).to.be.at.least(fds + 4);
      } finally {
        kept.watcher.close();
        kept.stream.destroy();
        await kept.dir.close();
        await kept.handle.close();
        nodeFs.closeSync(kept.fd);
      }
    });

    it('does not close again an fd the killed thread had closed itself, though its number was reused', async () => {
      const file = fileIn(dir, 'reused.txt', 'reused');
      let closedFd = -1;
      const thread = spawn(async () => {
        closedFd = green.openSync(file, 'r');
        green.closeSync(closedFd);
        await sleep(10);
      });
      await eventually(() => expect(closedFd).to.be.above(-1));
      const reused = nodeFs.openSync(file, 'r');
      try {
        expect(reused).to.equal(closedFd);
        await thread.kill();
        await pause(50);
        expect(nodeFs.fstatSync(reused).size).to.equal(6);
      } finally {
        nodeFs.closeSync(reused);
      }
    });

    it('hands what a withTimeout scope opened to its thread, which closes it when killed later', async () => {
      let handle: nodeFs.promises.FileHandle | undefined;
      const thread = spawn(async () => {
        handle = await withTimeout(1, () => green.promises.open(fileIn(dir, 'scoped.txt', 's')));
        await sleep(10);
      });
      await eventually(() => expect(handle).not.to.equal(undefined));
      await sleep(0.02);
      expect(handle!.fd).to.be.above(-1);
      await thread.kill();
      await eventually(() => expect(handle!.fd).to.equal(-1));
    });

    it('closes the fd, Dir and watcher of a thread its own Timeout interrupted', async () => {
      nodeFs.watch(dir).close(); // libuv keeps one inotify descriptor once watching started
      const fds = await steadyFds();
      const resources = activeResources();
      const thread = spawn(async () => {
        green.openSync(fileIn(dir, 'timed.txt', 't'), 'r');
        green.opendirSync(dir);
        green.watch(dir);
        new Timeout(0.05);
        await sleep(10);
      });
      await eventually(() => expect(openFds()).to.equal(fds + 2));
      expect(activeResources()).to.include('FSEventWrap');
      expect(await rejectionOf(thread.wait())).to.be.instanceOf(Timeout);
      await eventually(() => {
        expect(openFds()).to.equal(fds);
        expect(activeResources()).to.deep.equal(resources);
      });
    });

    it('forgets an fd once its thread closes it with fs.close', async () => {
      const fd = await inThread(async () => {
        const opened = await promisify(green.open)(fileIn(dir, 'c.txt', 'c'), 'r');
        expect(isOwnedFd(opened)).to.equal(true);
        await promisify(green.close)(opened);
        return opened;
      });
      expect(isOwnedFd(fd)).to.equal(false);
    });
  });
});
