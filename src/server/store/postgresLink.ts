/**
 * What ties the nodes sharing one PostgreSQL database together, besides the data: wake-ups by
 * LISTEN/NOTIFY and the node leases that hold the sessions.
 *
 * - A wake-up is a list of events sent with pg_notify inside the transaction that made them,
 *   so it is heard exactly when its data is visible. Messages travel whole (id and content), so no
 *   node looks for new messages with a cursor and none is skipped however the ids commit.
 * - Every node renews its lease every `leaseMs / 3`; a node whose lease ran out (it died, or lost the
 *   database) is removed by any other node, with its sessions, whose watchers hear they went offline.
 * - When the listening connection drops, the link reconnects by itself (with backoff), listens again
 *   and reports `resync`: the service binds its sessions again and pushes what waits.
 */
import pg from 'pg';
import type { NodeEvent } from './store.js';
import { eventsOf, NODE_CHANNEL } from './postgresWakes.js';

export interface LinkLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The channel of one schema, for what every node must hear: nodes on other schemas never hear it. */
export function channelOf(schema: string): string {
  return `termchat.${schema}`.slice(0, 63);
}

/** The listening connection (the schema's channel and the node's own): reconnects by itself, and says `resync` after every gap. */
export class Listener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 100;
  /** When the listening connection was found lost (the gap began at most a keep-alive before). */
  private lostAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly nodeId: string,
    private readonly emit: (e: NodeEvent) => void,
    private readonly log: LinkLog,
  ) {}

  /** Connects and listens; rejects if the first attempt fails (the node cannot start without it). */
  async start(): Promise<void> {
    await this.connect();
  }

  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    return c ? c.end().catch(() => undefined) : Promise.resolve();
  }

  private async connect(): Promise<void> {
    const c = new pg.Client(this.config);
    c.on('error', () => this.lost(c));
    c.on('end', () => this.lost(c));
    c.on('notification', (n) => {
      if ((n.channel !== this.channel && n.channel !== NODE_CHANNEL + this.nodeId) || n.payload === undefined) return;
      for (const e of eventsOf(n.payload, this.nodeId)) this.emit(e);
    });
    await c.connect();
    await c.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
    await c.query(`LISTEN "${NODE_CHANNEL}${this.nodeId}"`);
    if (this.stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
  }

  private lost(c: pg.Client): void {
    if (this.client !== c || this.stopped) return;
    this.client = undefined;
    this.lostAt = Date.now();
    c.end().catch(() => undefined);
    this.log.warn({}, 'lost the database connection that listens for other nodes; reconnecting');
    this.retry();
  }

  private retry(): void {
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.stopped) return;
          this.retryMs = 100;
          this.log.info({}, 'listening for other nodes again');
          this.emit({ type: 'resync', since: this.lostAt });
        },
        () => {
          this.retryMs = Math.min(this.retryMs * 2, 2000);
          this.retry();
        },
      );
    }, this.retryMs);
    this.timer.unref();
  }
}
