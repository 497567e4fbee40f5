/**
 * ChatSession: owns the connection for the TUI. Connects to the first server of its list that
 * answers; when the link dies, reconnects (with backoff) to the next one in turn, logs in
 * again by itself, fetches waiting messages unless told not to, resends messages
 * that were in flight with the same client id, acks what reached the screen, keeps the history
 * file, and reports everything to the reducer as actions.
 */
import { MAX_WATCH, MessageFlags } from '../protocol/schema.js';
import { FifoMap } from '../protocol/fifoMap.js';
import { ClientIds, type ChatClient, type ChatMessage } from '../protocol/client.js';
import { validate, type Body } from '../protocol/codec.js';
import { HistoryKeeper } from './historyKeeper.js';
import { log } from './log.js';
import type { Action, IncomingMessage, StoredMessage } from './state/index.js';
import { DEFAULT_SERVER, formatServer, parseServer, type ServerAddress } from './servers.js';
import { fromWire, toWire } from './text/unicode.js';

/** The part of ChatClient the TUI uses. */
export type ClientLike = Pick<
  ChatClient,
  'register' | 'login' | 'listAccounts' | 'send' | 'fetch' | 'ack' | 'deleteAccount' | 'watch' | 'close' | 'on' | 'removeAllListeners'
>;

/** Opens a connection to one server of the list. */
export type Connect = (server: ServerAddress) => Promise<ClientLike>;

export interface SessionOptions {
  /** The servers to use, tried in turn (default: 127.0.0.1:7878 alone). */
  servers?: readonly ServerAddress[];
  /** Fetch waiting messages at login and after a reconnect (default true). */
  autoFetch?: boolean;
  /** Directory for history files; null keeps no history. */
  historyDir?: string | null;
  /** Names the history file (the server list as given). */
  server?: string;
  /** How many messages of history to load at login. */
  historyLimit?: number;
}

/** Waits between reconnect attempts, in ms; the last one repeats. */
export const BACKOFF = [100, 250, 500, 1000, 2000, 4000, 5000];

/** Errors meaning "the link went away", after which a request is retried rather than reported. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'CONNECTION_CLOSED' || code === 'SHUTTING_DOWN' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** A sentence for the user from any rejection. */
export const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A received message as the view wants it: UTF-7 decoded. */
export const incoming = ({ content, ...m }: ChatMessage): IncomingMessage => ({ ...m, text: fromWire(content, m.flags) });

const stored = (m: IncomingMessage): StoredMessage => ({
  id: m.id,
  sender: m.sender,
  peer: m.sender,
  own: false,
  clientId: m.clientId,
  sentAt: m.sentAt,
  text: m.text,
});

/** A message on its way: the Send fields, what the user typed, and when. */
interface Outgoing extends Pick<Body<'Send'>, 'recipient' | 'content' | 'flags'> {
  text: string;
  at: number;
  /** Sent before without an answer (the link dropped): a retry is flagged RESEND. */
  tried?: boolean;
  /** A Send of it is on the wire now (a retry waits for its answer). */
  inFlight?: boolean;
  /** Retries after a retryable refusal (UNAVAILABLE, DISK_FULL), for the backoff. */
  retries?: number;
}

/** Refusals that say "nothing final happened, try again": the message stays pending and is sent again. */
const RETRYABLE = new Set(['UNAVAILABLE', 'DISK_FULL']);

export class ChatSession {
  private client: ClientLike | null = null;
  private creds: { username: string; password: string } | null = null;
  private loggedIn = false;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Sent but not yet accepted, in order; resent after a reconnect with the same client id. */
  private readonly outbox = new Map<number, Outgoing>();
  /** Retries waiting after a retryable refusal. */
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Client message ids, kept across connections (a resend reuses its id). */
  private readonly clientIds = new ClientIds();
  private readonly servers: readonly ServerAddress[];
  /** Which of `servers` the session is on, or tries next. */
  private serverIndex = 0;
  /** The server closed the connection for idleness: reconnect to it, not the next. */
  private stayOnServer = false;
  private fetching = false;
  private readonly history: HistoryKeeper;
  private readonly autoFetch: boolean;
  /** Receipts lately received: one may come before the Accepted of its message (a resend's). */
  private readonly receipts = new FifoMap<number, true>(1000);
  /** The names to watch for presence, sorted; sent again after every login. */
  private watching: readonly string[] = [];
  /** Watch requests not answered yet, and the presence pushes that came meanwhile (applied after the answer). */
  private watchesInFlight = 0;
  private presenceMeanwhile: Array<{ name: string; online: boolean }> = [];

