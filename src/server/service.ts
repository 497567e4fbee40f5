/**
 * ChatService: the rules of termchat. It knows neither sockets nor SQL: a transport opens a Session
 * per connection with a `push` callback and hands it decoded requests; storage is a Store.
 *
 * Requests of one session take effect in the order they arrive, yet can be pipelined: a request that
 * changes who the session is (Login, Logout, DeleteAccount) holds back the ones after it until it is
 * done; every other request goes straight to the store, whose queue keeps the order.
 */
import type { Push, Request, Response } from '../protocol/codec.js';
import { ErrorCode, type ErrorCodeName } from '../protocol/errors.js';
import { MessageFlags, SEND_FLAGS } from '../protocol/schema.js';
import type { PasswordHasher } from './auth.js';
import { isValidPassword, isValidUsername, normalizePattern } from './rules.js';
import type { Store, StoredMessage } from './store/store.js';

/** A rule was broken: a stable code and a sentence for the user. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCodeName,
    message: string,
  ) {
    super(message);
  }
}

/** Where a session's pushes go (the transport writes them to its connection). */
export interface SessionSink {
  push(msg: Push): void;
}

/** One connection's view of the service. */
export class Session {
  accountId: number | undefined;
  username: string | undefined;
  /** Settles when the last identity-changing request is done. */
  barrier: Promise<void> | undefined;
  closed = false;
  /**
   * Ids handed to this session (pushed or fetched) and not yet acknowledged. Ack removes only these,
   * so a cumulative Ack after a live push cannot drop older messages the user has never seen.
   */
  readonly delivered = new Set<number>();
  constructor(
    readonly id: number,
    readonly sink: SessionSink,
  ) {}
}

export interface ChatMessageOut {
  id: number;
  sender: string;
  clientId: number;
  flags: number;
  sentAt: number;
  content: string;
}

/** Minimal logger (pino's fits). */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ServiceOptions {
  /** Largest page a ListAccounts answers; a limit of 0 means this. */
  maxListLimit?: number;
  /** Largest MessageBatch; keeps the frame well under the size limit. */
  maxFetch?: number;
  /** How long a (sender, clientId) pair is remembered for resends. */
  dedupWindowMs?: number;
}

const ORDERED = new Set<Request['type']>(['Login', 'Logout', 'DeleteAccount']);

