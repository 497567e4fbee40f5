/**
 * ChatService: the rules of termchat. It knows neither sockets nor SQL: a transport opens a Session
 * per connection with a sink for pushes and hands it decoded requests; storage is a Store behind a
 * group-commit queue (storeQueue.ts).
 *
 * The hot path is synchronous: a Send is checked against the in-memory directory of accounts, gets
 * its id from a counter, is pushed to an online recipient at once and queued for the next group
 * commit; its Accepted goes out when that commit is durable. Requests that hash a password (Register,
 * Login, DeleteAccount) are asynchronous and hold back the requests after them on their connection
 * (handle() says so), so a connection's requests take effect in the order it sent them.
 */
import { fieldSpan, layout, type Push, type RawFields, type Request, type Response } from '../protocol/codec.js';
import { ErrorCode, type ErrorCodeName } from '../protocol/errors.js';
import { FifoMap } from '../protocol/fifoMap.js';
import { DEFAULT_MAX_BODY, HEADER_SIZE } from '../protocol/framing.js';
import { LIST_MAX_ITEMS, maxValue } from '../protocol/fields.js';
import { chatMessage, errorText, MAX_WATCH, MessageFlags, SEND_FLAGS } from '../protocol/schema.js';
import type { PasswordHasher } from './auth.js';
import { isValidPassword, isValidUsername, normalizePattern, PASSWORD_RULE, USERNAME_RULE } from './rules.js';
import { DeliveredIds } from './deliveredIds.js';
import { BlockIds, ReservedIds, type MessageIds } from './messageIds.js';
import { NodeEvents } from './nodeEvents.js';
import { SendGate, type SendRequest, type WaitingSend } from './sendGate.js';
import { StoreQueue } from './storeQueue.js';
import { DEFAULT_THROTTLE, isLoopback, Throttle, type ThrottleOptions } from './throttle.js';
import {
  UNAVAILABLE,
  type Account,
  type Binding,
  type DeleteResult,
  type InsertOp,
  type InsertResult,
  type OpResult,
  type Receipt,
  type SharedStore,
  type Store,
  type StoredMessage,
} from './store/store.js';

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
  /** `raw` may carry already-validated field bytes (a relayed content) to copy instead of re-encoding. */
  push(msg: Push, raw?: RawFields): void;
}

/** Answers one request, exactly once. */
export type Reply = (r: Response) => void;

/** One connection's view of the service. */
export class Session {
  accountId: number | undefined;
  username: string | undefined;
  closed = false;
  /**
   * Ids handed to this session (pushed or fetched) and not yet acknowledged. Ack removes only these,
   * so a cumulative Ack after a live push cannot drop older messages the user has never seen.
   */
  readonly delivered = new DeliveredIds();
  /** The names this session watches (Watch); emptied when it logs out or closes. */
  watching: readonly string[] = [];
  /** Shared store: this session's claim on its account (a later claim elsewhere takes over). */
  claim: number | undefined;
  /** Shared store: Sends waiting, in order, for something only the database can say (sendGate.ts). */
  backlog: WaitingSend[] | undefined;
  constructor(
    readonly id: number,
    readonly sink: SessionSink,
    /** The peer's IP address, for the per-address limits (undefined: none apply). */
    readonly address?: string,
  ) {}
}

type ChatMessageOut = Extract<Response, { type: 'MessageBatch' }>['messages'][number];

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
  /** Most operations in one group commit. */
  maxBatch?: number;
  /**
   * How long a Send pushed to an online recipient waits for the recipient's Ack before it goes to
   * the store: acknowledged in time, it is never written (default 2 ms; 0 writes every message).
   */
  ackWaitMs?: number;
  /** Most messages waiting for one recipient (queued or not yet committed); past it a Send is MAILBOX_FULL. */
  maxQueue?: number;
  /** Most content bytes waiting for one recipient; past it a Send is MAILBOX_FULL. */
  maxQueueBytes?: number;
  /** Login throttling and registration rates (see throttle.ts); defaults there. */
  throttle?: Partial<ThrottleOptions>;
  /** Whether the per-address limits apply to loopback addresses too (default: they do not). */
  limitLoopback?: boolean;
}

/** The defaults of ServiceOptions, in one place (the CLI's option table and README take them from here). */
export const SERVICE_DEFAULTS: Required<Omit<ServiceOptions, 'throttle' | 'limitLoopback'>> = {
  maxListLimit: 500,
  maxFetch: 200,
  dedupWindowMs: 24 * 60 * 60 * 1000,
  maxBatch: 1024,
  ackWaitMs: 2,
  maxQueue: 10_000,
  maxQueueBytes: 4 * 1024 * 1024,
};

