/**
 * Everything a chaos run starts and breaks: the nodes, the private PostgreSQL (pg mode), one tap per
 * client and node (so each client's link can be cut alone), and the clients. apply() carries out one
 * planned fault and writes its window to the ledger.
 */
import { Tap } from '../../test/lib/tap.js';
import { ChaosClient } from './client.js';
import type { PlannedFault } from './faults.js';
import { flood, type FloodResult } from './flood.js';
import type { Ledger } from './ledger.js';
import type { ServerNode } from './nodes.js';
import type { PrivatePostgres } from './postgres.js';
import { HEARTBEAT, type TransportKind } from './transport.js';

/** A silent socket must be closed within this long (TLS handshake timeout, gRPC auth timeout): no excuse after. */
export const FLOOD_GRACE_MS = 5000;
/** A blackholed link is noticed by the client's heartbeat within this long. */
const BLACKHOLE_MS = HEARTBEAT.idleMs + HEARTBEAT.answerMs + 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Member {
  client: ChaosClient;
  taps: Tap[];
}

export class World {
  readonly members: Member[] = [];
  readonly floods: FloodResult[] = [];

  constructor(
    readonly nodes: ServerNode[],
    readonly pg: PrivatePostgres | undefined,
    private readonly ledger: Ledger,
    private readonly floodSize: number,
    private readonly log: (line: string) => void,
  ) {}

  /** A client with a tap in front of each node (TLS spoken by the tap for gRPC, by the client for TCP). */
  async addClient(name: string, password: string, kind: TransportKind, ca: Buffer | undefined): Promise<ChaosClient> {
    const taps = await Promise.all(
      this.nodes.map((n) =>
        Tap.start(
          { host: '127.0.0.1', port: kind === 'grpc' ? n.grpcPort : n.port },
          { record: false, tlsToServer: kind === 'grpc' && ca ? { ca, alpn: ['h2'] } : undefined },
        ),
      ),
    );
    const client = new ChaosClient(name, password, kind, taps.map((t) => t.address), kind === 'tcp' ? ca : undefined, this.ledger, this.log);
    this.members.push({ client, taps });
    return client;
  }

  /** Carries out one fault; resolves when it is over (the node back, the link restored...). */
  async apply(f: PlannedFault): Promise<void> {
    const start = Date.now();
    const record = (kind: string, target: string, end: number, clients?: string[]) =>
      this.ledger.fault({ kind, target, start, end, ...(clients ? { clients } : {}) });
    switch (f.kind) {
      case 'kill':
        return this.killNode(f.target, f.ms, start);
      case 'stop': {
        const n = this.nodes[f.target]!;
        n.pause(true);
        await sleep(f.ms);
        n.pause(false);
        return record('stop', n.name, Date.now());
      }
      case 'pg': {
        if (!this.pg) return this.killNode(0, f.ms, start);
        await this.pg.stop(f.variant as 'fast' | 'immediate');
        await sleep(f.ms);
        await this.pg.start();
        return record('pg', 'postgres', Date.now());
      }
      case 'link': {
        const m = this.members[f.target]!;
        const who = [m.client.name];
        if (f.variant === 'blackhole') {
          for (const t of m.taps) t.blackhole();
          return record('link-blackhole', m.client.name, start + BLACKHOLE_MS, who);
        }
        if (f.variant === 'hold') for (const t of m.taps) t.hold(true);
        else await Promise.all(m.taps.map((t) => t.refuse()));
        await sleep(f.ms);
        if (f.variant === 'hold') for (const t of m.taps) t.hold(false);
        else await Promise.all(m.taps.map((t) => t.accept()));
        return record(`link-${f.variant}`, m.client.name, Date.now(), who);
      }
      case 'restart': {
        const m = this.members[f.target]!;
        m.client.restart();
        return record('restart', m.client.name, start, [m.client.name]);
      }
      case 'flood': {
        const n = this.nodes[f.target]!;
        record('flood', n.name, start + FLOOD_GRACE_MS);
        const r = await flood([n.port, n.grpcPort], this.floodSize, f.ms);
        this.floods.push(r);
        this.log(`flood of ${n.name}: ${r.opened} sockets opened, ${r.closedByServer} closed by the node within ${(f.ms / 1000).toFixed(1)} s`);
        return;
      }
    }
  }

  private async killNode(i: number, ms: number, start: number): Promise<void> {
    const n = this.nodes[i]!;
    await n.kill();
    await sleep(ms);
    // A node that does not come back is retried: the run needs it, and its failure is in its log.
    for (let attempt = 1; ; attempt++) {
      try {
        await n.start();
        break;
      } catch (err) {
        this.log(`${n.name} restart ${attempt} failed: ${(err as Error).message}`);
        if (attempt >= 5) throw err;
        await sleep(1000);
      }
    }
    this.ledger.fault({ kind: 'kill', target: n.name, start, end: Date.now() });
  }

  /** Ends every fault's effect: links open, nodes running and not stopped. */
  async heal(): Promise<void> {
    for (const m of this.members) {
      for (const t of m.taps) {
        t.hold(false);
        await t.accept();
      }
    }
    for (const n of this.nodes) if (n.stopped) n.pause(false);
  }

  async close(): Promise<void> {
    for (const m of this.members) {
      m.client.stop();
      await Promise.all(m.taps.map((t) => t.close()));
    }
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
