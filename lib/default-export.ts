/**
 * The package's default export: the module namespace of `eventlet` itself, so that
 * `import eventlet from 'eventlet'` gives the same API object as `import * as eventlet`.
 * @example
 * import eventlet from 'eventlet';
 * await eventlet.spawn(eventlet.sleep, 0.1).wait();
 */
import type { Eventlet } from './index.js';
import * as self from './index.js';

const eventlet = self as unknown as Eventlet;
export default eventlet;