/** What waits for one recipient: the queue cap is checked against it on every Send, without the disk. */
export interface QueueSize {
  n: number;
  bytes: number;
  /** Shared store: when the count was last read from the database (other nodes add and remove too). */
  checkedAt?: number;
}

/** An Error answer for a storage failure: DISK_FULL (retryable, nothing changed) or INTERNAL. */
export function storageError(error: string): Response {
  if (/SQLITE_FULL|disk is full|ENOSPC|could not extend file/i.test(error)) {
    return errorResponse('DISK_FULL', "the server's disk is full; nothing was changed, try again later");
  }
  if (error.startsWith(UNAVAILABLE)) return errorResponse('UNAVAILABLE', 'the server cannot reach its database; try again in a moment');
  return errorResponse('INTERNAL', 'internal server error');
}

/** Where a Send body keeps its content: relayed to the recipient as it is. */
const CONTENT = fieldSpan('Send', 'content');
/** Frame sizes of the answers whose size depends on the request, from the schema. */
const frameOf = (name: 'MessageBatch' | 'AccountList' | 'Presence') => {
  const l = layout(name);
  return { fixed: HEADER_SIZE + l.fixed, item: l.list!.itemSize };
};
const BATCH = frameOf('MessageBatch');
const LIST = frameOf('AccountList');
const PRESENCE = frameOf('Presence');
/** Every other answer (Error is the largest) fits in this. */
const SMALL_ANSWER = HEADER_SIZE + layout('Error').fixed;
/** Message ids are u32 on the wire. */
const MAX_MESSAGE_ID = maxValue(chatMessage.id);
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** Most ids in one Delivered push: its frame stays under the size limit a client accepts by default. */
export const MAX_RECEIPTS = Math.min(LIST_MAX_ITEMS, Math.floor((DEFAULT_MAX_BODY - layout('Delivered').fixed) / layout('Delivered').list!.itemSize));

/** A Send queued for the store and not yet committed. */
interface PendingSend {
  op: InsertOp;
  seq: number;
}

/** How many of the Sends delivered before they were written are remembered for a resend (a process's memory; a restart forgets them). */
const RECENT_UNWRITTEN = 100_000;

/** One number per (sender, clientId) while account ids fit in 21 bits (exact in a double), else a string. */
function sendKey(sender: number, clientId: number): number | string {
  return sender < 0x200000 ? sender * 0x100000000 + clientId : `${sender}:${clientId}`;
}

/** What a Send that was delivered and acknowledged before it reached the store counts as. */
const DELIVERED: OpResult = { ok: true, value: { stored: true } satisfies InsertResult };