export class ChatService {
  private readonly sessions = new Set<Session>();
  /** The live session of each logged-in account. */
  private readonly online = new Map<number, Session>();
  private nextSessionId = 1;
  private inflight = 0;
  private idle: (() => void) | undefined;
  private closing = false;
  readonly maxListLimit: number;
  readonly maxFetch: number;
  readonly dedupWindowMs: number;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly log: Log,
    opts: ServiceOptions = {},
  ) {
    this.maxListLimit = opts.maxListLimit ?? 500;
    this.maxFetch = opts.maxFetch ?? 200;
    this.dedupWindowMs = opts.dedupWindowMs ?? 24 * 60 * 60 * 1000;
  }

  /** Starts a session for a new connection. */
  openSession(sink: SessionSink): Session {
    const s = new Session(this.nextSessionId++, sink);
    this.sessions.add(s);
    return s;
  }

  /** Ends a session (its connection is gone); its account goes offline. */
  closeSession(s: Session): void {
    s.closed = true;
    this.sessions.delete(s);
    this.unbind(s);
  }

  /** Answers one request. Never rejects: broken rules and failures become Error responses. */
  handle(s: Session, req: Request): Promise<Response> {
    if (this.closing) return Promise.resolve(errorResponse('SHUTTING_DOWN', 'the server is shutting down'));
    this.inflight++;
    const run = () => this.dispatch(s, req);
    const p = (s.barrier ? s.barrier.then(run) : run()).catch((err: unknown) => this.toErrorResponse(s, req, err));
    if (ORDERED.has(req.type)) {
      const b = p.then(() => undefined);
      s.barrier = b;
      void b.then(() => {
        if (s.barrier === b) s.barrier = undefined;
      });
    }
    return p.finally(() => {
      if (--this.inflight === 0 && this.idle) this.idle();
    });
  }

  /** Creates an account. */
  async register(username: string, password: string): Promise<void> {
    checkCredentialsShape(username, password);
    const hash = await this.hasher.hash(password);
    const id = await this.store.createAccount(username, hash);
    if (id === undefined) throw new ServiceError('USERNAME_TAKEN', `username ${username} is taken`);
    this.log.info({ account: id, username }, 'account registered');
  }

  /** Logs the session in, taking over any other live session of the account. */
  async login(s: Session, username: string, password: string): Promise<{ undelivered: number }> {
    const account = isValidUsername(username) ? await this.store.findAccount(username) : undefined;
    const ok = await this.hasher.verify(password, account?.hash);
    if (!ok || !account || !(await this.store.isLive(account.id))) {
      throw new ServiceError('BAD_CREDENTIALS', 'wrong username or password');
    }
    this.unbind(s);
    if (s.closed) throw new ServiceError('NOT_LOGGED_IN', 'connection closed');
    const previous = this.online.get(account.id);
    if (previous && previous !== s) {
      this.unbind(previous);
      previous.sink.push({ type: 'LoggedInElsewhere' });
      this.log.info({ account: account.id, session: previous.id }, 'session taken over');
    }
    s.accountId = account.id;
    s.username = account.name;
    this.online.set(account.id, s);
    return { undelivered: await this.store.countQueued(account.id) };
  }

  logout(s: Session): void {
    this.unbind(s);
  }

  /** One sorted page of live accounts matching a wildcard pattern, with the total. */
  async listAccounts(s: Session, pattern: string, offset: number, limit: number): Promise<{ total: number; names: string[] }> {
    this.account(s);
    const glob = normalizePattern(pattern);
    if (glob === undefined) {
      throw new ServiceError('INVALID_PATTERN', 'pattern may hold only letters, digits, _ . - and the wildcards * ?');
    }
    const n = limit === 0 || limit > this.maxListLimit ? this.maxListLimit : limit;
    return this.store.listAccounts(glob, offset, n);
  }

  /** Stores a message, then pushes it if the recipient is online; resolves with its id. */
  async send(s: Session, recipient: string, clientId: number, flags: number, content: string): Promise<number> {
    const from = this.account(s);
    if (content.length === 0) throw new ServiceError('INVALID_ARGUMENT', 'message is empty');
    if ((flags & ~SEND_FLAGS) !== 0) throw new ServiceError('INVALID_ARGUMENT', `flags ${flags}: only bit ${SEND_FLAGS} (UTF-7) may be set`);
    const r = await this.store.appendMessage({
      senderId: from,
      recipientName: recipient,
      clientId,
      flags,
      content,
      sentAt: Date.now(),
      dedupWindowMs: this.dedupWindowMs,
    });
    if (!r.ok) throw new ServiceError('NO_SUCH_USER', `no user named ${recipient}`);
    if (!r.duplicate) {
      const to = this.online.get(r.recipientId);
      if (to) {
        to.sink.push({ type: 'Message', id: r.id, sender: s.username ?? '', clientId, flags, sentAt: r.sentAt, content });
        to.delivered.add(r.id);
      }
    }
    return r.id;
  }

  /** Up to `max` waiting messages (0 or too many means the page cap), oldest first. */
  async fetch(s: Session, max: number): Promise<{ remaining: number; messages: ChatMessageOut[] }> {
    const me = this.account(s);
    const n = max === 0 || max > this.maxFetch ? this.maxFetch : max;
    const r = await this.store.fetchQueued(me, n);
    for (const m of r.messages) s.delivered.add(m.id);
    return { remaining: r.remaining, messages: r.messages.map(toWire) };
  }

  /** Cumulative acknowledgement: every message delivered to this session with id <= upTo leaves the queue. */
  async ack(s: Session, upTo: number): Promise<void> {
    const me = this.account(s);
    const ids: number[] = [];
    for (const id of s.delivered) if (id <= upTo) ids.push(id);
    for (const id of ids) s.delivered.delete(id);
    if (ids.length > 0) await this.store.ack(me, ids);
  }

  /** Deletes the session's account; asks for confirmation first if messages wait. */
  async deleteAccount(s: Session, password: string, confirm: boolean): Promise<{ deleted: true } | { deleted: false; waiting: number }> {
    const me = this.account(s);
    const account = await this.store.findAccount(s.username ?? '');
    if (!account || account.id !== me || !(await this.hasher.verify(password, account.hash))) {
      throw new ServiceError('BAD_CREDENTIALS', 'wrong password');
    }
    const r = await this.store.deleteAccount(me, confirm);
    if (r.deleted) {
      this.unbind(s);
      this.log.info({ account: me }, 'account deleted');
    }
    return r;
  }

  /** Refuses new requests, waits (bounded) for those in flight, then tells every session the server is closing. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    if (this.inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const s of this.sessions) s.sink.push({ type: 'ServerClosing' });
  }

  private async dispatch(s: Session, req: Request): Promise<Response> {
    switch (req.type) {
      case 'Register':
        await this.register(req.username, req.password);
        return { type: 'Ok' };
      case 'Login':
        return { type: 'LoginOk', ...(await this.login(s, req.username, req.password)) };
      case 'Logout':
        this.logout(s);
        return { type: 'Ok' };
      case 'ListAccounts':
        return { type: 'AccountList', ...(await this.listAccounts(s, req.pattern, req.offset, req.limit)) };
      case 'Send':
        return { type: 'Accepted', messageId: await this.send(s, req.recipient, req.clientId, req.flags, req.content) };
      case 'FetchUndelivered':
        return { type: 'MessageBatch', ...(await this.fetch(s, req.max)) };
      case 'Ack':
        await this.ack(s, req.upTo);
        return { type: 'Ok' };
      case 'DeleteAccount': {
        const r = await this.deleteAccount(s, req.password, req.confirm !== 0);
        return r.deleted ? { type: 'Ok' } : { type: 'ConfirmDelete', waiting: r.waiting };
      }
      case 'Ping':
        return { type: 'Pong' };
    }
  }

  private toErrorResponse(s: Session, req: Request, err: unknown): Response {
    if (err instanceof ServiceError) return errorResponse(err.code, err.message);
    this.log.error({ err, session: s.id, request: req.type }, 'request failed');
    return errorResponse('INTERNAL', 'internal server error');
  }

  /** The session's account id, or NOT_LOGGED_IN. */
  private account(s: Session): number {
    if (s.accountId === undefined) throw new ServiceError('NOT_LOGGED_IN', 'log in first');
    return s.accountId;
  }

  private unbind(s: Session): void {
    if (s.accountId !== undefined && this.online.get(s.accountId) === s) this.online.delete(s.accountId);
    s.accountId = undefined;
    s.username = undefined;
    s.delivered.clear();
  }
}

function checkCredentialsShape(username: string, password: string): void {
  if (!isValidUsername(username)) {
    throw new ServiceError('INVALID_USERNAME', 'username must be 1-16 characters of A-Z a-z 0-9 _ . -');
  }
  if (!isValidPassword(password)) {
    throw new ServiceError('INVALID_PASSWORD', 'password must be 1-64 printable ASCII characters');
  }
}

function toWire(m: StoredMessage): ChatMessageOut {
  return {
    id: m.id,
    sender: m.senderName,
    clientId: m.clientId,
    flags: (m.flags & ~MessageFlags.SENDER_DELETED) | (m.senderDeleted ? MessageFlags.SENDER_DELETED : 0),
    sentAt: m.sentAt,
    content: m.content,
  };
}

/** An Error response for a code from errors.ts. */
export function errorResponse(code: ErrorCodeName, text: string): Response {
  return { type: 'Error', code: ErrorCode[code], text: text.slice(0, 128) };
}
