// How the crawler shows progress: on a terminal, one status line rewritten in place; otherwise
// (a pipe, a file, CI logs) a plain line every `every` updates, so logs stay readable.

/**
 * Makes a progress reporter writing to `stream` (default: stdout). `update(text)` shows the latest
 * status; `done()` ends the rewritten line on a terminal so that what follows starts on its own line.
 * @example
 * const progress = makeProgress({ every: 50 });
 * progress.update('crawled 10 pages'); // "\r\x1b[2Kcrawled 10 pages" on a TTY
 * progress.done();
 */
export function makeProgress({ stream = process.stdout, every = 50 } = {}) {
  let updates = 0;
  let shown = false;
  return {
    update(text) {
      updates++;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${text}`); // back to column 0, clear the line, write the new status
        shown = true;
      } else if (updates % every === 0) {
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (shown) stream.write('\n');
      shown = false;
    },
  };
}
