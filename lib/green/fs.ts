/**
 * The green `fs` module: every export of Node's `fs`, where inside a green thread
 *
 * - every asynchronous operation (callback and promise forms, `fs.promises`, FileHandle and Dir
 *   methods once patched in place) is a cooperative point: when the thread is killed or its
 *   Timeout fires, the callback gets the interruption error / the promise rejects with it at once,
 *   the operation is aborted where Node accepts a signal (`readFile`, `writeFile`, `appendFile`,
 *   `fs.promises.watch`) and otherwise its result is dropped — an fd, FileHandle or Dir that
 *   arrives too late is closed;
 * - what the thread opens and still holds (fds from `open`/`openSync`, FileHandles, Dirs, streams,
 *   watchers) is released when the thread is interrupted (see claims.ts); a thread that ends on
 *   its own leaves it open.
 *
 * Outside green threads every function is Node's own; synchronous functions always are (only
 * `openSync`, `closeSync` and `opendirSync` keep the ownership books).
 * @example
 * import { readFile } from 'eventlet/green/fs';
 * spawn(() => readFile('/dev/stdin', (err, data) => console.log(err ?? data))).kill(); // err: GreenletExit
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { hub, type Scope } from '../hub.js';
import { dirPatches } from './fs/dir.js';
import { closeUnwantedFd, forgetFd, ownFd } from './fs/fds.js';
import { onFileHandlePatches } from './fs/filehandle.js';
import { greenCallback, greenPromise, type CallbackOptions } from './fs/functions.js';
import { ignore, nativeFs as native } from './fs/natives.js';
import { plainRead, readWithoutPool } from './fs/blocking.js';
import { withSignal, type Callback, type CallbackArgs } from './fs/points.js';
import { promises, promisesPatches } from './fs/promises.js';
import { closeUnwantedDir, ownDir } from './fs/resources.js';
import { createReadStream, createWriteStream } from './fs/streams.js';
import { watch, watchFile } from './fs/watchers.js';
import { applyPatches, greenFunction, patchesFor, type Patch } from './greening.js';

export * from 'node:fs';
export { createReadStream, createWriteStream, promises, watch, watchFile };

type Fs = typeof fs;

/** A green callback function named after its `fs` export. */
function green<K extends keyof Fs>(name: K, options?: CallbackOptions): Fs[K] {
  return greenCallback(name, native[name] as Fs[K] & ((...args: never[]) => unknown), options) as Fs[K];
}

