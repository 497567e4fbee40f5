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

export class GrpcChatClient extends EventEmitter<GrpcClientEvents> {
  token: string | undefined;
  private stream: ClientReadableStream<Record<string, unknown>> | undefined;
  private nextClientId = (Math.random() * maxValue(u32)) >>> 0;

  private constructor(readonly client: Client) {
    super();
  }

  /** A client with its own HTTP/2 connection (not shared with other clients in the process). */
  static async connect(opts: { host?: string; port: number }): Promise<GrpcChatClient> {
    ChatCtor ??= makeGenericClientConstructor(chatServiceDefinition(), 'Chat') as unknown as typeof ChatCtor;
    const c = new ChatCtor!(`${opts.host ?? '127.0.0.1'}:${opts.port}`, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    await new Promise<void>((resolve, reject) => c.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())));
    return new GrpcChatClient(c);
  }

  /** Calls a unary method; with the session token when there is one. */
  call(method: string, req: object = {}): Promise<Record<string, unknown>> {
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
    return { undelivered: r.undelivered as number };
  }

  async logout(): Promise<void> {
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
      });
    });
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }
}
