/**
 * eventlet's snake_case method names (lib/aliases.ts): the same function objects as the camelCase
 * methods, on every class that has them, so Python code ports line by line.
 */
import { expect } from 'chai';
import { Event, GreenPool, LifoQueue, LightQueue, PriorityQueue, Queue } from '../lib/index.js';
import { aliasMethods } from '../lib/aliases.js';

const ALIASES: ReadonlyArray<readonly [string, object, string, string]> = [
  ['LightQueue', LightQueue.prototype, 'put_nowait', 'putNowait'],
  ['LightQueue', LightQueue.prototype, 'get_nowait', 'getNowait'],
  ['Queue', Queue.prototype, 'task_done', 'taskDone'],
  ['Event', Event.prototype, 'send_exception', 'sendException'],
  ['Event', Event.prototype, 'has_exception', 'hasException'],
  ['Event', Event.prototype, 'has_result', 'hasResult'],
  ['GreenPool', GreenPool.prototype, 'spawn_n', 'spawnN'],
];

describe('snake_case method aliases', () => {
  for (const [name, prototype, snake, camel] of ALIASES) {
    it(`${name}.prototype.${snake} is the same function object as ${camel}, and not enumerable`, () => {
      const methods = prototype as Record<string, unknown>;
      expect(methods[camel]).to.be.a('function');
      expect(methods[snake]).to.equal(methods[camel]);
      expect(Object.getOwnPropertyDescriptor(prototype, snake)!.enumerable).to.equal(false);
    });
  }

  it('reaches the subclasses: PriorityQueue and LifoQueue have put_nowait, get_nowait and task_done', () => {
    for (const q of [new PriorityQueue<number>(), new LifoQueue<number>()]) {
      q.put_nowait(1);
      expect(q.get_nowait()).to.equal(1);
      q.task_done();
      expect(q.unfinishedTasks).to.equal(0);
    }
  });

  it('works as eventlet code calls it: put_nowait, get_nowait, send_exception, spawn_n', async () => {
    const q = new Queue<string>();
    q.put_nowait('x');
    expect(q.get_nowait()).to.equal('x');
    const event = new Event();
    event.send_exception(new Error('boom'));
    expect(event.has_exception()).to.equal(true);
    const pool = new GreenPool(1);
    let ran = false;
    await pool.spawn_n(() => {
      ran = true;
    });
    await pool.waitall();
    expect(ran).to.equal(true);
  });

  it('refuses to alias a name that is not a method, naming it', () => {
    class Plain {
      value = 1;
    }
    expect(() => aliasMethods(Plain, { the_value: 'value' })).to.throw(TypeError, /value is not a method/);
  });
});