/** Green `fs.access`. @example access('/etc/hosts', (err) => console.log(!err)); */
export const access = green('access');
/** Green `fs.appendFile`, aborted on interruption. @example appendFile('log.txt', 'line\n', (err) => {}); */
export const appendFile = green('appendFile', { signalAt: 2 });
/** Green `fs.chmod`. @example chmod('run.sh', 0o755, (err) => {}); */
export const chmod = green('chmod');
/** Green `fs.chown`. @example chown('file', 1000, 1000, (err) => {}); */
export const chown = green('chown');
/** Green `fs.copyFile`. @example copyFile('a.txt', 'b.txt', (err) => {}); */
export const copyFile = green('copyFile');
/** Green `fs.cp`. @example cp('src', 'dest', { recursive: true }, (err) => {}); */
export const cp = green('cp');
/** Green `fs.fchmod`. @example fchmod(fd, 0o644, (err) => {}); */
export const fchmod = green('fchmod');
/** Green `fs.fchown`. @example fchown(fd, 1000, 1000, (err) => {}); */
export const fchown = green('fchown');
/** Green `fs.fdatasync`. @example fdatasync(fd, (err) => {}); */
export const fdatasync = green('fdatasync');
/** Green `fs.fstat`. @example fstat(fd, (err, stats) => console.log(stats.size)); */
export const fstat = green('fstat');
/** Green `fs.fsync`. @example fsync(fd, (err) => {}); */
export const fsync = green('fsync');
/** Green `fs.ftruncate`. @example ftruncate(fd, 0, (err) => {}); */
export const ftruncate = green('ftruncate');
/** Green `fs.futimes`. @example futimes(fd, new Date(), new Date(), (err) => {}); */
export const futimes = green('futimes');
/** Green `fs.glob` (Node 22+). @example glob('**\/*.ts', (err, paths) => console.log(paths)); */
export const glob = green('glob');
/** Green `fs.lchmod` (undefined where Node lacks it). @example lchmod?.('link', 0o644, (err) => {}); */
export const lchmod = green('lchmod');
/** Green `fs.lchown`. @example lchown('link', 1000, 1000, (err) => {}); */
export const lchown = green('lchown');
/** Green `fs.link`. @example link('a.txt', 'hard.txt', (err) => {}); */
export const link = green('link');
/** Green `fs.lstat`. @example lstat('link', (err, stats) => console.log(stats.isSymbolicLink())); */
export const lstat = green('lstat');
/** Green `fs.lutimes`. @example lutimes('link', new Date(), new Date(), (err) => {}); */
export const lutimes = green('lutimes');
/** Green `fs.mkdir`. @example mkdir('a/b', { recursive: true }, (err, first) => {}); */
export const mkdir = green('mkdir');
/** Green `fs.read`. @example read(fd, Buffer.alloc(64), 0, 64, 0, (err, bytesRead, buffer) => {}); */
export const read = green('read');
/** Green `fs.readdir`. @example readdir('.', (err, names) => console.log(names)); */
export const readdir = green('readdir');
const readFileInPool = green('readFile', { signalAt: 1 });

/**
 * Green `fs.readFile`, aborted on interruption; a FIFO or terminal is read without the thread
 * pool (see fs/blocking.ts), so an interrupted read of one never keeps a pool thread.
 * @example readFile('a.txt', 'utf8', (err, text) => {});
 */
export const readFile = greenFunction(native.readFile, function (this: unknown, ...args: unknown[]) {
  const callback = args[args.length - 1];
  const read = args.length >= 2 && typeof callback === 'function' && hub.ownerScope() ? plainRead(args[0], args.length > 2 ? args[1] : undefined) : null;
  if (!read) return (readFileInPool as (...a: unknown[]) => void).apply(this, args);
  const path = args[0] as fs.PathLike;
  hub.guardCallback(
    'fs readFile',
    (signal, done) => {
      const options = withSignal([path, args.length > 2 ? args[1] : undefined], 1, signal)[1] as { signal: AbortSignal };
      readWithoutPool(path, { encoding: read.encoding, signal: options.signal }, () => native.readFile(path, options, done), done);
    },
    callback as Callback,
  );
} as typeof fs.readFile);
/** Green `fs.readlink`. @example readlink('link', (err, target) => {}); */
export const readlink = green('readlink');
/** Green `fs.readv`. @example readv(fd, [Buffer.alloc(8)], (err, bytesRead, buffers) => {}); */
export const readv = green('readv');
/** Green `fs.rename`. @example rename('a.txt', 'b.txt', (err) => {}); */
export const rename = green('rename');
/** Green `fs.rm`. @example rm('tmp', { recursive: true, force: true }, (err) => {}); */
export const rm = green('rm');
/** Green `fs.rmdir`. @example rmdir('empty', (err) => {}); */
export const rmdir = green('rmdir');
/** Green `fs.stat`. @example stat('a.txt', (err, stats) => console.log(stats.size)); */
export const stat = green('stat');
/** Green `fs.statfs`. @example statfs('/', (err, stats) => console.log(stats.bavail)); */
export const statfs = green('statfs');
/** Green `fs.symlink`. @example symlink('a.txt', 'link', (err) => {}); */
export const symlink = green('symlink');
/** Green `fs.truncate`. @example truncate('a.txt', 0, (err) => {}); */
export const truncate = green('truncate');
/** Green `fs.unlink`. @example unlink('a.txt', (err) => {}); */
export const unlink = green('unlink');
/** Green `fs.utimes`. @example utimes('a.txt', new Date(), new Date(), (err) => {}); */
export const utimes = green('utimes');
/** Green `fs.write`. @example write(fd, 'hello', (err, written, text) => {}); */
export const write = green('write');
/** Green `fs.writeFile`, aborted on interruption. @example writeFile('a.txt', 'hello', (err) => {}); */
export const writeFile = green('writeFile', { signalAt: 2 });
/** Green `fs.writev`. @example writev(fd, [Buffer.from('a'), Buffer.from('b')], (err, written) => {}); */
export const writev = green('writev');

