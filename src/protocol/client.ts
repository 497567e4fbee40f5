/**
 * ChatClient: typed requests -> promises, server pushes -> events. Used by the TUI, the tests and the
 * benchmarks. One TCP connection; requests may be pipelined (each carries its own request id).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { undeclaredAnswer } from './answers.js';
import { encode, type Body, type Message, type Push, type Request, type RequestName, type Response } from './codec.js';
import { FrameWriter } from './connection.js';
import { ProtocolError, ServerError } from './errors.js';
import { DEFAULT_MAX_BODY, type Frame } from './framing.js';
import { MessageReader } from './messageReader.js';
import { ClientIds, RepeatFilter } from './clientIds.js';
import { schema } from './schema.js';

export { ClientIds, RepeatFilter } from './clientIds.js';

/** A chat message as pushed or fetched (the schema's Message fields). */
export type ChatMessage = Body<'Message'>;
/** A message sent to a group, as pushed (the schema's GroupMessage fields). */
export type GroupChatMessage = Body<'GroupMessage'>;
/** A fetched message: `group` is set for one sent to a group. */
export type FetchedMessage = ChatMessage & { group?: string };
/** What fetch() resolves with. */
export interface FetchedBatch {
  remaining: number;
  messages: FetchedMessage[];
}

/** A fetch answer (MessageBatch or GroupMessageBatch) as plain messages, `group` only on those sent to a group. */
export function fetchedBatch(r: { remaining: number; messages: Array<ChatMessage & { group?: string }> }): FetchedBatch {
  return { remaining: r.remaining, messages: r.messages.map(({ group, ...m }) => (group ? { ...m, group } : m)) };
}
/** What deleteAccount() resolves with: done, or how many messages would be discarded (ConfirmDelete). */
export type DeleteOutcome = { deleted: true } | ({ deleted: false } & Body<'ConfirmDelete'>);

/** A duration for a sentence: "0.3 s", "25 s". */
const seconds = (ms: number): string => `${ms < 10_000 ? Math.round(ms / 100) / 10 : Math.round(ms / 1000)} s`;

export interface ClientEvents {
  /** A chat message pushed by the server (live delivery). Acknowledge it with ack(). */
  message: [ChatMessage];
  /** Another connection logged in to this account; this one is logged out. */
  loggedInElsewhere: [];
  /** The server announced it is shutting down. */
  serverClosing: [];
  /** Delivery receipt: the recipients' clients acknowledged these messages we sent (their Accepted ids). */
  delivered: [ids: number[]];
  /** A watched account (see watch()) came online or went offline. */
  presence: [name: string, online: boolean];
  /** A message sent to a group we are a member of. Acknowledge it with ack(), as a message. */
  groupMessage: [GroupChatMessage];
  /** Delivery state of a message we sent to a group: `delivered` of `recipients` members have it. */
  groupDelivered: [Body<'GroupDelivered'>];
  /** A group we are in (or were invited to) changed: see GroupChange for `change`. */
  groupChanged: [Body<'GroupChanged'>];
  /** Every push, whatever its kind. */
  push: [Push];
  /**
   * An Error frame with request id 0: the server says why it is about to close the connection
   * (TOO_MANY_CONNECTIONS, IDLE_TIMEOUT, FRAME_TOO_LARGE). `close` follows.
   */
  serverError: [ServerError];
  /** The connection is gone; `error` says why if it was not a clean close. */
  close: [Error | undefined];
}

export interface ConnectOptions {
  host?: string;
  port: number;
  /** Largest frame body accepted from the server. */
  maxBody?: number;
  /** Shared across reconnects to recognise repeated pushes; a fresh one per connection if absent. */
  repeats?: RepeatFilter;
  /**
   * Connect over TLS. `true` trusts the system's CAs; `ca` adds a CA (PEM) for a self-signed server;
   * `servername` is the name the certificate must carry (default: `host`, unless it is an IP address,
   * which the certificate must then list). The certificate is always verified.
   */
  tls?: boolean | { ca?: string | Buffer; servername?: string };
  /** Gives up connecting (TCP and TLS handshake) after this many ms; default: when the OS does. */
  connectTimeoutMs?: number;
  /** The local address to connect from (a machine with several; plain TCP only). */
  localAddress?: string;
  /**
   * Notices a server that went silent (its machine or the network gone, no reset ever comes): after
   * `idleMs` without a byte from it, a Ping; nothing back within `answerMs`, and the connection is
   * closed with an error saying so. Off when absent.
   */
  heartbeat?: Heartbeat;
  /**
   * Reject an answer the request's schema entry does not declare (a response type not in its
   * `answers`, an error code not in its `errors`) with ProtocolError UNEXPECTED_MESSAGE, instead of
   * resolving with it. Default: on under a test runner (NODE_ENV=test, which ava sets), so every test
   * that talks to a server also checks that the schema lists every answer it can get.
   */
  checkAnswers?: boolean;
}

