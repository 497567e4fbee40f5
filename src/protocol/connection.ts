/**
 * Socket plumbing both ends share. One write() per frame is slow (a syscall each); frames written in
 * the same tick are corked and leave together in one writev.
 */
import type net from 'node:net';

/** Writes frames to a socket, batching every frame of one tick into one writev. */
export class TickWriter {
  private corked = false;

  /** `afterFlush` runs once per tick after the batch was handed to the kernel (e.g. to check backpressure). */
  constructor(
    private readonly socket: net.Socket,
    private readonly afterFlush?: () => void,
  ) {}

  write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
        this.afterFlush?.();
      });
    }
    this.socket.write(frame);
  }
}
