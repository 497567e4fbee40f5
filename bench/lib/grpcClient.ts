/**
 * A termchat client over gRPC (chat.proto) with the same shape as ChatClient, for the tests and the
 * benchmark. Errors reject with ServerError carrying the termchat code from the trailing metadata.
 */
import { EventEmitter } from 'node:events';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  status,
  type Client,
  type ClientReadableStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import type { ChatMessage } from '../../src/protocol/client.js';
import { ServerError } from '../../src/protocol/errors.js';
import { chatServiceDefinition, META } from '../../src/server/transports/grpcProto.js';
import { maxValue, u32 } from '../../src/protocol/fields.js';

export interface GrpcClientEvents {
  message: [ChatMessage];
  loggedInElsewhere: [];
  serverClosing: [];
  /**
   * The Subscribe stream ended: its status code (undefined when it ended cleanly) and, for a clean
   * end, why (the termchat-stream-end trailer: logged-in-elsewhere, replaced, logout, ...).
   */
  streamEnd: [number | undefined, string | undefined];
  /** Logging in again after the token expired failed (the account is gone, the server unreachable...). */
  renewFailed: [Error];
}

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: Record<string, unknown>) => void) => void;

let ChatCtor: (new (address: string, creds: ReturnType<typeof credentials.createInsecure>, opts?: object) => Client) | undefined;

/** A ServerError from a gRPC error: the termchat code from the trailers, else the bare status. */
export function toServerError(err: ServiceError): Error {
  const n = Number(err.metadata?.get(META.errorNumber)[0]);
  if (Number.isInteger(n) && n > 0) {
    const e = new ServerError(n, err.details);
    (e as ServerError & { grpcCode?: number }).grpcCode = err.code;
    return e;
  }
  return err;
}

/** UNAUTHENTICATED because the session token outlived its lifetime (not a wrong password or a takeover). */
function isExpired(err: unknown): boolean {
  const e = err as { grpcCode?: number; message?: string };
  return e.grpcCode === status.UNAUTHENTICATED && /expired/.test(e.message ?? '');
}

export class GrpcChatClient extends EventEmitter<GrpcClientEvents> {
  token: string | undefined;
  /** Kept to renew an expired token by itself (see call). */
  private creds: { username: string; password: string } | undefined;
  private stream: ClientReadableStream<Record<string, unknown>> | undefined;
  private nextClientId = (Math.random() * maxValue(u32)) >>> 0;

  private constructor(readonly client: Client) {
    super();
  }

