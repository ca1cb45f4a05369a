/**
 * eventlet's snake_case method names (`put_nowait`, `task_done`, `send_exception`, `spawn_n` …)
 * as aliases of the camelCase methods: the same function objects on the prototype, so Python code
 * ports line by line and `q.put_nowait === q.putNowait`.
 */

/**
 * Makes each `snake` name of `names` on `Class.prototype` the method named by its value: the same
 * function object, non-enumerable like the methods a class declares.
 * @example aliasMethods(LightQueue, { put_nowait: 'putNowait', get_nowait: 'getNowait' });
 */
export function aliasMethods(Class: { prototype: object }, names: Readonly<Record<string, string>>): void {
  const prototype = Class.prototype as Record<string, unknown>;
  for (const [snake, camel] of Object.entries(names)) {
    const method = prototype[camel];
    if (typeof method !== 'function') throw new TypeError(`aliasMethods: ${camel} is not a method of the class`);
    Object.defineProperty(prototype, snake, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
