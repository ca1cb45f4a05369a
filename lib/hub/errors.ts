/**
 * Where errors nobody else will see go: the hub's error reporter (stderr with the stack by
 * default; `getHub().errorReporter` replaces it).
 */

/** Receives errors that nobody else will see. */
export type ErrorReporter = (err: unknown, source: string) => void;

/**
 * Prints the error with its stack to stderr: the default reporter.
 * @example printError(new Error('boom'), 'a hub callback'); // eventlet: a hub callback failed: ...
 */
export function printError(err: unknown, source: string): void {
  const text = err instanceof Error ? err.stack ?? String(err) : String(err);
  process.stderr.write(`eventlet: ${source} failed:\n${text}\n`);
}

/**
 * The reporter in use, and the one way to call it.
 * @example reporting.report(err, 'releasing a resource of an interrupted green thread');
 */
export const reporting = {
  /** Where unobserved errors go. */
  reporter: printError as ErrorReporter,
  /**
   * Passes an error nobody else will see to the reporter. A reporter that throws loses nothing:
   * the original error (with its source) and the reporter's failure are both printed.
   */
  report(err: unknown, source: string): void {
    try {
      this.reporter(err, source);
    } catch (reporterError) {
      printError(err, source);
      printError(reporterError, 'the hub error reporter (while reporting the error above)');
    }
  },
};
