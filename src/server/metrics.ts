/**
 * Metrics for operators, in Prometheus text (prom-client): one per promise or limit, so an operator
 * sees a limit being hit. Each server has its own registry (several servers can run in one process,
 * as the tests do). `--metrics-port` serves it with a health endpoint (metricsHttp.ts).
 */
import client from 'prom-client';
import type { ErrorCodeName } from '../protocol/errors.js';

/** Why a connection was refused or closed by a limit. */
export type ConnectionRefusal =
  /** over --max-connections */
  | 'cap_total'
  /** over --max-per-address */
  | 'cap_address'
  /** a TLS handshake not done in time */
  | 'tls_handshake_timeout'
  /** a gRPC connection that opened no call in time */
  | 'grpc_no_call'
  /** no successful Register or Login in time */
  | 'auth_timeout'
  /** a frame begun and not finished in time */
  | 'frame_timeout'
  /** silent after a KeepAlive */
  | 'dead_peer'
  /** reads too slowly: its unsent output passed the cap */
  | 'slow_reader';

/** Counts of what one part of the server holds now, read when metrics are scraped. */
export interface ConnectionCounts {
  transport: 'tcp' | 'grpc';
  state: string;
  count: number;
}

export class Metrics {
  readonly registry = new client.Registry();
  private readonly refusedConnections: client.Counter<'reason'>;
  private readonly refusedRequests: client.Counter<'code'>;
  private readonly throttled: client.Counter;
  private readonly reread: client.Counter;
  private readonly batchSeconds: client.Histogram;
  private readonly batchOps: client.Histogram;
  private readonly sources: Array<() => ConnectionCounts[]> = [];
  private budget: (() => { used: number; max: number; waits: number }) | undefined;
  /** The last store batch failed because the database could not be reached. */
  storeUnavailable = false;

  constructor() {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'termchat_' });
    this.refusedConnections = new client.Counter({
      name: 'termchat_connections_refused_total',
      help: 'Connections refused or closed by a limit, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.refusedRequests = new client.Counter({
      name: 'termchat_requests_refused_total',
      help: 'Requests answered with an Error, by error code (MAILBOX_FULL, DISK_FULL, UNAVAILABLE, RATE_LIMITED ...)',
      labelNames: ['code'],
      registers,
    });
    this.throttled = new client.Counter({
      name: 'termchat_logins_throttled_total',
      help: 'Logins made to wait (or refused unchecked) by the login throttle',
      registers,
    });
    this.reread = new client.Counter({
      name: 'termchat_pushes_reread_total',
      help: 'Messages pushed from the database after a gap in the wake-ups between nodes (not from a wake-up)',
      registers,
    });
    this.batchSeconds = new client.Histogram({
      name: 'termchat_store_batch_seconds',
      help: 'Time a batch of store operations took, commit included',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.batchOps = new client.Histogram({
      name: 'termchat_store_batch_operations',
      help: 'Operations in one store batch',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    const sources = this.sources;
    new client.Gauge({
      name: 'termchat_connections',
      help: 'Connections open now, by transport and state',
      labelNames: ['transport', 'state'],
      registers,
      collect() {
        this.reset();
        for (const source of sources) for (const c of source()) this.set({ transport: c.transport, state: c.state }, c.count);
      },
    });
    const budget = () => this.budget?.();
    new client.Gauge({
      name: 'termchat_answer_budget_bytes',
      help: 'Answer bytes pending across all connections (the server-wide memory budget in use)',
      registers,
      collect() {
        this.set(budget()?.used ?? 0);
      },
    });
    new client.Counter({
      name: 'termchat_answer_budget_waits_total',
      help: 'Times a connection was held back by the server-wide answer budget',
      registers,
      collect() {
        this.reset();
        this.inc(budget()?.waits ?? 0);
      },
    });
    new client.Gauge({
      name: 'termchat_answer_budget_max_bytes',
      help: 'The server-wide answer budget (--max-answer-bytes-total)',
      registers,
      collect() {
        this.set(budget()?.max ?? 0);
      },
    });
  }

  connectionRefused(reason: ConnectionRefusal): void {
    this.refusedConnections.inc({ reason });
  }

  requestRefused(code: ErrorCodeName | string): void {
    this.refusedRequests.inc({ code });
  }

  loginThrottled(): void {
    this.throttled.inc();
  }

  pushesReread(n: number): void {
    if (n > 0) this.reread.inc(n);
  }

  storeBatch(seconds: number, ops: number, unavailable: boolean): void {
    this.batchSeconds.observe(seconds);
    this.batchOps.observe(ops);
    this.storeUnavailable = unavailable;
  }

  /** A part of the server that holds connections reports them here. */
  addConnections(source: () => ConnectionCounts[]): void {
    this.sources.push(source);
  }

  /** The TCP transport's server-wide answer budget. */
  setAnswerBudget(read: () => { used: number; max: number; waits: number }): void {
    this.budget = read;
  }

  /** The Prometheus text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
