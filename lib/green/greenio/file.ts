/**
 * `GreenSocket.makefile()`: a file-like view of a socket, eventlet's `makefile('rb')` — line and
 * byte reads (`readline`, `read(n)`, `for await` over lines) and writes, each a cooperative point.
 * It keeps no buffer of its own: what it reads past a line end goes back into the socket's buffer,
 * so file reads and `recv` can be mixed.
 */
import { describe } from '../../validate.js';

/** What a file view needs of its socket: GreenSocket's reads, writes and read-back. */
export interface FileSocket {
  recv(bufsize: number): Promise<Buffer>;
  unread(chunk: Buffer): void;
  sendall(data: string | Uint8Array): Promise<void>;
}

/** The modes `makefile` accepts; the file is always binary (Buffers). @example const mode: FileMode = 'rb'; */
export type FileMode = 'rb' | 'wb' | 'rwb' | 'r+b' | 'w+b' | 'br' | 'bw';

const MODES: Record<string, { read: boolean; write: boolean }> = {
  rb: { read: true, write: false },
  br: { read: true, write: false },
  wb: { read: false, write: true },
  bw: { read: false, write: true },
  rwb: { read: true, write: true },
  'r+b': { read: true, write: true },
  'w+b': { read: true, write: true },
};

/** How much one underlying `recv` asks for. */
const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * A socket seen as a binary file. Closing the file does not close the socket; closing the socket
 * makes the file's operations reject with `EBADF`.
 * @example
 * const file = sock.makefile('rwb');
 * await file.write('GET / HTTP/1.0\r\n\r\n');
 * const status = await file.readline();
 */
export class GreenSocketFile {
  private readonly canRead: boolean;
  private readonly canWrite: boolean;
  private closed = false;

  /** @internal Use `GreenSocket.makefile()`. */
  constructor(
    private readonly sock: FileSocket,
    mode: FileMode,
  ) {
    const parsed = MODES[mode as string];
    if (parsed === undefined) {
      throw new RangeError(`GreenSocket.makefile: mode must be one of ${Object.keys(MODES).join(', ')} (the file is binary), got ${describe(mode)}`);
    }
    this.canRead = parsed.read;
    this.canWrite = parsed.write;
  }

  /** True once {@link close} was called. @example file.closed; // false */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Reads one line, up to and including `\n` (at most `limit` bytes when `limit >= 0`); the rest
   * of the stream at end of stream; an empty Buffer when nothing is left.
   * @example const line = await file.readline(); // <Buffer 48 69 0a> for "Hi\n"
   */
  readline(limit = -1): Promise<Buffer> {
    const max = checkLimit('readline', 'limit', limit);
    this.check('readline', this.canRead);
    return this.collect(max, true);
  }

  /**
   * Reads exactly `n` bytes, fewer only at end of stream; with no `n` (or a negative one), reads to
   * end of stream.
   * @example const header = await file.read(4);
   */
  read(n = -1): Promise<Buffer> {
    const max = checkLimit('read', 'n', n);
    this.check('read', this.canRead);
    return this.collect(max, false);
  }

  /**
   * Reads until `max` bytes, end of stream, or (with `lines`) a line end, which is kept. A read
   * that fails (a timeout, an interruption) puts what it had collected back into the socket's
   * buffer, so the next read returns it.
   */
  private async collect(max: number, lines: boolean): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < max) {
      let chunk: Buffer;
      try {
        chunk = await this.sock.recv(Math.min(CHUNK, max - length));
      } catch (err) {
        if (length > 0) this.sock.unread(Buffer.concat(parts, length));
        throw err;
      }
      if (chunk.length === 0) break;
      const end = lines ? chunk.indexOf(NEWLINE) : -1;
      if (end >= 0) {
        this.sock.unread(chunk.subarray(end + 1));
        parts.push(chunk.subarray(0, end + 1));
        length += end + 1;
        break;
      }
      parts.push(chunk);
      length += chunk.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  }

  /**
   * Sends all of `data` (`sendall`); resolves with its length in bytes.
   * @example await file.write('hello\n');
   */
  write(data: string | Uint8Array): Promise<number> {
    this.check('write', this.canWrite);
    return this.sock.sendall(data).then(() => (typeof data === 'string' ? Buffer.byteLength(data) : data.length));
  }

  /** Writes are not buffered by the file: resolves at once. @example await file.flush(); */
  flush(): Promise<void> {
    this.check('flush', true);
    return Promise.resolve();
  }

  /** Closes the file (not the socket). Idempotent. @example file.close(); */
  close(): void {
    this.closed = true;
  }

  /**
   * Iterates over lines (Buffers, each with its `\n`) until end of stream.
   * @example for await (const line of file) handle(line);
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  private check(operation: string, allowed: boolean): void {
    if (this.closed) {
      const err: NodeJS.ErrnoException = new Error(`GreenSocketFile.${operation}: the file is closed`);
      err.code = 'EBADF';
      throw err;
    }
    if (!allowed) throw new Error(`GreenSocketFile.${operation}: the file was not opened for ${operation === 'write' ? 'writing' : 'reading'}`);
  }
}

function checkLimit(operation: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`GreenSocketFile.${operation}: ${name} must be an integer, got ${describe(value)}`);
  return value < 0 ? Infinity : value;
}
