/**
 * What ties the nodes sharing one PostgreSQL database together, besides the data: wake-ups by
 * LISTEN/NOTIFY and the node leases that hold the sessions.
 *
 * - A wake-up is a JSON array of events sent with pg_notify inside the transaction that made them,
 *   so it is heard exactly when its data is visible. Messages travel whole (id and content), so no
 *   node looks for new messages with a cursor and none is skipped however the ids commit.
 * - Every node renews its lease every `leaseMs / 3`; a node whose lease ran out (it died, or lost the
 *   database) is removed by any other node, with its sessions, whose watchers hear they went offline.
 * - When the listening connection drops, the link reconnects by itself (with backoff), listens again
 *   and reports `resync`: the service binds its sessions again and pushes what waits.
 */
import pg from 'pg';
import type { NodeEvent } from './store.js';
import type { Wake } from './postgresOps.js';

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7900;

export interface LinkLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** The channel of one schema, for what every node must hear: nodes on other schemas never hear it. */
export function channelOf(schema: string): string {
  return `termchat.${schema}`.slice(0, 63);
}

/** The SQL prefix of a node's own channel (+ its id): messages and receipts for its sessions only. */
export const NODE_CHANNEL = 'termchat.node.';

/** Wake-ups as NOTIFY payloads, each under the size limit: `{"n": node, "e": [events]}`. */
export function payloads(nodeId: string, wakes: readonly Wake[]): string[] {
  const head = `{"n":"${nodeId}","e":[`;
  const out: string[] = [];
  let cur = '';
  for (const w of wakes) {
    const e = JSON.stringify(w);
    if (cur !== '' && head.length + cur.length + 1 + e.length + 2 > MAX_PAYLOAD) {
      out.push(`${head}${cur}]}`);
      cur = '';
    }
    cur = cur === '' ? e : `${cur},${e}`;
  }
  if (cur !== '') out.push(`${head}${cur}]}`);
  return out;
}

/** The events of one payload, unless it came from `self`; malformed payloads yield nothing. */
export function eventsOf(payload: string, self: string): NodeEvent[] {
  let msg: { n?: unknown; e?: unknown };
  try {
    msg = JSON.parse(payload) as typeof msg;
  } catch {
    return [];
  }
  if (msg.n === self || !Array.isArray(msg.e)) return [];
  const out: NodeEvent[] = [];
  let messages: Extract<NodeEvent, { type: 'messages' }>['messages'] | undefined;
  for (const w of msg.e as Wake[]) {
    switch (w[0]) {
      case 'm': {
        const [, recipientId, id, senderName, clientId, flags, sentAt, content] = w;
        if (!messages) out.push({ type: 'messages', messages: (messages = []) });
        messages.push({ recipientId, id, senderName, clientId, flags, sentAt, content, senderDeleted: false });
        break;
      }
      case 't':
        out.push({ type: 'takeover', accountId: w[1], claim: w[2] });
        break;
      case 'p':
        out.push({ type: 'presence', name: w[1], online: w[2] === 1 });
        break;
      case 'r':
        out.push({ type: 'receipts', senderId: w[1], ids: w.slice(2) as number[] });
        break;
      case 'a':
        out.push({ type: 'account', name: w[1], id: w[2], live: w[3] === 1 });
        break;
    }
  }
  return out;
}

/** The listening connection (the schema's channel and the node's own): reconnects by itself, and says `resync` after every gap. */
export class Listener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 100;
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
          this.emit({ type: 'resync' });
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
