/**
 * One shape for a chat connection over either transport, for the chaos clients: TCP (ChatClient,
 * TLS when the nodes serve it) or gRPC. A Link is one connection to one node; when it dies (closed,
 * stalled, its stream ended) it reports `lost` once and is not reused: the client opens a new one,
 * as ChatSession does. The gRPC client is imported here and nowhere else in the chaos run.
 */
import { EventEmitter } from 'node:events';
import { ChatClient, RepeatFilter, type ChatMessage } from '../../src/protocol/client.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';

export type TransportKind = 'tcp' | 'grpc';

/** Silence after which a link is probed, and how long the probe may take, before it is given up. */
export const HEARTBEAT = { idleMs: 2000, answerMs: 2000 };
/** A request not answered within this long gives the link up (a stopped node answers nothing). */
const CALL_TIMEOUT_MS = 8000;
const CONNECT_TIMEOUT_MS = 4000;

export interface LinkEvents {
  /** A Message push, before any de-duplication. */
  message: [ChatMessage];
  /** A Delivered push: these Accepted ids reached their recipients' clients. */
  delivered: [number[]];
  /** Another login took the account over. */
  loggedInElsewhere: [];
  /** The link is dead (said once). */
  lost: [string];
}

export interface Link extends EventEmitter<LinkEvents> {
  readonly kind: TransportKind;
  register(username: string, password: string): Promise<void>;
  /** Logs in (over gRPC also opens the push stream). */
  login(username: string, password: string): Promise<{ undelivered: number }>;
  send(recipient: string, content: string, clientId: number, flags: number): Promise<number>;
  fetch(max: number): Promise<{ remaining: number; messages: ChatMessage[] }>;
  ack(upTo: number): Promise<void>;
  /** Drops the connection at once, as a dying process would. */
  destroy(): void;
}

/** Errors that mean "this link is gone" (retry elsewhere) rather than an answer of the server. */
export function isLinkError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: string } | null;
  if (e?.name === 'ServerError') return e.code === 'SHUTTING_DOWN';
  return true; // closed, reset, timed out, gRPC transport statuses: all mean the link
}

class TcpLink extends EventEmitter<LinkEvents> implements Link {
  readonly kind = 'tcp';
  private dead = false;

  constructor(private readonly c: ChatClient) {
    super();
    c.on('push', (p) => {
      if (p.type === 'Message') {
        const { type: _t, ...m } = p;
        this.emit('message', m);
      }
    });
    c.on('delivered', (ids) => this.emit('delivered', ids));
    c.on('loggedInElsewhere', () => this.emit('loggedInElsewhere'));
    c.on('close', (err) => this.lose(err ? err.message : 'closed'));
  }

  private lose(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.emit('lost', why);
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    return withTimeout(p, () => this.destroy(), 'tcp');
  }

  register(u: string, p: string): Promise<void> {
    return this.timed(this.c.register(u, p));
  }
  login(u: string, p: string): Promise<{ undelivered: number }> {
    return this.timed(this.c.login(u, p));
  }
  send(r: string, content: string, clientId: number, flags: number): Promise<number> {
    return this.timed(this.c.send(r, content, clientId, flags));
  }
  fetch(max: number) {
    return this.timed(this.c.fetch(max));
  }
  ack(upTo: number): Promise<void> {
    return this.timed(this.c.ack(upTo));
  }
  destroy(): void {
    // What a killed process does: the kernel ends its sockets. The link is given up at once, even
    // if the peer (a stopped node) never answers the end.
    this.lose('destroyed');
    void this.c.close();
  }
}

class GrpcLink extends EventEmitter<LinkEvents> implements Link {
  readonly kind = 'grpc';
  private dead = false;
  private readonly beat: NodeJS.Timeout;
  private lastHeard = Date.now();

  constructor(private readonly g: GrpcChatClient) {
    super();
    g.on('message', (m) => {
      this.lastHeard = Date.now();
      this.emit('message', m);
    });
    g.on('delivered', (ids: number[]) => this.emit('delivered', ids));
    g.on('loggedInElsewhere', () => this.emit('loggedInElsewhere'));
    g.on('streamEnd', (code, why) => this.lose(`stream ended (${code ?? 'ok'}${why ? `, ${why}` : ''})`));
    // No KeepAlive comes over gRPC: a Ping after silence finds a stopped node or a held link.
    this.beat = setInterval(() => {
      if (Date.now() - this.lastHeard < HEARTBEAT.idleMs) return;
      withTimeout(this.g.ping(), () => this.destroy(), 'grpc heartbeat', HEARTBEAT.answerMs).then(
        () => (this.lastHeard = Date.now()),
        () => undefined,
      );
    }, HEARTBEAT.idleMs / 2);
    this.beat.unref();
  }

  private lose(why: string): void {
    if (this.dead) return;
    this.dead = true;
    clearInterval(this.beat);
    this.emit('lost', why);
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(new Error('link lost'));
    return withTimeout(p, () => this.destroy(), 'grpc').then(
      (v) => {
        this.lastHeard = Date.now();
        return v;
      },
      (err: unknown) => {
        if (isLinkError(err)) this.destroy();
        throw err;
      },
    );
  }

  register(u: string, p: string): Promise<void> {
    return this.timed(this.g.register(u, p));
  }
  async login(u: string, p: string): Promise<{ undelivered: number }> {
    const r = await this.timed(this.g.login(u, p));
    await this.timed(this.g.subscribe());
    return r;
  }
  send(r: string, content: string, clientId: number, flags: number): Promise<number> {
    return this.timed(this.g.send(r, content, clientId, flags));
  }
  fetch(max: number) {
    return this.timed(this.g.fetch(max));
  }
  ack(upTo: number): Promise<void> {
    return this.timed(this.g.ack(upTo));
  }
  destroy(): void {
    this.lose('destroyed');
    this.g.close();
  }
}

/** Rejects after `ms` (first calling `onTimeout`, which gives the link up). */
function withTimeout<T>(p: Promise<T>, onTimeout: () => void, what: string, ms = CALL_TIMEOUT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

/** Opens a link to host:port. `ca`: the TCP client speaks TLS trusting it (a gRPC client's tap does the TLS). */
export async function openLink(kind: TransportKind, host: string, port: number, ca: Buffer | undefined): Promise<Link> {
  if (kind === 'tcp') {
    const c = await ChatClient.connect({
      host,
      port,
      tls: ca ? { ca } : undefined,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      heartbeat: HEARTBEAT,
      // The chaos client de-duplicates itself (across restarts); ChatClient's filter is per link here.
      repeats: new RepeatFilter(),
    });
    return new TcpLink(c);
  }
  const g = await withTimeout(GrpcChatClient.connect({ host, port, renew: true }), () => undefined, 'grpc connect');
  return new GrpcLink(g);
}