/**
 * Green `fs.open`: the fd is owned by the green thread that opened it (closed once the thread has
 * been interrupted and has ended) until `fs.close`/`fs.closeSync`; one that arrives too late is closed.
 * @example open('a.txt', 'r', (err, fd) => { if (!err) close(fd, () => {}); });
 */
export const open = green('open', {
  adopt: (scope: Scope, [, fd]: CallbackArgs) => ownFd(scope, fd),
  discard: ([, fd]: CallbackArgs) => closeUnwantedFd(fd),
});

/**
 * Green `fs.close`: ends the owner's claim on the fd, then closes it as Node does.
 * @example close(fd, (err) => {});
 */
export const close = green('close', { before: (args) => forgetFd(args[0]) });

/**
 * Green `fs.opendir`: the Dir is owned by the green thread that opened it until closed.
 * @example opendir('.', (err, dir) => dir.read((err, entry) => console.log(entry?.name)));
 */
export const opendir = green('opendir', {
  adopt: (scope: Scope, [, dir]: CallbackArgs) => ownDir(scope, dir as fs.Dir),
  discard: ([, dir]: CallbackArgs) => closeUnwantedDir(dir as fs.Dir),
});

/**
 * Green `fs.mkdtemp`: a directory created after its creator was interrupted is removed.
 * @example mkdtemp('/tmp/work-', (err, dir) => console.log(dir));
 */
export const mkdtemp = green('mkdtemp', { discard: ([, path]: CallbackArgs) => native.rmdir(path as string, ignore) });

const realpathNative = greenCallback('realpath.native', native.realpath.native);

/**
 * Green `fs.realpath`, and its `native` variant.
 * @example realpath.native('.', (err, path) => console.log(path));
 */
export const realpath = green('realpath');
Object.defineProperty(realpath, 'native', { ...Object.getOwnPropertyDescriptor(native.realpath, 'native'), value: realpathNative });

/**
 * Green `fs.openAsBlob`: a cooperative point inside green threads.
 * @example const blob = await openAsBlob('photo.jpg');
 */
export const openAsBlob = greenPromise('fs openAsBlob', native.openAsBlob);

type ExistsCallback = (exists: boolean) => void;
const nativeExists = native.exists as (this: unknown, ...args: unknown[]) => void;
const nativeExistsPromise = (native.exists as unknown as Record<symbol, (path: unknown) => Promise<boolean>>)[promisify.custom]!;

/** `fs.exists` as a promise, from Node's own `exists`. */
function existsNow(self: unknown, args: unknown[]): Promise<boolean> {
  return new Promise<boolean>((resolve) => nativeExists.apply(self, [...args, resolve]));
}

const existsPromise = greenFunction(nativeExistsPromise, function (this: unknown, path: unknown) {
  return hub.ownerScope() ? hub.guard('fs exists', () => existsNow(this, [path])) : nativeExistsPromise.call(this, path);
});

