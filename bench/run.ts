/**
 * `npm run bench`: runs every registered workload's variants in fresh child processes
 * (`node --expose-gc dist/bench/<id>.js <variant>`), alternating the variants over several
 * repetitions, and prints the median of each and the ratio ours/baseline against the goals.
 *
 * Options (after `npm run bench --`):
 *   --reps N        repetitions per variant (default 7; BENCH_REPS)
 *   --only a,b      run only these workload ids
 *   --scale X       multiply every workload's n by X (quick runs: --scale 0.1)
 *   --json FILE     also write all samples and medians to FILE
 *
 * To add a workload, write bench/<id>.ts (see harness.ts) and add it to `registry` below.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Comparison, Sample, Workload } from './harness.js';
import { workload as spawnWait } from './spawn-wait.js';
import { workload as pingpong } from './pingpong.js';
import { workload as imap } from './imap.js';
import { workload as queue } from './queue.js';
import { workload as memory } from './memory.js';
import { workload as dns } from './dns.js';
import { workload as httpKeepalive } from './http-keepalive.js';
import { workload as tcpEcho } from './tcp-echo.js';
import { workload as pg } from './pg.js';
import { workload as tpoolCpu } from './tpool-cpu.js';
import { workload as tpoolResponsive } from './tpool-responsive.js';
import { workload as httpCluster } from './http-cluster.js';
import { workload as scaling } from './scaling.js';

/** Every workload, in the order of the table. */
export const registry: Workload[] = [spawnWait, pingpong, imap, queue, memory, scaling, dns, httpKeepalive, tcpEcho, pg, tpoolCpu, tpoolResponsive, httpCluster];

interface Options {
  reps: number;
  only: Set<string> | null;
  scale: number;
  json: string | null;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { reps: Number(process.env.BENCH_REPS ?? 7), only: null, scale: 1, json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${arg} needs a value`);
      return v;
    };
    if (arg === '--reps') options.reps = Number(value());
    else if (arg === '--only') options.only = new Set(value().split(','));
    else if (arg === '--scale') options.scale = Number(value());
    else if (arg === '--json') options.json = value();
    else throw new Error(`bench: unknown option ${arg}`);
  }
  if (!Number.isInteger(options.reps) || options.reps < 1) throw new Error('bench: --reps must be a positive integer');
  if (!(options.scale > 0)) throw new Error('bench: --scale must be > 0');
  if (options.only) for (const id of options.only) if (!registry.some((w) => w.id === id)) throw new Error(`bench: unknown workload ${id}`);
  return options;
}

function runChild(workload: Workload, variant: string, n: number): Promise<Sample> {
  const script = fileURLToPath(new URL(`./${workload.id}.js`, import.meta.url));
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, variant, String(n)], { env, timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${workload.id} ${variant} failed: ${err.message}\n${stderr}`));
        return;
      }
      const lines = String(stdout).trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1]!) as Sample);
      } catch {
        reject(new Error(`${workload.id} ${variant}: no result line in output:\n${stdout}\n${stderr}`));
      }
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function formatValue(value: number, unit: string): string {
  return `${formatNumber(value)} ${unit}`;
}

function formatRatio(ratio: number): string {
  return ratio < 0.01 ? ratio.toExponential(1) : ratio.toFixed(2);
}

function formatNumber(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(3);
}

/** The goal and met? cells of a comparison: on the ratio (either direction) or on ours itself. */
function goalCells(c: Comparison, ratio: number, ours: number, unit: string): [string, string] {
  if (c.oursBelow !== undefined) return [`ours < ${c.oursBelow} ${unit}`, ours < c.oursBelow ? 'met' : 'NOT MET'];
  if (c.goal === undefined) return ['—', ''];
  if (c.higherIsBetter) return [`>= ${c.goal}`, ratio >= c.goal ? 'met' : 'NOT MET'];
  return [`<= ${c.goal}`, ratio <= c.goal ? 'met' : 'NOT MET'];
}

