/**
 * The errors green `lookup` and `lookupService` report, shaped exactly as Node's own
 * `getaddrinfo`/`getnameinfo` errors: `Error: getaddrinfo ENOTFOUND example.test` with `errno`,
 * `code`, `syscall` and `hostname`, and `err.constructor === Error`.
 */
import { getSystemErrorMap } from 'node:util';

/** The C library's look-up outcomes that Node reports. @example const gai: GaiError = 'EAI_AGAIN'; */
export type GaiError = 'EAI_NONAME' | 'EAI_NODATA' | 'EAI_AGAIN' | 'EAI_FAIL';

/** libuv's number for each outcome (the same on every platform). */
const errnoOf: Record<GaiError, number> = (() => {
  const numbers: Partial<Record<GaiError, number>> = {};
  for (const [errno, [name]] of getSystemErrorMap()) {
    if (name === 'EAI_NONAME' || name === 'EAI_NODATA' || name === 'EAI_AGAIN' || name === 'EAI_FAIL') numbers[name] = errno;
  }
  return { EAI_NONAME: -3008, EAI_NODATA: -3007, EAI_AGAIN: -3001, EAI_FAIL: -3004, ...numbers };
})();

/**
 * Node's DNS error: an `Error` subclass that calls itself `Error` (so `err.constructor === Error`
 * and the stack reads `Error: ...`), as Node's internal `DNSException` does.
 */
class DNSException extends Error {
  errno: number | undefined;
  code: string;
  syscall: string;
  hostname?: string;

  constructor(code: string, errno: number | undefined, syscall: string, hostname: string) {
    super(`${syscall} ${code}${hostname ? ` ${hostname}` : ''}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    if (hostname) this.hostname = hostname;
  }

  override get ['constructor'](): ErrorConstructor {
    return Error;
  }
}

/**
 * The error Node reports when `getaddrinfo` (or `getnameinfo`) fails with `gai`: EAI_NONAME and
 * EAI_NODATA both read `ENOTFOUND`, the others keep their name.
 * @example gaiError('EAI_NONAME', 'getaddrinfo', 'nowhere.test').message // 'getaddrinfo ENOTFOUND nowhere.test'
 */
export function gaiError(gai: GaiError, syscall: 'getaddrinfo' | 'getnameinfo', hostname: string): Error {
  const code = gai === 'EAI_NONAME' || gai === 'EAI_NODATA' ? 'ENOTFOUND' : gai;
  return new DNSException(code, errnoOf[gai], syscall, hostname);
}

/**
 * What the C library makes of a c-ares query error: no such name, no data for the name, a
 * server that did not answer usefully (try again), or an answer it cannot use.
 * @example gaiFromQueryError({ code: 'ETIMEOUT' }) // 'EAI_AGAIN'
 */
export function gaiFromQueryError(err: unknown): GaiError {
  switch ((err as { code?: unknown } | null)?.code) {
    case 'ENOTFOUND':
    case 'EBADNAME':
      return 'EAI_NONAME';
    case 'ENODATA':
      return 'EAI_NODATA';
    case 'EFORMERR':
    case 'ENOTIMP':
    case 'EBADRESP':
    case 'EBADQUERY':
      return 'EAI_FAIL';
    default:
      return 'EAI_AGAIN';
  }
}
