/**
 * The green `fs/promises` module: Node's `fs/promises` whose operations are cooperative points
 * inside green threads (they reject with the interruption at once when the thread is killed or
 * times out; `readFile`, `writeFile`, `appendFile` and `watch` are aborted, and a FileHandle or Dir
 * that arrives too late is closed). FileHandles and Dirs a green thread opens are owned by it.
 * Outside green threads every function is Node's own.
 * @example
 * import { readFile } from 'eventlet/green/fs-promises';
 * await withTimeout(1, () => readFile('/var/log/big.log')); // aborted after 1 s
 */
import fs from 'node:fs';
import type { Dir, PathLike } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { hub, type Scope } from '../../hub.js';
import { plainRead, readWithoutPool } from './blocking.js';
import { learnFileHandle } from './filehandle.js';
import { greenIterator, greenPromise } from './functions.js';
import { ignore, nativeFs, nativePromises as native } from './natives.js';
import { closeUnwantedDir, closeUnwantedHandle, ownAbortController, ownDir, ownHandle } from './resources.js';
import { withSignal } from './points.js';
import { greenFunction, patchesFor, type Patch } from '../greening.js';

export * from 'node:fs/promises';

type Promises = typeof fs.promises;

/** A green promise function named after its `fs/promises` export. */
function green<K extends keyof Promises>(name: K, signalAt?: number): Promises[K] {
  return greenPromise(`fs promises ${name}`, native[name] as Promises[K] & ((...args: never[]) => unknown), { signalAt }) as Promises[K];
}

function adoptHandle(scope: Scope, handle: FileHandle): void {
  learnFileHandle(handle);
  ownHandle(scope, handle);
}

/** Green `fs/promises.access`. @example await access('/etc/hosts'); */
export const access = green('access');
/** Green `fs/promises.appendFile`, aborted on interruption. @example await appendFile('log.txt', 'line\n'); */
export const appendFile = green('appendFile', 2);
/** Green `fs/promises.chmod`. @example await chmod('run.sh', 0o755); */
export const chmod = green('chmod');
/** Green `fs/promises.chown`. @example await chown('file', 1000, 1000); */
export const chown = green('chown');
/** Green `fs/promises.copyFile`. @example await copyFile('a.txt', 'b.txt'); */
export const copyFile = green('copyFile');
/** Green `fs/promises.cp`. @example await cp('src', 'dest', { recursive: true }); */
export const cp = green('cp');
/** Green `fs/promises.lchmod` (undefined where Node lacks it). @example await lchmod?.('link', 0o644); */
export const lchmod = green('lchmod');
/** Green `fs/promises.lchown`. @example await lchown('link', 1000, 1000); */
export const lchown = green('lchown');
/** Green `fs/promises.link`. @example await link('a.txt', 'hard.txt'); */
export const link = green('link');
/** Green `fs/promises.lstat`. @example const stats = await lstat('link'); */
export const lstat = green('lstat');
/** Green `fs/promises.lutimes`. @example await lutimes('link', new Date(), new Date()); */
export const lutimes = green('lutimes');
/** Green `fs/promises.mkdir`. @example await mkdir('a/b/c', { recursive: true }); */
export const mkdir = green('mkdir');
/** Green `fs/promises.readdir`. @example const names = await readdir('.'); */
export const readdir = green('readdir');
const readFileInPool = green('readFile', 1);

/**
 * Green `fs/promises.readFile`, aborted on interruption; a FIFO or terminal is read without the
 * thread pool (see blocking.ts), so an interrupted read of one never keeps a pool thread.
 * @example const text = await readFile('a.txt', 'utf8');
 */
