/**
 * A chaos client: one account that behaves as the TUI's ChatSession does (src/tui/session.ts). It
 * keeps a list of servers (here the taps in front of the nodes) and moves to the next when its link
 * dies, logs in again, resends what was not answered (RESEND, same clientId, in the order written),
 * retries retryable refusals after a backoff, fetches what waits after each login, and acknowledges
 * every message it gets (pushed or fetched). One difference, on purpose: after a retryable refusal
 * (UNAVAILABLE) it sends nothing new until the backoff is over and then resends its whole outbox in
 * order, where ChatSession retries each message on a timer of its own and lets later ones overtake it
 * (the run shows that as messages out of order). restart() drops everything a process keeps in memory;
 * `disk` is what a real client keeps on disk: its outbox, its next clientId and the (sender, clientId)
 * pairs it has shown.
 */
import { MessageFlags } from '../../src/protocol/schema.js';
import { ClientIds } from '../../src/protocol/client.js';
import { BACKOFF } from '../../src/tui/link.js';
import { keyOf, type Ledger, type Sent, type Session } from './ledger.js';
import { isLinkError, openLink, type Link, type TransportKind } from './transport.js';

/** Refusals after which a Send is tried again (as ChatSession does); NOT_LOGGED_IN: the session went, log in again. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DISK_FULL']);
const FETCH_PAGE = 100;

interface Outgoing {
  sent: Sent;
  /** Sent before without an answer: a retry is flagged RESEND. Kept on disk before the first write. */
  tried: boolean;
  /** The link a Send of it is on now (a retry waits for its answer or that link's loss). */
  onLink?: Link;
  /** Refused retryably (UNAVAILABLE): what was written after it waits until it is accepted, so they keep their order. */
  refused?: boolean;
}

/** What survives a restart of the client process. */
interface Disk {
  outbox: Map<number, Outgoing>;
  clientIds: ClientIds;
  seen: Set<string>;
}

export interface Address {
  host: string;
  port: number;
}

export class ChaosClient {
  private disk: Disk = { outbox: new Map(), clientIds: new ClientIds(), seen: new Set() };
  private link: Link | undefined;
  private loggedIn = false;
  private session: Session | undefined;
  /** Ids delivered to the current session and not yet acknowledged. */
  private unacked = new Set<number>();
  private serverIndex = 0;
  private attempt = 0;
  private fetching = false;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  /** After a retryable refusal: nothing is sent until the backoff is over (keeps the order written). */
  private blocked = false;
  private retries = 0;
  /** Incremented by restart(): callbacks of an older incarnation do nothing. */
  private life = 0;

  constructor(
    readonly name: string,
    readonly password: string,
    readonly kind: TransportKind,
    private readonly servers: readonly Address[],
    private readonly ca: Buffer | undefined,
    private readonly ledger: Ledger,
    private readonly log: (line: string) => void,
  ) {}