export interface Heartbeat {
  idleMs: number;
  answerMs: number;
}

/** Sentinel error for requests that were in flight when the connection closed. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  readonly code = 'CONNECTION_CLOSED';
  constructor(message = 'connection to the server closed') {
    super(message);
  }
}

interface Pending {
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
  /** The request it answers, for checkAnswers. */
  type: RequestName;
}

export class ChatClient extends EventEmitter<ClientEvents> {
  private readonly pending = new Map<number, Pending>();
  private readonly reader: MessageReader;
  private nextRequestId = 1;
  private readonly clientIds = new ClientIds();
  private readonly writer: FrameWriter;
  private readonly repeats: RepeatFilter;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatOpts: Heartbeat | undefined;
  /** When the last byte came from the server, and when the heartbeat's unanswered Ping went. */
  private heardAt = Date.now();
  private askedAt: number | undefined;
  /** Bytes written and read, counted at the socket (for the benchmark). */
  bytesOut = 0;
  bytesIn = 0;

  private constructor(
    private readonly socket: net.Socket,
    maxBody: number,
    repeats: RepeatFilter | undefined,
    /** The connection is TLS (the server's certificate was verified). */
    readonly secure = false,
    heartbeat?: Heartbeat,
    private readonly checkAnswers = process.env.NODE_ENV === 'test',
  ) {
    super();
    this.repeats = repeats ?? new RepeatFilter();
    this.reader = new MessageReader(['response', 'push'], maxBody);
    this.writer = new FrameWriter(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(err));
    socket.on('close', () => this.shutdown(undefined));
    if (heartbeat) this.startHeartbeat(heartbeat);
  }

  /**
   * One timer, set for the next moment something must be checked (the link idle for `idleMs`, or
   * a Ping unanswered for `answerMs`), rather than a poll: an idle client wakes up only when it
   * has to ask.
   */
  private startHeartbeat(h: Heartbeat): void {
    this.heartbeatOpts = h;
    this.armHeartbeat(h.idleMs);
  }

