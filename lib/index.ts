export { getHub } from './hub.js';
export { GreenThread, GreenletExit, spawn, spawnN, spawnAfter, sleep, getCurrent } from './greenthread.js';
export { Timeout, withTimeout, isTimeout } from './timeout.js';