export const readFile: Promises['readFile'] = greenFunction(native.readFile, function (this: unknown, ...args: unknown[]) {
  const read = hub.ownerScope() ? plainRead(args[0], args[1]) : null;
  if (!read) return (readFileInPool as (...a: unknown[]) => Promise<unknown>).apply(this, args);
  const path = args[0] as PathLike;
  return hub.guard('fs promises readFile', (signal) => {
    const options = withSignal([path, args[1]], 1, signal)[1] as { signal: AbortSignal };
    return new Promise((resolve, reject) => {
      const done = (err: unknown, data?: unknown): void => (err ? reject(err) : resolve(data));
      readWithoutPool(path, { encoding: read.encoding, signal: options.signal }, () => native.readFile(path, options as never).then(resolve, reject), done);
    });
  });
} as Promises['readFile']);
/** Green `fs/promises.readlink`. @example const target = await readlink('link'); */
export const readlink = green('readlink');
/** Green `fs/promises.realpath`. @example const real = await realpath('.'); */
export const realpath = green('realpath');
/** Green `fs/promises.rename`. @example await rename('a.txt', 'b.txt'); */
export const rename = green('rename');
/** Green `fs/promises.rm`. @example await rm('tmp', { recursive: true, force: true }); */
export const rm = green('rm');
/** Green `fs/promises.rmdir`. @example await rmdir('empty'); */
export const rmdir = green('rmdir');
/** Green `fs/promises.stat`. @example const { size } = await stat('a.txt'); */
export const stat = green('stat');
/** Green `fs/promises.statfs`. @example const { bavail } = await statfs('/'); */
export const statfs = green('statfs');
/** Green `fs/promises.symlink`. @example await symlink('a.txt', 'link'); */
export const symlink = green('symlink');
/** Green `fs/promises.truncate`. @example await truncate('a.txt', 0); */
export const truncate = green('truncate');
/** Green `fs/promises.unlink`. @example await unlink('a.txt'); */
export const unlink = green('unlink');
/** Green `fs/promises.utimes`. @example await utimes('a.txt', new Date(), new Date()); */
export const utimes = green('utimes');
/** Green `fs/promises.writeFile`, aborted on interruption. @example await writeFile('a.txt', 'hello'); */
export const writeFile = green('writeFile', 2);

/**
 * Green `fs/promises.open`: the FileHandle is owned by the green thread that opened it (closed
 * if the thread is interrupted) until it is closed; one that arrives too late is closed.
 * @example const handle = await open('a.txt'); try { await handle.read(); } finally { await handle.close(); }
 */
export const open: Promises['open'] = greenPromise('fs promises open', native.open, { adopt: adoptHandle, discard: closeUnwantedHandle });

/**
 * Green `fs/promises.opendir`: the Dir is owned by the green thread that opened it until closed.
 * @example for await (const entry of await opendir('.')) console.log(entry.name);
 */
export const opendir: Promises['opendir'] = greenPromise('fs promises opendir', native.opendir, {
  adopt: (scope: Scope, dir: Dir) => ownDir(scope, dir),
  discard: closeUnwantedDir,
});

/**
 * Green `fs/promises.mkdtemp`: a directory created after its creator was interrupted is removed.
 * @example const dir = await mkdtemp('/tmp/work-');
 */
export const mkdtemp: Promises['mkdtemp'] = greenPromise('fs promises mkdtemp', native.mkdtemp, {
  discard: (path) => nativeFs.rmdir(path, ignore),
});

/**
 * Green `fs/promises.mkdtempDisposable` (Node 24+): removed if it arrives after an interruption.
 * @example await using tmp = await mkdtempDisposable('/tmp/work-');
 */
export const mkdtempDisposable: Promises['mkdtempDisposable'] = greenPromise('fs promises mkdtempDisposable', native.mkdtempDisposable, {
  discard: (tmp) => void tmp.remove().catch(ignore),
});

/**
 * Green `fs/promises.watch`: each step is a cooperative point, and the watcher is closed when
 * the green thread that started it is interrupted.
 * @example for await (const { eventType, filename } of watch('.')) console.log(eventType, filename);
 */
export const watch: Promises['watch'] = greenIterator('fs promises watch', native.watch, 1, ownAbortController);

/**
 * Green `fs/promises.glob` (Node 22+): each step is a cooperative point.
 * @example for await (const path of glob('**\/*.ts')) console.log(path);
 */
export const glob: Promises['glob'] = greenIterator('fs promises glob', native.glob);

/** The green functions, by name (what `monkeyPatch` puts on Node's `fs.promises`). */
const greens = {
  access, appendFile, chmod, chown, copyFile, cp, glob, lchmod, lchown, link, lstat, lutimes, mkdir, mkdtemp, mkdtempDisposable,
  open, opendir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, statfs, symlink, truncate, unlink, utimes, watch, writeFile,
};

/**
 * The green `fs/promises` as one object (the default export, and `promises` of the green `fs`).
 * @example import promises from 'eventlet/green/fs-promises'; await promises.readFile('a.txt');
 */
export const promises: Promises = { ...native, ...definedOnly(greens) } as Promises;

export default promises;

/**
 * The in-place replacements on Node's `fs.promises` (which is also `require('fs/promises')`).
 * @example applyPatches(promisesPatches);
 */
export const promisesPatches: Patch[] = patchesFor(fs.promises, definedOnly(greens));

/** Leaves out functions this Node version does not have. */
function definedOnly<T extends object>(functions: T): Partial<T> {
  return Object.fromEntries(Object.entries(functions).filter(([, value]) => value !== undefined)) as Partial<T>;
}
