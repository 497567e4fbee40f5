/**
 * Admission: who may open a connection. Caps on connections at once, in all and per address (the
 * total kept below the process's open-file limit), checked when a socket is accepted; a socket over
 * a cap is told why (TOO_MANY_CONNECTIONS, request id 0) and closed.
 */
import fs from 'node:fs';
import type net from 'node:net';
import { encodeInto, frameSize } from '../../protocol/codec.js';
import { isLoopback } from '../address.js';
import type { Log } from '../log.js';
import type { Metrics } from '../metrics.js';
import { errorResponse } from '../session.js';

export interface AdmissionLimits {
  /** Connections open at once, in all (kept below the process's open-file limit). */
  maxConnections: number;
  /** Connections open at once from one address. */
  maxPerAddress: number;
  /** Whether the per-address cap applies to loopback addresses too (off: local tools and benchmarks are trusted, as fail2ban's default ignoreip). */
  limitLoopback: boolean;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxConnections: 10_000, maxPerAddress: 64, limitLoopback: false };

/** File descriptors kept free for the store (database, WAL, workers), logs, gRPC and sockets being refused. */
const FD_RESERVE = 64;

/** The process's soft limit on open files (Linux /proc), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The connection cap that fits the open-file limit (logged, and warned about when an asked cap was lowered). */
export function fitConnectionCap(asked: number | undefined, log: Log): number {
  const fdLimit = openFileLimit();
  let cap = asked ?? DEFAULT_ADMISSION.maxConnections;
  if (fdLimit !== undefined && cap > fdLimit - FD_RESERVE) {
    const fit = Math.max(1, fdLimit - FD_RESERVE);
    if (asked !== undefined) log.warn({ asked, fdLimit, cap: fit }, 'connection cap lowered to fit the open-file limit');
    cap = fit;
  }
  log.info({ fdLimit: fdLimit ?? 'unknown', maxConnections: cap }, 'open-file limit');
  return cap;
}

export class Admission {
  private open = 0;
  private readonly perAddress = new Map<string, number>();
  private refused = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly log: Log,
    private readonly metrics?: Metrics,
  ) {}

  /** Connections counted now. */
  get size(): number {
    return this.open;
  }

  /** Counts a new socket in until it closes; or, over a cap, closes it (saying why, if `sayWhy`) and returns false. */
  admit(socket: net.Socket, sayWhy = true): boolean {
    const addr = socket.remoteAddress ?? '';
    const fromHere = this.perAddress.get(addr) ?? 0;
    const capped = this.limits.limitLoopback || !isLoopback(addr);
    const total = this.open >= this.limits.maxConnections;
    if (total || (capped && fromHere >= this.limits.maxPerAddress)) {
      this.metrics?.connectionRefused(total ? 'cap_total' : 'cap_address');
      // Logged once per burst, not per socket: a flood must not flood the log as well.
      if (this.refused++ % 1000 === 0) this.log.warn({ remote: addr, open: this.open, fromHere, refused: this.refused }, 'connection refused: over the cap');
      if (sayWhy) {
        refuse(
          socket,
          total ? `the server has too many connections (${this.limits.maxConnections})` : `too many connections from your address (${this.limits.maxPerAddress})`,
        );
      } else socket.destroy();
      return false;
    }
    this.open++;
    this.perAddress.set(addr, fromHere + 1);
    socket.once('close', () => {
      this.open--;
      const n = this.perAddress.get(addr)! - 1;
      if (n === 0) this.perAddress.delete(addr);
      else this.perAddress.set(addr, n);
    });
    return true;
  }
}

/** Tells a connection over the cap why, then closes it (after a moment, so the frame can leave first). */
function refuse(socket: net.Socket, text: string): void {
  socket.on('error', () => undefined);
  const answer = errorResponse('TOO_MANY_CONNECTIONS', text);
  const frame = Buffer.alloc(frameSize(answer));
  encodeInto(frame, 0, answer, 0);
  socket.end(frame);
  setTimeout(() => socket.destroy(), 500).unref();
}
