/**
 * ChatSession: owns the connection for the TUI. Connects to the first server of its list that
 * answers; when the link dies, reconnects (with backoff) to the next one in turn, logs in again by
 * itself, fetches waiting messages unless told not to, resends what the server has not accepted
 * (the outbox, kept on disk), acks what reached the screen, keeps the history file, and reports
 * everything to the reducer as actions.
 */
import type { FetchedMessage } from '../protocol/client.js';
import type { Body } from '../protocol/codec.js';
import { exportPath, writeLog } from './exportLog.js';
import { HistoryKeeper } from './historyKeeper.js';
import { backoff, describe, isConnectionError, type ClientLike, type Connect } from './link.js';
import { log } from './log.js';
import { Outbox } from './outbox.js';
import { PresenceWatch } from './presenceWatch.js';
import type { Action, IncomingMessage, StoredMessage } from './state/index.js';
import { DEFAULT_SERVER, formatServer, parseServer, type ServerAddress } from './servers.js';
import { fromWire } from './text/unicode.js';
import { TuiGroups } from './groups.js';
import { MessageFlags } from '../protocol/schema.js';

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
  /** The connection is TLS (a server that hangs up at once is then told apart from one that wants TLS). */
  secure?: boolean;
  /**
   * A local server was just started: until it first answers, failing to connect is expected and
   * shown as "starting", and once it answers, this notice says so.
   */
  startedServer?: string;
}

/** What the session reads of the screen: the line being typed (kept when a takeover logs this session out). */
export interface ScreenView {
  draft(): string;
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
  ...((m.flags & MessageFlags.ACTION) !== 0 ? { action: true } : {}),
});

