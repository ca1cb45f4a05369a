/**
 * The code each tpool worker thread runs (piscina loads this file in every worker; see tpool.ts).
 * A {@link TaskRequest} names the function to call — its source text, or an export of a module
 * file — and its arguments; the worker calls it and answers with a {@link TaskOutcome}, the value
 * or the error described field by field, so that the error's name, message and stack survive the
 * crossing (structured clone keeps only the built-in error names).
 * @example
 * await runTask({ source: '(a, b) => a + b', args: [1, 2] }); // { ok: true, value: 3 }
 */

/**
 * What the main thread asks a worker to run.
 * @example const request: TaskRequest = { module: 'file:///app/tasks.js', name: 'resize', args: [image] };
 */
export interface TaskRequest {
  /** A function's source text (an expression, or a method definition such as `f(x) { ... }`). */
  source?: string;
  /** The URL of a module file whose export is called. */
  module?: string;
  /** The export's name; `undefined` for the default export. */
  name?: string;
  args: unknown[];
}

/**
 * An error as it crosses back to the main thread.
 * @example const fields: ErrorFields = { name: 'QuotaError', message: 'over quota', stack: undefined, code: 'EQUOTA' };
 */
export interface ErrorFields {
  name: string;
  message: string;
  stack: string | undefined;
  code?: string | number;
}

/**
 * What a worker answers: the result, an Error described by its fields, or another thrown value.
 * @example const outcome: TaskOutcome = { ok: true, value: 42 };
 */
export type TaskOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorFields } | { ok: false; thrown: unknown };

type Task = (...args: unknown[]) => unknown;

/** Compiled sources, so a function sent many times is parsed once per worker. */
const compiled = new Map<string, Task>();
const MAX_COMPILED = 1000;

/** The function a source text defines: an expression, or else a method definition. */
function compile(source: string): Task {
  let task = compiled.get(source);
  if (task !== undefined) return task;
  task = evaluate(source);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(source, task);
  return task;
}

function evaluate(source: string): Task {
  try {
    return new Function(`return (${source}\n);`)() as Task;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  // `f(x) { ... }`, `async f() { ... }`: the source of a method, valid only inside an object literal
  const holder = new Function(`return ({ ${source}\n });`)() as object;
  const [key] = Reflect.ownKeys(holder);
  const descriptor = Object.getOwnPropertyDescriptor(holder, key!)!;
  return (descriptor.value ?? descriptor.get ?? descriptor.set) as Task;
}

/** The exported function `name` (default export when undefined) of the module at `url`. */
async function exported(url: string, name: string | undefined): Promise<Task> {
  const namespace = (await import(url)) as Record<string, unknown>;
  const key = name ?? 'default';
  let task = namespace[key];
  const fallback = namespace.default;
  // a CommonJS module's exports that Node could not detect statically live on its default export
  if (task === undefined && name !== undefined && fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) {
    task = (fallback as Record<string, unknown>)[name];
  }
  if (typeof task !== 'function') {
    const what = name === undefined ? 'a default export' : `an export named ${JSON.stringify(name)}`;
    throw new TypeError(`tpool.execute: ${url} has no function as ${what} (found ${task === undefined ? 'nothing' : typeof task})`);
  }
  return task as Task;
}

/** Describes a thrown value so that it crosses to the main thread intact. */
function failure(err: unknown): TaskOutcome {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const fields: ErrorFields = { name: err.name, message: err.message, stack: err.stack };
    if (typeof code === 'string' || typeof code === 'number') fields.code = code;
    return { ok: false, error: fields };
  }
  try {
    return { ok: false, thrown: structuredClone(err) };
  } catch {
    return { ok: false, error: { name: 'Error', message: `tpool.execute: the task threw a value that cannot be cloned: ${String(err)}`, stack: undefined } };
  }
}

/**
 * Runs one task (piscina's handler: the default export of this file).
 * @example await runTask({ module: 'file:///app/hash.js', name: 'sha', args: ['x'] });
 */
export default async function runTask(request: TaskRequest): Promise<TaskOutcome> {
  let value: unknown;
  try {
    const task = request.source !== undefined ? compile(request.source) : await exported(request.module!, request.name);
    value = await task(...request.args);
  } catch (err) {
    return failure(err);
  }
  return sendable(value);
}

/**
 * The outcome for `value`, checked for structured clone here: a value piscina could not post would
 * crash the worker and reach the caller as an empty object instead of the reason.
 */
function sendable(value: unknown): TaskOutcome {
  if (value !== null && (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol')) {
    try {
      structuredClone(value);
    } catch (err) {
      return failure(new TypeError(`tpool.execute: the task's result cannot be sent back by structured clone: ${(err as Error).message}`));
    }
  }
  return { ok: true, value };
}
