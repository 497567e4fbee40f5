/**
 * GrpcChatClient: the termchat client over gRPC (chat.proto), with ChatClient's methods and events,
 * for Node programs (and the tests and the benchmark) that speak gRPC rather than the binary
 * protocol. An Error answer rejects with ServerError: the termchat code from the trailing metadata,
 * the gRPC status as `grpcCode`. Where it differs from ChatClient, because a gRPC call is not tied to
 * one connection:
 * - Login answers a session token that the later calls carry; pushes come once subscribe() opened
 *   the push stream (the server holds those that come before).
 * - A token works a fixed time after its Login. When it expires, the client logs in again by itself
 *   with the same credentials, repeats the call that found it expired, reopens the push stream, and
 *   fetches what reached the account while it had no session (nothing pushed it), emitting it as
 *   `message`. `renew: false` turns this off: the call then fails with UNAUTHENTICATED.
 * - grpc-js re-makes a lost HTTP/2 connection by itself, so `close` comes only from close(); the end
 *   of a push stream, whatever the reason, is `streamEnd`.
 */
import { EventEmitter } from 'node:events';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { ClientIds, fetchedBatch, RepeatFilter, type ChatMessage, type ClientEvents, type DeleteOutcome, type FetchedBatch, type FetchedMessage, type GroupChatMessage } from './client.js';
import type { Body, Push, RequestName } from './codec.js';
import { ServerError } from './errors.js';
import { FifoMap } from './fifoMap.js';
import { chatServiceDefinition, META, STREAM_END } from './grpcProto.js';

export interface GrpcClientEvents extends ClientEvents {
  /**
   * The push stream ended: its gRPC status code (undefined when it ended cleanly) and, for a clean
   * end, why (the `termchat-stream-end` trailer: logged-in-elsewhere, replaced, logout, expired ...).
   */
  streamEnd: [code: number | undefined, why: string | undefined];
  /**
   * Logging in again after the token expired failed (the account is gone, the server unreachable ...),
   * or fetching what reached the account meanwhile did (it stays queued for the next fetch).
   */
  renewFailed: [Error];
}

export interface GrpcConnectOptions {
  host?: string;
  port: number;
  /** Log in again by itself when the session token expires (default true). */
  renew?: boolean;
  /** Shared across clients of one user to recognise repeated pushes; a fresh one if absent. */
  repeats?: RepeatFilter;
  /**
   * TLS: `true` trusts the system's CAs; `ca` adds a CA (PEM) for a self-signed server; `servername`
   * is the name the certificate must carry (default: `host`).
   */
  tls?: boolean | { ca?: string | Buffer; servername?: string };
  /** Gives up connecting after this many ms (default 10 s). */
  connectTimeoutMs?: number;
}

type Reply = Record<string, unknown>;
type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: Reply) => void) => void;
type ChatStub = Client & { [N in RequestName]: Unary } & { Subscribe(req: object, md: Metadata): ClientReadableStream<Reply> };
type ChatStubCtor = new (address: string, creds: ChannelCredentials, opts?: object) => ChatStub;

let ChatCtor: ChatStubCtor | undefined;

/** Message ids this client has emitted, remembered to drop a second copy (a catch-up after a renewal). */
const SEEN_IDS = 10_000;

/** A ServerError from a gRPC error: the termchat code from the trailers, else the bare error. */
function toServerError(err: ServiceError): Error {
  const n = Number(err.metadata?.get(META.errorNumber)[0]);
  if (!Number.isInteger(n) || n <= 0) return err;
  const e = new ServerError(n, err.details);
  (e as ServerError & { grpcCode?: number }).grpcCode = err.code;
  return e;
}

/** UNAUTHENTICATED because the session token outlived its lifetime (not a wrong password or a takeover). */
function isExpired(err: unknown): boolean {
  const e = err as { grpcCode?: number; message?: string };
  return e.grpcCode === status.UNAUTHENTICATED && /expired/.test(e.message ?? '');
}

