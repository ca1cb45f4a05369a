/**
 * Finding Node's own tests in a copy of Node's `test/` directory, and reading each test's
 * `// Flags:` line (the options Node's test runner starts it with).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The modules whose `test/parallel` files the compatibility run covers. */
export const COMPAT_MODULES = ['net', 'tls', 'dns', 'fs', 'timers', 'http', 'https'] as const;

/** `test-<module>-*.js|mjs|cjs` for each covered module (`test-http2-*` is not `test-http-*`). */
export const TEST_NAME = new RegExp(`^test-(${COMPAT_MODULES.join('|')})-.+\\.(js|mjs|cjs)$`);

/** One of Node's test files and the flags it must be started with. */
export interface NodeTest {
  name: string;
  file: string;
  flags: string[];
}

/**
 * The `test/` directory given as `dir` (either Node's `test/` itself or the folder holding it);
 * throws a clear error when it lacks `parallel/`, `common/` or `fixtures/`.
 * @example testRoot('/work/node-tests/v24') // '/work/node-tests/v24/test'
 */
export function testRoot(dir: string): string {
  const candidates = [resolve(dir), resolve(dir, 'test')];
  const root = candidates.find((c) => existsSync(join(c, 'parallel')) && existsSync(join(c, 'common')));
  if (!root) throw new Error(`compat: ${dir} is not a copy of Node's test/ directory (no parallel/ and common/ in it or in its test/)`);
  if (!existsSync(join(root, 'fixtures'))) throw new Error(`compat: ${root} has no fixtures/ folder; Node's tests need it`);
  return root;
}

/**
 * The `// Flags:` options of a test's source (empty when it has none).
 * @example flagsOf('// Flags: --expose-internals --no-warnings\n') // ['--expose-internals', '--no-warnings']
 */
export function flagsOf(source: string): string[] {
  const match = /^\/\/ Flags:(.*)$/m.exec(source);
  return match ? match[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * The covered tests of `root/parallel`, sorted by name, narrowed to names matching `filter`.
 * @example listTests('/work/node-tests/v24/test', /^test-dns-/)
 */
export function listTests(root: string, filter: RegExp | null): NodeTest[] {
  const dir = join(root, 'parallel');
  return readdirSync(dir)
    .filter((name) => TEST_NAME.test(name) && (!filter || filter.test(name)))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      return { name, file, flags: flagsOf(readFileSync(file, 'utf8')) };
    });
}
