/**
 * What happened, as the clients saw it: every message sent (with its Accepted id), every delivery
 * (push or fetch, before de-duplication), every Ack answered Ok, every receipt, every session and
 * every refusal. It is the clients' "disk" and the checker's only input; nothing here asks a server.
 */

/** (sender, clientId): what identifies a message across resends and redeliveries. */
export const keyOf = (sender: string, clientId: number): string => `${sender}\0${clientId}`;

export interface Sent {
  sender: string;
  recipient: string;
  clientId: number;
  /** Position among the sender's messages to this recipient (1, 2, ...): the order the sender wrote them. */
  seq: number;
  content: string;
  createdAt: number;
  /** The Accepted id (the first one heard) and when. */
  acceptedId?: number;
  acceptedAt?: number;
  /** Other ids a later Accepted of the same message carried (a resend stored anew). */
  otherIds: number[];
  /** Refusals heard for it, by code (retryable ones included), and when the first came. */
  refusals: Record<string, number>;
  firstRefusedAt?: number;
  /** Every Send of it: when, whether flagged RESEND, and the answer (an id, a code, or '?' for none). */
  tries: Array<{ at: number; resend: boolean; answer: string }>;
  /** Given up after a final refusal (as a real client tells its user). */
  failed?: string;
}

export interface Delivery {
  id: number;
  sender: string;
  clientId: number;
  content: string;
  at: number;
  via: 'push' | 'fetch';
  /** The recipient's session it came on (see Session); 0: on a link whose LoginOk was not read yet. */
  session: number;
  /** The client had shown this (sender, clientId) before (under this id or another). */
  repeat: boolean;
}

export interface Session {
  id: number;
  client: string;
  start: number;
  /** When it ended (link lost, restart); undefined while it lasts. */
  end?: number;
}

export interface Fault {
  kind: string;
  target: string;
  start: number;
  end: number;
  /** Clients it may keep from service; undefined: every client. */
  clients?: string[];
}

export class Ledger {
  readonly sent = new Map<string, Sent>();
  /** By recipient: every delivery in arrival order. */
  readonly deliveries = new Map<string, Delivery[]>();
  /** By recipient: message id -> when an Ack covering it on the session it was delivered to was answered Ok. */
  readonly acked = new Map<string, Map<number, number>>();
  /** By sender: Accepted id -> when its first receipt came. */
  readonly receipts = new Map<string, Map<number, number>>();
  readonly sessions: Session[] = [];
  /** By client: when it was last served (a LoginOk or an Accepted), in order. */
  readonly served = new Map<string, number[]>();
  readonly faults: Fault[] = [];
  /** Refusals of logins, by code. */
  readonly loginRefusals: Record<string, number> = {};
  /** LoggedInElsewhere on a client's current link (nobody else logs in to its account). */
  takeovers = 0;
  /** Two Accepted for one message with different ids. */
  readonly idConflicts: string[] = [];
  private readonly seqs = new Map<string, number>();

  /** A new message, before it is first sent; its content says who wrote it to whom, and its position. */
  write(sender: string, recipient: string, clientId: number, now: number): Sent {
    const pair = `${sender}>${recipient}`;
    const seq = (this.seqs.get(pair) ?? 0) + 1;
    this.seqs.set(pair, seq);
    const content = `${pair} #${seq} at ${now}`;
    const s: Sent = { sender, recipient, clientId, seq, content, createdAt: now, otherIds: [], refusals: {}, tries: [] };
    this.sent.set(keyOf(sender, clientId), s);
    return s;
  }

  accepted(s: Sent, id: number, now: number): void {
    if (s.acceptedId === undefined) {
      s.acceptedId = id;
      s.acceptedAt = now;
    } else if (id !== s.acceptedId && !s.otherIds.includes(id)) {
      s.otherIds.push(id);
      this.idConflicts.push(`${s.sender}->${s.recipient} clientId ${s.clientId}: Accepted ${s.acceptedId} and ${id}`);
    }
    this.serve(s.sender, now);
  }

  refused(s: Sent, code: string, now: number): void {
    s.refusals[code] = (s.refusals[code] ?? 0) + 1;
    s.firstRefusedAt ??= now;
  }

  serve(client: string, now: number): void {
    let list = this.served.get(client);
    if (!list) this.served.set(client, (list = []));
    list.push(now);
  }

  deliver(recipient: string, d: Delivery): void {
    let list = this.deliveries.get(recipient);
    if (!list) this.deliveries.set(recipient, (list = []));
    list.push(d);
  }

  ack(recipient: string, ids: Iterable<number>, now: number): void {
    let m = this.acked.get(recipient);
    if (!m) this.acked.set(recipient, (m = new Map()));
    for (const id of ids) if (!m.has(id)) m.set(id, now);
  }

  receipt(sender: string, ids: readonly number[], now: number): void {
    let m = this.receipts.get(sender);
    if (!m) this.receipts.set(sender, (m = new Map()));
    for (const id of ids) if (!m.has(id)) m.set(id, now);
  }

  openSession(client: string, now: number): Session {
    const s: Session = { id: this.sessions.length + 1, client, start: now };
    this.sessions.push(s);
    return s;
  }

  fault(f: Fault): void {
    this.faults.push(f);
  }
}
