/**
 * ChatSession: owns the connection for the TUI. Connects to the first server of its list that
 * answers; when the link dies, reconnects (with backoff) to the next one in turn, logs in
 * again by itself, fetches waiting messages unless told not to, resends messages
 * that were in flight with the same client id, acks what reached the screen, keeps the history
 * file, and reports everything to the reducer as actions.
 */
import type { FetchedMessage } from '../protocol/client.js';
import type { Body } from '../protocol/codec.js';
import { HistoryKeeper } from './historyKeeper.js';
import { backoff, describe, isConnectionError, type ClientLike, type Connect } from './link.js';
import { log } from './log.js';
import { Outbox } from './outbox.js';
import { PresenceWatch } from './presenceWatch.js';
import type { Action, IncomingMessage, StoredMessage } from './state/index.js';
import { DEFAULT_SERVER, formatServer, parseServer, type ServerAddress } from './servers.js';
import { fromWire } from './text/unicode.js';
import { TuiGroups } from './groups.js';

export type { ClientLike, Connect } from './link.js';

export interface SessionOptions {
  /** The servers to use, tried in turn (default: DEFAULT_SERVER alone). */
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

/** A received message as the view wants it: UTF-7 decoded (a group message keeps its group). */
export const incoming = ({ content, ...m }: FetchedMessage): IncomingMessage => ({ ...m, text: fromWire(content, m.flags) });

const stored = (m: IncomingMessage): StoredMessage => ({
  id: m.id,
  sender: m.sender,
  peer: m.group ?? m.sender,
  own: false,
  clientId: m.clientId,
  sentAt: m.sentAt,
  text: m.text,
});

export class ChatSession {
  private client: ClientLike | null = null;
  private creds: { username: string; password: string } | null = null;
  private loggedIn = false;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly servers: readonly ServerAddress[];
  /** Which of `servers` the session is on, or tries next. */
  private serverIndex = 0;
  /** The server closed the connection for idleness: reconnect to it, not the next. */
  private stayOnServer = false;
  private fetching = false;
  private readonly history: HistoryKeeper;
  private readonly autoFetch: boolean;
  private readonly outbox: Outbox;
  private readonly presence: PresenceWatch;
  /** The group /commands and what the server says about groups. */
  readonly groups: TuiGroups;

  constructor(
    private readonly connectFn: Connect,
    private readonly dispatch: (a: Action) => void,
    private readonly opts: SessionOptions = {},
  ) {
    this.autoFetch = opts.autoFetch ?? true;
    this.servers = opts.servers?.length ? opts.servers : [parseServer(DEFAULT_SERVER)];
    this.history = new HistoryKeeper(opts.historyDir, opts.server ?? 'default', dispatch, opts.historyLimit);
    const host = {
      client: () => this.client,
      loggedIn: () => this.loggedIn,
      me: () => this.creds?.username ?? '',
      dispatch,
      history: this.history,
    };
    this.outbox = new Outbox(host);
    this.presence = new PresenceWatch(host);
    this.groups = new TuiGroups(host);
  }

  /** Starts connecting; call once. */
  start(): void {
    void this.connect();
  }

  /** Closes the connection and the history file, and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.outbox.stop();
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
    c.on('presence', (name, online) => this.presence.changed(name, online));
    c.on('groupMessage', (m) => this.onMessage(m));
    c.on('groupChanged', (e) => this.groups.changed(e));
    // "Delivered" once every member has the message.
    c.on('groupDelivered', (d) => d.delivered >= d.recipients && this.onDelivered([d.id]));
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
    const wait = backoff(this.attempt);
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
      this.outbox.resendAll();
      if (this.autoFetch && r.undelivered > 0) void this.fetchWaiting();
      this.presence.renew();
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
    this.presence.renew();
  }

  /** Delivery receipts: our messages with these ids reached their recipient's client. */
  private onDelivered(ids: readonly number[]): void {
    this.outbox.receipted(ids);
    this.dispatch({ type: 'delivered', ids });
    this.history.delivered(ids);
  }

  /** Watches these names for presence (the visible users and the open conversations). */
  watch(names: readonly string[]): void {
    this.presence.watch(names);
  }

  private onMessage(m: FetchedMessage): void {
    const msg = incoming(m);
    this.dispatch({ type: 'messages', messages: [msg], live: true });
    this.history.keep([stored(msg)]);
    // It is on screen: acknowledge it. The server removes only what it delivered to this session,
    // so older messages still waiting to be fetched are not affected.
    this.client?.ack(m.id).catch((err) => log('ack failed', describe(err)));
  }

  /** Sends a message; it shows at once as pending and is retried across reconnects (see Outbox). */
  send(recipient: string, text: string, fromCompose = true, at = Date.now()): void {
    this.outbox.send(recipient, text, fromCompose, at);
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