  /** A client with its own HTTP/2 connection (not shared with other clients in the process). */
  static async connect(opts: { host?: string; port: number; renew?: boolean }): Promise<GrpcChatClient> {
    ChatCtor ??= makeGenericClientConstructor(chatServiceDefinition(), 'Chat') as unknown as typeof ChatCtor;
    const c = new ChatCtor!(`${opts.host ?? '127.0.0.1'}:${opts.port}`, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    await new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
    const g = new GrpcChatClient(c);
    g.renewExpired = opts.renew ?? true;
    return g;
  }

  /** Log in again by itself when the session token expires (see call). */
  private renewExpired = true;

  /**
   * Calls a unary method with the session token when there is one. A token that expired (the server
   * gives each a fixed lifetime) is renewed by logging in again with the same credentials, and the
   * call is made once more, unchanged: a Send keeps its clientId, so nothing is lost or doubled.
   */
  async call(method: string, req: object = {}): Promise<Record<string, unknown>> {
    try {
      return await this.callOnce(method, req);
    } catch (err) {
      if (!this.renewExpired || !this.creds || method === 'Login' || !isExpired(err)) throw err;
      await this.renew();
      return this.callOnce(method, req);
    }
  }

  /**
   * Logs in again with the kept credentials, and reopens the push stream if one was open. One
   * renewal at a time: the stream's end and a failed call can notice the expiry together, and a
   * second Login would take over (and end) the session the first one just made.
   */
  private renew(): Promise<void> {
    return (this.renewing ??= (async () => {
      const creds = this.creds!;
      const streaming = this.stream !== undefined;
      await this.login(creds.username, creds.password);
      if (streaming) await this.subscribe();
    })().finally(() => (this.renewing = undefined)));
  }

  private renewing: Promise<void> | undefined;

  private callOnce(method: string, req: object): Promise<Record<string, unknown>> {
    const md = new Metadata();
    if (this.token) md.set(META.authorization, `Bearer ${this.token}`);
    const fn = (this.client as unknown as Record<string, Unary>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.client, req, md, (err, res) => (err ? reject(toServerError(err)) : resolve(res)));
    });
  }

  async register(username: string, password: string): Promise<void> {
    await this.call('Register', { username, password });
  }

  async login(username: string, password: string): Promise<{ undelivered: number }> {
    const r = await this.call('Login', { username, password });
    this.token = r.token as string;
    this.creds = { username, password };
    return { undelivered: r.undelivered as number };
  }

  async logout(): Promise<void> {
    this.creds = undefined;
    await this.call('Logout');
  }

  async listAccounts(pattern = '*', offset = 0, limit = 50): Promise<{ total: number; names: string[] }> {
    const r = await this.call('ListAccounts', { pattern, offset, limit });
    return { total: r.total as number, names: r.names as string[] };
  }

  newClientId(): number {
    const id = this.nextClientId;
    this.nextClientId = (id + 1) >>> 0;
    return id;
  }

  async send(recipient: string, content: string, clientId = this.newClientId(), flags = 0): Promise<number> {
    const r = await this.call('Send', { recipient, clientId, flags, content });
    return r.messageId as number;
  }

  async fetch(max = 100): Promise<{ remaining: number; messages: ChatMessage[] }> {
    const r = await this.call('FetchUndelivered', { max });
    return { remaining: r.remaining as number, messages: r.messages as ChatMessage[] };
  }

  async ack(upTo: number): Promise<void> {
    await this.call('Ack', { upTo });
  }

  async deleteAccount(password: string, confirm = false): Promise<{ deleted: true } | { deleted: false; waiting: number }> {
    const r = await this.call('DeleteAccount', { password, confirm: confirm ? 1 : 0 });
    const ask = r.confirmDelete as { waiting: number } | null | undefined;
    return ask ? { deleted: false, waiting: ask.waiting } : { deleted: true };
  }

  async ping(): Promise<void> {
    await this.call('Ping');
  }

  /** Opens the push stream; resolves once the server has attached it (its headers arrived). */
  subscribe(): Promise<void> {
    const md = new Metadata();
    if (this.token) md.set(META.authorization, `Bearer ${this.token}`);
    const s = (this.client as unknown as Record<string, (r: object, md: Metadata) => ClientReadableStream<Record<string, unknown>>>)
      .Subscribe!.call(this.client, {}, md);
    this.stream = s;
    return new Promise((resolve, reject) => {
      let attached = false;
      s.on('metadata', () => {
        attached = true;
        resolve();
      });
      s.on('data', (p: Record<string, unknown>) => {
        if (p.message) this.emit('message', p.message as ChatMessage);
        else if (p.loggedInElsewhere) this.emit('loggedInElsewhere');
        else if (p.serverClosing) this.emit('serverClosing');
      });
      s.on('error', (err: ServiceError) => {
        if (!attached) reject(toServerError(err));
      });
      // Emitted once for every end (clean, error or cancel), with the trailers.
      s.on('status', (st: StatusObject) => {
        const why = st.metadata.get(META.streamEnd)[0];
        this.emit('streamEnd', st.code === status.OK ? undefined : st.code, typeof why === 'string' ? why : undefined);
        // The token's lifetime ended the stream: renew it and carry on, as a unary call would.
        if (why === 'expired' && this.renewExpired && this.creds && this.stream === s) void this.renew().catch((e: unknown) => this.emit('renewFailed', e as Error));
      });
    });
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }
}
