/**
 * The bytes a GreenSocket has read from its Node socket and not handed out yet, in arrival order.
 * Above a high-water mark it pauses the socket, so a peer that sends faster than the thread reads
 * is held back by TCP; below it again, it resumes.
 */
import type net from 'node:net';

/** Bytes buffered for a reader that is not waiting before the socket stops reading from the peer. */
const READ_HIGH_WATER = 64 * 1024;

/**
 * A GreenSocket's read buffer (see the module notes).
 * @example
 * const input = new ReadBuffer(stream);
 * input.push(chunk);
 * const first = input.take(4096);
 */
export class ReadBuffer {
  /** Bytes held. */
  size = 0;
  private chunks: Buffer[] = [];
  private pausedByUs = false;

  constructor(private readonly stream: net.Socket) {}

  /** Adds bytes that arrived; pauses the socket once the buffer is above the high-water mark. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= READ_HIGH_WATER && !this.pausedByUs) {
      this.pausedByUs = true;
      this.stream.pause();
    }
  }

  /** Puts bytes back in front (a file read that took more than a line, or gave up). */
  unshift(chunk: Buffer): void {
    this.chunks.unshift(chunk);
    this.size += chunk.length;
  }

  /** Takes up to `n` bytes (the buffer must not be empty); resumes the socket once below the mark. */
  take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length <= n) {
      this.chunks.shift();
      out = first;
    } else {
      out = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    }
    this.size -= out.length;
    if (this.pausedByUs && this.size < READ_HIGH_WATER) {
      this.pausedByUs = false;
      this.stream.resume();
    }
    return out;
  }

  /** Drops everything held (the socket was closed or shut down for reading). */
  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
