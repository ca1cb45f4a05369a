// Every code block in README.md is executed here, the way a reader would run it:
//
// - ```js blocks run as ES modules (```cjs as CommonJS) written next to this file, so 'eventlet'
//   resolves to this package. Each `// → text` comment is one line the block must print, in order,
//   and nothing else may be printed (stderr must stay empty).
// - ```sh blocks run line by line with bash in the repository root and must exit 0. A command
//   ending in `&` (a server) must still be running a second later; it is stopped when the block
//   ends. A ```text block right after a sh block is the output of its last command: every line must
//   appear, in order, with any number in it free to differ (timings, counts).
// - The commands that set up or run this very suite (`npm install`, `npm test`, `bash .ci/run`) and
//   the benchmarks and `npm run compat` (minutes long) are not run; everything else is.
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Block {
  lang: string;
  code: string;
  heading: string;
  line: number;
  /** For a sh block: the ```text block that follows it, if any. */
  output?: string;
}

/** The fenced blocks of `markdown`, each with the heading it sits under and its line number. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const open = /^```(\w*)\s*$/.exec(line);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    blocks.push({ lang: open[1]!, code: `${body.join('\n')}\n`, heading, line: start + 1 });
  }
  return attachOutputs(blocks);
}

/** Moves each ```text block onto the sh block before it, as that block's expected output. */
function attachOutputs(blocks: Block[]): Block[] {
  const kept: Block[] = [];
  for (const block of blocks) {
    const previous = kept[kept.length - 1];
    if (block.lang === 'text' && previous?.lang === 'sh' && previous.output === undefined) previous.output = block.code;
    else kept.push(block);
  }
  return kept;
}

/** The lines a js block promises to print: its `// → text` comments, in order. */
function promisedLines(code: string): string[] {
  return [...code.matchAll(/\/\/ → (.*)$/gm)].map((match) => match[1]!.trimEnd());
}

/** Commands that set up or run this very suite, or run for minutes: named, not run. */
const NOT_RUN = [/^npm (install|ci)\b/, /^npm test\b/, /^bash \.ci\/run\b/, /^npm run bench\b/, /^npm run compat\b/];

/** The commands of a sh block: its lines without `#` comments, `a && b` as two commands. */
function commandsOf(code: string): string[] {
  return code
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .flatMap((line) => line.split(' && ').map((part) => part.trim()))
    .filter((line) => line !== '');
}

/** A pattern for one expected output line: literal text, with every number free to differ. */
function outputPattern(line: string): RegExp {
  const parts = line.trim().split(/\d+(?:\.\d+)?/);
  const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('\\d+(?:\\.\\d+)?'));
}

interface Run { code: number | null; stdout: string; stderr: string }

function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const show = (r: Run) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

async function runScript(block: Block, index: number): Promise<void> {
  const file = fileURLToPath(new URL(`./readme-block-${index}.${block.lang === 'cjs' ? 'cjs' : 'mjs'}`, import.meta.url));
  writeFileSync(file, block.code);
  try {
    const result = await run(process.execPath, [file], tmpdir(), 30_000);
    expect(result.code, show(result)).to.equal(0);
    expect(result.stderr, show(result)).to.equal('');
    expect(result.stdout.trimEnd().split('\n'), show(result)).to.deep.equal(promisedLines(block.code));
  } finally {
    rmSync(file, { force: true });
  }
}

/** Asserts every line of `expected` matches a line of `stdout`, in order. */
function expectOutputShape(stdout: string, expected: string): void {
  const actual = stdout.split('\n');
  let at = 0;
  for (const line of expected.split('\n').filter((l) => l.trim() !== '')) {
    const pattern = outputPattern(line);
    while (at < actual.length && !pattern.test(actual[at]!)) at++;
    expect(at, `README output line "${line}" not found (in order) in:\n${stdout}`).to.be.below(actual.length);
    at++;
  }
}

/** Starts `command` (a server) in the background; fails unless it is still running a second later. */
async function startInBackground(command: string): Promise<ChildProcess> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(child.exitCode, `${command} exited at once\nstderr:\n${stderr}`).to.equal(null);
  return child;
}

async function runCommands(block: Block): Promise<void> {
  let last: Run | null = null;
  const servers: ChildProcess[] = [];
  try {
    for (const command of commandsOf(block.code)) {
      if (NOT_RUN.some((pattern) => pattern.test(command))) continue;
      if (command.endsWith('&')) {
        servers.push(await startInBackground(command.slice(0, -1).trim()));
        continue;
      }
      last = await run('bash', ['-c', command], root, 120_000);
      expect(last.code, `${command}\n${show(last)}`).to.equal(0);
    }
  } finally {
    for (const server of servers) server.kill();
  }
  if (block.output !== undefined) {
    expect(last, 'a text block follows a sh block none of whose commands ran').to.not.equal(null);
    expectOutputShape(last!.stdout, block.output);
  }
}

describe('README.md code blocks', function () {
  this.timeout(180_000);
  const blocks = fencedBlocks(readFileSync(`${root}README.md`, 'utf8'));

  it('has only js, cjs, sh and text blocks, each js block promising its output', function () {
    for (const block of blocks) {
      expect(['js', 'cjs', 'sh'], `block at README.md:${block.line}`).to.include(block.lang);
      if (block.lang !== 'sh') expect(promisedLines(block.code), `block at README.md:${block.line}`).to.not.be.empty;
    }
  });

  blocks.forEach((block, index) => {
    it(`runs the ${block.lang} block under "${block.heading}" (README.md:${block.line}) as written`, async function () {
      if (block.lang === 'sh') await runCommands(block);
      else await runScript(block, index);
    });
  });
});

describe('README test helpers', function () {
  it('reads `// → text` comments as the promised output lines', function () {
    expect(promisedLines('console.log(1); // → 1\nlet x; // plain comment\nconsole.log("a b"); // → a b  \n')).to.deep.equal(['1', 'a b']);
  });

  it('reads sh blocks as commands, without comments and blank lines, splitting &&', function () {
    expect(commandsOf('npm test   # runs the suite\n\n# a comment\nnpm ci && node a.js\n')).to.deep.equal(['npm test', 'npm ci', 'node a.js']);
  });

  it('lets numbers differ in expected output, but not words', function () {
    expect(outputPattern('pages: 300, 12.5 req/s').test('pages: 297, 840.25 req/s')).to.equal(true);
    expect(outputPattern('pages: 300').test('pagez: 300')).to.equal(false);
  });

  it('attaches a text block to the sh block before it', function () {
    const blocks = fencedBlocks('## A\n```sh\nnode x.js\n```\n```text\nout 1\n```\n```js\nconsole.log(1); // → 1\n```\n');
    expect(blocks.map((b) => [b.lang, b.heading, b.output])).to.deep.equal([
      ['sh', 'A', 'out 1\n'],
      ['js', 'A', undefined],
    ]);
  });
});