/** Most names one Tab asks the server for. */
const COMPLETION_PAGE = 100;

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export class ChatSession {
  private client: ClientLike | null = null;
  private creds: { username: string; password: string } | null = null;
  /** A login asked for before the server answered (keys typed ahead): made once it does. */
  private queuedLogin: { username: string; password: string; register: boolean } | null = null;
  private loggedIn = false;
  /** Receipts that came while not logged in (a server may push them before the LoginOk answer): applied after it. */
  private earlyReceipts: number[] = [];
  private stopped = false;
  private attempt = 0;
  /** The server answered once (a started local server is up). */
  private reached = false;
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
    private readonly screen: ScreenView = { draft: () => '' },
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

  /** Messages the server has not accepted yet. */
  get pending(): number {
    return this.outbox.size;
  }

  /** The server the session is on (or tries now), as host:port. */
  get server(): string {
    return formatServer(this.servers[this.serverIndex]!);
  }

  /** On to the next server of the list (round-robin); the same one when there is only one. */
  private nextServer(): void {
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
  }

  /** Why a connection failed, with what to try when the cause is likely TLS on one side only. */
  private failure(server: string, err: unknown): string {
    const why = describe(err);
    if (this.opts.secure && /wrong version number|packet length too long|unknown protocol|EPROTO/i.test(why)) {
      return `cannot reach ${server} over TLS: ${why} (is it a plain server? try without --tls)`;
    }
    return `cannot reach ${server}: ${why}`;
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
      // A local server we just started is not listening yet: that is "starting", not an error.
      if (this.opts.startedServer && !this.reached) this.dispatch({ type: 'conn', status: 'connecting', error: null });
      else this.dispatch({ type: 'conn', status: 'disconnected', error: this.failure(server, err) });
      this.nextServer();
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      void c.close();
      return;
    }
    this.client = c;
    c.on('message', (m) => this.onMessage(m));
    c.on('delivered', (ids) => this.onDelivered(ids));
    c.on('presence', (name, online) => this.presence.changed(name, online));
    c.on('groupMessage', (m) => this.onMessage(m));
    c.on('groupChanged', (e) => this.groups.changed(e));
    // "Delivered" once every member has the message.
    c.on('groupDelivered', (d) => d.delivered >= d.recipients && this.onDelivered([d.id]));
    c.on('loggedInElsewhere', () => this.onTakenOver());
    c.on('serverClosing', () => this.dispatch({ type: 'notice', text: 'the server is shutting down' }));
    // A server that hangs up on an idle connection (the login screen left alone) is alive: come back
    // to it rather than move on to the next.
    c.on('serverError', (e) => {
      if (e.code === 'IDLE_TIMEOUT') this.stayOnServer = true;
    });
    let answered = false;
    c.on('close', (err) => this.onClose(c, err, answered));
    // Connected is what the server says, not what TCP says: a server that speaks TLS (or no
    // termchat at all) accepts the connection and hangs up at the first frame.
    try {
      await c.ping();
    } catch {
      return; // the close handler says why and reconnects
    }
    if (this.client !== c) return;
    answered = true;
    this.attempt = 0;
    log('connected', server);
    this.dispatch({ type: 'conn', status: 'connected', error: null, server });
    if (!this.reached && this.opts.startedServer) this.dispatch({ type: 'notice', text: this.opts.startedServer });
    this.reached = true;
    if (this.creds) await this.relogin(c);
    else if (this.queuedLogin) {
      const { username, password, register } = this.queuedLogin;
      this.queuedLogin = null;
      await this.login(username, password, register);
    }
  }

  private onClose(c: ClientLike, err: Error | undefined, answered: boolean): void {
    if (this.client !== c) return;
    const lost = this.server;
    log('connection closed', lost, err ? describe(err) : 'cleanly');
    c.removeAllListeners();
    this.client = null;
    this.loggedIn = false;
    if (this.stopped) return;
    if (!this.stayOnServer) this.nextServer();
    this.stayOnServer = false;
    const error = answered
      ? `connection to ${lost} lost; reconnecting`
      : this.opts.secure
        ? `${lost} hung up before answering: is it a termchat server?`
        : `${lost} hung up before answering: not a termchat server, or one that wants TLS (try --tls)`;
    this.dispatch({ type: 'conn', status: 'disconnected', error });
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
      this.dispatch({ type: 'notice', text: 'reconnected', transient: true });
      this.applyEarlyReceipts();
      this.outbox.resendAll();
      if (this.autoFetch && r.undelivered > 0) void this.fetchWaiting();
      this.presence.renew();
    } catch (err) {
      this.earlyReceipts = [];
      if (isConnectionError(err)) return; // the close handler reconnects
      this.creds = null;
      this.dispatch({ type: 'loggedOut', reason: `Could not log in again: ${describe(err)}` });
    }
  }

  /**
   * Logs in (registering first when asked); reports the outcome as actions. Asked before the
   * server has answered (keys typed while the client started), it is made as soon as it does.
   */
  async login(username: string, password: string, register: boolean): Promise<void> {
    const c = this.client;
    const began = Date.now();
    this.dispatch({ type: 'loginStarted' });
    if (!c) {
      this.queuedLogin = { username, password, register };
      return;
    }
    let r: Body<'LoginOk'>;
    try {
      if (register) await c.register(username, password);
      r = await c.login(username, password);
    } catch (err) {
      this.earlyReceipts = [];
      // The link dropped under the login: it is made again on the next connection.
      if (isConnectionError(err) && !this.stopped) this.queuedLogin = { username, password, register };
      else this.dispatch({ type: 'loginFailed', error: describe(err) });
      return;
    }
    this.creds = { username, password };
    this.loggedIn = true;
    const history = this.history.open(username);
    const outbox = this.outbox.load();
    const draft = this.history.takeDraft(began);
    this.dispatch({
      type: 'loggedIn',
      me: username,
      undelivered: r.undelivered,
      history,
      outbox,
      cleared: this.history.cleared(),
      kept: this.history.isOpen,
      ...(draft ? { draft } : {}),
    });
    if (outbox.length > 0) this.dispatch({ type: 'notice', text: `sending ${plural(outbox.length, 'message')} left unsent last time`, transient: true });
    this.applyEarlyReceipts();
    this.outbox.resendAll();
    if (this.autoFetch && r.undelivered > 0) void this.fetchWaiting();
    this.presence.renew();
  }

  /** Another login took this account over: what was typed and what is unsent stay on disk for the next login. */
  private onTakenOver(): void {
    log('logged in elsewhere');
    const draft = this.screen.draft().trim() === '' ? '' : this.screen.draft();
    if (draft) this.history.keepDraft(draft);
    const kept = this.history.isOpen;
    const unsent = this.outbox.size;
    this.creds = null;
    this.loggedIn = false;
    this.outbox.clear();
    this.history.close();
    const parts = ['Logged in elsewhere: this session was logged out.'];
    if (draft) parts.push(kept ? 'The line you were typing is kept for your next login.' : 'The line you were typing is kept here until you quit.');
    const one = unsent === 1;
    if (unsent > 0) parts.push(`${plural(unsent, 'unsent message')} ${kept ? (one ? 'stays in the outbox' : 'stay in the outbox') : one ? 'is lost (no history file)' : 'are lost (no history file)'}.`);
    this.dispatch({ type: 'loggedOut', reason: parts.join(' ') });
  }

  /** Delivery receipts: our messages with these ids reached their recipient's client. */
  private onDelivered(ids: readonly number[]): void {
    if (!this.loggedIn) {
      this.earlyReceipts.push(...ids);
      return;
    }
    this.outbox.receipted(ids);
    this.dispatch({ type: 'delivered', ids });
    this.history.delivered(ids);
  }

  private applyEarlyReceipts(): void {
    const ids = this.earlyReceipts;
    this.earlyReceipts = [];
    if (ids.length > 0) this.onDelivered(ids);
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

  /** Sends a message; it is kept in the outbox and shows at once as pending (see Outbox). */
  send(recipient: string, text: string, fromCompose = true, at = Date.now(), action = false): void {
    this.outbox.send(recipient, text, fromCompose, at, action);
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

  /** /export FILE: the history file when there is one, else `inMemory` (the messages on screen). */
  exportHistory(file: string, inMemory: () => Iterable<StoredMessage>): void {
    const to = exportPath(file);
    try {
      const n = writeLog(to, this.history.all() ?? inMemory(), this.creds?.username ?? '');
      this.dispatch({ type: 'notice', text: `exported ${plural(n, 'message')} to ${to}`, transient: true });
    } catch (err) {
      this.dispatch({ type: 'error', text: `export failed: ${describe(err)}` });
    }
  }

  /** /clear: the view hides messages up to this id at the next start too. */
  keepClear(view: string | null, upToId: number): void {
    this.history.keepClear(view ?? '', upToId);
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

  /**
   * Tab: the accounts whose names start with `prefix` (as typed, and in lower case when that
   * differs), or for `#prefix` the groups this account can see (public ones, and those it is in or
   * invited to).
   */
  async namesStartingWith(prefix: string): Promise<{ names: string[]; total: number }> {
    const c = this.client;
    if (!c || !this.loggedIn) return { names: [], total: 0 };
    if (prefix.startsWith('#')) {
      const r = await c.listGroups(`${prefix.slice(1)}*`, 0, COMPLETION_PAGE);
      return { names: r.groups.map((g) => g.group), total: r.total };
    }
    const prefixes = [...new Set([prefix, prefix.toLowerCase()])];
    const pages = await Promise.all(prefixes.map((p) => c.listAccounts(`${p}*`, 0, COMPLETION_PAGE)));
    return { names: [...new Set(pages.flatMap((p) => p.names))], total: pages.reduce((n, p) => n + p.total, 0) };
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
        const name = this.creds?.username ?? '';
        this.creds = null;
        this.loggedIn = false;
        this.outbox.clear();
        this.history.destroy();
        this.dispatch({ type: 'accountDeleted', name });
      } else {
        this.dispatch({ type: 'deleteStep', step: 'confirm', waiting: r.waiting });
      }
    } catch (err) {
      this.dispatch({ type: 'deleteFailed', error: describe(err) });
    }
  }
}
