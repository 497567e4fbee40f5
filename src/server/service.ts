/**
 * ChatService: wires the rule modules together (accounts.ts, delivery.ts, presence.ts, groups.ts,
 * over the shared state in session.ts) and routes each request to its rule. It knows neither sockets nor SQL:
 * a transport opens a Session per connection with a sink for pushes and hands it decoded requests;
 * storage is a Store behind a group-commit queue (storeQueue.ts).
 *
 * Requests that hash a password (Register, Login, DeleteAccount) are asynchronous and hold back the
 * requests after them on their connection (handle() says so), so a connection's requests take
 * effect in the order it sent them.
 */
import type { Request, Response } from '../protocol/codec.js';
import { maxValue } from '../protocol/fields.js';
import { chatMessage, GROUP_PREFIX } from '../protocol/schema.js';
import { Accounts } from './accounts.js';
import type { PasswordHasher } from './auth.js';
import { Delivery, RECENT_UNWRITTEN } from './delivery.js';
import { Groups } from './groups.js';
import type { Log } from './log.js';
import { BlockIds, ReservedIds, type MessageIds } from './messageIds.js';
import { NodeEvents } from './nodeEvents.js';
import { Presence } from './presence.js';
import { resolveLimits, type ServiceLimits, type ServiceOptions } from './serviceOptions.js';
import { errorResponse, Session, toErrorResponse, type Core, type Reply, type SessionSink } from './session.js';
import { StoreQueue } from './storeQueue.js';
import { UNAVAILABLE, type Store } from './store/store.js';
import { Metrics } from './metrics.js';
import { errorName } from '../protocol/errors.js';


/** Message ids are u32 on the wire. */
const MAX_MESSAGE_ID = maxValue(chatMessage.id);
const PRUNE_EVERY_MS = 10 * 60 * 1000;

