/**
 * The parts of the resolver configuration that `getaddrinfo` applies and c-ares queries do not:
 * the search list (`search`/`domain`, `LOCALDOMAIN`), `ndots`, and the per-server `timeout` and
 * `attempts` (also from `RES_OPTIONS`). Name servers come from Node's own resolver instead.
 */
import { hostname } from 'node:os';
import { CachedFile, dnsFiles } from './files.js';

/**
 * What a look-up needs from resolv.conf, with the C library's defaults.
 * @example { search: ['corp.example'], ndots: 1, timeout: 5, attempts: 2 }
 */
export interface ResolverConfig {
  /** Domains tried after (or before) the name itself, at most six. */
  readonly search: readonly string[];
  /** Names with fewer dots than this are tried with the search domains first (default 1). */
  readonly ndots: number;
  /** Seconds to wait for one server's answer (default 5). */
  readonly timeout: number;
  /** Rounds over the servers before giving up (default 2). */
  readonly attempts: number;
}

const MAX_SEARCH = 6;

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

interface Options {
  ndots: number;
  timeout: number;
  attempts: number;
}

function applyOptions(into: Options, words: readonly string[]): void {
  for (const word of words) {
    const [name, raw] = word.split(':');
    const value = Number.parseInt(raw ?? '', 10);
    if (Number.isNaN(value)) continue;
    if (name === 'ndots') into.ndots = clamp(value, 0, 15);
    else if (name === 'timeout') into.timeout = clamp(value, 1, 30);
    else if (name === 'attempts') into.attempts = clamp(value, 1, 5);
  }
}

/** The local domain the C library falls back on: what follows the first dot of the host name. */
function hostDomain(): string[] {
  const name = hostname();
  const dot = name.indexOf('.');
  return dot > 0 && dot < name.length - 1 ? [name.slice(dot + 1)] : [];
}

/**
 * Parses resolv.conf text, then applies the `LOCALDOMAIN` and `RES_OPTIONS` environment
 * variables as the C library does.
 * @example parseResolvConf('search example.com\noptions ndots:2\n').search // ['example.com']
 */
export function parseResolvConf(text: string, env: NodeJS.ProcessEnv = process.env): ResolverConfig {
  let search: string[] | null = null;
  const options: Options = { ndots: 1, timeout: 5, attempts: 2 };
  for (const line of text.split(/\r?\n/)) {
    const [keyword, ...words] = line.replace(/[#;].*/, '').trim().split(/\s+/);
    if (keyword === 'domain') search = words.slice(0, 1);
    else if (keyword === 'search') search = words;
    else if (keyword === 'options') applyOptions(options, words);
  }
  if (env.LOCALDOMAIN !== undefined) search = env.LOCALDOMAIN.trim().split(/\s+/).filter(Boolean);
  if (env.RES_OPTIONS) applyOptions(options, env.RES_OPTIONS.trim().split(/\s+/));
  const domains = (search ?? hostDomain()).map((d) => d.replace(/\.$/, '')).filter((d) => d && d !== '.');
  return { search: domains.slice(0, MAX_SEARCH), ...options };
}

const resolvConf = new CachedFile(() => dnsFiles.resolvConf, (text) => parseResolvConf(text));

/**
 * The current resolver configuration (re-read when resolv.conf changes).
 * @example resolverConfig().ndots // 1
 */
export function resolverConfig(): ResolverConfig {
  return resolvConf.get();
}

/**
 * The names `getaddrinfo` asks the servers for, in order, for `name`: a name ending in a dot as
 * it is; one with at least `ndots` dots as it is, then with each search domain; any other with
 * each search domain first and as it is last.
 * @example candidateNames('db', { search: ['corp.example'], ndots: 1, timeout: 5, attempts: 2 }) // ['db.corp.example', 'db']
 */
export function candidateNames(name: string, config: ResolverConfig): string[] {
  if (name.endsWith('.')) return [name];
  const searched = config.search.map((domain) => `${name}.${domain}`);
  const dots = name.split('.').length - 1;
  return dots >= config.ndots ? [name, ...searched] : [...searched, name];
}
