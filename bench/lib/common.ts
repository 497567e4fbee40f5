/** Small helpers shared by the benchmark: percentiles, machine info, RSS, child processes, timing. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The p-th percentile (0..1) of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function loadAvg(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) / 1024 : NaN;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` each tick-ish until true or the deadline; returns whether it became true. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** A free TCP port on loopback (bound then released; for programs that cannot take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Spawns a Node child running a TS file through tsx; resolves with the first stdout line matching `ready`. */
export async function spawnTs(
  file: string,
  args: string[],
  ready: RegExp,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; match: RegExpExecArray; lines: (cb: (line: string) => void) => void }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return waitLine(child, ready);
}

/** Resolves with the first stdout line of `child` matching `ready`; later lines go to `lines` listeners. */
export function waitLine(child: ChildProcess, ready: RegExp) {
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    if (err.length > 20000) err = err.slice(-10000);
  });
  const listeners: ((line: string) => void)[] = [];
  let buf = '';
  return new Promise<{ child: ChildProcess; match: RegExpExecArray; lines: (cb: (line: string) => void) => void }>((resolve, reject) => {
    let done = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!done) {
          const m = ready.exec(line);
          if (m) {
            done = true;
            resolve({ child, match: m, lines: (cb) => listeners.push(cb) });
          }
        } else for (const l of listeners) l(line);
      }
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`child exited (${code}) before ready: ${err.slice(-2000)}`));
    });
  });
}

/** Sends SIGTERM and waits for exit (SIGKILL after a grace period). */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

const pads = new Map<number, string>();
/** Content of `size` bytes that starts with the sequence number (parsed back by seqOf). */
export function contentFor(seq: number, size: number): string {
  const head = `${seq} `;
  const n = Math.max(0, size - head.length);
  let pad = pads.get(n);
  if (pad === undefined) pads.set(n, (pad = 'x'.repeat(n)));
  return head + pad;
}

export function seqOf(content: string): number {
  return parseInt(content, 10);
}


/** Calls `each` with every whole line a child writes on stderr (a partial line waits for its end; a runaway one is dropped). */
export function stderrLines(child: ChildProcess, each: (line: string) => void): void {
  let buf = '';
  child.stderr?.on('data', (d: string | Buffer) => {
    buf += typeof d === 'string' ? d : d.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      each(line);
    }
    if (buf.length > 1 << 20) buf = '';
  });
}
