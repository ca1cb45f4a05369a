/**
 * Green `fs.watch` / `fs.watchFile`: a watcher started inside a green thread is owned by it
 * (closed, or its listener unwatched, if the thread is interrupted; forgotten once it closes).
 */
import fs from 'node:fs';
import { hub } from '../../hub.js';
import { nativeFs } from './natives.js';
import { ownStatListener, ownWatcher } from './resources.js';
import { greenFunction } from '../greening.js';

type Variadic<R> = (this: unknown, ...args: unknown[]) => R;

/**
 * Green `fs.watch`: the watcher is owned by the green thread that starts it.
 * @example const watcher = watch('.', (event, name) => console.log(event, name));
 */
export const watch = greenFunction(nativeFs.watch as Variadic<fs.FSWatcher>, function (this: unknown, ...args: unknown[]) {
  const watcher = (nativeFs.watch as Variadic<fs.FSWatcher>).apply(this, args);
  const scope = hub.ownerScope();
  if (scope) ownWatcher(scope, watcher);
  return watcher;
}) as typeof fs.watch;

/**
 * Green `fs.watchFile`: the listener is unwatched if the green thread that added it is interrupted.
 * @example watchFile('app.conf', { interval: 1000 }, (curr, prev) => reload());
 */
export const watchFile = greenFunction(nativeFs.watchFile as Variadic<fs.StatWatcher>, function (this: unknown, ...args: unknown[]) {
  const watcher = (nativeFs.watchFile as Variadic<fs.StatWatcher>).apply(this, args);
  const scope = hub.ownerScope();
  if (scope) ownStatListener(scope, args[0], args[args.length - 1]);
  return watcher;
}) as typeof fs.watchFile;