/** The unit of a result: the workload's for a variant, `extraUnit` (if set) for a secondary metric. */
function unitOf(workload: Workload, key: string): string {
  return key in workload.variants ? workload.unit : (workload.extraUnit ?? workload.unit);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 2 && c <= 5 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const workloads = registry.filter((w) => !options.only || options.only.has(w.id));
  const started = Date.now();
  console.log(`eventlet bench — node ${process.version} (${process.platform} ${process.arch}, ${os.cpus().length} cpus, ${os.cpus()[0]?.model ?? '?'})`);
  console.log(`each variant in a fresh process, ${options.reps} repetitions alternated, medians shown; lower is better except req/s\n`);

  const results: Record<string, Record<string, { samples: number[]; median: number; unit: string; n: number }>> = {};
  const skipped: string[] = [];
  for (const workload of [...workloads]) {
    let teardown: (() => Promise<void>) | undefined;
    try {
      teardown = await workload.setup?.();
    } catch (err) {
      skipped.push(`${workload.id} skipped: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      workloads.splice(workloads.indexOf(workload), 1);
      continue;
    }
    try {
      results[workload.id] = await measure(workload, options, started);
    } finally {
      await teardown?.();
    }
  }
  for (const line of skipped) console.log(line);
  printResults(workloads, results, options, started);
}

type Results = Record<string, Record<string, { samples: number[]; median: number; unit: string; n: number }>>;

/** Runs every variant of `workload` `reps` times in fresh processes, alternated; its samples and medians. */
async function measure(workload: Workload, options: Options, started: number): Promise<Results[string]> {
  const n = Math.max(2, Math.round((workload.n * options.scale) / 2) * 2);
  const names = Object.keys(workload.variants);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((v) => [v, []]));
  const reps = Math.min(options.reps, workload.maxReps ?? Infinity);
  for (let rep = 0; rep < reps; rep++) {
    // rotate the order each repetition so no variant always runs first or last
    const order = names.map((_, i) => names[(i + rep) % names.length]!);
    for (const variant of order) {
      const sample = await runChild(workload, variant, n);
      samples[variant]!.push(sample.value);
      for (const [key, value] of Object.entries(sample.extra ?? {})) (samples[`${variant} ${key}`] ??= []).push(value);
    }
  }
  process.stderr.write(`  ${workload.id} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  return Object.fromEntries(Object.keys(samples).map((v) => [v, { samples: samples[v]!, median: median(samples[v]!), unit: workload.unit, n }]));
}

function printResults(workloads: Workload[], results: Results, options: Options, started: number): void {
  const rows = [['workload', 'baseline', 'ours', 'baseline', 'ratio', 'goal', 'met?']];
  for (const workload of workloads) {
    const r = results[workload.id]!;
    for (const c of workload.comparisons) {
      const ours = r[c.ours]!.median;
      const base = r[c.baseline]!.median;
      const ratio = ours / base;
      const unit = unitOf(workload, c.ours);
      rows.push([workload.title, c.label, formatValue(ours, unit), formatValue(base, unit), formatRatio(ratio), ...goalCells(c, ratio, ours, unit)]);
    }
  }
  console.log(table(rows));
  for (const workload of workloads) {
    const extras = Object.entries(results[workload.id]!).filter(([v]) => !(v in workload.variants));
    if (extras.length > 0) console.log(`\n${workload.id} (medians): ${extras.map(([v, s]) => `${v} ${formatValue(s.median, unitOf(workload, v))}`).join(', ')}`);
  }
  for (const workload of workloads) if (workload.note) console.log(`\n${workload.note}`);
  console.log(`\nspread (min–max of ${options.reps} runs, fewer where a workload caps them):`);
  for (const workload of workloads) {
    const r = results[workload.id]!;
    const parts = Object.entries(r).filter(([v]) => v in workload.variants).map(([v, s]) => `${v} ${formatNumber(Math.min(...s.samples))}–${formatNumber(Math.max(...s.samples))}`);
    console.log(`  ${workload.id}: ${parts.join(', ')} ${workload.unit}`);
  }
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify({ node: process.version, reps: options.reps, results }, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