export class ChatService {
  private readonly sessions = new Set<Session>();
  /** The live session of each logged-in account. */
  private readonly online = new Map<number, Session>();
  /** Every live account, name -> id: the cheap checks (taken name, unknown recipient) need no disk. */
  private readonly directory = new Map<string, number>();
  private readonly pending = new Map<number, PendingSend>();
  /** Watched name -> the sessions watching it (Watch): a presence change costs one push per watcher. */
  private readonly watchers = new Map<string, Set<Session>>();
  /** What waits for each account (committed or on its way), for the queue cap. */
  private readonly queued = new Map<number, QueueSize>();
  /** (sender, clientId) of recent Sends delivered and acknowledged before they were written, for resends. */
  private readonly deliveredUnwritten = new FifoMap<number | string, { id: number; recipientId: number }>(RECENT_UNWRITTEN);
  private readonly queue: StoreQueue;
  /** Set when several nodes share the store: then ids come in blocks, and sessions and wake-ups cross nodes. */
  private readonly shared: SharedStore | undefined;
  /** Shared store: what the other nodes report (nodeEvents.ts). */
  private nodes: NodeEvents | undefined;
  /** Shared store: where Sends wait for what only the database knows. */
  private readonly gate: SendGate | undefined;
  private nextSessionId = 1;
  /** Where message ids come from (messageIds.ts); set by start(). */
  private ids!: MessageIds;
  /** Requests answered not yet. */
  private outstanding = 0;
  private idle: (() => void) | undefined;
  private closing = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly throttle: Throttle;
  private readonly limitLoopback: boolean;
  /** Throttled Logins waiting for their turn: woken at shutdown. */
  private readonly sleepers = new Set<() => void>();
  readonly maxListLimit: number;
  readonly maxFetch: number;
  readonly dedupWindowMs: number;
  readonly ackWaitMs: number;
  readonly maxQueue: number;
  readonly maxQueueBytes: number;

  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly log: Log,
    opts: ServiceOptions = {},
  ) {
    const d = SERVICE_DEFAULTS;
    this.maxListLimit = opts.maxListLimit ?? d.maxListLimit;
    this.maxFetch = opts.maxFetch ?? d.maxFetch;
    this.dedupWindowMs = opts.dedupWindowMs ?? d.dedupWindowMs;
    this.ackWaitMs = opts.ackWaitMs ?? d.ackWaitMs;
    this.maxQueue = opts.maxQueue ?? d.maxQueue;
    this.maxQueueBytes = opts.maxQueueBytes ?? d.maxQueueBytes;
    this.throttle = new Throttle({ ...DEFAULT_THROTTLE, ...opts.throttle });
    this.limitLoopback = opts.limitLoopback ?? false;
    this.queue = new StoreQueue(store, opts.maxBatch ?? d.maxBatch);
    this.shared = store?.shared;
    this.gate = this.shared
      ? new SendGate({
          directory: this.directory,
          queued: this.queued,
          ids: () => this.ids,
          queue: this.queue,
          maxQueue: this.maxQueue,
          maxQueueBytes: this.maxQueueBytes,
          go: (s, w) => {
            try {
              this.sendNow(s, w.req, w.reply, w.body);
            } catch (err) {
              w.reply(this.toErrorResponse(s, w.req, err));
            }
          },
          storageError,
        })
      : undefined;
  }

  /** Opens the store and loads what the hot path keeps in memory. */
  async start(): Promise<void> {
    const state = await this.store.open();
    for (const [name, id] of state.accounts) this.directory.set(name, id);
    for (const [id, n, bytes] of state.queues) this.queued.set(id, { n, bytes });
    if (this.shared) {
      const nodes = (this.nodes = new NodeEvents(
        {
          online: this.online,
          directory: this.directory,
          queued: this.queued,
          queue: this.queue,
          log: this.log,
          maxFetch: this.maxFetch,
          presence: (name, online) => this.presence(name, online),
          takeOver: (s) => this.takeOver(s),
          sendReceipts: (r) => this.sendReceipts(r),
          toPush: (m) => ({ type: 'Message', ...toWire(m) }),
        },
        RECENT_UNWRITTEN,
      ));
      this.shared.onEvent((e) => nodes.handle(e));
      this.ids = new BlockIds(this.queue, this.log);
      await this.ids.wait();
      this.log.info({ node: this.shared.nodeId }, 'joined the nodes sharing the database');
    } else this.ids = new ReservedIds(this.queue, this.log, state.nextMessageId, MAX_MESSAGE_ID);
    const prune = () => this.queue.add({ op: 'prune', before: Date.now() - this.dedupWindowMs }, () => {});
    prune();
    this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref();
  }

  /** Starts a session for a new connection. */
  openSession(sink: SessionSink, address?: string): Session {
    const s = new Session(this.nextSessionId++, sink, address);
    this.sessions.add(s);
    return s;
  }

  /** Ends a session (its connection is gone); its account goes offline. */
  closeSession(s: Session): void {
    s.closed = true;
    this.sessions.delete(s);
    this.unbind(s);
  }

  /**
   * Takes one request; `reply` is called exactly once with its answer (now or later). Returns true
   * when the requests after this one on the same connection must wait for that answer (it changes
   * who the session is, or hashes a password: one hash in flight per connection). `body` is the
   * request's frame body, when there is one, so a Send's content can be relayed as it is.
   */
  handle(s: Session, req: Request, reply: Reply, body?: Buffer): boolean {
    if (this.closing) {
      reply(errorResponse('SHUTTING_DOWN', 'the server is shutting down'));
      return false;
    }
    this.outstanding++;
    const done: Reply = (r) => {
      reply(r);
      if (--this.outstanding === 0 && this.idle) this.idle();
    };
    try {
      switch (req.type) {
        case 'Send':
          this.send(s, req, done, body);
          return false;
        case 'Ack':
          this.ack(s, req.upTo, done);
          return false;
        case 'Ping':
          done({ type: 'Pong' });
          return false;
        case 'Watch':
          this.watch(s, req.names, done);
          return false;
        case 'FetchUndelivered':
          this.fetch(s, req.max, done);
          return false;
        case 'ListAccounts':
          this.listAccounts(s, req.pattern, req.offset, req.limit, done);
          return false;
        case 'Logout':
          this.unbind(s);
          done({ type: 'Ok' });
          return false;
        case 'Register':
          this.settle(s, req, done, this.register(s, req.username, req.password).then(() => ({ type: 'Ok' })));
          return true;
        case 'Login': {
          const login = this.login(s, req.username, req.password);
          // Receipts kept while the account was offline follow its LoginOk.
          const after = () =>
            void login.then((r) => {
              this.sendReceipts(r.receipts);
              if (r.overtaken && s.claim !== undefined) this.takeOver(s);
            });
          this.settle(s, req, done, login.then((r) => ({ type: 'LoginOk', undelivered: r.undelivered })), after);
          return true;
        }
        case 'DeleteAccount':
          this.settle(
            s,
            req,
            done,
            this.deleteAccount(s, req.password, req.confirm !== 0).then((r) =>
              r.deleted ? { type: 'Ok' } : { type: 'ConfirmDelete', waiting: r.waiting },
            ),
          );
          return true;
      }
    } catch (err) {
      done(this.toErrorResponse(s, req, err));
      return false;
    }
  }

  /**
   * The most answer bytes `req` can produce (a whole frame), so a transport can bound what a
   * connection's requests in flight may make it hold: a Fetch of 200 can answer 100 KiB, a Ping 9 bytes.
   */
  answerBound(req: Request): number {
    switch (req.type) {
      case 'FetchUndelivered':
        return BATCH.fixed + (req.max === 0 || req.max > this.maxFetch ? this.maxFetch : req.max) * BATCH.item;
      case 'ListAccounts':
        return LIST.fixed + (req.limit === 0 || req.limit > this.maxListLimit ? this.maxListLimit : req.limit) * LIST.item;
      case 'Watch':
        return Math.max(SMALL_ANSWER, PRESENCE.fixed + Math.min(req.names.length, MAX_WATCH) * PRESENCE.item);
      default:
        return SMALL_ANSWER;
    }
  }

  /** handle() as a promise, for transports that answer each request on its own (gRPC). */
  request(s: Session, req: Request): Promise<Response> {
    return new Promise((resolve) => this.handle(s, req, resolve));
  }

  /** Forgets that these ids reached the session (the transport could not deliver them), so an Ack cannot remove them. */
  undeliver(s: Session, ids: readonly number[]): void {
    for (const id of ids) s.delivered.delete(id);
  }

  /** Creates an account. */
  async register(s: Session, username: string, password: string): Promise<void> {
    checkCredentialsShape(username, password);
    // The cheap check first: a flood of Registers for a taken name costs no hashing.
    if (this.directory.has(username) && !(this.shared && (await this.deletedElsewhere(username)))) {
      throw new ServiceError('USERNAME_TAKEN', `username ${username} is taken`);
    }
    if (!this.throttle.takeRegistration(this.limitedAddress(s))) {
      throw new ServiceError('RATE_LIMITED', 'too many registrations from your address; try again later');
    }
    const hash = await this.hasher.hash(password, s);
    const id = await this.queue.run<number | undefined>({ op: 'createAccount', name: username, hash });
    if (id === undefined) throw new ServiceError('USERNAME_TAKEN', `username ${username} is taken`);
    this.directory.set(username, id);
    this.log.info({ account: id, username }, 'account registered');
  }

  /** Shared store: whether a name the directory holds was deleted on another node (its wake-up may still be on the way). */
  private async deletedElsewhere(name: string): Promise<boolean> {
    if ((await this.queue.run<Account | undefined>({ op: 'findAccount', name })) !== undefined) return false;
    this.directory.delete(name);
    return true;
  }

  /** Logs the session in, taking over any other live session of the account. */
  async login(
    s: Session,
    username: string,
    password: string,
  ): Promise<{ undelivered: number; receipts: { senderId: number; ids: number[] }; overtaken: boolean }> {
    // Throttled after failures (throttle.ts): a refusal looks the same whatever its reason.
    const address = this.limitedAddress(s);
    const turn = this.throttle.loginTurn(username, address);
    if (turn.waitMs > 0) await this.sleep(turn.waitMs);
    if (this.closing) throw new ServiceError('SHUTTING_DOWN', 'the server is shutting down');
    if (!turn.check) throw new ServiceError('BAD_CREDENTIALS', 'wrong username or password');
    const account = isValidUsername(username) ? await this.queue.run<Account | undefined>({ op: 'findAccount', name: username }) : undefined;
    // Shared store: an account registered on another node a moment ago may not be in the directory yet.
    if (this.shared && account !== undefined && !this.directory.has(account.name)) this.directory.set(account.name, account.id);
    const ok = await this.hasher.verify(password, account?.hash, s);
    // The account may have been deleted while the hash ran.
    if (!ok || !account || this.directory.get(account.name) !== account.id) {
      this.throttle.loginResult(username, address, false);
      throw new ServiceError('BAD_CREDENTIALS', 'wrong username or password');
    }
    this.throttle.loginResult(username, address, true);
    // Presence changes only when the account gets its first live session: a takeover changes nothing.
    const wasOnline = this.online.has(account.id);
    this.unbind(s, s.accountId !== account.id);
    if (s.closed) throw new ServiceError('NOT_LOGGED_IN', 'connection closed');
    const previous = this.online.get(account.id);
    if (previous && previous !== s) this.takeOver(previous);
    s.accountId = account.id;
    s.username = account.name;
    this.online.set(account.id, s);
    if (!wasOnline && this.shared === undefined) this.presence(account.name, true);
    // Shared store: the session is the account's one live session on every node once bound.
    const bind = this.shared && this.queue.run<Binding>({ op: 'bindSession', accountId: account.id, name: account.name });
    // Receipts kept while the account was offline leave the store as they are read (at most once).
    const [undelivered, receipts, binding] = await Promise.all([
      this.queue.run<number>({ op: 'count', recipientId: account.id }),
      this.queue.run<number[]>({ op: 'takeReceipts', senderId: account.id }).catch((err: unknown) => {
        this.log.error({ err, account: account.id }, 'reading receipts failed');
        return [];
      }),
      bind,
    ]).catch((err: unknown) => {
      if (s.accountId === account.id) this.unbind(s, !wasOnline);
      throw err;
    });
    let overtaken = false;
    if (binding) {
      if (s.accountId === account.id) {
        s.claim = binding.claim;
        // A login on another node may have overtaken this one while it was being bound.
        overtaken = this.nodes!.overtaken(account.id, binding.claim);
      }
      if (!binding.wasOnline && !wasOnline) this.presence(account.name, true);
      this.ids.loggedIn(binding.newestBlock);
    }
    return { undelivered, receipts: { senderId: account.id, ids: receipts }, overtaken };
  }

  /** Deletes the session's account; asks for confirmation first if messages wait. */
  async deleteAccount(s: Session, password: string, confirm: boolean): Promise<DeleteResult> {
    const me = this.account(s);
    const name = s.username ?? '';
    const account = await this.queue.run<Account | undefined>({ op: 'findAccount', name });
    if (!account || account.id !== me || !(await this.hasher.verify(password, account.hash, s))) {
      throw new ServiceError('BAD_CREDENTIALS', 'wrong password');
    }
    const r = await this.queue.run<DeleteResult>({ op: 'deleteAccount', accountId: me, force: confirm });
    if (r.deleted) {
      if (this.directory.get(name) === me) this.directory.delete(name);
      this.queued.delete(me);
      this.unbind(s);
      this.log.info({ account: me }, 'account deleted');
    }
    return r;
  }

  /** Refuses new requests, waits (bounded) for those in flight to be answered, then tells every session the server is closing. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    clearInterval(this.pruneTimer);
    for (const wake of this.sleepers) wake();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    if (this.outstanding > 0) await Promise.race([deadline, new Promise<void>((resolve) => (this.idle = resolve))]);
    await Promise.race([deadline, this.queue.idle()]);
    clearTimeout(timer);
    for (const s of this.sessions) s.sink.push({ type: 'ServerClosing' });
  }

  /**
   * Stores a message and pushes it to an online recipient at once, before the commit: the push
   * carries the sender's clientId, so if the server dies before the commit and the sender resends,
   * the recipient recognises the repeat. Accepted waits for the commit.
   */
  private send(s: Session, req: SendRequest, reply: Reply, body?: Buffer): void {
    if (this.gate) this.gate.admit(s, { req, reply, body });
    else this.sendNow(s, req, reply, body);
  }

  private sendNow(s: Session, req: SendRequest, reply: Reply, body?: Buffer): void {
    const from = this.account(s);
    const { recipient, clientId, flags, content } = req;
    if (content.length === 0) throw new ServiceError('INVALID_ARGUMENT', 'message is empty');
    if ((flags & ~SEND_FLAGS) !== 0) {
      throw new ServiceError('INVALID_ARGUMENT', `flags ${flags}: only UTF7 (${MessageFlags.UTF7}) and RESEND (${MessageFlags.RESEND}) may be set`);
    }
    const to = this.directory.get(recipient);
    if (to === undefined) throw new ServiceError('NO_SUCH_USER', `no user named ${recipient}`);
    if ((flags & MessageFlags.RESEND) !== 0 && clientId !== 0) {
      // A resend of a message that was delivered and acknowledged without being written: the store
      // has no record of it, this does.
      const earlier = this.deliveredUnwritten.get(sendKey(from, clientId));
      if (earlier !== undefined && earlier.recipientId === to) {
        reply({ type: 'Accepted', messageId: earlier.id });
        return;
      }
    }
    // The queue cap: one lookup, no allocation once the recipient has had a message.
    let q = this.queued.get(to);
    if (q === undefined) this.queued.set(to, (q = { n: 0, bytes: 0 }));
    if (q.n >= this.maxQueue || q.bytes + content.length > this.maxQueueBytes) {
      throw new ServiceError('MAILBOX_FULL', `${recipient}'s mailbox is full`);
    }
    const id = this.ids.take();
    if (id === undefined) throw new ServiceError('INTERNAL', 'message ids are exhausted');
    q.n++;
    q.bytes += content.length;
    const sentAt = Date.now();
    // Pushed after the commit instead: a resend (the store says whether it is a repeat), or an id
    // whose reservation is not durable yet.
    const pushLater = (flags & MessageFlags.RESEND) !== 0 || !this.ids.pushable(id);
    const kept = flags & ~MessageFlags.RESEND;
    const padded = body?.subarray(CONTENT.at, CONTENT.at + CONTENT.size);
    const op: InsertOp = {
      op: 'insert',
      id,
      senderId: from,
      recipientId: to,
      clientId,
      flags: kept,
      sentAt,
      content: padded ? padded.subarray(0, content.length) : Buffer.from(content, 'latin1'),
      dedupSince: sentAt - this.dedupWindowMs,
    };
    const sender = s.username!;
    // A recipient not online here may be online on another node: the commit wakes them.
    if (this.shared !== undefined && !this.online.has(to)) op.wake = sender;
    const push = () => this.pushMessage(to, { type: 'Message', id, sender, clientId, flags: kept, sentAt, content }, padded);
    const pushed = !pushLater && this.online.has(to);
    if (pushed) push();
    const seq = this.queue.add(op, (r) => {
      this.pending.delete(id);
      if (!r.ok) {
        this.unqueue(to, 1, op.content.length);
        this.log.error({ err: r.error, session: s.id }, 'storing a message failed');
        reply(storageError(r.error));
        return;
      }
      const v = r.value as InsertResult;
      if (v.stored) {
        if (pushLater) push();
        reply({ type: 'Accepted', messageId: id });
        return;
      }
      this.unqueue(to, 1, op.content.length);
      if ('duplicateOf' in v) reply({ type: 'Accepted', messageId: v.duplicateOf });
      else if ('reused' in v) {
        reply(errorResponse('CLIENT_ID_REUSED', `client id ${clientId} was already used for another message`));
      } else reply(errorResponse('NO_SUCH_USER', `no user named ${recipient}`));
    }, pushed ? this.ackWaitMs : 0);
    this.pending.set(id, { op, seq });
  }

  private pushMessage(to: number, msg: Extract<Push, { type: 'Message' }>, padded: Buffer | undefined): void {
    const session = this.online.get(to);
    if (!session) return;
    session.delivered.add(msg.id);
    session.sink.push(msg, padded ? { content: padded } : undefined);
  }

  /** Cumulative acknowledgement: every message delivered to this session with id <= upTo leaves the queue. */
  private ack(s: Session, upTo: number, reply: Reply): void {
    const me = this.account(s);
    const gone: number[] = [];
    const unwritten: Receipt[] = [];
    for (const id of s.delivered.takeUpTo(upTo)) {
      const p = this.pending.get(id);
      // Delivered and acknowledged before it reached the store: it need not be written at all, and
      // its sender may hear Accepted now.
      if (p !== undefined && this.queue.cancel(p.seq, DELIVERED)) {
        this.unqueue(me, 1, p.op.content.length);
        if (p.op.clientId !== 0) this.deliveredUnwritten.set(sendKey(p.op.senderId, p.op.clientId), { id, recipientId: me });
        unwritten.push({ id, senderId: p.op.senderId });
      } else gone.push(id);
    }
    if (gone.length === 0) {
      this.receipts(unwritten);
      reply({ type: 'Ok' });
      return;
    }
    this.queue.add({ op: 'ack', recipientId: me, ids: gone }, (r) => {
      // One receipt per sender for the whole Ack: those not written and those the store removed.
      if (r.ok) {
        const v = r.value as { receipts: Receipt[]; bytes: number };
        this.receipts(unwritten.concat(v.receipts));
        this.unqueue(me, v.receipts.length, v.bytes);
        reply({ type: 'Ok' });
      } else {
        this.receipts(unwritten);
        // Not removed: they count as delivered again, so a repeated Ack retries them.
        if (s.accountId === me) for (const id of gone) s.delivered.add(id);
        this.log.error({ err: r.error, session: s.id }, 'ack failed');
        reply(storageError(r.error));
      }
    });
  }

  /** Delivery receipts: one Delivered per sender with all its ids; an offline sender's are kept for its next Login. */
  private receipts(gone: readonly Receipt[]): void {
    if (gone.length === 0) return;
    const bySender = new Map<number, number[]>();
    for (const r of gone) {
      if (r.handled) continue;
      const ids = bySender.get(r.senderId);
      if (ids) ids.push(r.id);
      else bySender.set(r.senderId, [r.id]);
    }
    const offline: Receipt[] = [];
    for (const [senderId, ids] of bySender) {
      if (this.online.has(senderId)) this.sendReceipts({ senderId, ids });
      else for (const id of ids) offline.push({ id, senderId });
    }
    if (offline.length === 0) return;
    this.queue.add({ op: 'addReceipts', receipts: offline }, (r) => {
      if (!r.ok) this.log.error({ err: r.error }, 'keeping receipts failed');
    });
  }

  /** Pushes a sender's receipts to its live session (kept again if it has none), a frame per MAX_RECEIPTS ids. */
  private sendReceipts(r: { senderId: number; ids: number[] }): void {
    if (r.ids.length === 0) return;
    const session = this.online.get(r.senderId);
    if (!session) {
      this.receipts(r.ids.map((id) => ({ id, senderId: r.senderId })));
      return;
    }
    for (let i = 0; i < r.ids.length; i += MAX_RECEIPTS) session.sink.push({ type: 'Delivered', ids: r.ids.slice(i, i + MAX_RECEIPTS) });
  }

  /** Watch: replaces the session's watch set and answers which of the names are online now. */
  private watch(s: Session, names: readonly string[], reply: Reply): void {
    this.account(s);
    if (names.length > MAX_WATCH) throw new ServiceError('INVALID_ARGUMENT', `watch at most ${MAX_WATCH} names`);
    this.setWatch(s, names);
    const watching = s.watching;
    if (this.shared === undefined) {
      reply({ type: 'Presence', online: watching.filter((name) => this.isOnline(name)) });
      return;
    }
    // A shared store: the database knows the sessions of every node.
    this.queue.add({ op: 'online', names: watching }, (r) => {
      if (!r.ok) {
        reply(storageError(r.error));
        return;
      }
      const online = new Set(r.value as string[]);
      reply({ type: 'Presence', online: watching.filter((n) => online.has(n)) });
    });
  }

  private isOnline(name: string): boolean {
    const id = this.directory.get(name);
    return id !== undefined && this.online.has(id);
  }

  private setWatch(s: Session, names: readonly string[]): void {
    for (const name of s.watching) {
      const set = this.watchers.get(name);
      if (set?.delete(s) && set.size === 0) this.watchers.delete(name);
    }
    s.watching = [...new Set(names)];
    for (const name of s.watching) {
      const set = this.watchers.get(name);
      if (set) set.add(s);
      else this.watchers.set(name, new Set([s]));
    }
  }

  /** Tells the sessions watching `name` that it came online or went offline. */
  private presence(name: string, online: boolean): void {
    for (const w of this.watchers.get(name) ?? []) w.sink.push({ type: 'PresenceChanged', name, online: online ? 1 : 0 });
  }

  /** Logs a session out because its account logged in elsewhere (another connection, or another node). */
  private takeOver(s: Session): void {
    this.log.info({ account: s.accountId, session: s.id }, 'session taken over');
    this.unbind(s, false);
    s.sink.push({ type: 'LoggedInElsewhere' });
  }

  /** Up to `max` waiting messages (0 or too many means the page cap), oldest first. */
  private fetch(s: Session, max: number, reply: Reply): void {
    const me = this.account(s);
    const n = max === 0 || max > this.maxFetch ? this.maxFetch : max;
    this.queue.add({ op: 'fetch', recipientId: me, max: n }, (r) => {
      if (!r.ok) {
        this.log.error({ err: r.error, session: s.id }, 'fetch failed');
        reply(storageError(r.error));
        return;
      }
      const v = r.value as { messages: StoredMessage[]; remaining: number };
      if (s.accountId === me) for (const m of v.messages) s.delivered.add(m.id);
      reply({ type: 'MessageBatch', remaining: v.remaining, messages: v.messages.map(toWire) });
    });
  }

  /** One sorted page of live accounts matching a wildcard pattern, with the total. */
  private listAccounts(s: Session, pattern: string, offset: number, limit: number, reply: Reply): void {
    this.account(s);
    const glob = normalizePattern(pattern);
    if (glob === undefined) {
      throw new ServiceError('INVALID_PATTERN', 'pattern may hold only letters, digits, _ . - and the wildcards * ?');
    }
    const n = limit === 0 || limit > this.maxListLimit ? this.maxListLimit : limit;
    this.queue.add({ op: 'list', pattern: glob, offset, limit: n }, (r: OpResult) => {
      if (r.ok) reply({ type: 'AccountList', ...(r.value as { total: number; names: string[] }) });
      else {
        this.log.error({ err: r.error, session: s.id }, 'list failed');
        reply(storageError(r.error));
      }
    });
  }

  private settle(s: Session, req: Request, reply: Reply, p: Promise<Response>, after?: () => void): void {
    p.then(
      (r) => {
        reply(r);
        after?.();
      },
      (err: unknown) => reply(this.toErrorResponse(s, req, err)),
    );
  }

  private toErrorResponse(s: Session, req: Request, err: unknown): Response {
    if (err instanceof ServiceError) return errorResponse(err.code, err.message);
    this.log.error({ err, session: s.id, request: req.type }, 'request failed');
    return storageError(err instanceof Error ? err.message : String(err));
  }

  /** The session's account id, or NOT_LOGGED_IN. */
  private account(s: Session): number {
    if (s.accountId === undefined) throw new ServiceError('NOT_LOGGED_IN', 'log in first');
    return s.accountId;
  }

  /** The session's address if the per-address limits apply to it. */
  private limitedAddress(s: Session): string | undefined {
    return this.limitLoopback || !isLoopback(s.address) ? s.address : undefined;
  }

  /** Waits `ms`, or less if the server begins shutting down. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Messages that left (or never reached) a recipient's queue. */
  private unqueue(to: number, n: number, bytes: number): void {
    const q = this.queued.get(to);
    if (q === undefined) return;
    q.n = Math.max(0, q.n - n);
    q.bytes = Math.max(0, q.bytes - bytes);
  }

  /** Logs the session out; `announce`: tell the account's watchers it went offline (not on a takeover). */
  private unbind(s: Session, announce = true): void {
    this.setWatch(s, []);
    if (s.accountId !== undefined && this.online.get(s.accountId) === s) {
      this.online.delete(s.accountId);
      if (announce) this.presence(s.username!, false);
      // Not on a takeover: the new session's bind replaces this one's everywhere.
      if (announce && this.shared && s.claim !== undefined) {
        this.queue.add({ op: 'unbindSession', accountId: s.accountId, claim: s.claim }, (r) => {
          if (!r.ok) this.log.warn({ err: r.error }, 'ending a session in the database failed (its node lease ends it)');
        });
      }
    }
    s.claim = undefined;
    s.accountId = undefined;
    s.username = undefined;
    s.delivered.clear();
  }
}

function checkCredentialsShape(username: string, password: string): void {
  if (!isValidUsername(username)) {
    throw new ServiceError('INVALID_USERNAME', `username must be ${USERNAME_RULE}`);
  }
  if (!isValidPassword(password)) {
    throw new ServiceError('INVALID_PASSWORD', `password must be ${PASSWORD_RULE}`);
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
  return { type: 'Error', code: ErrorCode[code], text: text.slice(0, errorText.size) };
}