  private armHeartbeat(ms: number): void {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => this.checkHeartbeat(), Math.max(10, ms));
    this.heartbeat.unref();
  }

  private checkHeartbeat(): void {
    const { idleMs, answerMs } = this.heartbeatOpts!;
    const now = Date.now();
    if (this.askedAt !== undefined) {
      if (now - this.askedAt < answerMs) return this.armHeartbeat(answerMs - (now - this.askedAt));
      this.socket.destroy(new Error(`the server did not answer for ${seconds(now - this.heardAt)}`));
      return;
    }
    const idle = now - this.heardAt;
    if (idle < idleMs) return this.armHeartbeat(idleMs - idle);
    this.askedAt = now;
    this.ping().catch(() => undefined);
    this.armHeartbeat(answerMs);
  }

  /** Opens a connection; resolves once it is established. */
  static connect(opts: ConnectOptions): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const host = opts.host ?? '127.0.0.1';
      const t = opts.tls === true ? {} : opts.tls || undefined;
      const socket = t
        ? tls.connect({ host, port: opts.port, ca: t.ca, servername: t.servername ?? (net.isIP(host) ? undefined : host) })
        : net.connect({ host, port: opts.port, localAddress: opts.localAddress });
      const timer =
        opts.connectTimeoutMs === undefined
          ? undefined
          : setTimeout(() => socket.destroy(new Error(`no answer from ${host}:${opts.port} within ${seconds(opts.connectTimeoutMs!)}`)), opts.connectTimeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', fail);
      socket.once(t ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new ChatClient(socket, opts.maxBody ?? DEFAULT_MAX_BODY, opts.repeats, t !== undefined, opts.heartbeat, opts.checkAnswers));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends any request and resolves with the server's response, Error responses included. */
  request(msg: Request): Promise<Response> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    let frame: Buffer;
    try {
      frame = encode(msg, id);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, type: msg.type });
      this.write(frame);
    });
  }

  /** Like request(), but an Error response rejects with ServerError and any other type is checked. */
  async call<T extends Response['type']>(msg: Request, ...expect: T[]): Promise<Extract<Response, { type: T }>> {
    const r = await this.request(msg);
    if (r.type === 'Error') throw new ServerError(r.code, r.text);
    if (!expect.includes(r.type as T)) {
      throw new ProtocolError('UNEXPECTED_MESSAGE', `expected ${expect.join(' or ')}, got ${r.type}`, 'opcode');
    }
    return r as Extract<Response, { type: T }>;
  }

  /** Creates an account. */
  async register(username: string, password: string): Promise<void> {
    await this.call({ type: 'Register', username, password }, 'Ok');
  }

  /** Logs in; resolves with how many messages wait to be fetched. */
  async login(username: string, password: string): Promise<Body<'LoginOk'>> {
    const r = await this.call({ type: 'Login', username, password }, 'LoginOk');
    return { undelivered: r.undelivered };
  }

  async logout(): Promise<void> {
    await this.call({ type: 'Logout' }, 'Ok');
  }

  /** One page of the accounts matching a wildcard (`*`, `?`), sorted, with the total. */
  async listAccounts(pattern = '*', offset = 0, limit = 50): Promise<Body<'AccountList'>> {
    const r = await this.call({ type: 'ListAccounts', pattern, offset, limit }, 'AccountList');
    return { total: r.total, names: r.names };
  }

  /** A fresh client message id; reuse one only to resend the same message after a lost connection. */
  newClientId(): number {
    return this.clientIds.take();
  }

  /** Sends a message; resolves with the server's message id once it is stored durably. */
  async send(recipient: string, content: string, clientId = this.newClientId(), flags = 0): Promise<number> {
    const r = await this.call({ type: 'Send', recipient, clientId, flags, content }, 'Accepted');
    return r.messageId;
  }

  /** Fetches up to `max` waiting messages, oldest first (those sent to a group carry `group`). They stay queued until ack(). */
  async fetch(max = 100): Promise<FetchedBatch> {
    return fetchedBatch(await this.call({ type: 'FetchUndelivered', max }, 'MessageBatch', 'GroupMessageBatch'));
  }

  /** Acknowledges every message up to and including `upTo`. */
  async ack(upTo: number): Promise<void> {
    await this.call({ type: 'Ack', upTo }, 'Ok');
  }

  /** Deletes the account; without confirm, resolves with the waiting count instead when messages wait. */
  async deleteAccount(password: string, confirm = false): Promise<DeleteOutcome> {
    const r = await this.call({ type: 'DeleteAccount', password, confirm: confirm ? 1 : 0 }, 'Ok', 'ConfirmDelete');
    return r.type === 'Ok' ? { deleted: true } : { deleted: false, waiting: r.waiting };
  }

  /** Watches these names (replacing the previous set; empty stops); resolves with those online now. */
  async watch(names: readonly string[]): Promise<string[]> {
    return (await this.call({ type: 'Watch', names: [...names] }, 'Presence')).online;
  }

  async ping(): Promise<void> {
    await this.call({ type: 'Ping' }, 'Pong');
  }

  /** Creates a group (`#name`), public or invite-only; we own it and are its first member. */
  async createGroup(group: string, inviteOnly = false): Promise<void> {
    await this.call({ type: 'CreateGroup', group, inviteOnly: inviteOnly ? 1 : 0 }, 'Ok');
  }

  /** Joins a group (public, or one we were invited to). */
  async joinGroup(group: string): Promise<void> {
    await this.call({ type: 'JoinGroup', group }, 'Ok');
  }

  /** Invites an account to a group we are a member of. */
  async inviteToGroup(group: string, username: string): Promise<void> {
    await this.call({ type: 'InviteToGroup', group, username }, 'Ok');
  }

  /** Leaves a group. */
  async leaveGroup(group: string): Promise<void> {
    await this.call({ type: 'LeaveGroup', group }, 'Ok');
  }

  /** Removes a member from a group we own. */
  async kickFromGroup(group: string, username: string): Promise<void> {
    await this.call({ type: 'KickFromGroup', group, username }, 'Ok');
  }

  /** Deletes a group we own. */
  async deleteGroup(group: string): Promise<void> {
    await this.call({ type: 'DeleteGroup', group }, 'Ok');
  }

  /** One page of the groups we can see whose name matches a wildcard, sorted, with the total. */
  async listGroups(pattern = '*', offset = 0, limit = 50): Promise<Body<'GroupList'>> {
    const r = await this.call({ type: 'ListGroups', pattern, offset, limit }, 'GroupList');
    return { total: r.total, groups: r.groups };
  }

  /** One page of a group's members, sorted by name, with presence and role, and the total. */
  async listMembers(group: string, offset = 0, limit = 50): Promise<Body<'MemberList'>> {
    const r = await this.call({ type: 'ListMembers', group, offset, limit }, 'MemberList');
    return { total: r.total, members: r.members };
  }

  /** Closes the connection; pending requests reject with ConnectionClosedError. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  private write(frame: Buffer): void {
    this.bytesOut += frame.length;
    this.writer.write(frame);
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.heardAt = Date.now();
    // The server is there: the next check is a whole idle period away.
    if (this.askedAt !== undefined) {
      this.askedAt = undefined;
      this.armHeartbeat(this.heartbeatOpts!.idleMs);
    }
    const broken = this.reader.read(chunk, this.onFrame);
    if (broken) this.socket.destroy(broken);
  }

  private readonly onFrame = (msg: Message | ProtocolError, f: Frame): void => {
    if (msg instanceof ProtocolError) {
      // A response we cannot read still settles its request, so no caller hangs.
      const p = f.requestId ? this.pending.get(f.requestId) : undefined;
      if (p) {
        this.pending.delete(f.requestId);
        p.reject(msg);
      }
      return;
    }
    if (f.requestId === 0) this.onPush(msg);
    else this.onResponse(f.requestId, msg);
  };

  private onResponse(id: number, msg: Message): void {
    const p = this.pending.get(id);
    if (!p) return; // an answer to a request we no longer wait for
    this.pending.delete(id);
    if (schema[msg.type].dir !== 'response') {
      p.reject(new ProtocolError('UNEXPECTED_MESSAGE', `${msg.type} is not a response`, 'opcode'));
      return;
    }
    const undeclared = this.checkAnswers ? undeclaredAnswer(p.type, msg as Response) : undefined;
    if (undeclared !== undefined) {
      p.reject(new ProtocolError('UNEXPECTED_MESSAGE', undeclared, 'opcode'));
      return;
    }
    p.resolve(msg as Response);
  }

  private onPush(msg: Message): void {
    if (msg.type === 'Error') {
      this.emit('serverError', new ServerError(msg.code, msg.text));
      return;
    }
    if (schema[msg.type].dir !== 'push') return;
    const push = msg as Push;
    this.emit('push', push);
    if (push.type === 'Message') {
      const { type: _t, ...m } = push;
      // The same (sender, clientId) again: the server pushed it before its commit and died, and the
      // sender resent it (a new id), or the sender resent it without the RESEND flag. The user has it
      // already. It is not acknowledged here (a cumulative Ack would also cover messages the app has
      // not acknowledged yet): the app's next Ack covers it, as it is older than what follows.
      if (this.repeats.isRepeat(m)) return;
      this.emit('message', m);
    } else if (push.type === 'LoggedInElsewhere') this.emit('loggedInElsewhere');
    else if (push.type === 'ServerClosing') this.emit('serverClosing');
    else if (push.type === 'Delivered') this.emit('delivered', push.ids);
    else if (push.type === 'PresenceChanged') this.emit('presence', push.name, push.online !== 0);
    else if (push.type === 'GroupMessage') {
      const { type: _t, ...m } = push;
      if (!this.repeats.isRepeat(m)) this.emit('groupMessage', m);
    } else if (push.type === 'GroupDelivered') {
      const { type: _t, ...d } = push;
      this.emit('groupDelivered', d);
    } else if (push.type === 'GroupChanged') {
      const { type: _t, ...c } = push;
      this.emit('groupChanged', c);
    }
    else if (push.type === 'KeepAlive') {
      // The server checks that we are alive: any request answers it.
      this.ping().catch(() => undefined);
    }
    // Any other push is one this client does not know: ignored, as the protocol asks.
  }

  private shutdown(err: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.heartbeat);
    const e = new ConnectionClosedError(err ? `connection to the server lost: ${err.message}` : undefined);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.socket.destroy();
    this.emit('close', err);
  }
}