export class ChatService {
  private readonly sessions = new Set<Session>();
  private readonly core: Core;
  private readonly presence: Presence;
  private readonly accounts: Accounts;
  private readonly delivery: Delivery;
  private readonly groups: Groups;
  /** Shared store: what the other nodes report (nodeEvents.ts). */
  private nodes: NodeEvents | undefined;
  private nextSessionId = 1;
  /** Requests answered not yet. */
  private outstanding = 0;
  private idle: (() => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  /** The limits in force (the transports size answers by them). */
  readonly limits: ServiceLimits;

  /** Where the service and its transports count what operators watch. */
  get metrics(): Metrics {
    return this.core.metrics;
  }

  constructor(
    private readonly store: Store,
    hasher: PasswordHasher,
    private readonly log: Log,
    opts: ServiceOptions = {},
  ) {
    this.limits = resolveLimits(opts);
    this.core = {
      queue: new StoreQueue(store, this.limits.maxBatch, (seconds, ops, failed) => this.core.metrics.storeBatch(seconds, ops, failed?.startsWith(UNAVAILABLE) ?? false)),
      log,
      limits: this.limits,
      shared: store?.shared,
      online: new Map(),
      directory: new Map(),
      queued: new Map(),
      ids: undefined as unknown as MessageIds,
      closing: false,
      metrics: opts.metrics ?? new Metrics(),
    };
    this.presence = new Presence(this.core);
    this.accounts = new Accounts(this.core, hasher, this.presence, {
      throttle: opts.throttle,
      limitLoopback: opts.limitLoopback,
      overtaken: (id, claim) => this.nodes?.overtaken(id, claim) ?? false,
    });
    this.groups = new Groups(this.core, opts.groups);
    this.delivery = new Delivery(this.core, (s, me, ids) => this.groups.ack(s, me, ids));
  }

  /** Opens the store and loads what the hot path keeps in memory. */
  async start(): Promise<void> {
    const state = await this.store.open();
    const c = this.core;
    for (const [name, id] of state.accounts) c.directory.set(name, id);
    for (const [id, n, bytes] of state.queues) c.queued.set(id, { n, bytes });
    if (c.shared) {
      const nodes = (this.nodes = new NodeEvents(
        c,
        {
          presence: (name, online) => this.presence.announce(name, online),
          takeOver: (s) => this.accounts.takeOver(s),
          sendReceipts: (r) => this.delivery.sendReceipts(r),
          group: (e) => this.groups.nodeEvent(e),
        },
        RECENT_UNWRITTEN,
      ));
      c.shared.onEvent((e) => nodes.handle(e));
      c.ids = new BlockIds(c.queue, this.log);
      await c.ids.wait();
      this.log.info({ node: c.shared.nodeId }, 'joined the nodes sharing the database');
    } else c.ids = new ReservedIds(c.queue, this.log, state.nextMessageId, MAX_MESSAGE_ID);
    const prune = () => c.queue.add({ op: 'prune', before: Date.now() - this.limits.dedupWindowMs }, () => {});
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
    this.accounts.unbind(s);
  }

  /**
   * Takes one request; `reply` is called exactly once with its answer (now or later). Returns true
   * when the requests after this one on the same connection must wait for that answer (it changes
   * who the session is, or hashes a password: one hash in flight per connection). `body` is the
   * request's frame body, when there is one, so a Send's content can be relayed as it is.
   */
  handle(s: Session, req: Request, reply: Reply, body?: Buffer): boolean {
    if (this.core.closing) {
      reply(errorResponse('SHUTTING_DOWN', 'the server is shutting down'));
      return false;
    }
    this.outstanding++;
    const done: Reply = (r, after) => {
      if (r.type === 'Error') this.core.metrics.requestRefused(errorName(r.code));
      reply(r, after);
      if (--this.outstanding === 0 && this.idle) this.idle();
    };
    try {
      return this.route(s, req, done, body);
    } catch (err) {
      done(toErrorResponse(this.log, s, req, err));
      return false;
    }
  }

  private route(s: Session, req: Request, done: Reply, body: Buffer | undefined): boolean {
    const { accounts, delivery, groups } = this;
    switch (req.type) {
      case 'Send':
        if (req.recipient.startsWith(GROUP_PREFIX)) groups.send(s, req, done, body);
        else delivery.send(s, req, done, body);
        return false;
      case 'Ack':
        delivery.ack(s, req.upTo, done);
        return false;
      case 'FetchUndelivered':
        delivery.fetch(s, req.max, done);
        return false;
      case 'Ping':
        done({ type: 'Pong' });
        return false;
      case 'Watch':
        this.presence.watch(s, req.names, done);
        return false;
      case 'ListAccounts':
        accounts.listAccounts(s, req.pattern, req.offset, req.limit, done);
        return false;
      case 'Logout':
        accounts.logout(s);
        done({ type: 'Ok' });
        return false;
      case 'Register':
        this.settle(s, req, done, accounts.register(s, req.username, req.password).then(() => ({ type: 'Ok' })));
        return true;
      case 'Login':
        accounts.login(s, req.username, req.password).then(
          (r) =>
            // Receipts kept while the account was offline follow its LoginOk.
            done({ type: 'LoginOk', undelivered: r.undelivered }, () => {
              delivery.sendReceipts(r.receipts);
              if (r.overtaken && s.claim !== undefined) accounts.takeOver(s);
            }),
          (err: unknown) => done(toErrorResponse(this.log, s, req, err)),
        );
        return true;
      case 'DeleteAccount': {
        const name = s.username ?? '';
        const deleted = accounts.deleteAccount(s, req.password, req.confirm !== 0);
        this.settle(
          s,
          req,
          done,
          deleted.then((r) => {
            if (!r.deleted) return { type: 'ConfirmDelete', waiting: r.waiting };
            groups.departed(name, r.groups ?? []);
            return { type: 'Ok' };
          }),
        );
        return true;
      }
      case 'CreateGroup':
        groups.create(s, req.group, req.inviteOnly !== 0, done);
        return false;
      case 'JoinGroup':
        groups.join(s, req.group, done);
        return false;
      case 'InviteToGroup':
        groups.invite(s, req.group, req.username, done);
        return false;
      case 'LeaveGroup':
        groups.leave(s, req.group, done);
        return false;
      case 'KickFromGroup':
        groups.kick(s, req.group, req.username, done);
        return false;
      case 'DeleteGroup':
        groups.remove(s, req.group, done);
        return false;
      case 'ListGroups':
        groups.list(s, req.pattern, req.offset, req.limit, done);
        return false;
      case 'ListMembers':
        groups.members(s, req.group, req.offset, req.limit, done);
        return false;
    }
  }

  /** handle() as a promise, for transports that answer each request on its own (gRPC); run `after` once the answer is sent. */
  request(s: Session, req: Request): Promise<{ answer: Response; after?: () => void }> {
    return new Promise((resolve) => this.handle(s, req, (answer, after) => resolve({ answer, after })));
  }

  /** Forgets that these ids reached the session (the transport could not deliver them), so an Ack cannot remove them. */
  undeliver(s: Session, ids: readonly number[]): void {
    for (const id of ids) s.delivered.delete(id);
  }

  /**
   * Refuses new requests (SHUTTING_DOWN) and waits, bounded, for those in flight to be answered and
   * for the store to commit what it holds. Then the transports answer what they had read and call
   * announceClosing().
   */
  async shutdown(timeoutMs = 5000): Promise<void> {
    this.core.closing = true;
    clearInterval(this.pruneTimer);
    this.groups.stop();
    this.accounts.wakeSleepers();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    if (this.outstanding > 0) await Promise.race([deadline, new Promise<void>((resolve) => (this.idle = resolve))]);
    await Promise.race([deadline, this.core.queue.idle()]);
    clearTimeout(timer);
  }

  /** Tells every session the server is closing: the last frame each connection gets. */
  announceClosing(): void {
    for (const s of this.sessions) s.sink.push({ type: 'ServerClosing' });
  }

  private settle(s: Session, req: Request, reply: Reply, p: Promise<Response>): void {
    p.then(
      (r) => reply(r),
      (err: unknown) => reply(toErrorResponse(this.log, s, req, err)),
    );
  }
}