  constructor(
    private readonly connectFn: Connect,
    private readonly dispatch: (a: Action) => void,
    private readonly opts: SessionOptions = {},
  ) {
    this.autoFetch = opts.autoFetch ?? true;
    this.servers = opts.servers?.length ? opts.servers : [parseServer(DEFAULT_SERVER)];
    this.history = new HistoryKeeper(opts.historyDir, opts.server ?? 'default', dispatch, opts.historyLimit);
  }

  /** Starts connecting; call once. */
  start(): void {
    void this.connect();
  }

  /** Closes the connection and the history file, and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.history.close();
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      await c.close().catch(() => undefined);
    }
  }

  get connected(): boolean {
    return this.client !== null;
  }

  /** The server the session is on (or tries now), as host:port. */
  get server(): string {
    return formatServer(this.servers[this.serverIndex]!);
  }

  /** On to the next server of the list (round-robin); the same one when there is only one. */
  private nextServer(): void {
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const server = this.server;
    this.dispatch({ type: 'conn', status: 'connecting', server });
    let c: ClientLike;
    try {
      c = await this.connectFn(this.servers[this.serverIndex]!);
    } catch (err) {
      log('connect failed', server, describe(err));
      this.dispatch({ type: 'conn', status: 'disconnected', error: `cannot reach ${server}: ${describe(err)}` });
      this.nextServer();
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      void c.close();
      return;
    }
    this.attempt = 0;
    this.client = c;
    c.on('message', (m) => this.onMessage(m));
    c.on('delivered', (ids) => this.onDelivered(ids));
    c.on('presence', (name, online) => {
      if (this.watchesInFlight > 0) this.presenceMeanwhile.push({ name, online });
      else this.dispatch({ type: 'presence', changes: [{ name, online }] });
    });
    c.on('loggedInElsewhere', () => {
      log('logged in elsewhere');
      this.creds = null;
      this.loggedIn = false;
      this.outbox.clear();
      this.history.close();
      this.dispatch({ type: 'loggedOut', reason: 'Logged in elsewhere: this session was logged out.' });
    });
    c.on('serverClosing', () => this.dispatch({ type: 'notice', text: 'the server is shutting down' }));
    // A server that hangs up on an idle connection (the login screen left alone) is alive: come back
    // to it rather than move on to the next.
    c.on('serverError', (e) => {
      if (e.code === 'IDLE_TIMEOUT') this.stayOnServer = true;
    });
    c.on('close', (err) => this.onClose(c, err));
    log('connected', server);
    this.dispatch({ type: 'conn', status: 'connected', error: null, server });
    if (this.creds) await this.relogin(c);
  }