  get outboxSize(): number {
    return this.disk.outbox.size;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  start(): void {
    void this.connect(this.life);
  }

  /** Writes a message: kept in the outbox and sent now if logged in. */
  write(recipient: string): void {
    const clientId = this.disk.clientIds.take();
    const sent = this.ledger.write(this.name, recipient, clientId, Date.now());
    this.disk.outbox.set(clientId, { sent, tried: false });
    void this.trySend(clientId);
  }

  /** The process dies and starts again: the link goes at once, memory is lost, the disk is kept. */
  restart(): void {
    this.kill();
    this.life++;
    this.serverIndex = 0;
    this.attempt = 0;
    this.blocked = false;
    this.retries = 0;
    for (const o of this.disk.outbox.values()) o.onLink = undefined;
    this.start();
  }

  /** Stops for good (end of the run). */
  stop(): void {
    this.stopped = true;
    this.kill();
  }

  /** Fetches and acknowledges everything waiting now; resolves with how many came (0 also when not logged in). */
  async drain(): Promise<number> {
    return this.loggedIn ? this.fetchWaiting(this.life) : 0;
  }

  private kill(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const l = this.link;
    this.dropLink();
    l?.removeAllListeners();
    l?.destroy();
  }

  private dropLink(): void {
    this.link = undefined;
    this.loggedIn = false;
    this.fetching = false;
    this.unacked.clear();
    if (this.session) this.session.end = Date.now();
    this.session = undefined;
  }

  private later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      f();
    }, ms);
    this.timers.add(t);
  }

  private reconnect(life: number, next: boolean): void {
    if (this.stopped || life !== this.life) return;
    if (next) this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    const wait = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)]!;
    this.attempt++;
    this.later(wait, () => void this.connect(life));
  }

  private async connect(life: number): Promise<void> {
    if (this.stopped || life !== this.life) return;
    const server = this.servers[this.serverIndex]!;
    let link: Link;
    try {
      link = await openLink(this.kind, server.host, server.port, this.ca);
    } catch (err) {
      this.log(`${this.name}: cannot reach ${server.port}: ${(err as Error).message}`);
      this.reconnect(life, true);
      return;
    }
    if (this.stopped || life !== this.life) {
      link.destroy();
      return;
    }
    this.link = link;
    link.on('message', (m) => this.onMessage(link, m));
    link.on('delivered', (ids) => this.ledger.receipt(this.name, ids, Date.now()));
    link.on('loggedInElsewhere', () => {
      // Nobody else logs in to this account, and a restart drops the old link first: unexpected.
      if (this.link !== link) return;
      this.ledger.takeovers++;
      this.log(`${this.name}: logged in elsewhere`);
      link.destroy();
    });
    link.on('lost', (why) => {
      if (this.link !== link) return;
      this.log(`${this.name}: link lost (${why})`);
      this.dropLink();
      for (const o of this.disk.outbox.values()) if (o.onLink === link) o.onLink = undefined;
      this.reconnect(life, true);
    });
    try {
      await link.login(this.name, this.password);
    } catch (err) {
      if (this.link !== link) return;
      const code = (err as { code?: string }).code ?? 'ERROR';
      if (!isLinkError(err)) this.ledger.loginRefusals[code] = (this.ledger.loginRefusals[code] ?? 0) + 1;
      this.log(`${this.name}: login failed: ${(err as Error).message}`);
      // Whatever it was, this link is given up and the next server tried after the backoff.
      link.removeAllListeners();
      link.destroy();
      this.dropLink();
      this.reconnect(life, true);
      return;
    }
    if (this.link !== link) return;
    this.log(`${this.name}: logged in on server ${this.serverIndex}`);
    this.attempt = 0;
    this.loggedIn = true;
    this.session = this.ledger.openSession(this.name, Date.now());
    this.ledger.serve(this.name, Date.now());
    for (const id of [...this.disk.outbox.keys()]) void this.trySend(id);
    void this.fetchWaiting(life);
  }

  /** Whether a message written before this one was refused and is not accepted yet (the outbox keeps the order written). */
  private behindRefused(clientId: number): boolean {
    for (const [id, o] of this.disk.outbox) {
      if (id === clientId) return false;
      if (o.refused) return true;
    }
    return false;
  }

  private async trySend(clientId: number): Promise<void> {
    const link = this.link;
    const o = this.disk.outbox.get(clientId);
    if (!link || !this.loggedIn || !o || o.onLink || this.blocked || this.behindRefused(clientId)) return;
    o.onLink = link;
    const flags = o.tried ? MessageFlags.RESEND : 0;
    o.tried = true;
    const s = o.sent;
    const attempt = { at: Date.now(), resend: flags !== 0, answer: '?' };
    s.tries.push(attempt);
    try {
      const id = await link.send(s.recipient, s.content, clientId, flags);
      attempt.answer = String(id);
      // An answer from an older link still counts: the message is stored.
      this.ledger.accepted(s, id, Date.now());
      this.disk.outbox.delete(clientId);
      this.retries = 0;
      // What waited behind it (written after a refusal) may go now, in order.
      if (o.refused) for (const next of [...this.disk.outbox.keys()]) void this.trySend(next);
    } catch (err) {
      if (o.onLink === link) o.onLink = undefined;
      if (!this.disk.outbox.has(clientId)) return; // accepted meanwhile on another link
      if (isLinkError(err)) return; // resent after the reconnect
      const code = (err as { code?: string }).code ?? 'ERROR';
      attempt.answer = code;
      this.ledger.refused(s, code, Date.now());
      if (code === 'NOT_LOGGED_IN') {
        // The session is gone under us (a lost gRPC session): log in again, then it is resent.
        if (this.link === link) link.destroy();
        return;
      }
      if (RETRYABLE.has(code)) {
        o.refused = true;
        if (this.blocked) return;
        this.blocked = true;
        this.retries++;
        this.later(BACKOFF[Math.min(this.retries - 1, BACKOFF.length - 1)]!, () => {
          this.blocked = false;
          for (const id of [...this.disk.outbox.keys()]) void this.trySend(id);
        });
        return;
      }
      // A final refusal: a real client tells its user and drops the message.
      s.failed = code;
      this.disk.outbox.delete(clientId);
      this.log(`${this.name}: send to ${s.recipient} refused: ${code}`);
      if (o.refused) for (const next of [...this.disk.outbox.keys()]) void this.trySend(next);
    }
  }

  private onMessage(link: Link, m: { id: number; sender: string; clientId: number; content: string }): void {
    // A push may come in the same read as the LoginOk, before login() has resolved: it is this
    // session's all the same, and dropping it would let a later cumulative Ack remove it unseen.
    if (this.link !== link) return;
    this.record(m, 'push');
    void this.ackUpTo(link, m.id);
  }

  private record(m: { id: number; sender: string; clientId: number; content: string }, via: 'push' | 'fetch'): void {
    const key = keyOf(m.sender, m.clientId);
    const repeat = this.disk.seen.has(key);
    this.disk.seen.add(key);
    this.ledger.deliver(this.name, { id: m.id, sender: m.sender, clientId: m.clientId, content: m.content, at: Date.now(), via, session: this.session?.id ?? 0, repeat });
    this.unacked.add(m.id);
  }

  private async ackUpTo(link: Link, upTo: number): Promise<void> {
    try {
      await link.ack(upTo);
    } catch {
      return; // not acknowledged: it waits and comes again
    }
    if (this.link !== link) return;
    const gone = [...this.unacked].filter((id) => id <= upTo);
    for (const id of gone) this.unacked.delete(id);
    this.ledger.ack(this.name, gone, Date.now());
  }

  private async fetchWaiting(life: number): Promise<number> {
    const link = this.link;
    if (!link || !this.loggedIn || this.fetching || life !== this.life) return 0;
    this.fetching = true;
    let got = 0;
    try {
      for (;;) {
        const { remaining, messages } = await link.fetch(FETCH_PAGE);
        if (this.link !== link) return got;
        for (const m of messages) this.record(m, 'fetch');
        got += messages.length;
        const upTo = messages.reduce((a, m) => Math.max(a, m.id), 0);
        if (upTo > 0) await this.ackUpTo(link, upTo);
        if (remaining === 0 || messages.length === 0) break;
      }
    } catch (err) {
      this.log(`${this.name}: fetch failed: ${(err as Error).message}`);
    } finally {
      if (this.link === link) this.fetching = false;
    }
    return got;
  }
}
