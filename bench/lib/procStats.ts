/**
 * What a server process costs, read from outside (Linux /proc), so every system is measured the same
 * way whatever its language: CPU time (utime + stime) and resident memory. Plus the disk's fsync floor.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { percentile, rssMiB } from './common.js';

let ticks: number | undefined;
/** Clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux in practice). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state; utime and stime are
  // fields 14 and 15 of the whole line.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks();
}

/** Samples a process's RSS every `everyMs` until stopped; returns the first and the peak sample. */
export function rssSampler(pid: number, everyMs = 50): { stop(): { before: number; peak: number } } {
  const before = rssMiB(pid);
  let peak = before;
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // The process is gone; keep the peak seen so far.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      try {
        peak = Math.max(peak, rssMiB(pid));
      } catch {
        // as above
      }
      return { before, peak };
    },
  };
}

/**
 * The disk's durability floor: `n` appends of `size` bytes to a file in `dir`, each followed by one
 * fdatasync (what a write-ahead log pays per group commit), timed one by one. Milliseconds.
 */
export function fsyncFloor(dir: string, n = 200, size = 512): { p50: number; p99: number; n: number } {
  const file = path.join(dir, 'fsync-floor.bin');
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(size, 0x61);
  const took: number[] = [];
  const end = Date.now() + 20_000;
  try {
    for (let i = 0; i < n && Date.now() < end; i++) {
      const t0 = process.hrtime.bigint();
      fs.writeSync(fd, buf, 0, size, i * size);
      fs.fdatasyncSync(fd);
      took.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  took.sort((a, b) => a - b);
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), n: took.length };
}