  private onClose(c: ClientLike, err?: Error): void {
    if (this.client !== c) return;
    const lost = this.server;
    log('connection closed', lost, err ? describe(err) : 'cleanly');
    c.removeAllListeners();
    this.client = null;
    this.loggedIn = false;
    if (this.stopped) return;
    if (!this.stayOnServer) this.nextServer();
    this.stayOnServer = false;
    this.dispatch({ type: 'conn', status: 'disconnected', error: `connection to ${lost} lost; reconnecting` });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const wait = BACKOFF[Math.min(this.attempt, BACKOFF.length - 1)]!;
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, wait);
  }

  private async relogin(c: ClientLike): Promise<void> {
    const creds = this.creds!;
    try {
      const r = await c.login(creds.username, creds.password);
      this.loggedIn = true;
      this.dispatch({ type: 'loggedIn', me: creds.username, undelivered: r.undelivered, resumed: true });
      this.dispatch({ type: 'notice', text: 'reconnected' });
      for (const id of [...this.outbox.keys()]) void this.trySend(id);
      if (this.autoFetch && r.undelivered > 0) void this.fetchWaiting();
      if (this.watching.length > 0) void this.sendWatch();
    } catch (err) {
      if (isConnectionError(err)) return; // the close handler reconnects
      this.creds = null;
      this.dispatch({ type: 'loggedOut', reason: `Could not log in again: ${describe(err)}` });
    }
  }

  /** Logs in (registering first when asked); reports the outcome as actions. */
  async login(username: string, password: string, register: boolean): Promise<void> {
    const c = this.client;
    if (!c) {
      this.dispatch({ type: 'loginFailed', error: 'Not connected to the server yet.' });
      return;
    }
    this.dispatch({ type: 'loginStarted' });
    let r: Body<'LoginOk'>;
    try {
      if (register) await c.register(username, password);
      r = await c.login(username, password);
    } catch (err) {
      this.dispatch({ type: 'loginFailed', error: describe(err) });
      return;
    }
    this.creds = { username, password };
    this.loggedIn = true;
    this.outbox.clear();
    const history = this.history.open(username);
    this.dispatch({ type: 'loggedIn', me: username, undelivered: r.undelivered, history });
    if (this.autoFetch && r.undelivered > 0) void this.fetchWaiting();
    // A new session watches nothing: the names are sent again.
    if (this.watching.length > 0) void this.sendWatch();
  }

  /** Delivery receipts: our messages with these ids reached their recipient's client. */
  private onDelivered(ids: readonly number[]): void {
    for (const id of ids) this.receipts.set(id, true);
    this.dispatch({ type: 'delivered', ids });
    this.history.delivered(ids);
  }

  /**
   * Watches these names for presence (the visible users and the open conversations): sent when the
   * set changes and after every login; at most MAX_WATCH, the first ones.
   */
  watch(names: readonly string[]): void {
    const next = [...new Set(names)].slice(0, MAX_WATCH).sort();
    if (next.length === this.watching.length && next.every((n, i) => n === this.watching[i])) return;
    this.watching = next;
    void this.sendWatch();
  }

  private async sendWatch(): Promise<void> {
    const c = this.client;
    if (!c || !this.loggedIn) return;
    this.watchesInFlight++;
    try {
      const online = await c.watch(this.watching);
      if (this.client !== c) return;
      // Pushes that came before this answer may be older or newer than it: applied after it, in order.
      this.dispatch({ type: 'presence', online, changes: this.presenceMeanwhile });
    } catch (err) {
      if (!isConnectionError(err)) log('watch failed', describe(err));
    } finally {
      if (--this.watchesInFlight === 0) this.presenceMeanwhile = [];
    }
  }

  private onMessage(m: ChatMessage): void {
    const msg = incoming(m);
    this.dispatch({ type: 'messages', messages: [msg], live: true });
    this.history.keep([stored(msg)]);
    // It is on screen: acknowledge it. The server removes only what it delivered to this session,
    // so older messages still waiting to be fetched are not affected.
    this.client?.ack(m.id).catch((err) => log('ack failed', describe(err)));
  }

  /**
   * Sends a message; it shows at once as pending and is retried across reconnects. Text with
   * non-ASCII characters goes as UTF-7, flagged.
   */
  send(recipient: string, text: string, fromCompose = true, at = Date.now()): void {
    const clientId = this.clientIds.take();
    const { content, flags } = toWire(text);
    try {
      // Checks the field widths the same way the wire does, before anything is queued.
      validate({ type: 'Send', recipient, clientId, flags, content });
    } catch (err) {
      this.dispatch({ type: 'composeError', text: describe(err) });
      return;
    }
    this.outbox.set(clientId, { recipient, text, content, flags, at });
    this.dispatch({ type: 'sendStarted', clientId, recipient, text, at, fromCompose });
    void this.trySend(clientId);
  }

  private async trySend(clientId: number): Promise<void> {
    const c = this.client;
    const item = this.outbox.get(clientId);
    if (!c || !this.loggedIn || !item || item.inFlight) return;
    item.inFlight = true;
    // A retry says so: the server then pushes it only if it turns out not to be a repeat.
    const flags = item.tried ? item.flags | MessageFlags.RESEND : item.flags;
    item.tried = true;
    try {
      const id = await c.send(item.recipient, item.content, clientId, flags);
      this.outbox.delete(clientId);
      this.dispatch({ type: 'sendAccepted', clientId, id });
      const early = this.receipts.has(id);
      if (early) this.dispatch({ type: 'delivered', ids: [id] });
      const me = this.creds?.username ?? '';
      const delivery = early ? 'delivered' : 'queued';
      this.history.keep([{ id, sender: me, peer: item.recipient, own: true, clientId, sentAt: item.at, text: item.text, delivery }]);
    } catch (err) {
      item.inFlight = false;
      if (isConnectionError(err) || this.client !== c) return; // resent after the reconnect
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && RETRYABLE.has(code)) {
        // The server could not store it now (its database or disk): it stays pending and goes
        // again, flagged RESEND (it may have been stored all the same), after the reconnect backoff.
        const retries = (item.retries ?? 0) + 1;
        item.retries = retries;
        if (retries === 1) this.dispatch({ type: 'error', text: `${describe(err)}: your message stays pending and is sent again` });
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          void this.trySend(clientId);
        }, BACKOFF[Math.min(retries - 1, BACKOFF.length - 1)]);
        this.retryTimers.add(t);
        return;
      }
      this.outbox.delete(clientId);
      this.dispatch({ type: 'sendFailed', clientId, error: describe(err) });
    }
  }

  /** Fetches every waiting message, page by page, acking each page once it is shown. */
  async fetchWaiting(pageSize = 100): Promise<void> {
    const c = this.client;
    if (!c || !this.loggedIn || this.fetching) return;
    this.fetching = true;
    this.dispatch({ type: 'fetching', on: true });
    try {
      for (;;) {
        const { remaining, messages } = await c.fetch(pageSize);
        const msgs = messages.map(incoming);
        this.dispatch({ type: 'messages', messages: msgs, live: false });
        this.history.keep(msgs.map(stored));
        this.dispatch({ type: 'waiting', count: remaining });
        const upTo = messages.reduce((a, m) => Math.max(a, m.id), 0);
        if (upTo > 0) await c.ack(upTo);
        if (remaining === 0 || messages.length === 0) break;
      }
    } catch (err) {
      if (!isConnectionError(err)) this.dispatch({ type: 'error', text: `fetch failed: ${describe(err)}` });
    } finally {
      this.fetching = false;
      this.dispatch({ type: 'fetching', on: false });
    }
  }

  /** /search: the history file when there is one, else the messages in memory. */
  search(query: string): void {
    try {
      const results = this.history.search(query) ?? undefined;
      this.dispatch({ type: 'search', query, results });
    } catch (err) {
      this.dispatch({ type: 'error', text: `search failed: ${describe(err)}` });
    }
  }

  /** Loads one page of the account list. */
  async listAccounts(pattern: string, offset: number, limit: number): Promise<void> {
    const c = this.client;
    if (!c || !this.loggedIn) return;
    try {
      const r = await c.listAccounts(pattern, offset, limit);
      this.dispatch({ type: 'usersLoaded', total: r.total, names: r.names });
    } catch (err) {
      if (!isConnectionError(err)) this.dispatch({ type: 'error', text: describe(err) });
    }
  }

  /** First step without confirm (reports how many messages wait), then with confirm. */
  async deleteAccount(password: string, confirm: boolean): Promise<void> {
    const c = this.client;
    if (!c || !this.loggedIn) {
      this.dispatch({ type: 'deleteFailed', error: 'Not connected to the server.' });
      return;
    }
    this.dispatch({ type: 'deleteStep', step: 'busy' });
    try {
      const r = await c.deleteAccount(password, confirm);
      if (r.deleted) {
        this.creds = null;
        this.loggedIn = false;
        this.outbox.clear();
        this.history.destroy();
        this.dispatch({ type: 'accountDeleted' });
      } else {
        this.dispatch({ type: 'deleteStep', step: 'confirm', waiting: r.waiting });
      }
    } catch (err) {
      this.dispatch({ type: 'deleteFailed', error: describe(err) });
    }
  }
}