/** The schema's name of a Push oneof member (loggedInElsewhere -> LoggedInElsewhere). */
const pushType = (member: string) => member[0]!.toUpperCase() + member.slice(1);

export class GrpcChatClient extends EventEmitter<GrpcClientEvents> {
  /** The session token of the last Login (sent as `authorization: Bearer <token>`). */
  token: string | undefined;
  /** Kept to renew an expired token by itself (see call). */
  private creds: { username: string; password: string } | undefined;
  private stream: ClientReadableStream<Reply> | undefined;
  private renewing: Promise<void> | undefined;
  /** A catch-up after a renewal found more than one page: the next pages follow the app's acks. */
  private catchingUp = false;
  private readonly clientIds = new ClientIds();
  private readonly repeats: RepeatFilter;
  private readonly seen = new FifoMap<number, true>(SEEN_IDS);
  private closed = false;

  private constructor(
    /** The underlying grpc-js client, for calls this class does not wrap. */
    readonly client: ChatStub,
    private readonly renewExpired: boolean,
    repeats: RepeatFilter | undefined,
  ) {
    super();
    this.repeats = repeats ?? new RepeatFilter();
  }

  /** A client with its own HTTP/2 connection (not shared with other clients in the process); resolves once it is up. */
  static async connect(opts: GrpcConnectOptions): Promise<GrpcChatClient> {
    ChatCtor ??= makeGenericClientConstructor(chatServiceDefinition(), 'Chat') as unknown as ChatStubCtor;
    const host = opts.host ?? '127.0.0.1';
    const t = opts.tls === true ? {} : opts.tls || undefined;
    const creds = t ? credentials.createSsl(t.ca === undefined ? null : Buffer.from(t.ca)) : credentials.createInsecure();
    const c = new ChatCtor(`${host.includes(':') ? `[${host}]` : host}:${opts.port}`, creds, {
      'grpc.use_local_subchannel_pool': 1,
      ...(t?.servername ? { 'grpc.ssl_target_name_override': t.servername, 'grpc.default_authority': t.servername } : {}),
    });
    const deadline = Date.now() + (opts.connectTimeoutMs ?? 10_000);
    try {
      await new Promise<void>((resolve, reject) => c.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      c.close();
      throw err;
    }
    return new GrpcChatClient(c, opts.renew ?? true, opts.repeats);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Calls a unary method (chat.proto's names) with the session token, resolving with its reply. A
   * token that expired is renewed (logging in again with the same credentials) and the call made
   * once more, unchanged: a Send keeps its clientId, so nothing is lost or doubled.
   */
  async call(method: RequestName, req: object = {}): Promise<Reply> {
    const token = this.token;
    try {
      return await this.callOnce(method, req);
    } catch (err) {
      if (!this.renewExpired || !this.creds || method === 'Login' || !isExpired(err)) throw err;
      // Another call or the stream may have renewed it already: a second Login would take that session over.
      if (this.token === token) await this.renew();
      return this.callOnce(method, req);
    }
  }

  /** Creates an account. */
  async register(username: string, password: string): Promise<void> {
    await this.call('Register', { username, password });
  }

  /** Logs in (taking over any other session of the account); resolves with how many messages wait to be fetched. */
  async login(username: string, password: string): Promise<Body<'LoginOk'>> {
    const r = await this.call('Login', { username, password });
    this.token = r.token as string;
    this.creds = { username, password };
    return { undelivered: r.undelivered as number };
  }

  /** Ends the session; its token stops working and its push stream ends. */
  async logout(): Promise<void> {
    this.creds = undefined;
    await this.call('Logout');
  }

  /** One page of the accounts matching a wildcard (`*`, `?`), sorted, with the total. */
  async listAccounts(pattern = '*', offset = 0, limit = 50): Promise<Body<'AccountList'>> {
    const r = await this.call('ListAccounts', { pattern, offset, limit });
    return { total: r.total as number, names: r.names as string[] };
  }

  /** A fresh client message id; reuse one only to resend the same message. */
  newClientId(): number {
    return this.clientIds.take();
  }

  /** Sends a message; resolves with the server's message id once it is stored durably. */
  async send(recipient: string, content: string, clientId = this.newClientId(), flags = 0): Promise<number> {
    const r = await this.call('Send', { recipient, clientId, flags, content });
    return r.messageId as number;
  }

  /** Fetches up to `max` waiting messages, oldest first (those sent to a group carry `group`). They stay queued until ack(). */
  async fetch(max = 100): Promise<FetchedBatch> {
    // Two possible answers: a oneof, `messageBatch` or `groupMessageBatch`.
    const r = await this.call('FetchUndelivered', { max });
    const b = (r.messageBatch ?? r.groupMessageBatch) as { remaining: number; messages: FetchedMessage[] };
    return fetchedBatch(b);
  }

  /** Acknowledges every message up to and including `upTo`. */
  async ack(upTo: number): Promise<void> {
    await this.call('Ack', { upTo });
    if (this.catchingUp) void this.catchUp();
  }

  /** Deletes the account; without confirm, resolves with the waiting count instead when messages wait. */
  async deleteAccount(password: string, confirm = false): Promise<DeleteOutcome> {
    const r = await this.call('DeleteAccount', { password, confirm: confirm ? 1 : 0 });
    const ask = r.confirmDelete as { waiting: number } | null | undefined;
    return ask ? { deleted: false, waiting: ask.waiting } : { deleted: true };
  }

  /** Watches these names (replacing the previous set; empty stops); resolves with those online now. */
  async watch(names: readonly string[]): Promise<string[]> {
    return (await this.call('Watch', { names: [...names] })).online as string[];
  }

  /** A round trip to the server. */
  async ping(): Promise<void> {
    await this.call('Ping');
  }

  /** Creates a group (`#name`), public or invite-only; we own it and are its first member. */
  async createGroup(group: string, inviteOnly = false): Promise<void> {
    await this.call('CreateGroup', { group, inviteOnly: inviteOnly ? 1 : 0 });
  }

  /** Joins a group (public, or one we were invited to). */
  async joinGroup(group: string): Promise<void> {
    await this.call('JoinGroup', { group });
  }

  /** Invites an account to a group we are a member of. */
  async inviteToGroup(group: string, username: string): Promise<void> {
    await this.call('InviteToGroup', { group, username });
  }

  /** Leaves a group. */
  async leaveGroup(group: string): Promise<void> {
    await this.call('LeaveGroup', { group });
  }

  /** Removes a member from a group we own. */
  async kickFromGroup(group: string, username: string): Promise<void> {
    await this.call('KickFromGroup', { group, username });
  }

  /** Deletes a group we own. */
  async deleteGroup(group: string): Promise<void> {
    await this.call('DeleteGroup', { group });
  }

  /** One page of the groups we can see whose name matches a wildcard, sorted, with the total. */
  async listGroups(pattern = '*', offset = 0, limit = 50): Promise<Body<'GroupList'>> {
    const r = await this.call('ListGroups', { pattern, offset, limit });
    return { total: r.total as number, groups: (r.groups as Body<'GroupList'>['groups'] | undefined) ?? [] };
  }

  /** One page of a group's members, sorted by name, with presence and role, and the total. */
  async listMembers(group: string, offset = 0, limit = 50): Promise<Body<'MemberList'>> {
    const r = await this.call('ListMembers', { group, offset, limit });
    return { total: r.total as number, members: (r.members as Body<'MemberList'>['members'] | undefined) ?? [] };
  }

  /** Opens the push stream (replacing an open one); resolves once the server has attached it. */
  subscribe(): Promise<void> {
    const md = new Metadata();
    const token = this.token;
    if (token) md.set(META.authorization, `Bearer ${token}`);
    const s = this.client.Subscribe({}, md);
    this.stream = s;
    return new Promise((resolve, reject) => {
      let attached = false;
      s.on('metadata', () => {
        attached = true;
        resolve();
      });
      s.on('data', (p: Reply) => this.onPush(p));
      s.on('error', (err: ServiceError) => {
        const e = toServerError(err);
        if (!attached) reject(e);
        else if (e instanceof ServerError) this.emit('serverError', e);
      });
      // Emitted once for every end (clean, error or cancel), with the trailers.
      s.on('status', (st: StatusObject) => {
        const why = st.metadata.get(META.streamEnd)[0];
        this.emit('streamEnd', st.code === status.OK ? undefined : st.code, typeof why === 'string' ? why : undefined);
        // The token's lifetime ended the stream: renew it and carry on, as a unary call would
        // (unless a renewal already replaced this stream's token).
        if (why === STREAM_END.expired.value && this.renewExpired && this.creds && this.stream === s && this.token === token) {
          this.renew().catch((e: unknown) => this.emit('renewFailed', e as Error));
        }
      });
    });
  }

  /** Closes the client: the push stream ends, calls in flight fail, `close` follows. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.stream?.cancel();
    this.client.close();
    this.emit('close', undefined);
    return Promise.resolve();
  }

  private callOnce(method: RequestName, req: object): Promise<Reply> {
    const md = new Metadata();
    if (this.token) md.set(META.authorization, `Bearer ${this.token}`);
    return new Promise((resolve, reject) => {
      this.client[method].call(this.client, req, md, (err, res) => (err ? reject(toServerError(err)) : resolve(res)));
    });
  }

  /**
   * Logs in again with the kept credentials and reopens the push stream if one was open. One
   * renewal at a time: the stream's end and a failed call can notice the expiry together, and a
   * second Login would take over (and end) the session the first one just made.
   */
  private renew(): Promise<void> {
    return (this.renewing ??= (async () => {
      const { username, password } = this.creds!;
      const streaming = this.stream !== undefined;
      const { undelivered } = await this.login(username, password);
      if (!streaming) return;
      await this.subscribe();
      // Outside this renewal: its fetch may find the token expired again and renew in turn.
      if (undelivered > 0) setImmediate(() => void this.catchUp());
    })().finally(() => (this.renewing = undefined)));
  }

  /**
   * Messages that reached the account between the old session's end and the new Login were queued,
   * not pushed: fetched here and emitted as `message`, those already emitted left out. A page at a
   * time; the next one after the app's ack() (a fetch returns the oldest until they are acknowledged).
   */
  private async catchUp(): Promise<void> {
    try {
      const { remaining, messages } = await this.fetch(0);
      this.catchingUp = remaining > 0;
      for (const m of messages) this.deliver(m);
    } catch (err) {
      // Still queued: the next catch-up or the app's own fetch finds them.
      this.catchingUp = false;
      this.emit('renewFailed', err as Error);
    }
  }

  private onPush(p: Reply): void {
    // proto-loader names the oneof member that is set in `kind` (chat.proto's `oneof kind`).
    const member = p.kind;
    if (typeof member !== 'string' || !p[member]) return; // a push this client does not know: ignored, as the protocol asks
    const body = p[member] as Record<string, unknown>;
    this.emit('push', { type: pushType(member), ...body } as Push);
    if (member === 'message') this.deliver(body as ChatMessage);
    else if (member === 'groupMessage') this.deliver(body as GroupChatMessage);
    else if (member === 'groupDelivered') this.emit('groupDelivered', body as never);
    else if (member === 'groupChanged') this.emit('groupChanged', body as never);
    else if (member === 'loggedInElsewhere') this.emit('loggedInElsewhere');
    else if (member === 'serverClosing') this.emit('serverClosing');
    else if (member === 'delivered') this.emit('delivered', body.ids as number[]);
    else if (member === 'presenceChanged') this.emit('presence', body.name as string, body.online !== 0);
  }

  /**
   * Emits a message (`groupMessage` for one sent to a group) unless it was emitted before (same id)
   * or repeats one under a new id (same sender and clientId).
   */
  private deliver(m: FetchedMessage): void {
    if (this.seen.has(m.id)) return;
    this.seen.set(m.id, true);
    if (this.repeats.isRepeat(m)) return;
    if (m.group) this.emit('groupMessage', m as GroupChatMessage);
    else this.emit('message', m);
  }
}
