/** An in-memory stand-in for ChatClient: enough of the server's rules for TUI tests. */
import { EventEmitter } from 'node:events';
import { ConnectionClosedError, type ChatMessage } from '../../src/protocol/client.js';
import { ErrorCode, ServerError } from '../../src/protocol/errors.js';
import type { ClientLike } from '../../src/tui/session.js';

export class FakeServer {
  accounts = new Map<string, string>();
  queues = new Map<string, ChatMessage[]>();
  online = new Map<string, FakeClient>();
  nextId = 1;
  /** clientId -> message id, per sender: resends are not stored twice. */
  sentIds = new Map<string, number>();
  clients: FakeClient[] = [];
  sends: Array<{ sender: string; recipient: string; clientId: number; flags: number; content: string }> = [];
  /** Set to make the next connect fail. */
  refuse = false;
  /** While set, a Send is recorded but never answered: the link drops with it in flight. */
  stallSends = false;
  /** Push every live message twice, as an at-least-once server may (same id, same sender clientId). */
  repeatPushes = false;

  connect = async (): Promise<ClientLike> => {
    if (this.refuse) throw new Error('connect ECONNREFUSED');
    const c = new FakeClient(this);
    this.clients.push(c);
    return c;
  };

  /** Delivers a message as the server would: stored, pushed if the recipient is online. */
  deliver(sender: string, recipient: string, content: string, opts: { sentAt?: number; clientId?: number; flags?: number } = {}): ChatMessage {
    const m: ChatMessage = {
      id: this.nextId++,
      sender,
      clientId: opts.clientId ?? 0,
      flags: opts.flags ?? 0,
      sentAt: opts.sentAt ?? Date.now(),
      content,
    };
    const q = this.queues.get(recipient) ?? [];
    q.push(m);
    this.queues.set(recipient, q);
    const live = this.online.get(recipient);
    if (live) {
      live.delivered.add(m.id);
      live.emit('message', m);
      if (this.repeatPushes) live.emit('message', { ...m });
    }
    return m;
  }

  /** Tells the clients watching `name` that it came online or went offline. */
  presence(name: string, online: boolean): void {
    for (const c of this.clients) if (!c.closed && c.user && c.watching.includes(name)) c.emit('presence', name, online);
  }
}

const err = (code: keyof typeof ErrorCode, text: string) => new ServerError(ErrorCode[code], text);

export class FakeClient extends EventEmitter implements ClientLike {
  user: string | null = null;
  closed = false;
  acks: number[] = [];
  /** Ids pushed or fetched on this connection: what an Ack may remove (as the real server does). */
  delivered = new Set<number>();
  /** The names this connection watches, and every Watch it sent. */
  watching: string[] = [];
  watches: string[][] = [];
  constructor(private readonly server: FakeServer) {
    super();
  }
  private check(): void {
    if (this.closed) throw new ConnectionClosedError();
  }
  private me(): string {
    if (!this.user) throw err('NOT_LOGGED_IN', 'log in first');
    return this.user;
  }
  async register(username: string, password: string): Promise<void> {
    this.check();
    if (this.server.accounts.has(username)) throw err('USERNAME_TAKEN', `the name ${username} is taken`);
    this.server.accounts.set(username, password);
  }
  async login(username: string, password: string): Promise<{ undelivered: number }> {
    this.check();
    if (this.server.accounts.get(username) !== password) throw err('BAD_CREDENTIALS', 'wrong username or password');
    const old = this.server.online.get(username);
    if (old && old !== this) {
      old.user = null;
      old.emit('loggedInElsewhere');
    }
    const wasOnline = this.server.online.has(username);
    this.user = username;
    this.delivered.clear();
    this.watching = [];
    this.server.online.set(username, this);
    if (!wasOnline) this.server.presence(username, true);
    return { undelivered: this.server.queues.get(username)?.length ?? 0 };
  }
  async logout(): Promise<void> {
    this.goOffline();
  }
  private goOffline(): void {
    const me = this.user;
    this.user = null;
    this.watching = [];
    if (me && this.server.online.get(me) === this) {
      this.server.online.delete(me);
      this.server.presence(me, false);
    }
  }
  async watch(names: readonly string[]): Promise<string[]> {
    this.check();
    this.me();
    this.watching = [...names];
    this.watches.push([...names]);
    return this.watching.filter((n) => this.server.online.has(n));
  }
  async listAccounts(pattern = '*', offset = 0, limit = 50): Promise<{ total: number; names: string[] }> {
    this.check();
    this.me();
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const all = [...this.server.accounts.keys()].filter((n) => re.test(n)).sort();
    return { total: all.length, names: all.slice(offset, offset + limit) };
  }
  async send(recipient: string, content: string, clientId = 0, flags = 0): Promise<number> {
    this.check();
    const me = this.me();
    if (!this.server.accounts.has(recipient)) throw err('NO_SUCH_USER', `no user named ${recipient}`);
    const key = `${me}/${clientId}`;
    // clientId 0 means "no id": never taken as a resend.
    const known = clientId === 0 ? undefined : this.server.sentIds.get(key);
    if (known !== undefined) return known;
    if (this.server.stallSends) {
      this.server.sends.push({ sender: me, recipient, clientId, flags, content });
      return new Promise<number>((_, reject) => this.once('close', () => reject(Object.assign(new Error('connection to the server closed'), { code: 'CONNECTION_CLOSED' }))));
    }
    this.server.sends.push({ sender: me, recipient, clientId, flags, content });
    const m = this.server.deliver(me, recipient, content, { clientId, flags });
    this.server.sentIds.set(key, m.id);
    return m.id;
  }
  async fetch(max = 100): Promise<{ remaining: number; messages: ChatMessage[] }> {
    this.check();
    const q = this.server.queues.get(this.me()) ?? [];
    const messages = q.slice(0, max);
    for (const m of messages) this.delivered.add(m.id);
    return { remaining: q.length - messages.length, messages };
  }
  async ack(upTo: number): Promise<void> {
    this.check();
    const me = this.me();
    this.acks.push(upTo);
    const q = this.server.queues.get(me) ?? [];
    const gone = q.filter((m) => m.id <= upTo && this.delivered.has(m.id));
    this.server.queues.set(
      me,
      q.filter((m) => !gone.includes(m)),
    );
    // Receipts to the senders that are online (the real server also keeps them for offline ones).
    for (const sender of new Set(gone.map((m) => m.sender))) {
      this.server.online.get(sender)?.emit('delivered', gone.filter((m) => m.sender === sender).map((m) => m.id));
    }
  }
  async deleteAccount(password: string, confirm = false): Promise<{ deleted: true } | { deleted: false; waiting: number }> {
    this.check();
    const me = this.me();
    if (this.server.accounts.get(me) !== password) throw err('BAD_CREDENTIALS', 'wrong password');
    const waiting = this.server.queues.get(me)?.length ?? 0;
    if (waiting > 0 && !confirm) return { deleted: false, waiting };
    this.server.accounts.delete(me);
    this.server.queues.delete(me);
    this.goOffline();
    return { deleted: true };
  }
  async close(): Promise<void> {
    this.drop();
  }
  /** Simulates the link going away. */
  drop(err?: Error): void {
    if (this.closed) return;
    if (this.user && this.server.online.get(this.user) === this) {
      this.server.online.delete(this.user);
      this.server.presence(this.user, false);
    }
    this.closed = true;
    this.emit('close', err);
  }
}

/** Polls until check() holds (no fixed sleeps). */
export async function until(check: () => boolean, what = 'condition', timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
