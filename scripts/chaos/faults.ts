/**
 * The fault schedule: drawn in full from the seed before the run (so `--seed S` repeats it), then
 * played against the nodes, the database, the clients' links and the clients themselves. Faults on
 * the infrastructure (kill -9, SIGSTOP, PostgreSQL stop) come one at a time, so that some node is
 * always there to move to; link faults and restarts of one client come one at a time per client;
 * floods come when they come. Every fault is written to the ledger with the window it covered.
 */
import type { FaultKind } from './options.js';
import type { Prng } from './prng.js';

export interface PlannedFault {
  /** ms after the start of the fault phase. */
  at: number;
  kind: FaultKind;
  /** Node index (kill, stop, flood) or client index (link, restart); unused for pg. */
  target: number;
  /** How long it lasts (ms): node down, stopped, database down, link cut or held, flood held. */
  ms: number;
  /** kill/stop/pg/restart: none; link: cut | hold | blackhole; pg: fast | immediate. */
  variant: string;
}

/** Draws the schedule for `seconds` of faults of the given kinds. */
export function plan(rng: Prng, kinds: readonly FaultKind[], seconds: number, meanEvery: number, nodes: number, clients: number): PlannedFault[] {
  const out: PlannedFault[] = [];
  if (kinds.length === 0) return out;
  let t = 0;
  for (;;) {
    t += Math.round(meanEvery * 1000 * (0.5 + rng.next()));
    if (t >= seconds * 1000) return out;
    const kind = rng.pick(kinds);
    const f: PlannedFault = { at: t, kind, target: 0, ms: 0, variant: '' };
    switch (kind) {
      case 'kill':
        f.target = rng.int(0, nodes - 1);
        f.ms = rng.int(500, 5000);
        break;
      case 'stop':
        f.target = rng.int(0, nodes - 1);
        f.ms = rng.int(1000, 8000);
        break;
      case 'pg':
        f.ms = rng.int(1000, 10_000);
        f.variant = rng.pick(['fast', 'immediate']);
        break;
      case 'link':
        f.target = rng.int(0, clients - 1);
        f.variant = rng.pick(['cut', 'hold', 'blackhole']);
        f.ms = f.variant === 'hold' ? rng.int(500, 5000) : rng.int(500, 6000);
        break;
      case 'restart':
        f.target = rng.int(0, clients - 1);
        break;
      case 'flood':
        f.target = rng.int(0, nodes - 1);
        f.ms = rng.int(5000, 20_000);
        break;
    }
    out.push(f);
  }
}

/** One line per fault, for the log. */
export function describeFault(f: PlannedFault, clientName: (i: number) => string): string {
  const at = `${(f.at / 1000).toFixed(1)}s`;
  const ms = `${(f.ms / 1000).toFixed(1)} s`;
  switch (f.kind) {
    case 'kill':
      return `${at} kill -9 node${f.target}, restart after ${ms}`;
    case 'stop':
      return `${at} SIGSTOP node${f.target} for ${ms}`;
    case 'pg':
      return `${at} PostgreSQL stop (${f.variant}) for ${ms}`;
    case 'link':
      return `${at} ${f.variant} the link of ${clientName(f.target)} for ${ms}`;
    case 'restart':
      return `${at} restart ${clientName(f.target)}`;
    case 'flood':
      return `${at} flood node${f.target} with silent sockets for ${ms}`;
  }
}
