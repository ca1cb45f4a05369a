/**
 * The benchmark harness shared by every workload.
 *
 * A workload is one file under bench/ that exports a {@link Workload} and ends with
 * `await runIfMain(import.meta.url, workload)`. Run as a program it measures one variant and prints
 * one JSON line, e.g. `node --expose-gc dist/bench/spawn-wait.js ours` → `{"variant":"ours",
 * "value":812.4,"unit":"ns/op","n":200000}`. bench/run.ts lists the workloads, runs every variant in
 * fresh child processes (alternated, several repetitions), and prints the medians and ratios.
 *
 * Variants that measure this package load it with `await loadEventlet()` (dynamic import, before
 * the clock starts), so baseline processes never load it and never enable its AsyncLocalStorage.
 *
 * To add a workload: write bench/<id>.ts on the model of the others and add it to the registry in
 * bench/run.ts.
 */
import { pathToFileURL } from 'node:url';

/** What a variant reports: a time per operation, a heap size per item, a latency or a rate. */
export type Unit = 'ns/op' | 'B/op' | 'ms' | 'req/s';

/** A metric plus secondary ones (e.g. a p99 next to the p50), shown under the table. */
export interface Measured {
  value: number;
  extra: Record<string, number>;
}

/** One measured variant: runs the work `n` times and returns the metric (per operation). */
export type VariantFn = (n: number) => Promise<number | Measured>;

/** A row of the result table: `ours` divided by `baseline`. */
export interface Comparison {
  /** The variant measuring this package. */
  ours: string;
  /** The variant it is compared with. */
  baseline: string;
  /** Short description of the baseline, shown in the table. */
  label: string;
  /** The goal for ours/baseline (at most this; at least this with `higherIsBetter`), if set. */
  goal?: number;
  /** The metric is a rate: the goal is a lower bound on the ratio. */
  higherIsBetter?: boolean;
  /** A goal on ours itself instead of the ratio: its median must be below this (in the unit). */
  oursBelow?: number;
}

export interface Workload {
  /** The file name under bench/ without extension: `node dist/bench/<id>.js <variant>`. */
  id: string;
  /** What is measured, shown in the table. */
  title: string;
  unit: Unit;
  /** Operations (or items) per measured run. */
  n: number;
  /** Operations in the warm-up run done in the same process before the measured one (0: none). */
  warmup: number;
  variants: Record<string, VariantFn>;
  comparisons: Comparison[];
  /** A note printed under the table (what the baseline is, caveats). */
  note?: string;
  /** The unit of the secondary metrics (`extra`), when it is not {@link Workload.unit}. */
  extraUnit?: Unit;
  /** At most this many repetitions (slow workloads), whatever `--reps` says. */
  maxReps?: number;
  /**
   * Run by bench/run.ts before the workload's child processes (e.g. to start a server whose
   * address they read from the environment); resolves with the teardown run after them. A
   * workload whose setup throws is skipped, with the reason printed.
   */
  setup?: () => Promise<() => Promise<void>>;
}

/** The result line a child process prints. */
export interface Sample {
  variant: string;
  value: number;
  unit: Unit;
  n: number;
  /** Secondary metrics of this run, if the variant reports any. */
  extra?: Record<string, number>;
}

/** Imports the package from the build (dist/lib), for variants that measure it. */
export function loadEventlet(): Promise<typeof import('../lib/index.js')> {
  return import('../lib/index.js');
}

/** Runs a full garbage collection (needs `--expose-gc`), several passes so weak/finalized objects go. */
export function fullGc(): void {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) globalThis.gc();
}

/** Heap used after a full garbage collection, in bytes. */
export function heapAfterGc(): number {
  fullGc();
  return process.memoryUsage().heapUsed;
}

/**
 * CPU seconds (user + system) this process used since `start` (a `process.cpuUsage()`).
 * @example const start = process.cpuUsage(); work(); const used = cpuSecondsSince(start);
 */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

/** Times `body()` and returns nanoseconds per operation for `n` operations. */
export async function nsPerOp(n: number, body: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  const elapsed = Number(process.hrtime.bigint() - start);
  return elapsed / n;
}

/** A tiny async task: one await of a resolved value, then a result. Shared by the workloads. */
export async function tinyTask(i: number): Promise<number> {
  await null;
  return i * 2;
}

/** Yields to the event loop's check phase once. */
export function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * When the module is the program (`node dist/bench/<id>.js <variant> [n]`), measures one variant
 * and prints a {@link Sample} as the last line of stdout. Does nothing when imported (by run.ts).
 */
export async function runIfMain(moduleUrl: string, workload: Workload): Promise<void> {
  const script = process.argv[1];
  if (!script || pathToFileURL(script).href !== moduleUrl) return;
  const name = process.argv[2] ?? '';
  const variant = workload.variants[name];
  if (!variant) {
    process.stderr.write(`${workload.id}: unknown variant '${name}'; expected one of ${Object.keys(workload.variants).join(', ')}\n`);
    process.exit(2);
  }
  const n = process.argv[3] ? Number(process.argv[3]) : workload.n;
  if (workload.warmup > 0) await variant(workload.warmup);
  fullGc();
  const measured = await variant(n);
  const sample: Sample = typeof measured === 'number' ? { variant: name, value: measured, unit: workload.unit, n } : { variant: name, value: measured.value, unit: workload.unit, n, extra: measured.extra };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}
