/**
 * The layout tells the architecture (DESIGN.md §4): the import graph of lib/ and loader/, read from
 * the TypeScript sources, has no circles; lib/ never imports loader/ (the `--import` entry sits on
 * top of lib/, never under it); and no lib/ file grows past 600 lines. Type-only imports count (they
 * are dependencies of the reader too), and so do `import()` and `new URL('./x.js', import.meta.url)`
 * of a relative file (module hooks load files that way).
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// this file runs as dist/test/layout.test.js; the repository root is two levels up
const root = fileURLToPath(new URL('../../', import.meta.url));

/** lib/ files allowed over MAX_LINES until they are split; remove a name once its file is split. */
const STILL_TO_SPLIT: string[] = [];
const MAX_LINES = 600;
/** Circles allowed until the greenio split breaks them; remove one once it is gone. */
const CIRCLES_STILL_TO_BREAK: string[][] = [];

/** Repository-relative paths of the `.ts` files under `dir`, sorted. */
function sourceFiles(dir: string): string[] {
  const entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** Static `import … from` / `export … from` / `import '…'` at the start of a line. */
const STATIC_IMPORT = /^(?:import|export)\s[^;'"]*?\sfrom\s*(['"])([^'"]+)\1|^import\s*(['"])([^'"]+)\3/gm;
/** `import('…')` and `new URL('…', import.meta.url)` of a literal path. */
const DYNAMIC_IMPORT = /(?:\bimport\s*\(\s*|\bnew URL\(\s*)(['"])([^'"]+)\1/g;
/** A line of a comment (`//`, or inside a JSDoc block: ` * …`). */
const COMMENT_LINE = /^\s*(?:\/\/|\*|\/\*)/;

/** The specifiers `source` imports, comments left out. */
function specifiers(source: string): string[] {
  const found = [...source.matchAll(STATIC_IMPORT)].map((match) => match[2] ?? match[4]!);
  for (const match of source.matchAll(DYNAMIC_IMPORT)) {
    const lineStart = source.lastIndexOf('\n', match.index) + 1;
    if (!COMMENT_LINE.test(source.slice(lineStart, match.index))) found.push(match[2]!);
  }
  return found;
}

/** The repository files `file` imports among `known` (relative specifiers only; `.js` names the `.ts` source). */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const source = fs.readFileSync(path.join(root, file), 'utf8');
  const targets = specifiers(source)
    .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
    .map((specifier) => path.posix.join(path.posix.dirname(file), specifier).replace(/\.js$/, '.ts'))
    .filter((target) => known.has(target));
  return [...new Set(targets)].sort();
}

type Graph = Map<string, readonly string[]>;

/** The import graph of `files`. */
function importGraph(files: readonly string[]): Graph {
  const known = new Set(files);
  return new Map(files.map((file) => [file, importsOf(file, known)]));
}

/**
 * The circles of `graph`: each strongly connected group of two or more files (Tarjan), sorted. A
 * file importing itself is not a circle between files (`lib/index.ts` takes its own namespace as
 * its default export that way).
 */
function circles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== file);
    if (group.length > 1) found.push(group.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function lineCount(file: string): number {
  return fs.readFileSync(path.join(root, file), 'utf8').split('\n').length - 1;
}

describe('layout', () => {
  const libFiles = sourceFiles('lib');
  const files = [...libFiles, ...sourceFiles('loader')];
  const graph = importGraph(files);

  it('reads the import graph: static, type-only, dynamic and import.meta.url references', () => {
    expect(graph.get('lib/index.ts')).to.include.members(['lib/greenthread.ts', 'lib/import-patched.ts', 'lib/backdoor.ts']);
    expect(graph.get('lib/import-patched/async-hooks.ts')).to.include('lib/import-patched/hooks.ts');
    expect(graph.get('lib/import-patched/register-hooks.ts')).to.include.members(['lib/import-patched/async-hooks.ts', 'lib/import-patched/commonjs-loader.ts']);
    expect(graph.get('lib/import-patched/hooks.ts')).to.include('lib/import-patched/commonjs-loader.ts');
    expect(graph.get('loader/index.ts')).to.include('lib/patcher.ts');
  });

  it('finds a circle in a graph that has one, and none in a chain or a file importing itself', () => {
    const withCircle: Graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts', 'a.ts']],
    ]);
    expect(circles(withCircle)).to.deep.equal([['a.ts', 'b.ts', 'c.ts']]);
    expect(circles(new Map([['a.ts', ['b.ts']], ['b.ts', []], ['c.ts', ['c.ts']]]))).to.deep.equal([]);
  });

  it('has no import circle among the lib/ and loader/ files, but for those still to be broken', () => {
    expect(circles(graph), 'import circles (move what both files share into the module it belongs to; drop a broken one from CIRCLES_STILL_TO_BREAK)').to.deep.equal(CIRCLES_STILL_TO_BREAK);
  });

  it('never imports loader/ from lib/ (loader/ is the --import entry on top of lib/)', () => {
    const upward = libFiles.flatMap((file) => graph.get(file)!.filter((target) => target.startsWith('loader/')).map((target) => `${file} -> ${target}`));
    expect(upward).to.deep.equal([]);
  });

  it(`keeps every lib/ file at most ${MAX_LINES} lines, but for those still to be split`, () => {
    const long = libFiles.filter((file) => lineCount(file) > MAX_LINES);
    expect(long, `lib/ files over ${MAX_LINES} lines (split them by responsibility; drop a split file from STILL_TO_SPLIT)`).to.deep.equal(STILL_TO_SPLIT);
  });
});