function greenExists(this: unknown, ...args: unknown[]): void {
  const callback = args[args.length - 1];
  if (!hub.ownerScope() || typeof callback !== 'function') return nativeExists.apply(this, args);
  hub.guard('fs exists', () => existsNow(this, args.slice(0, -1))).then((yes) => queueMicrotask(() => (callback as ExistsCallback)(yes)), ignore);
}
Object.defineProperty(greenExists, promisify.custom, { ...Object.getOwnPropertyDescriptor(native.exists, promisify.custom), value: existsPromise });

/**
 * Green `fs.exists` (and its `util.promisify` form). Its callback takes no error, so when the
 * green thread is interrupted the callback is not called (the promise form rejects).
 * @example exists('a.txt', (yes) => console.log(yes));
 */
export const exists = greenFunction(native.exists, greenExists as typeof fs.exists);

/**
 * Green `fs.openSync`: Node's own; inside a green thread the fd is owned by it (as with {@link open}).
 * @example const fd = openSync('a.txt', 'r');
 */
export const openSync = greenFunction(native.openSync, function (this: unknown, ...args: Parameters<Fs['openSync']>) {
  const fd = native.openSync.apply(this, args);
  const scope = hub.ownerScope();
  if (scope) ownFd(scope, fd);
  return fd;
});

/**
 * Green `fs.closeSync`: ends the owner's claim on the fd, then closes it as Node does.
 * @example closeSync(fd);
 */
export const closeSync = greenFunction(native.closeSync, function (this: unknown, fd: number) {
  forgetFd(fd);
  return native.closeSync.call(this, fd);
});

/**
 * Green `fs.opendirSync`: Node's own; inside a green thread the Dir is owned by it.
 * @example const dir = opendirSync('.');
 */
export const opendirSync = greenFunction(native.opendirSync, function (this: unknown, ...args: Parameters<Fs['opendirSync']>) {
  const dir = native.opendirSync.apply(this, args);
  const scope = hub.ownerScope();
  if (scope) ownDir(scope, dir);
  return dir;
});

/** The green functions, by name (what `monkeyPatch` puts on Node's `fs`). */
const greens = definedOnly({
  access, appendFile, chmod, chown, close, closeSync, copyFile, cp, createReadStream, createWriteStream, exists, fchmod, fchown,
  fdatasync, fstat, fsync, ftruncate, futimes, glob, lchmod, lchown, link, lstat, lutimes, mkdir, mkdtemp, open, openAsBlob,
  openSync, opendir, opendirSync, read, readdir, readFile, readlink, readv, realpath, rename, rm, rmdir, stat, statfs, symlink,
  truncate, unlink, utimes, watch, watchFile, write, writeFile, writev,
});

/**
 * The green module as one object (the default export): every property of Node's `fs`, with the
 * green functions and the green `promises` in place.
 * @example import fs from 'eventlet/green/fs'; fs.readFile('a.txt', callback);
 */
const greenFs: Fs = Object.defineProperties({}, Object.getOwnPropertyDescriptors(fs)) as Fs;
for (const [key, value] of Object.entries({ ...greens, promises })) {
  Object.defineProperty(greenFs, key, { value, writable: true, enumerable: true, configurable: true });
}

export default greenFs;

/**
 * The in-place replacements applied by `monkeyPatch({ fs: true })`: on Node's `fs`, on
 * `fs.promises` (also `require('fs/promises')`), on `fs.Dir.prototype`, and — appended as soon as
 * the FileHandle prototype is known (applied at once if `fs` is patched by then) — on it.
 * @example applyPatches(patches); // what monkeyPatch does
 */
export const patches: Patch[] = [...patchesFor(fs, greens), ...promisesPatches, ...dirPatches];

onFileHandlePatches((fileHandlePatches) => {
  patches.push(...fileHandlePatches);
  if ((fs as { readFile: unknown }).readFile === readFile) applyPatches(fileHandlePatches);
});

/** Leaves out functions this Node version or platform does not have. */
function definedOnly<T extends object>(functions: T): Partial<T> {
  return Object.fromEntries(Object.entries(functions).filter(([, value]) => value !== undefined)) as Partial<T>;
}
