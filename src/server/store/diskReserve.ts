/**
 * Room kept for deletes on a full disk. A recipient acknowledging messages is how space comes back,
 * but a delete needs room too (the write-ahead log grows before the pages are freed). So the store
 * keeps a reserve file; when a batch fails because the disk is full, the reserve is released and the
 * batch's deletes and reads run again in the room it left, while what would grow the data is refused
 * (DISK_FULL). The reserve is made again once the disk has room.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RESERVE_FILE = 'reserve.bin';
/** The reserve's size by default. */
export const DEFAULT_RESERVE_BYTES = 8 * 1024 * 1024;
/** How often a released reserve is tried again. */
const RETRY_MS = 10_000;

export class DiskReserve {
  private readonly file: string;
  private lastTry = 0;

  constructor(
    dir: string,
    /** 0: keep no reserve. */
    private readonly bytes = DEFAULT_RESERVE_BYTES,
  ) {
    this.file = path.join(dir, RESERVE_FILE);
  }

  /** Whether the reserve is in place. */
  get held(): boolean {
    return fs.existsSync(this.file);
  }

  /** Makes the reserve if it is missing and the disk has room for it four times over (at most every RETRY_MS). */
  ensure(now = Date.now()): void {
    if (this.bytes <= 0 || now - this.lastTry < RETRY_MS) return;
    this.lastTry = now;
    if (this.held) return;
    try {
      const st = fs.statfsSync(path.dirname(this.file));
      if (st.bavail * st.bsize < 4 * this.bytes) return;
      const fd = fs.openSync(this.file, 'w', 0o600);
      try {
        const chunk = Buffer.alloc(Math.min(this.bytes, 1 << 20));
        for (let at = 0; at < this.bytes; at += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, this.bytes - at));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // No room after all: try again later.
      fs.rmSync(this.file, { force: true });
    }
  }

  /** Gives the reserve's room back to the disk; false when there was none to give. */
  release(): boolean {
    if (!this.held) return false;
    fs.rmSync(this.file, { force: true });
    this.lastTry = Date.now();
    return true;
  }
}

/** Whether an error is SQLite's (or the OS's) "the disk is full". */
export function isDiskFull(message: string): boolean {
  return /SQLITE_FULL|disk is full|ENOSPC/i.test(message);
}
